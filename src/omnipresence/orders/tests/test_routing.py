"""Routing of delivered lines by the boutique's rule: priority order, most stock, nearest (by
coordinates when known, else postcode area / city / country), splitting when one is short."""

import json

import pytest
from django.test import Client

from omnipresence.inventory import services as inventory
from omnipresence.orders import services
from omnipresence.orders.models import OrderAllocation
from omnipresence.orders.routing import distance_km
from omnipresence.orders.tests.conftest import cart_with
from omnipresence.stores import services as stores
from omnipresence.stores.models import Boutique, Location


@pytest.fixture
def two_senders(world_a):
    """Soho (a shop that ships, priority 100, 2 of each size) and the warehouse (priority 10, 5 of
    each); Manchester: a third shop that ships, far north, with 8 of size S."""
    actor = world_a["actor"]
    manchester = stores.location_create(actor=actor, code="manchester", name="Manchester", kind="shop",
                                        fulfils_online=True, city="Manchester", postcode="M1 1AE", country="GB",
                                        latitude=53.48, longitude=-2.24)  # fmt: skip
    Location.objects.filter(pk=world_a["shop"].pk).update(latitude=51.51, longitude=-0.13, postcode="W1D 3JA",
                                                          country="GB")  # fmt: skip
    Location.objects.filter(pk=world_a["warehouse"].pk).update(latitude=52.2, longitude=0.12, city="Cambridge",
                                                               postcode="CB1 2AB", country="GB")  # fmt: skip
    inventory.stock_receive(actor=actor, location=manchester, variant=world_a["variants"][0], quantity=8, reason="in")
    return manchester


def sent_from(order) -> list[tuple[str, int]]:
    return [(a.location.code, a.quantity) for a in OrderAllocation.objects.filter(line__order=order).order_by("pk")]


def checkout(seller, world, rule, quantity=1, **where):
    Boutique.objects.filter(pk=world["boutique"].pk).update(routing_rule=rule)
    world["boutique"].refresh_from_db()
    cart = cart_with(seller, world, (0, quantity, "ship", None), shipping_country="GB", **where)
    return services.cart_checkout(actor=seller, cart=cart)


def test_priority_sends_from_the_warehouse_first_and_splits(seller, world_a, uk_shipping, two_senders):
    order = checkout(seller, world_a, "priority", quantity=6)
    assert sent_from(order) == [("warehouse", 5), ("soho", 1)]


def test_most_stock_sends_from_the_fullest_location(seller, world_a, uk_shipping, two_senders):
    order = checkout(seller, world_a, "most_stock", quantity=2)
    assert sent_from(order) == [("manchester", 2)]


def test_nearest_by_coordinates(seller, world_a, uk_shipping, two_senders):
    Boutique.objects.filter(pk=world_a["boutique"].pk).update(routing_rule="nearest")
    cart = cart_with(seller, world_a, (0, 1, "ship", None), shipping_country="GB")
    services.cart_update(actor=seller, cart=cart, shipping_latitude=53.8, shipping_longitude=-1.55)  # Leeds
    order = services.cart_checkout(actor=seller, cart=cart)
    assert sent_from(order) == [("manchester", 1)]


def test_nearest_by_postcode_area_or_city_in_the_address(seller, world_a, uk_shipping, two_senders):
    order = checkout(seller, world_a, "nearest", shipping_address="12 Hills Road, Cambridge CB1 2AB")
    assert sent_from(order) == [("warehouse", 1)]
    order = checkout(seller, world_a, "nearest", shipping_address="4 Portland St, M1 3BE")
    assert sent_from(order) == [("manchester", 1)]


def test_a_pickup_line_is_always_filled_at_its_shop(seller, world_a, uk_shipping, two_senders):
    Boutique.objects.filter(pk=world_a["boutique"].pk).update(routing_rule="most_stock")
    order = services.cart_checkout(actor=seller, cart=cart_with(seller, world_a, (0, 1, "pickup", "soho")))
    assert sent_from(order) == [("soho", 1)]


def test_the_haversine_distance_is_right():
    assert distance_km(51.5074, -0.1278, 48.8566, 2.3522) == pytest.approx(343.5, abs=1.0)  # London–Paris


def test_owners_set_the_rule_through_the_api(world_a, owner_a, associate_a):
    owner, associate = Client(), Client()
    owner.force_login(owner_a)
    associate.force_login(associate_a)
    url = "/api/v1/boutiques/atelier-a/routing"
    assert associate.put(url, json.dumps({"routing_rule": "nearest"}), content_type="application/json").status_code == 403
    done = owner.put(url, json.dumps({"routing_rule": "nearest"}), content_type="application/json")
    assert done.status_code == 200 and done.json()["routing_rule"] == "nearest"
    bad = owner.put(url, json.dumps({"routing_rule": "cheapest"}), content_type="application/json")
    assert bad.status_code == 422
    assert Boutique.objects.get(pk=world_a["boutique"].pk).routing_rule == "nearest"
