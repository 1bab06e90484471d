"""The demo's live event: live with the local stream, pieces featured and pinned, a chat; once."""

import pytest

from omnipresence.inventory import services as inventory
from omnipresence.live.demo import seed_live
from omnipresence.live.models import LiveEvent

pytestmark = pytest.mark.django_db


def test_each_demo_boutique_gets_one_live_event_once(world_a, associate_a):
    inventory.stock_receive(actor=world_a["actor"], location=world_a["shop"], variant=world_a["variants"][0],
                            quantity=3, reason="demo")  # fmt: skip
    printed = []
    assert seed_live(world_a["boutique"], log=printed.append) == 1
    event = LiveEvent.objects.get(boutique=world_a["boutique"])
    assert f"/atelier-a/live/{event.pk}/" in printed[0] and f"/console/atelier-a/live/{event.pk}/" in printed[0]
    assert (event.status, event.stream_provider, event.host_id) == ("live", "local", associate_a.pk)
    assert [f.product_id for f in event.featured.all()] == [world_a["product"].pk]
    assert event.pinned_product_id == world_a["product"].pk
    assert event.pins.count() == 1
    assert [(m.author_name, m.chatter_id is None) for m in event.messages.order_by("pk")] == [
        ("Amelia", False), ("Noor", False), ("Chloé", False), ("alice", True)]  # fmt: skip
    assert seed_live(world_a["boutique"], log=lambda *_: None) == 0
    assert LiveEvent.objects.filter(boutique=world_a["boutique"]).count() == 1
