"""The demo's fulfilment queue: of the paid demo orders, one pickup ready (its code in the log), one
delivery shipped, one packed, the rest to pick; nothing the second time."""

import re

import pytest

from omnipresence.fulfilment.demo import seed_fulfilment
from omnipresence.fulfilment.models import Fulfilment
from omnipresence.inventory.selectors import ledger_check
from omnipresence.orders import services as orders
from omnipresence.orders.demo import seed_orders
from omnipresence.orders.models import Order

pytestmark = pytest.mark.django_db


def test_seed_fulfilment_moves_a_few_paid_orders_along(world_a, associate_a):
    boutique = world_a["boutique"]
    assert seed_orders(boutique, log=lambda *_: None) == 4
    for order in Order.objects.filter(boutique=boutique):
        orders.order_payments_set(order_id=order.pk, paid=order.total, refunded=0)
    said = []
    moved = seed_fulfilment(boutique, log=said.append)
    assert moved == {"ready": 1, "shipped": 1, "packed": 1}
    statuses = sorted(Fulfilment.objects.filter(boutique=boutique).values_list("method", "status"))
    assert statuses == [("delivery", "packed"), ("delivery", "shipped"), ("delivery", "to_pick"),
                        ("pickup", "ready")]  # fmt: skip
    assert any(re.search(r"pickup code [A-Z2-9]{4}-[A-Z2-9]{4}$", line) for line in said), said
    shipped = Fulfilment.objects.get(boutique=boutique, status="shipped")
    assert (shipped.carrier, shipped.tracking_code) == ("Royal Mail", f"DM{shipped.order_id:07d}GB")
    assert Fulfilment.objects.get(status="ready").ready_by_label == "alice"
    assert ledger_check(boutique=boutique) == []
    assert seed_fulfilment(boutique, log=lambda *_: None) == {}


def test_unpaid_demo_orders_are_left_to_pick(world_a, associate_a):
    boutique = world_a["boutique"]
    seed_orders(boutique, log=lambda *_: None)
    assert seed_fulfilment(boutique, log=lambda *_: None) == {"ready": 0, "shipped": 0, "packed": 0}
    assert set(Fulfilment.objects.filter(boutique=boutique).values_list("status", flat=True)) == {"to_pick"}
