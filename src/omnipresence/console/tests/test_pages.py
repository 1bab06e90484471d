"""Console pages through Django's test client as seeded staff: lookup, holds, tenancy, bad input."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from omnipresence.conftest import make_staff
from omnipresence.inventory import services as inventory
from omnipresence.inventory.models import Hold, Stock
from omnipresence.search.services import search_index_rebuild
from omnipresence.stores import services as stores

PASSWORD = "pass-1234-word"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice(associate_a):
    return logged_in(associate_a)


@pytest.fixture
def hold_a(world_a):
    return inventory.hold_place(actor=world_a["actor"], location=world_a["shop"], variant=world_a["variants"][0],
                                quantity=1, client_name="Jane Doe", client_contact="jane@example.com",
                                ttl_minutes=60)  # fmt: skip


@pytest.fixture
def hold_b(world_b):
    return inventory.hold_place(actor=world_b["actor"], location=world_b["shop"], variant=world_b["variants"][0],
                                quantity=1, client_name="Bernard", ttl_minutes=60)  # fmt: skip


def held(world, index=0) -> int:
    return Stock.objects.get(location=world["shop"], variant=world["variants"][index]).held


# ---------- Login, logout, chooser ----------


def test_login_page_has_labelled_fields(client, db):
    html = client.get("/console/login/").content.decode()
    assert '<label for="id_username">' in html and '<label for="id_password">' in html
    assert 'autocomplete="current-password"' in html


def test_login_leads_straight_to_the_only_boutique(client, associate_a):
    response = client.post("/console/login/", {"username": "alice", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1] == ("/console/atelier-a/", 302)
    assert (
        "<h1>Stock &amp; holds</h1>" in response.content.decode()
        or "<h1>Stock & holds</h1>" in response.content.decode()
    )


def test_wrong_password_is_an_inline_alert(client, associate_a):
    response = client.post("/console/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_chooser_lists_every_boutique_of_the_login(world_a, world_b, associate_a):
    stores.staff_add(boutique=world_b["boutique"], username="alice", role="manager")
    response = logged_in(associate_a).get("/console/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/console/atelier-a/" in html and "/console/boutique-b/" in html


def test_chooser_without_membership_explains(db, django_user_model):
    user = django_user_model.objects.create_user("visitor", password=PASSWORD)
    response = logged_in(user).get("/console/")
    assert response.status_code == 200
    assert "not on the staff" in response.content.decode()


def test_logout_is_a_post(alice):
    assert alice.get("/console/logout/").status_code == 405
    assert alice.post("/console/logout/").status_code == 302
    assert alice.get("/console/atelier-a/").status_code == 302


@pytest.mark.parametrize(
    "path",
    [
        "/console/",
        "/console/atelier-a/",
        "/console/atelier-a/variants/1/",
        "/console/atelier-a/holds/1/release/",
        "/console/atelier-a/holds/1/extend/",
    ],
)
def test_anonymous_visitors_are_sent_to_login(client, world_a, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/console/login/?next=")


# ---------- Dashboard: lookup and holds ----------


def test_lookup_by_text_shows_stock_at_every_location(alice, world_a):
    search_index_rebuild()
    response = alice.get("/console/atelier-a/", {"q": "statement coat"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Blue Statement Coat" in html
    for variant in world_a["variants"]:
        assert variant.sku in html
    assert "Soho" in html and "Chelsea" in html and "Warehouse" in html


def test_exact_sku_or_barcode_jumps_to_the_variant(alice, world_a):
    variant = world_a["variants"][2]
    response = alice.get("/console/atelier-a/", {"q": variant.sku})
    assert response.status_code == 302
    assert response["Location"] == f"/console/atelier-a/variants/{variant.pk}/"
    variant.barcode = "5012345678900"
    variant.save()
    response = alice.get("/console/atelier-a/", {"q": "5012345678900"})
    assert response["Location"] == f"/console/atelier-a/variants/{variant.pk}/"


def test_another_boutiques_sku_is_not_found(alice, world_a, world_b):
    search_index_rebuild()
    response = alice.get("/console/atelier-a/", {"q": world_b["variants"][0].sku})
    assert response.status_code == 200
    assert "Nothing found" in response.content.decode()


def test_active_holds_filter_by_shop_and_client(alice, world_a, hold_a):
    other = inventory.hold_place(actor=world_a["actor"], location=world_a["warehouse"],
                                 variant=world_a["variants"][1], quantity=1, client_name="Zoe Smith")  # fmt: skip
    html = alice.get("/console/atelier-a/").content.decode()
    assert "Jane Doe" in html and "Zoe Smith" in html and "2 active holds" in html
    html = alice.get("/console/atelier-a/", {"shop": "warehouse"}).content.decode()
    assert "Zoe Smith" in html and "Jane Doe" not in html
    html = alice.get("/console/atelier-a/", {"client": "jane@"}).content.decode()
    assert "Jane Doe" in html and "Zoe Smith" not in html
    assert other.pk


def test_unknown_shop_filter_is_404_with_message(alice, world_a):
    response = alice.get("/console/atelier-a/", {"shop": "nowhere"})
    assert response.status_code == 404
    assert "nowhere" in response.content.decode()


def test_expired_holds_are_not_listed(alice, world_a, hold_a):
    Hold.objects.filter(pk=hold_a.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert "Jane Doe" not in alice.get("/console/atelier-a/").content.decode()


def test_client_text_is_escaped(alice, world_a):
    inventory.hold_place(actor=world_a["actor"], location=world_a["shop"], variant=world_a["variants"][0],
                         quantity=1, client_name="<img src=x onerror=alert(1)>")  # fmt: skip
    html = alice.get("/console/atelier-a/").content.decode()
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_dashboard_query_count_does_not_grow_with_holds(
    alice, world_a, hold_a, django_assert_max_num_queries
):
    # session 2 + actor 2 + locations 1 + SKU/barcode check 2 + search (facets included) ~10
    # + availability 4 + holds 2
    search_index_rebuild()
    for location in (world_a["warehouse"], world_a["shop"]):
        for variant in world_a["variants"][1:]:
            inventory.hold_place(actor=world_a["actor"], location=location, variant=variant, quantity=1)
    with django_assert_max_num_queries(27):
        assert alice.get("/console/atelier-a/", {"q": "coat"}).status_code == 200
    with django_assert_max_num_queries(10):
        assert alice.get("/console/atelier-a/").status_code == 200


def test_variant_page_query_count(alice, world_a, hold_a, django_assert_max_num_queries):
    # session 2 + actor 2 + access_variant 3 (SKU, barcode, then id) + locations 1 + availability 4 + holds 1
    with django_assert_max_num_queries(13):
        assert alice.get(f"/console/atelier-a/variants/{world_a['variants'][0].pk}/").status_code == 200


def test_import_link_is_for_managers_and_owners(world_a, associate_a, manager_a, owner_a):
    assert "Import / export" not in logged_in(associate_a).get("/console/atelier-a/").content.decode()
    for user in (manager_a, owner_a):
        assert (
            'href="/console/atelier-a/imports/"'
            in logged_in(user).get("/console/atelier-a/").content.decode()
        )


# ---------- Placing a hold ----------


def hold_form(world, **overrides):
    data = {"location": "soho", "quantity": "1", "client_name": "Jane Doe", "client_contact": "+44 20 7946 0000",
            "note": "Size M too?", "expires_in": "2", "expires_unit": "days"}  # fmt: skip
    data.update(overrides)
    return data


def test_variant_page_shows_stock_and_the_hold_form(alice, world_a):
    variant = world_a["variants"][0]
    response = alice.get(f"/console/atelier-a/variants/{variant.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert variant.sku in html and "£450.00" in html
    assert '<label for="id_client_name">' in html and '<option value="soho" selected>' in html


def test_place_a_hold(alice, world_a):
    variant = world_a["variants"][0]
    response = alice.post(f"/console/atelier-a/variants/{variant.pk}/", hold_form(world_a, quantity="2"))
    assert response.status_code == 302
    hold = Hold.objects.get()
    assert (hold.quantity, hold.client_name, hold.location.code, hold.created_by_label) == (
        2,
        "Jane Doe",
        "soho",
        "alice",
    )
    assert timedelta(hours=47) < hold.expires_at - timezone.now() <= timedelta(days=2)
    assert held(world_a) == 2
    page = alice.get(response["Location"]).content.decode()
    assert "held for Jane Doe at Soho" in page


def test_insufficient_stock_is_an_inline_alert_and_nothing_changes(alice, world_a):
    variant = world_a["variants"][0]
    response = alice.post(f"/console/atelier-a/variants/{variant.pk}/", hold_form(world_a, quantity="3"))
    assert response.status_code == 409
    html = response.content.decode()
    assert 'role="alert"' in html and "Not enough stock" in html
    assert not Hold.objects.exists() and held(world_a) == 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"quantity": "0"},
        {"quantity": "two"},
        {"client_name": ""},
        {"client_contact": ""},
        {"location": "chelsea-b"},
        {"expires_in": "31", "expires_unit": "days"},
        {"expires_unit": "weeks"},
        {"note": "x" * 501},
    ],
)
def test_bad_hold_input_is_a_400_and_nothing_changes(alice, world_a, overrides):
    variant = world_a["variants"][0]
    response = alice.post(f"/console/atelier-a/variants/{variant.pk}/", hold_form(world_a, **overrides))
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode() or 'role="alert"' in response.content.decode()
    assert not Hold.objects.exists()


def test_hold_at_another_boutiques_location_is_refused(alice, world_a, world_b):
    stores.location_create(actor=world_b["actor"], code="marais", name="Marais")
    variant = world_a["variants"][0]
    response = alice.post(f"/console/atelier-a/variants/{variant.pk}/", hold_form(world_a, location="marais"))
    assert response.status_code == 400
    assert not Hold.objects.exists()


# ---------- Release and extend ----------


def test_release_asks_first_then_releases(alice, world_a, hold_a):
    url = f"/console/atelier-a/holds/{hold_a.pk}/release/"
    response = alice.get(url)
    assert response.status_code == 200 and "Release this hold?" in response.content.decode()
    hold_a.refresh_from_db()
    assert hold_a.status == Hold.Status.ACTIVE
    response = alice.post(url, {"next": "/console/atelier-a/"})
    assert response.status_code == 302 and response["Location"] == "/console/atelier-a/"
    hold_a.refresh_from_db()
    assert hold_a.status == Hold.Status.RELEASED and held(world_a) == 0
    again = alice.post(url)
    assert again.status_code == 409
    assert 'role="alert"' in again.content.decode()


def test_release_never_redirects_off_site(alice, world_a, hold_a):
    response = alice.post(f"/console/atelier-a/holds/{hold_a.pk}/release/", {"next": "https://evil.example/"})
    assert response["Location"] == f"/console/atelier-a/variants/{hold_a.variant_id}/"


def test_extend_a_hold(alice, world_a, hold_a):
    url = f"/console/atelier-a/holds/{hold_a.pk}/extend/"
    assert alice.get(url).status_code == 200
    response = alice.post(url, {"expires_in": "5", "expires_unit": "days"})
    assert response.status_code == 302
    hold_a.refresh_from_db()
    assert timedelta(days=4, hours=23) < hold_a.expires_at - timezone.now() <= timedelta(days=5)


def test_extend_with_bad_input_is_400_and_unchanged(alice, world_a, hold_a):
    before = hold_a.expires_at
    response = alice.post(
        f"/console/atelier-a/holds/{hold_a.pk}/extend/", {"expires_in": "-1", "expires_unit": "days"}
    )
    assert response.status_code == 400
    hold_a.refresh_from_db()
    assert hold_a.expires_at == before


def test_extend_a_released_hold_is_409(alice, world_a, hold_a):
    inventory.hold_release(actor=world_a["actor"], hold=hold_a)
    response = alice.post(
        f"/console/atelier-a/holds/{hold_a.pk}/extend/", {"expires_in": "1", "expires_unit": "days"}
    )
    assert response.status_code == 409
    assert 'role="alert"' in response.content.decode()


# ---------- Tenancy ----------


@pytest.mark.parametrize(
    "path",
    [
        "/console/boutique-b/",
        "/console/boutique-b/variants/{variant}/",
        "/console/boutique-b/holds/{hold}/release/",
        "/console/boutique-b/holds/{hold}/extend/",
    ],
)
def test_staff_of_a_get_403_on_every_page_of_b(alice, world_b, hold_b, path):
    url = path.format(variant=world_b["variants"][0].pk, hold=hold_b.pk)
    assert alice.get(url).status_code == 403
    assert alice.post(url, {"expires_in": "1", "expires_unit": "days"}).status_code == 403
    hold_b.refresh_from_db()
    assert hold_b.status == Hold.Status.ACTIVE and held(world_b) == 1


def test_ids_of_b_are_not_found_through_a(alice, world_a, world_b, hold_b):
    assert alice.get(f"/console/atelier-a/variants/{world_b['variants'][0].pk}/").status_code == 404
    assert (
        alice.post(
            f"/console/atelier-a/variants/{world_b['variants'][0].pk}/", hold_form(world_a)
        ).status_code
        == 404
    )
    for action in ("release", "extend"):
        assert alice.get(f"/console/atelier-a/holds/{hold_b.pk}/{action}/").status_code == 404
        assert alice.post(f"/console/atelier-a/holds/{hold_b.pk}/{action}/",
                          {"expires_in": "1", "expires_unit": "days"}).status_code == 404  # fmt: skip
    hold_b.refresh_from_db()
    assert hold_b.status == Hold.Status.ACTIVE and held(world_b) == 1
    assert not Hold.objects.filter(boutique=world_a["boutique"]).exists()


def test_unknown_boutique_is_404(alice, world_a):
    assert alice.get("/console/nowhere/").status_code == 404


def test_inactive_staff_are_refused(world_a, associate_a):
    world_a["boutique"].staff.filter(user=associate_a).update(is_active=False)
    assert logged_in(associate_a).get("/console/atelier-a/").status_code == 403
    make_staff(world_a, "other")
