"""The clients API: status codes and error codes, as a token and as staff; another boutique's
client ids are not found everywhere."""

import json
from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from omnipresence.clients import services
from omnipresence.clients.models import AccessAttempt, Client, Identity, MergeRecord, ProfileView
from omnipresence.clients.tests.conftest import state

BASE = "/api/v1/boutiques/atelier-a"


def send(http, method, url, body=None):
    return http.generic(method, url, json.dumps(body or {}), content_type="application/json")


def staff(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def test_resolve_creates_then_finds(api_a, world_a):
    made = send(
        api_a,
        "POST",
        f"{BASE}/clients/resolve",
        {"email": "Sibyl@Example.com", "phone": "07911 123456", "name": "Sibyl Vane", "channel": "chat"},
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["display_name"], body["tier"], body["currency"], body["lifetime_spend"]) == (
        "Sibyl Vane", "new", "GBP", 0
    )  # fmt: skip
    assert [{k: v for k, v in i.items() if k != "id"} for i in body["identities"]] == [
        {"kind": "email", "value": "sibyl@example.com", "verified": False},
        {"kind": "phone", "value": "+447911123456", "verified": False},
    ]
    assert set(body["consent"].values()) == {False}

    found = send(api_a, "POST", f"{BASE}/clients/resolve", {"phone": "+44 7911 123456"})
    assert (found.status_code, found.json()["id"]) == (200, body["id"])


@pytest.mark.parametrize(
    "body, code",
    [
        ({"email": "not-an-email"}, "invalid_email"),
        ({"phone": "12345"}, "invalid_phone"),
        ({"handles": {"instagram": "no spaces!"}}, "invalid_handle"),
        ({"handles": {"tiktok": "x"}}, "invalid_input"),
        ({}, "identifier_required"),
        ({"email": "a@example.com", "surprise": 1}, "invalid_input"),
        ({"email": "a@example.com", "verified_kind": "phone"}, "invalid_verified_kind"),
    ],
)
def test_bad_resolutions_are_422_and_write_nothing(api_a, world_a, body, code):
    before = state(world_a["boutique"])
    response = send(api_a, "POST", f"{BASE}/clients/resolve", body)
    assert (response.status_code, response.json()["code"]) == (422, code)
    assert state(world_a["boutique"]) == before


@pytest.fixture
def sibyl(world_a):
    return services.client_resolve(boutique=world_a["boutique"], email="sibyl@example.com", name="Sibyl Vane")


def test_profile_read_and_patch(api_a, sibyl, associate_a):
    patched = send(api_a, "PATCH", f"{BASE}/clients/{sibyl.pk}", {
        "sizes": {"shoes": "38"}, "tags": ["vip-event"], "primary_associate": "alice", "price_band_max": 90_000,
        "important_dates": [{"label": "Birthday", "date": "--03-07"}],
    })  # fmt: skip
    assert patched.status_code == 200, patched.content
    body = patched.json()
    assert (body["sizes"], body["tags"], body["primary_associate"], body["price_band_max"]) == (
        {"shoes": "38"}, ["vip-event"], "alice", 90_000
    )  # fmt: skip
    assert api_a.get(f"{BASE}/clients/{sibyl.pk}").json()["important_dates"] == [
        {"label": "Birthday", "date": "--03-07"}
    ]
    cleared = send(api_a, "PATCH", f"{BASE}/clients/{sibyl.pk}", {"primary_associate": ""})
    assert cleared.json()["primary_associate"] is None


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"lifetime_spend": 1}, 422, "invalid_input"),
        ({"tier": "vip"}, 422, "invalid_input"),
        ({"tags": ["x" * 41]}, 422, "invalid_input"),
        ({"price_band_min": 5, "price_band_max": 1}, 422, "invalid_price_band"),
        ({"important_dates": [{"label": "Birthday", "date": "1990-02-30"}]}, 422, "invalid_dates"),
        ({"primary_associate": "bruno"}, 404, "associate_not_found"),  # boutique B's associate
    ],
)
def test_bad_patches_are_refused(api_a, world_a, sibyl, associate_b, body, status, code):
    before = state(world_a["boutique"])
    response = send(api_a, "PATCH", f"{BASE}/clients/{sibyl.pk}", body)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert state(world_a["boutique"]) == before


def test_search_and_book_through_the_api(api_a, world_a, sibyl):
    services.client_stats_add(
        client_id=sibyl.pk, amount=600_000, occurred_at=timezone.now() - timedelta(days=100)
    )
    services.client_resolve(boutique=world_a["boutique"], email="zoe@example.com", name="Zoe")
    assert [c["id"] for c in api_a.get(f"{BASE}/clients", {"q": "sibyl@"}).json()] == [sibyl.pk]
    assert [c["display_name"] for c in api_a.get(f"{BASE}/clients").json()] == ["Sibyl Vane", "Zoe"]
    assert [
        c["id"] for c in api_a.get(f"{BASE}/clients", {"high_value": "true", "lapsing_days": 30}).json()
    ] == [sibyl.pk]
    assert api_a.get(f"{BASE}/clients", {"page_size": 500}).json()["code"] == "invalid_input"


def test_notes_consent_and_the_timeline(api_a, associate_a, sibyl):
    http = staff(associate_a)
    note = send(http, "POST", f"{BASE}/clients/{sibyl.pk}/notes", {"text": "Loved the blue coat"})
    assert note.status_code == 201 and note.json()["associate"] == "alice"
    consent = send(
        http,
        "POST",
        f"{BASE}/clients/{sibyl.pk}/consents",
        {"purpose": "marketing_email", "granted": True, "channel": "shop", "wording": "News by email?"},
    )
    assert consent.status_code == 201, consent.content
    assert (consent.json()["actor"], consent.json()["state"]["marketing_email"]) == ("alice", True)
    unknown = send(
        http,
        "POST",
        f"{BASE}/clients/{sibyl.pk}/consents",
        {"purpose": "everything", "granted": True, "channel": "shop", "wording": "?"},
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_purpose")
    not_bool = send(
        http,
        "POST",
        f"{BASE}/clients/{sibyl.pk}/consents",
        {"purpose": "walk_in", "granted": "yes", "channel": "shop", "wording": "?"},
    )
    assert (not_bool.status_code, not_bool.json()["code"]) == (422, "invalid_input")

    first = http.get(f"{BASE}/clients/{sibyl.pk}/timeline", {"limit": 2}).json()
    assert [e["kind"] for e in first["items"]] == ["consent", "note"]
    assert first["next_before_id"] == first["items"][-1]["id"]
    rest = http.get(f"{BASE}/clients/{sibyl.pk}/timeline", {"limit": 2, "before_at": first["next_before_at"],
                                                          "before_id": first["next_before_id"]}).json()  # fmt: skip
    assert ([e["kind"] for e in rest["items"]], rest["next_before_at"]) == (["created"], None)
    half = http.get(f"{BASE}/clients/{sibyl.pk}/timeline", {"before_id": 3})
    assert (half.status_code, half.json()["code"]) == (422, "invalid_cursor")
    # One view per call that reached her profile: the note, two consents, two timeline pages.
    assert ProfileView.objects.filter(client=sibyl, staff_user=associate_a).count() == 5


def test_merge_and_undo_through_the_api(world_a, manager_a, associate_a, sibyl):
    other = services.client_resolve(
        boutique=world_a["boutique"], email="sibyl@example.org", name="Sibyl Vane"
    )
    assert [(d["first"]["id"], d["second"]["id"], d["reasons"]) for d in
            staff(manager_a).get(f"{BASE}/clients/duplicates").json()] == [
        (sibyl.pk, other.pk, ["same_name", "email_local_part"])
    ]  # fmt: skip
    as_associate = send(
        staff(associate_a), "POST", f"{BASE}/clients/{sibyl.pk}/merge", {"merged_id": other.pk}
    )
    assert (as_associate.status_code, as_associate.json()["code"]) == (403, "forbidden")

    merged = send(staff(manager_a), "POST", f"{BASE}/clients/{sibyl.pk}/merge", {"merged_id": other.pk})
    assert merged.status_code == 201, merged.content
    body = merged.json()
    assert (body["survivor_id"], body["merged_id"], body["moved"]["identities"], body["actor"]) == (
        sibyl.pk, other.pk, 1, "maria"
    )  # fmt: skip
    again = send(staff(manager_a), "POST", f"{BASE}/clients/{sibyl.pk}/merge", {"merged_id": other.pk})
    assert (again.status_code, again.json()["code"]) == (409, "client_merged")
    # The merged id opens the survivor.
    assert staff(manager_a).get(f"{BASE}/clients/{other.pk}").json()["id"] == sibyl.pk

    undone = send(staff(manager_a), "POST", f"{BASE}/merges/{body['id']}/undo")
    assert undone.status_code == 200 and undone.json()["undone_at"]
    twice = send(staff(manager_a), "POST", f"{BASE}/merges/{body['id']}/undo")
    assert (twice.status_code, twice.json()["code"]) == (409, "merge_undone")


def test_merge_across_conflicting_verified_identities_is_409(api_a, world_a, sibyl):
    services.client_resolve(boutique=world_a["boutique"], email="sibyl@example.com", verified_kind="email")
    other = services.client_resolve(
        boutique=world_a["boutique"], email="sv@example.org", verified_kind="email"
    )
    before = state(world_a["boutique"])
    response = send(api_a, "POST", f"{BASE}/clients/{sibyl.pk}/merge", {"merged_id": other.pk})
    assert (response.status_code, response.json()["code"]) == (409, "conflicting_identities")
    assert response.json()["details"] == {"kinds": ["email"]}
    assert state(world_a["boutique"]) == before


def test_undo_after_30_days_is_409(api_a, world_a, sibyl):
    other = services.client_resolve(boutique=world_a["boutique"], email="other@example.com")
    record = services.client_merge(actor=world_a["actor"], survivor=sibyl, merged=other)
    MergeRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(days=31))
    response = send(api_a, "POST", f"{BASE}/merges/{record.pk}/undo")
    assert (response.status_code, response.json()["code"]) == (409, "merge_too_old")
    assert Client.objects.get(pk=other.pk).merged_into_id == sibyl.pk


def test_another_boutiques_ids_are_not_found_everywhere(api_a, world_a, world_b):
    theirs = services.client_resolve(boutique=world_b["boutique"], email="theirs@example.com")
    mine = services.client_resolve(boutique=world_a["boutique"], email="mine@example.com")
    folded = services.client_resolve(boutique=world_b["boutique"], email="folded@example.com")
    their_merge = services.client_merge(actor=world_b["actor"], survivor=theirs, merged=folded)
    before = state(world_a["boutique"]), state(world_b["boutique"])
    calls = [
        ("GET", f"clients/{theirs.pk}", None),
        ("PATCH", f"clients/{theirs.pk}", {"notes": "x"}),
        ("GET", f"clients/{theirs.pk}/timeline", None),
        ("POST", f"clients/{theirs.pk}/notes", {"text": "x"}),
        (
            "POST",
            f"clients/{theirs.pk}/consents",
            {"purpose": "walk_in", "granted": True, "channel": "shop", "wording": "x"},
        ),  # fmt: skip
        ("POST", f"clients/{theirs.pk}/merge", {"merged_id": mine.pk}),
        ("POST", f"clients/{mine.pk}/merge", {"merged_id": theirs.pk}),
        ("POST", f"merges/{their_merge.pk}/undo", None),
    ]
    for method, path, body in calls:
        response = send(api_a, method, f"{BASE}/{path}", body)
        assert response.status_code == 404, (method, path, response.content)
        assert response.json()["code"] in {"client_not_found", "merge_not_found"}
    assert (state(world_a["boutique"]), state(world_b["boutique"])) == before


def test_a_read_only_token_cannot_write(world_a, sibyl):
    from omnipresence.stores.services import api_token_create

    _, key = api_token_create(boutique=world_a["boutique"], name="reader", scopes=["clients:read"])
    reader = HttpClient(headers={"Authorization": f"Bearer {key}"})
    assert reader.get(f"{BASE}/clients/{sibyl.pk}").status_code == 200
    refused = send(reader, "PATCH", f"{BASE}/clients/{sibyl.pk}", {"notes": "x"})
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    refused = send(reader, "POST", f"{BASE}/clients/resolve", {"email": "new@example.com"})
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert not Client.objects.filter(identities__value="new@example.com").exists()


def test_identities_added_and_removed_by_staff(api_a, world_a, sibyl):
    base = f"{BASE}/clients/{sibyl.pk}/identities"
    added = send(api_a, "POST", base, {"kind": "whatsapp", "value": "07911 123 457"})
    assert added.status_code == 201 and added.json()["value"] == "+447911123457"
    other = services.client_resolve(boutique=world_a["boutique"], email="dorian@example.com")
    taken = send(api_a, "POST", base, {"kind": "email", "value": "Dorian@Example.com"})
    assert (taken.status_code, taken.json()["code"], taken.json()["details"]) == (
        409, "identity_taken", {"client_id": other.pk}
    )  # fmt: skip
    bad = send(api_a, "POST", base, {"kind": "phone", "value": "12"})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_phone")
    kinds = [i["kind"] for i in api_a.get(f"{BASE}/clients/{sibyl.pk}").json()["identities"]]
    assert kinds == ["email", "whatsapp"]

    email_id = Identity.objects.get(client=sibyl, kind="email").pk
    assert send(api_a, "DELETE", f"{base}/{email_id}").status_code == 204
    last_id = Identity.objects.get(client=sibyl).pk
    last = send(api_a, "DELETE", f"{base}/{last_id}")
    assert (last.status_code, last.json()["code"]) == (409, "last_identity")
    elsewhere = send(api_a, "DELETE", f"{base}/{Identity.objects.get(client=other).pk}")
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "identity_not_found")
    assert AccessAttempt.objects.filter(target=f"client:{sibyl.pk}", action="identity_add").count() == 2
