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


def test_a_shop_closing_at_23_59_is_open_until_midnight(world_a):
    from datetime import UTC, datetime, time

    from omnipresence.stores import services as stores
    from omnipresence.stores.access import system_actor
    from omnipresence.stores.selectors import is_open

    shop = world_a["shop"]  # London; December: UTC
    stores.opening_hours_set(actor=system_actor(world_a["boutique"]), location=shop,
                             periods=[(d, time(18, 0), time(23, 59)) for d in range(7)])  # fmt: skip
    assert is_open(shop, at=datetime(2026, 12, 5, 23, 59, 30, tzinfo=UTC))  # the last minute is still open
    assert not is_open(shop, at=datetime(2026, 12, 6, 0, 0, 30, tzinfo=UTC))
    assert not is_open(shop, at=datetime(2026, 12, 5, 17, 59, tzinfo=UTC))
