"""The demo lookbook: made through the services, opened once, not made twice."""

from urllib.parse import urlparse

from django.test import Client as Browser

from omnipresence.clients.models import TimelineEvent
from omnipresence.shares.demo import seed_shares
from omnipresence.shares.models import Share


def test_seed_shares_makes_one_lookbook_that_opens(shop):
    from omnipresence.catalog import services as catalog
    from omnipresence.inventory import services as inventory

    belt = catalog.product_create(actor=shop["actor"], title="Leather Belt")
    variant = catalog.variant_create(actor=shop["actor"], product=belt, sku="BELT-1", price=5000)
    inventory.stock_receive(actor=shop["actor"], location=shop["shop"], variant=variant, quantity=1)
    lines = []
    url = seed_shares(shop["boutique"], log=lines.append)
    share = Share.objects.get()
    assert url is not None and url in lines[0] and share.views == 1
    assert share.items.count() == 3 and share.associate == shop["associate"] and share.client == shop["client"]
    assert share.items.order_by("position").first().variant is not None
    assert set(TimelineEvent.objects.filter(client=shop["client"]).values_list("kind", flat=True)) >= {
        "share_sent", "share_viewed"}
    assert Browser().get(urlparse(url).path).status_code == 200
    assert seed_shares(shop["boutique"], log=lines.append) == url and Share.objects.count() == 1
