"""Fixtures for the payments tests: an unpaid order of boutique A and a pay link for a cart."""

import pytest

from omnipresence.orders import services as orders
from omnipresence.orders.tests.conftest import cart_with, manager_actor, seller, uk_shipping  # noqa: F401
from omnipresence.payments import pay_links


@pytest.fixture
def order(seller, world_a, uk_shipping):  # noqa: F811
    """Two coats, one picked up at Soho and one shipped: 900.00 GBP, free delivery above 200."""
    cart = cart_with(seller, world_a, (0, 1, "pickup", "soho"), (1, 1, "ship", None), channel="phone",
                     client_name="Ms Vane", client_email="vane@example.com")  # fmt: skip
    return orders.cart_checkout(actor=seller, cart=cart)


@pytest.fixture
def link(seller, world_a, uk_shipping):  # noqa: F811
    cart = cart_with(seller, world_a, (0, 1, "pickup", "soho"), channel="chat", client_name="Ms Vane",
                     client_email="vane@example.com")  # fmt: skip
    return pay_links.pay_link_create(actor=seller, cart=cart, message="The coat we spoke about")
