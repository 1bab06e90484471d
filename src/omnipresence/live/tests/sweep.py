"""Objects of live shopping for the tenancy sweep (core/tests/test_tenancy_sweep.py).

The acceptance pass runs the rows in order as A's owner: the event is prepared (featured,
pinned, chat, moderation) while scheduled, then goes live, ends and gets its replay."""

from datetime import timedelta

from django.utils import timezone

from omnipresence.catalog import services as catalog
from omnipresence.live import services, viewers
from omnipresence.live.models import LivePin

PUBLIC = {
    ("GET", "/boutiques/{slug}/live/{event_id}"),
    ("POST", "/boutiques/{slug}/live/{event_id}/join"),
    ("GET", "/boutiques/{slug}/live/{event_id}/chat"),
    ("POST", "/boutiques/{slug}/live/{event_id}/chat"),
    ("GET", "/boutiques/{slug}/live/{event_id}/reservations"),
    ("POST", "/boutiques/{slug}/live/{event_id}/reservations"),
    ("DELETE", "/boutiques/{slug}/live/{event_id}/reservations/{reservation_id}"),
    ("POST", "/boutiques/{slug}/live/{event_id}/reservations/{reservation_id}/cart"),
    ("POST", "/boutiques/{slug}/live/{event_id}/reservations/{reservation_id}/checkout"),
    ("GET", "/boutiques/{slug}/live/{event_id}/replay"),
}


def _event(world, title: str, product):
    now = timezone.now()
    event = services.live_event_create(
        actor=world["actor"], host=world["owner"], title=title, starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=2), location=world["shop"], stream_provider="local",
    )  # fmt: skip
    services.featured_set(actor=world["actor"], event=event, items=[(product, 1)])
    return event


def sweep_ids(world: dict) -> dict:
    if "live_sweep" not in world:
        # A product of its own: another app's row turns the shared coat into a draft.
        product = catalog.product_create(actor=world["actor"], title="Sweep Live Scarf")
        catalog.variant_create(actor=world["actor"], product=product, sku=f"{world['boutique'].slug}-LIVE-SCARF",
                               price=9000)  # fmt: skip
        event = _event(world, "Sweep live", product)
        spare = _event(world, "Sweep spare", product)
        key, _ = viewers.viewer_token_new(event_id=event.pk)
        message = services.chat_post(event=event, viewer_key=key, name="Viewer", text="Hello")
        pin = LivePin.objects.create(event=event, product=product, pinned_at=timezone.now(), offset_seconds=0)
        world["live_sweep"] = {"event_id": event.pk, "message_id": message.pk, "spare_event_id": spare.pk,
                               "live_product_id": product.pk, "pin_id": pin.pk}  # fmt: skip
    return world["live_sweep"]


def sweep_operations(world: dict) -> dict:
    ids = sweep_ids(world)
    base = "/boutiques/{slug}/live-events/{event_id}"
    now = timezone.now()
    product = ids["live_product_id"]
    return {
        ("GET", "/boutiques/{slug}/live-events"): {},
        ("POST", "/boutiques/{slug}/live-events"): {
            "json": {"title": "Intruder live", "starts_at": (now + timedelta(days=1)).isoformat(),
                     "ends_at": (now + timedelta(days=1, hours=1)).isoformat(), "host": world["owner"].get_username()}
        },  # fmt: skip
        ("GET", base): {},
        ("PATCH", base): {"json": {"title": "Defaced live"}},
        ("PUT", f"{base}/featured"): {"json": {"products": [{"product_id": product, "max_per_viewer": 2}]}},
        ("PUT", f"{base}/pinned"): {"json": {"product_id": product}},
        ("GET", f"{base}/messages"): {},
        ("POST", f"{base}/messages"): {"json": {"text": "Staff here"}},
        ("POST", f"{base}/messages/{{message_id}}/hide"): {},
        ("POST", f"{base}/messages/{{message_id}}/ban"): {},
        ("DELETE", f"{base}/messages/{{message_id}}/ban"): {},
        ("PUT", f"{base}/slow-mode"): {"json": {"seconds": 10}},
        ("GET", f"{base}/host-stream"): {},
        ("DELETE", base): {"ids": {"event_id": ids["spare_event_id"]}},
        ("POST", f"{base}/start"): {},
        ("POST", f"{base}/end"): {"json": {}},
        ("PUT", f"{base}/replay"): {"json": {"replay_url": "https://video.example/replay"}},
        ("PUT", f"{base}/moments/{{pin_id}}"): {"json": {"offset_seconds": 0}},
    }
