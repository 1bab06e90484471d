"""The demo seeder's orders: made through the services, and skipped the second time."""

import pytest

from omnipresence.inventory.selectors import ledger_check
from omnipresence.orders.demo import seed_orders
from omnipresence.orders.models import Campaign, Code, Order, ShippingRule

pytestmark = pytest.mark.django_db


def test_seed_orders_once(world_a, associate_a):
    boutique = world_a["boutique"]
    said = []
    made = seed_orders(boutique, log=said.append)
    assert made == 4, said
    orders = Order.objects.filter(boutique=boutique)
    assert sorted(orders.values_list("channel", flat=True)) == ["chat", "shop", "web", "web"]
    assert set(orders.exclude(source_kind="").values_list("associate__username", flat=True)) == {"alice"}
    assert orders.filter(code="WELCOME10").count() == 1
    assert ShippingRule.objects.filter(boutique=boutique).count() == 3
    assert Campaign.objects.filter(boutique=boutique, automatic=True).count() == 1
    assert Code.objects.filter(boutique=boutique, kind="personal").count() == 3
    assert ledger_check(boutique=boutique) == []
    assert seed_orders(boutique, log=lambda *_: None) == 0
    assert Order.objects.filter(boutique=boutique).count() == 4
