"""Staff read a client's wishlist through the API; another boutique's client is a logged 404."""

from omnipresence.accounts import services
from omnipresence.clients import services as clients
from omnipresence.clients.models import AccessAttempt


def test_staff_read_her_wishlist(api_a, world_a, her_a):
    services.wishlist_add(client=her_a, product=world_a["product"], variant=world_a["variants"][1])
    response = api_a.get(f"/api/v1/boutiques/atelier-a/clients/{her_a.pk}/wishlist")
    assert response.status_code == 200
    (item,) = response.json()
    assert (item["handle"], item["title"], item["sku"]) == ("blue-statement-coat", "Blue Statement Coat",
                                                          "atelier-a-COAT-BLU-M")  # fmt: skip


def test_another_boutiques_client_is_not_found_and_logged(api_a, world_a, world_b):
    theirs = clients.client_resolve(boutique=world_b["boutique"], email="b@example.com", channel="web")
    services.wishlist_add(client=theirs, product=world_b["product"])
    response = api_a.get(f"/api/v1/boutiques/atelier-a/clients/{theirs.pk}/wishlist")
    assert response.status_code == 404
    assert response.json()["code"] == "client_not_found"
    attempt = AccessAttempt.objects.get()
    assert (attempt.action, attempt.target) == ("wishlist", f"client:{theirs.pk}")


def test_nobody_reads_it_without_a_token(client, world_a, her_a):
    assert client.get(f"/api/v1/boutiques/atelier-a/clients/{her_a.pk}/wishlist").status_code == 401
