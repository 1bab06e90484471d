"""Addresses that must keep working: reserved boutique slugs, digit-only codes and handles."""

import pytest

from omnipresence.catalog import services as catalog
from omnipresence.catalog.selectors import product_get
from omnipresence.core.errors import InvalidInput
from omnipresence.stores import services as stores
from omnipresence.stores.models import Boutique
from omnipresence.stores.selectors import access_location


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["console", "api", "admin", "Bad Slug", "x", "-lead"])
def test_reserved_or_malformed_boutique_slugs_are_refused(slug):
    with pytest.raises(InvalidInput) as err:
        stores.boutique_create(name="X", slug=slug, country="GB", currency="GBP")
    assert err.value.code == "invalid_slug"
    assert not Boutique.objects.exists()


def test_digit_only_location_code_and_product_handle_are_reachable(world_a):
    actor = world_a["actor"]
    shop = stores.location_create(actor=actor, code="2025", name="Pop-up 2025")
    assert access_location(actor, "2025") == shop
    assert access_location(actor, str(world_a["shop"].pk)) == world_a["shop"]  # ids still work
    product = catalog.product_create(actor=actor, title="Capsule", handle="2024")
    assert product_get(boutique=world_a["boutique"], product_id="2024") == product
    assert product_get(boutique=world_a["boutique"], product_id=str(world_a["product"].pk)) == world_a["product"]


def test_sku_with_a_slash_is_refused(world_a):
    with pytest.raises(InvalidInput) as err:
        catalog.variant_create(actor=world_a["actor"], product=world_a["product"], sku="AB/12", price=100)
    assert err.value.code == "invalid_sku"
