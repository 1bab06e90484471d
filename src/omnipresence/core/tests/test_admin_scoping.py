"""The Django admin is walled per boutique for owners and managers given is_staff."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client

from omnipresence.catalog.models import Product, Variant
from omnipresence.conftest import make_staff
from omnipresence.inventory.models import Stock
from omnipresence.stores.models import ApiToken, Location, StaffMember
from omnipresence.stores.services import api_token_create


def staff_client(user, *, is_staff=True) -> Client:
    user.is_staff = is_staff
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(world_a, world_b, owner_a):
    return staff_client(owner_a)


@pytest.fixture
def manager_client(world_a, world_b, manager_a):
    return staff_client(manager_a)


def test_owner_changelists_show_only_their_boutique(owner_client, world_a, world_b):
    products = owner_client.get("/admin/catalog/product/")
    assert products.status_code == 200
    assert list(products.context["cl"].queryset) == [world_a["product"]]

    variants = owner_client.get("/admin/catalog/variant/")
    assert {v.sku for v in variants.context["cl"].queryset} == {v.sku for v in world_a["variants"]}

    locations = owner_client.get("/admin/stores/location/")
    assert {loc.pk for loc in locations.context["cl"].queryset} == {
        world_a["shop"].pk, world_a["shop2"].pk, world_a["warehouse"].pk
    }  # fmt: skip
    assert "Boutique B" not in locations.content.decode()  # the boutique filter lists only A

    stock = owner_client.get("/admin/inventory/stock/")
    assert set(stock.context["cl"].queryset) == set(Stock.objects.filter(boutique=world_a["boutique"]))

    boutiques = owner_client.get("/admin/stores/boutique/")
    assert list(boutiques.context["cl"].queryset) == [world_a["boutique"]]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/catalog/product/{product}/change/",
        "/admin/catalog/variant/{variant}/change/",
        "/admin/stores/location/{shop}/change/",
        "/admin/stores/boutique/{boutique}/change/",
        "/admin/inventory/stock/{stock}/change/",
        "/admin/catalog/product/{product}/history/",
        "/admin/catalog/product/{product}/delete/",
    ],
)
def test_owner_gets_no_page_of_another_boutique(owner_client, world_b, url):
    ids = {
        "product": world_b["product"].pk, "variant": world_b["variants"][0].pk, "shop": world_b["shop"].pk,
        "boutique": world_b["boutique"].pk,
        "stock": Stock.objects.filter(boutique=world_b["boutique"]).first().pk,
    }  # fmt: skip
    response = owner_client.get(url.format(**ids))
    # Django admin answers an object outside the queryset with a redirect to the index + message
    # (403 where even the rights on "no object" are missing, e.g. deleting).
    assert response.status_code in (302, 403, 404)
    if response.status_code == 302:
        assert response.url == "/admin/"


def test_owner_cannot_change_a_product_of_another_boutique(owner_client, world_b):
    product = world_b["product"]
    response = owner_client.post(
        f"/admin/catalog/product/{product.pk}/change/",
        {"title": "Defaced", "handle": product.handle, "status": "active", "boutique": world_b["boutique"].pk},
    )
    assert response.status_code in (302, 403, 404)
    product.refresh_from_db()
    assert product.title == "Blue Statement Coat"


def test_location_form_offers_only_own_boutique_and_locations(owner_client, world_a, world_b):
    response = owner_client.get("/admin/stores/staffmember/add/")
    form = response.context["adminform"].form
    assert list(form.fields["boutique"].queryset) == [world_a["boutique"]]
    assert set(form.fields["home_location"].queryset) == set(Location.objects.filter(boutique=world_a["boutique"]))
    assert set(form.fields["user"].queryset) == {
        m.user for m in StaffMember.objects.filter(boutique=world_a["boutique"])
    }


def test_owner_cannot_pick_a_location_of_another_boutique(owner_client, world_a, world_b, associate_a):
    member = StaffMember.objects.get(user=associate_a)
    response = owner_client.post(
        f"/admin/stores/staffmember/{member.pk}/change/",
        {"user": associate_a.pk, "boutique": world_a["boutique"].pk, "role": "associate",
         "home_location": world_b["shop"].pk, "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 200  # the form comes back with an error
    assert "home_location" in response.context["adminform"].form.errors
    member.refresh_from_db()
    assert member.home_location_id == world_a["shop"].pk


def test_owner_can_change_own_location_and_its_hours(owner_client, world_a):
    shop = world_a["shop"]
    response = owner_client.get(f"/admin/stores/location/{shop.pk}/change/")
    assert response.status_code == 200
    data = {
        "boutique": world_a["boutique"].pk, "name": "Soho Flagship", "code": "soho", "kind": "shop",
        "priority": 100, "sells_in_person": "on", "feeds_online": "on", "is_active": "on",
        "opening_hours-TOTAL_FORMS": 1, "opening_hours-INITIAL_FORMS": 0,
        "opening_hours-0-weekday": 6, "opening_hours-0-opens": "10:00", "opening_hours-0-closes": "16:00",
        "hours_exceptions-TOTAL_FORMS": 0, "hours_exceptions-INITIAL_FORMS": 0,
    }  # fmt: skip
    # Existing hours rows must be echoed back as initial forms; start from a location without any.
    shop.opening_hours.all().delete()
    response = owner_client.post(f"/admin/stores/location/{shop.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    shop.refresh_from_db()
    assert shop.name == "Soho Flagship"
    hours = shop.opening_hours.get()
    assert (hours.boutique_id, hours.weekday) == (world_a["boutique"].pk, 6)


def test_manager_sees_catalog_but_not_staff_tokens_or_boutique(manager_client, world_a):
    assert manager_client.get("/admin/catalog/product/").status_code == 200
    for url in ("/admin/stores/staffmember/", "/admin/stores/apitoken/", "/admin/stores/boutique/"):
        assert manager_client.get(url).status_code == 403, url
    index = manager_client.get("/admin/").content.decode()
    assert "Products" in index and "Staff members" not in index and "Api tokens" not in index


def test_owner_sees_only_own_tokens_and_cannot_add_boutiques(owner_client, world_a, world_b):
    api_token_create(boutique=world_a["boutique"], name="till-a")
    api_token_create(boutique=world_b["boutique"], name="till-b")
    tokens = owner_client.get("/admin/stores/apitoken/")
    assert [t.name for t in tokens.context["cl"].queryset] == ["till-a"]
    assert owner_client.get("/admin/stores/boutique/add/").status_code == 403
    assert owner_client.get("/admin/inventory/movement/add/").status_code == 403
    assert owner_client.get("/admin/auth/user/").status_code == 403


def test_inventory_admin_is_read_only_even_for_owners(owner_client, world_a):
    stock = Stock.objects.filter(boutique=world_a["boutique"]).first()
    response = owner_client.get(f"/admin/inventory/stock/{stock.pk}/change/")
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    before = stock.on_hand
    owner_client.post(f"/admin/inventory/stock/{stock.pk}/change/", {"on_hand": 999})
    stock.refresh_from_db()
    assert stock.on_hand == before


def test_associate_without_is_staff_gets_the_login_page(world_a, associate_a):
    client = Client()
    client.force_login(associate_a)
    response = client.get("/admin/catalog/product/")
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_is_staff_associate_sees_nothing(world_a, associate_a):
    client = staff_client(associate_a)
    assert client.get("/admin/catalog/product/").status_code == 403
    assert "Products" not in client.get("/admin/").content.decode()


def test_former_owner_loses_access(owner_client, owner_a, world_a):
    StaffMember.objects.filter(user=owner_a).update(is_active=False)
    assert owner_client.get("/admin/catalog/product/").status_code == 403


def test_superuser_sees_every_boutique(world_a, world_b):
    root = get_user_model().objects.create_superuser("hub", "hub@example.com", "pass-1234-word")
    client = Client()
    client.force_login(root)
    response = client.get("/admin/catalog/product/")
    assert set(response.context["cl"].queryset) == {world_a["product"], world_b["product"]}


def test_owner_of_two_boutiques_sees_both(world_a, world_b):
    user = make_staff(world_a, "octavia", "owner")
    StaffMember.objects.create(boutique=world_b["boutique"], user=user, role="manager")
    client = staff_client(user)
    products = client.get("/admin/catalog/product/")
    assert set(products.context["cl"].queryset) == {world_a["product"], world_b["product"]}
    # Staff and tokens need the owner role in that boutique.
    staff = client.get("/admin/stores/staffmember/")
    assert {m.boutique_id for m in staff.context["cl"].queryset} == {world_a["boutique"].pk}


def test_every_registered_model_admin_is_scoped():
    from omnipresence.core.admin_scoping import BoutiqueScopedAdmin

    ours = [
        model_admin for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in {"stores", "catalog", "inventory"}
    ]  # fmt: skip
    assert ours and all(isinstance(model_admin, BoutiqueScopedAdmin) for model_admin in ours)
    for model_admin in ours:
        for inline in model_admin.inlines:
            assert hasattr(inline, "scope"), inline


def test_owner_adds_a_variant_inline_with_boutique_and_currency(owner_client, world_a):
    product = world_a["product"]
    variants = list(product.variants.order_by("pk"))
    data = {
        "boutique": world_a["boutique"].pk, "handle": product.handle, "title": product.title, "status": "active",
        "tags": "[]", "variants-TOTAL_FORMS": len(variants) + 1, "variants-INITIAL_FORMS": len(variants),
        "images-TOTAL_FORMS": 0, "images-INITIAL_FORMS": 0,
    }  # fmt: skip
    for i, v in enumerate(variants):
        data.update({f"variants-{i}-id": v.pk, f"variants-{i}-product": product.pk, f"variants-{i}-sku": v.sku,
                     f"variants-{i}-price": v.price, f"variants-{i}-position": v.position,
                     f"variants-{i}-weight_grams": 0, f"variants-{i}-is_active": "on"})  # fmt: skip
    n = len(variants)
    data.update({f"variants-{n}-product": product.pk, f"variants-{n}-sku": "ADMIN-XL", f"variants-{n}-price": 47000,
                 f"variants-{n}-position": 3, f"variants-{n}-weight_grams": 0, f"variants-{n}-is_active": "on"})  # fmt: skip
    response = owner_client.post(f"/admin/catalog/product/{product.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    variant = Variant.objects.get(sku="ADMIN-XL")
    assert (variant.boutique_id, variant.currency, variant.price) == (world_a["boutique"].pk, "GBP", 47000)
    assert Product.objects.filter(boutique=world_a["boutique"]).count() == 1
    assert ApiToken.objects.count() == 0
