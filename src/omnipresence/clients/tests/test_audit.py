"""The client-data audit: profile opens and refused requests are logged and readable by managers
only; a refused request leaves the client data as it was."""

import pytest

from omnipresence.clients import services
from omnipresence.clients.models import AccessAttempt, ProfileView
from omnipresence.clients.tests.conftest import state
from omnipresence.clients.tests.test_api import send, staff

BASE = "/api/v1/boutiques/atelier-a"


@pytest.fixture
def vane(world_a):
    return services.client_resolve(boutique=world_a["boutique"], email="vane@example.com", name="Sibyl Vane",
                                   verified_kind="email")  # fmt: skip


def test_refusals_are_logged_and_change_nothing(api_a, world_a, vane):
    boutique = world_a["boutique"]
    other = services.client_resolve(boutique=boutique, email="sv@example.org", verified_kind="email")
    before = state(boutique)

    merge = send(api_a, "POST", f"{BASE}/clients/{vane.pk}/merge", {"merged_id": other.pk})
    purpose = send(api_a, "POST", f"{BASE}/clients/{vane.pk}/consents",
                   {"purpose": "telepathy", "granted": True, "channel": "web", "wording": "Yes"})  # fmt: skip
    phone = send(api_a, "POST", f"{BASE}/clients/resolve", {"phone": "12", "name": "Nobody"})
    email = send(api_a, "POST", f"{BASE}/clients/resolve", {"email": "not-an-email"})

    assert (merge.status_code, merge.json()["code"]) == (409, "conflicting_identities")
    assert (purpose.status_code, purpose.json()["code"]) == (422, "unknown_purpose")
    assert phone.status_code == 422 and email.status_code == 422
    assert state(boutique) == before
    logged = {(a.action, a.target, a.code) for a in AccessAttempt.objects.filter(boutique=boutique)}
    assert ("merge", f"client:{vane.pk}", "conflicting_identities") in logged
    assert ("consent", f"client:{vane.pk}", "unknown_purpose") in logged
    assert {action for action, _, _ in logged} >= {"resolve"}
    assert AccessAttempt.objects.filter(boutique=boutique, action="resolve").count() == 2
    assert all(a.actor_label == "token:integration" for a in AccessAttempt.objects.filter(boutique=boutique))


def test_another_boutiques_client_in_the_console_is_logged(world_a, world_b, associate_b, associate_a, vane):
    elsewhere = staff(associate_b).get(f"/console/atelier-a/clients/{vane.pk}/")
    unknown = staff(associate_a).get("/console/atelier-a/clients/999999/")
    assert elsewhere.status_code == 403 and unknown.status_code == 404
    rows = list(AccessAttempt.objects.filter(boutique=world_a["boutique"]).order_by("pk"))
    assert [(r.actor_label, r.action, r.target) for r in rows] == [
        ("bruno", "profile", f"client:{vane.pk}"),
        ("alice", "profile", "client:999999"),
    ]
    assert not ProfileView.objects.filter(client=vane).exists()


def test_managers_read_the_audit_associates_do_not(world_a, associate_a, manager_a, vane):
    assert staff(associate_a).get(f"/console/atelier-a/clients/{vane.pk}/").status_code == 200
    send(staff(associate_a), "GET", f"{BASE}/clients/{vane.pk}/merge")  # 405: not an attempt on data
    staff(associate_a).get("/console/atelier-a/clients/424242/")

    views = staff(manager_a).get(f"{BASE}/audit/profile-views").json()
    assert [(v["staff"], v["client_id"], v["client_name"]) for v in views["items"]] == [
        ("alice", vane.pk, "Sibyl Vane")
    ]
    attempts = staff(manager_a).get(f"{BASE}/audit/attempts").json()["items"]
    assert [(a["actor"], a["target"], a["code"]) for a in attempts] == [("alice", "client:424242", "client_not_found")]
    assert staff(manager_a).get(f"{BASE}/audit/profile-views?staff=maria").json()["items"] == []

    refused = staff(associate_a).get(f"{BASE}/audit/profile-views")
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert staff(associate_a).get("/console/atelier-a/audit/").status_code == 403

    page = staff(manager_a).get("/console/atelier-a/audit/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sibyl Vane" in html and "client:424242" in html and "client_not_found" in html


def test_audit_pages_by_keyset(world_a, manager_a, associate_a, vane):
    http = staff(associate_a)
    for _ in range(5):
        http.get(f"/console/atelier-a/clients/{vane.pk}/")
    first = staff(manager_a).get(f"{BASE}/audit/profile-views?limit=3").json()
    second = staff(manager_a).get(f"{BASE}/audit/profile-views?limit=3&before_id={first['next_before_id']}").json()
    ids = [v["id"] for v in first["items"] + second["items"]]
    assert len(ids) == 5 and ids == sorted(ids, reverse=True) and second["next_before_id"] is None
    bad = staff(manager_a).get(f"{BASE}/audit/profile-views?limit=0")
    assert bad.status_code == 422
