"""A manager's privacy actions on the client profile; associates neither see nor reach them."""

from django.test import Client as HttpClient

from omnipresence.clients import services as clients
from omnipresence.clients.models import AccessAttempt, Client


def _http(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def test_a_manager_downloads_and_erases_an_associate_cannot(world_a, manager_a, associate_a):
    client = clients.client_resolve(boutique=world_a["boutique"], email="ada@example.com", name="Ada Lovelace")
    profile = f"/console/atelier-a/clients/{client.pk}/"
    assert "privacy-erase" in _http(manager_a).get(profile).content.decode()
    assert "privacy-erase" not in _http(associate_a).get(profile).content.decode()

    assert _http(associate_a).get(f"{profile}export/").status_code == 403
    assert _http(associate_a).post(f"{profile}erase/", {"confirm": "ERASE"}).status_code == 403
    assert AccessAttempt.objects.filter(target=f"client:{client.pk}", actor_label="alice").count() == 2

    download = _http(manager_a).get(f"{profile}export/")
    assert download.status_code == 200 and download.json()["client"]["display_name"] == "Ada Lovelace"
    wrong = _http(manager_a).post(f"{profile}erase/", {"confirm": "erase please"})
    assert wrong.status_code == 422 and Client.objects.get(pk=client.pk).erased_at is None
    done = _http(manager_a).post(f"{profile}erase/", {"confirm": "ERASE"})
    assert done.status_code == 302
    client.refresh_from_db()
    assert client.erased_at is not None and client.display_name == ""
    assert _http(manager_a).get(profile).status_code == 404
