"""The boutiques API through HTTP: boutiques, locations and hours, tokens, and how callers authenticate."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from omnipresence.stores import services
from omnipresence.stores.models import ApiToken, HoursException, Location, OpeningHours

API = "/api/v1/boutiques"


def session(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def bearer(key: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {key}"})


def post(client, url, body, method="post"):
    return getattr(client, method)(url, body, content_type="application/json")


def error(response) -> tuple[int, str]:
    body = response.json()
    assert body["message"]
    return response.status_code, body["code"]


# --- public reads -------------------------------------------------------------------------------


def test_boutiques_are_listed_with_exact_values(client, world_a, world_b):
    response = client.get(API)
    assert response.status_code == 200
    assert response.json() == [
        {"slug": "atelier-a", "name": "Atelier A", "tagline": "", "country": "GB", "city": "London",
         "currency": "GBP", "language": "en-GB", "timezone": "Europe/London", "prices_include_tax": True,
         "tax_rate_bp": 2000, "routing_rule": "priority"},
        {"slug": "boutique-b", "name": "Boutique B", "tagline": "", "country": "FR", "city": "Paris",
         "currency": "EUR", "language": "fr-FR", "timezone": "Europe/Paris", "prices_include_tax": True,
         "tax_rate_bp": 2000, "routing_rule": "priority"},
    ]  # fmt: skip
    assert [b["slug"] for b in client.get(API, {"city": "paris"}).json()] == ["boutique-b"]
    assert client.get(API, {"city": "Nowhere"}).json() == []


def test_boutique_detail_and_unknown_slug(client, world_a):
    assert client.get(f"{API}/atelier-a").json()["currency"] == "GBP"
    assert error(client.get(f"{API}/nope")) == (404, "boutique_not_found")
    assert error(client.get(f"{API}/bad%20slug!")) == (422, "invalid_input")


def test_locations_show_hours_and_coming_exceptions(client, world_a):
    actor = world_a["actor"]
    today = timezone.now().date()
    services.hours_exception_add(actor=actor, location=world_a["shop"], day=today + timedelta(days=3),
                                 closed=True, note="Stocktake")  # fmt: skip
    services.hours_exception_add(actor=actor, location=world_a["shop"], day=today - timedelta(days=10),
                                 closed=True, note="Long ago")  # fmt: skip
    locations = client.get(f"{API}/atelier-a/locations").json()
    assert [loc["code"] for loc in locations] == ["warehouse", "chelsea", "soho"]  # by priority, then name
    soho = locations[2]
    assert soho["opening_hours"][0] == {"weekday": 0, "opens": "00:00:00", "closes": "23:59:00"}
    assert len(soho["opening_hours"]) == 7
    assert soho["hours_exceptions"] == [
        {"date": (today + timedelta(days=3)).isoformat(), "closed": True, "opens": None, "closes": None,
         "note": "Stocktake"}
    ]  # fmt: skip
    assert soho["timezone"] == "Europe/London"


# --- authentication -----------------------------------------------------------------------------


def test_token_failures_say_exactly_why(world_a):
    token, key = services.api_token_create(boutique=world_a["boutique"], name="old")
    url = f"{API}/atelier-a/holds"
    assert error(Client().get(url)) == (401, "unauthenticated")
    assert error(bearer("not-a-token").get(url)) == (401, "invalid_token")
    assert error(bearer("omni_nounderscore").get(url)) == (401, "invalid_token")
    assert error(bearer(key + "x").get(url)) == (401, "invalid_token")
    assert error(bearer("omni_" + "a" * 300).get(url)) == (401, "invalid_token")
    assert error(Client(headers={"Authorization": "Basic abc"}).get(url)) == (401, "unauthenticated")

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert error(bearer(key).get(url)) == (401, "token_expired")

    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert error(bearer(key).get(url)) == (401, "token_revoked")


def test_token_scopes_limit_what_it_may_do(world_a):
    _, key = services.api_token_create(boutique=world_a["boutique"], name="ro", scopes=["inventory:read"])
    client = bearer(key)
    assert client.get(f"{API}/atelier-a/stock").status_code == 200
    response = post(client, f"{API}/atelier-a/locations", {"code": "pop-up", "name": "Pop-up"})
    assert error(response) == (403, "forbidden")
    assert response.json()["details"] == {"permission": "locations.edit"}
    assert not Location.objects.filter(code="pop-up").exists()


def test_session_post_needs_the_csrf_token(world_a, manager_a):
    url = f"{API}/atelier-a/locations"
    strict = session(manager_a, enforce_csrf_checks=True)
    refused = post(strict, url, {"code": "pop-up", "name": "Pop-up"})
    assert refused.status_code == 403
    assert not Location.objects.filter(code="pop-up").exists()

    strict.get("/admin/login/")  # a page with a form sets the CSRF cookie
    csrf_value = strict.cookies["csrftoken"].value
    accepted = strict.post(url, {"code": "pop-up", "name": "Pop-up"}, content_type="application/json",
                           headers={"X-CSRFToken": csrf_value})  # fmt: skip
    assert accepted.status_code == 201, accepted.content
    assert Location.objects.get(code="pop-up").boutique == world_a["boutique"]


def test_session_get_needs_no_csrf(world_a, associate_a):
    assert session(associate_a, enforce_csrf_checks=True).get(f"{API}/atelier-a/holds").status_code == 200


def test_staff_of_another_boutique_is_refused(world_a, world_b, associate_b):
    assert error(session(associate_b).get(f"{API}/atelier-a/holds")) == (403, "not_staff")


# --- locations ----------------------------------------------------------------------------------


def test_manager_creates_a_location(world_a, manager_a):
    response = post(session(manager_a), f"{API}/atelier-a/locations",
                    {"code": "pop-up", "name": "Pop-up", "kind": "shop", "country": "gb", "timezone": "Europe/Paris",
                     "priority": 5, "offers_pickup": True})  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    assert body | {"id": 0} == {
        "id": 0, "code": "pop-up", "name": "Pop-up", "kind": "shop", "address": "", "city": "", "postcode": "",
        "country": "GB", "timezone": "Europe/Paris", "sells_in_person": True, "fulfils_online": False,
        "offers_pickup": True, "feeds_online": True, "priority": 5, "opening_hours": [], "hours_exceptions": [],
    }  # fmt: skip


def test_associate_cannot_create_or_change_locations(world_a, associate_a):
    client = session(associate_a)
    count = Location.objects.count()
    assert error(post(client, f"{API}/atelier-a/locations", {"code": "x", "name": "X"})) == (403, "forbidden")
    assert error(post(client, f"{API}/atelier-a/locations/soho", {"name": "Mine"}, "patch")) == (403, "forbidden")
    assert Location.objects.count() == count
    assert Location.objects.get(pk=world_a["shop"].pk).name == "Soho"


@pytest.mark.parametrize(
    "body,code",
    [
        ({"code": "Bad Code", "name": "X"}, "invalid_input"),
        ({"code": "x", "name": ""}, "invalid_input"),
        ({"code": "x", "name": "   "}, "invalid_input"),
        ({"code": "x", "name": "X" * 121}, "invalid_input"),
        ({"code": "x", "name": "X", "timezone": "Mars/Olympus"}, "invalid_timezone"),
        ({"code": "x", "name": "X", "kind": "cart"}, "invalid_input"),
        ({"code": "x", "name": "X", "priority": True}, "invalid_input"),
        ({"code": "x", "name": "X", "priority": "5"}, "invalid_input"),
        ({"code": "x", "name": "X", "priority": -1}, "invalid_input"),
        ({"code": "x", "name": "X", "sells_in_person": "yes"}, "invalid_input"),
        ({"code": "x", "name": "X", "city": "a\x00b"}, "invalid_input"),
        ({"code": "x", "name": "X", "surprise": 1}, "invalid_input"),
        ({"code": "soho", "name": "Again"}, "location_exists"),
    ],
)
def test_bad_location_input_is_refused(world_a, manager_a, body, code):
    count = Location.objects.count()
    response = post(session(manager_a), f"{API}/atelier-a/locations", body)
    assert error(response) == (409 if code == "location_exists" else 422, code)
    assert Location.objects.count() == count


@pytest.mark.parametrize("body", ["AAA", [None, None], 12, None])
def test_a_body_that_is_not_an_object_is_refused(world_a, manager_a, body):
    response = post(session(manager_a), f"{API}/atelier-a/locations/soho", body, "patch")
    assert response.status_code in (400, 422)
    assert Location.objects.get(pk=world_a["shop"].pk).name == "Soho"


def test_location_patch_and_deactivate(world_a, manager_a):
    client = session(manager_a)
    response = post(client, f"{API}/atelier-a/locations/chelsea", {"name": "Chelsea Green", "priority": 3}, "patch")
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["priority"]) == ("Chelsea Green", 3)
    response = post(client, f"{API}/atelier-a/locations/chelsea", {"is_active": False}, "patch")
    assert response.status_code == 200  # was a 500: the answer looked among active locations only
    assert Location.objects.get(code="chelsea", boutique=world_a["boutique"]).is_active is False
    assert "chelsea" not in [loc["code"] for loc in Client().get(f"{API}/atelier-a/locations").json()]
    assert error(post(client, f"{API}/atelier-a/locations/nowhere", {"name": "X"}, "patch")) == (
        404, "location_not_found"
    )  # fmt: skip


def test_weekly_hours_are_replaced(world_a, manager_a):
    response = post(session(manager_a), f"{API}/atelier-a/locations/soho/hours",
                    {"periods": [{"weekday": 0, "opens": "09:30", "closes": "13:00"},
                                 {"weekday": 0, "opens": "14:00:00", "closes": "19:00"}]}, "put")  # fmt: skip
    assert response.status_code == 200
    assert response.json()["opening_hours"] == [
        {"weekday": 0, "opens": "09:30:00", "closes": "13:00:00"},
        {"weekday": 0, "opens": "14:00:00", "closes": "19:00:00"},
    ]
    assert OpeningHours.objects.filter(location=world_a["shop"]).count() == 2


@pytest.mark.parametrize(
    "periods,code",
    [
        ([{"weekday": 7, "opens": "09:00", "closes": "10:00"}], "invalid_input"),
        ([{"weekday": 0, "opens": "10:00", "closes": "09:00"}], "invalid_hours"),
        ([{"weekday": 0, "opens": "09:00", "closes": "12:00"}, {"weekday": 0, "opens": "11:00", "closes": "13:00"}],
         "invalid_hours"),
        ([{"weekday": 0, "opens": "09:00Z", "closes": "12:00"}], "invalid_input"),
        ([{"weekday": 0, "opens": 0, "closes": "12:00"}], "invalid_input"),
        ([{"weekday": 0, "opens": "25:00", "closes": "26:00"}], "invalid_input"),
    ],
)
def test_bad_hours_are_refused_and_old_hours_kept(world_a, manager_a, periods, code):
    response = post(session(manager_a), f"{API}/atelier-a/locations/soho/hours", {"periods": periods}, "put")
    assert error(response) == (422, code)
    assert OpeningHours.objects.filter(location=world_a["shop"]).count() == 7


def test_hours_exceptions(world_a, manager_a):
    client = session(manager_a)
    url = f"{API}/atelier-a/locations/soho/hours-exceptions"
    response = post(client, url, {"date": "2031-12-24", "closed": False, "opens": "10:00", "closes": "14:00",
                                  "note": "Christmas Eve"})  # fmt: skip
    assert response.status_code == 201
    assert response.json() == {"date": "2031-12-24", "closed": False, "opens": "10:00:00", "closes": "14:00:00",
                               "note": "Christmas Eve"}  # fmt: skip
    assert error(post(client, url, {"date": "2031-12-25", "closed": False})) == (422, "invalid_hours")
    assert error(post(client, url, {"date": 20311225})) == (422, "invalid_input")
    assert error(post(client, url, {"date": "2031-12-25", "closed": True, "closes": 0})) == (422, "invalid_input")
    assert HoursException.objects.count() == 1


# --- tokens -------------------------------------------------------------------------------------


def test_owner_creates_lists_and_revokes_tokens(world_a, owner_a):
    client = session(owner_a)
    response = post(client, f"{API}/atelier-a/tokens", {"name": "till", "scopes": ["inventory:read"], "valid_days": 30})
    assert response.status_code == 201
    created = response.json()
    assert created["key"].startswith("omni_") and created["scopes"] == ["inventory:read"]
    assert created["expires_at"] is not None and created["revoked_at"] is None
    assert bearer(created["key"]).get(f"{API}/atelier-a/stock").status_code == 200

    listed = client.get(f"{API}/atelier-a/tokens").json()
    assert [t["name"] for t in listed] == ["till"]
    assert "key" not in listed[0]

    revoked = client.delete(f"{API}/atelier-a/tokens/{created['id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert error(bearer(created["key"]).get(f"{API}/atelier-a/stock")) == (401, "token_revoked")
    assert error(client.delete(f"{API}/atelier-a/tokens/999999")) == (404, "not_found")
    assert error(client.delete(f"{API}/atelier-a/tokens/0")) == (422, "invalid_input")


def test_managers_and_tokens_cannot_manage_tokens(world_a, manager_a, api_a):
    assert error(session(manager_a).get(f"{API}/atelier-a/tokens")) == (403, "forbidden")
    assert error(post(session(manager_a), f"{API}/atelier-a/tokens", {"name": "x"})) == (403, "forbidden")
    # A full-scope token still lacks tokens.manage.
    assert error(post(api_a, f"{API}/atelier-a/tokens", {"name": "x"})) == (403, "forbidden")
    assert ApiToken.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [{"name": ""}, {"name": "x" * 81}, {"name": "x", "scopes": ["admin"]}, {"name": "x", "valid_days": 0},
     {"name": "x", "valid_days": True}, {"name": "x", "valid_days": "30"}],
)  # fmt: skip
def test_bad_token_input(world_a, owner_a, body):
    assert error(post(session(owner_a), f"{API}/atelier-a/tokens", body)) == (422, "invalid_input")
    assert ApiToken.objects.count() == 0
