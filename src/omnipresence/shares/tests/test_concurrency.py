"""Many opens of one lookbook at once: the last unit of a piece is held once, and the day's
share_viewed event is written once. Real threads, each with its own connection, on PostgreSQL."""

import pytest

from omnipresence.clients.models import TimelineEvent
from omnipresence.core.errors import InsufficientStock
from omnipresence.inventory.models import Hold, Stock
from omnipresence.inventory.tests.test_concurrency import run_clients
from omnipresence.shares import services
from omnipresence.shares.models import Share, ShareAction
from omnipresence.shares.tests.conftest import make_share

CLIENTS = 12
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def test_the_last_unit_is_held_once_and_the_view_is_on_the_timeline_once(shop):
    share = make_share(shop)
    scarf = share.items.get(product=shop["scarf"])
    sku = shop["scarf_variant"].sku

    def client(index: int):
        mine = Share.objects.select_related("boutique", "client", "associate").get(pk=share.pk)
        services.share_viewed(share=mine)
        try:
            return services.share_hold(share=mine, item_id=scarf.pk, variant_sku=sku, location_code="chelsea").pk
        except InsufficientStock:
            return None

    results, escaped = run_clients(CLIENTS, client)
    assert escaped == []
    assert len([r for r in results if r]) == 1
    assert Hold.objects.filter(status="active").count() == 1 == ShareAction.objects.filter(kind="hold").count()
    assert Stock.objects.get(variant=shop["scarf_variant"], location=shop["shop2"]).held == 1
    share.refresh_from_db()
    assert share.views == CLIENTS
    assert TimelineEvent.objects.filter(client=shop["client"], kind="share_viewed").count() == 1
    assert TimelineEvent.objects.filter(client=shop["client"], kind="hold_placed").count() == 1
