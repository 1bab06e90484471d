"""Fixtures for the orders tests: a seller (an associate of boutique A), shipping rules, helpers."""

import pytest

from omnipresence.inventory.models import Hold, Stock
from omnipresence.orders import services
from omnipresence.orders.models import Campaign, Cart, Code, Order, Redemption
from omnipresence.stores.access import actor_for_user


@pytest.fixture
def seller(associate_actor):
    return associate_actor


@pytest.fixture
def manager_actor(world_a, manager_a):
    return actor_for_user(manager_a, world_a["boutique"])


@pytest.fixture
def uk_shipping(world_a):
    services.shipping_rule_create(
        actor=world_a["actor"], name="UK", countries=["GB"], price=495, free_above=20000
    )
    services.shipping_rule_create(actor=world_a["actor"], name="World", countries=["*"], price=2500)


WORLD_KEY = {"soho": "shop", "chelsea": "shop2", "warehouse": "warehouse"}


def place(world, code):
    """A location of a test world by its code."""
    return world[WORLD_KEY[code]]


def cart_with(actor, world, *lines, channel="web", code="", **client):
    """A cart with (variant index, quantity, fulfilment, location key) lines."""
    cart = services.cart_create(actor=actor, channel=channel, **client)
    for index, quantity, fulfilment, location in lines:
        services.cart_line_set(actor=actor, cart=cart, variant=world["variants"][index], quantity=quantity,
                               fulfilment=fulfilment, location=place(world, location) if location else None)  # fmt: skip
    if code:
        services.cart_code_apply(actor=actor, cart=cart, code=code)
    return Cart.objects.get(pk=cart.pk)


def state(boutique) -> tuple:
    """Everything a refused checkout or a foreign caller must leave as it was."""
    return (
        list(Order.objects.filter(boutique=boutique).order_by("pk").values("pk", "status")),
        list(Hold.objects.filter(boutique=boutique).order_by("pk").values("pk", "status", "quantity")),
        list(Stock.objects.filter(boutique=boutique).order_by("pk").values("pk", "on_hand", "held")),
        list(Cart.objects.filter(boutique=boutique).order_by("pk").values("pk", "status", "code")),
        list(Campaign.objects.filter(boutique=boutique).order_by("pk").values("pk", "used")),
        list(Code.objects.filter(boutique=boutique).order_by("pk").values("pk", "used")),
        list(Redemption.objects.filter(boutique=boutique).order_by("pk").values("pk", "status")),
    )
