"""Fixtures for the fulfilment tests: orders placed through the orders services, paid through
`order_payments_set` (what payments calls), and the sellers of the orders tests."""

import pytest

from omnipresence.fulfilment.models import Fulfilment
from omnipresence.inventory.models import Hold, Movement, Stock
from omnipresence.orders import services as orders
from omnipresence.orders.models import Order
from omnipresence.orders.tests.conftest import cart_with, manager_actor, seller, uk_shipping  # noqa: F401
from omnipresence.stores.access import actor_for_user
from omnipresence.testing.browser import *  # noqa: F403 - fixtures for the browser test


def checkout(actor, world, *lines, **client) -> Order:
    """Place an order of (variant index, quantity, fulfilment, location key) lines."""
    client.setdefault("client_name", "Jane Doe")
    client.setdefault("client_email", "jane@example.com")
    return orders.cart_checkout(actor=actor, cart=cart_with(actor, world, *lines, **client))


def pay(order: Order) -> Order:
    return orders.order_payments_set(order_id=order.pk, paid=order.total, refunded=0)


def fulfilment_of(order: Order, method: str) -> Fulfilment:
    return Fulfilment.objects.get(order=order, method=method)


def state(boutique) -> tuple:
    """What a refused step must leave as it was."""
    return (
        list(Fulfilment.objects.filter(boutique=boutique).order_by("pk").values()),
        list(Hold.objects.filter(boutique=boutique).order_by("pk").values("pk", "status")),
        list(Stock.objects.filter(boutique=boutique).order_by("pk").values("pk", "on_hand", "held")),
        Movement.objects.filter(boutique=boutique).count(),
    )


@pytest.fixture
def owner_actor(world_a, owner_a):
    return actor_for_user(owner_a, world_a["boutique"])
