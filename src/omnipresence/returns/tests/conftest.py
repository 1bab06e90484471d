"""Fixtures for the returns tests: a paid order whose units were handed over."""

import pytest

from omnipresence.inventory import services as inventory
from omnipresence.orders import services as orders
from omnipresence.orders.models import OrderAllocation
from omnipresence.orders.tests.conftest import cart_with, manager_actor, seller, uk_shipping  # noqa: F401
from omnipresence.payments import services as payments


def hand_over(actor, order) -> None:
    """The units leave the shop (what collection or shipping does): the allocation holds are sold."""
    for allocation in OrderAllocation.objects.filter(line__order=order).select_related("hold__stock", "hold__variant"):
        inventory.hold_consume(actor=actor, hold=allocation.hold, reference=f"order:{order.pk}")


@pytest.fixture
def sold(seller, world_a, uk_shipping):  # noqa: F811
    """Two coats (S ×2 at 450.00 with WELCOME10 → 810.00) sold in chat by an associate, paid by card
    terminal and handed over at Soho."""
    orders.campaign_create(actor=world_a["actor"], name="Welcome", kind="percentage", value=1000, code="WELCOME10")
    cart = cart_with(seller, world_a, (0, 2, "pickup", "soho"), channel="chat", code="WELCOME10",
                     client_name="Ms Vane", client_email="vane@example.com")  # fmt: skip
    order = orders.cart_checkout(actor=seller, cart=cart)
    payments.payment_record(actor=seller, order=order, method="terminal")
    hand_over(seller, order)
    return order
