"""Reads of live shopping: events (staff accessors checking the boutique, and the public read by
slug), the featured products with their live stock at the event's location, the chat, replays.

Everything a viewer is shown goes through `event_public_data`, `featured_data`, `message_data`:
the API, the sockets and the realtime events share one shape. Text is sent as it was typed
(`text`, `name`) and HTML-escaped beside it (`text_html`, `name_html`) for clients that insert
markup; templates escape on their own.
"""

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.html import escape

from omnipresence.catalog.models import Product, ProductImage, Variant
from omnipresence.core.errors import Forbidden, NotFound
from omnipresence.inventory.models import Stock
from omnipresence.inventory.selectors import held_subquery
from omnipresence.live import streams
from omnipresence.live.models import (
    LiveChatter,
    LiveEvent,
    LiveFeatured,
    LiveMessage,
    LivePin,
    LiveReservation,
)
from omnipresence.orders.models import CartLine, Order
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Boutique, StaffMember

VIEW = ("live.moderate", "live.host", "live.manage")
CHAT_PAGE = 100


def event_queryset(*, boutique: Boutique) -> QuerySet[LiveEvent]:
    return LiveEvent.objects.filter(boutique=boutique).select_related("boutique", "location", "host", "pinned_product")


def access_event(actor: Actor, event_id: int) -> LiveEvent:
    """An event of the actor's boutique (staff who host or moderate); another boutique's id is 404."""
    if not any(actor.can(p) for p in VIEW):
        raise Forbidden("Your role does not allow 'live.moderate'.", details={"permission": "live.moderate"})
    event = event_queryset(boutique=actor.boutique).filter(pk=event_id).first()
    if event is None:
        raise NotFound(f"No live event {event_id}.", code="event_not_found")
    return event


def event_get(*, boutique: Boutique, event_id: int) -> LiveEvent:
    """The public read: an event of this boutique, or 404."""
    event = event_queryset(boutique=boutique).filter(pk=event_id).first()
    if event is None:
        raise NotFound(f"No live event {event_id}.", code="event_not_found")
    return event


def event_list(*, actor: Actor, status: str | None = None) -> QuerySet[LiveEvent]:
    if not any(actor.can(p) for p in VIEW):
        raise Forbidden("Your role does not allow 'live.moderate'.", details={"permission": "live.moderate"})
    qs = event_queryset(boutique=actor.boutique)
    if status:
        qs = qs.filter(status=status)
    return qs


def access_message(event: LiveEvent, message_id: int) -> LiveMessage:
    message = LiveMessage.objects.select_related("chatter").filter(event=event, pk=message_id).first()
    if message is None:
        raise NotFound(f"No message {message_id} in this event.", code="message_not_found")
    return message


def access_reservation(event: LiveEvent, viewer_key: str, reservation_id: int) -> LiveReservation:
    """One of this viewer's reservations in this event (anyone else's is 404)."""
    reservation = (
        LiveReservation.objects.select_related("hold", "variant", "product", "cart", "order")
        .filter(event=event, viewer_key=viewer_key, pk=reservation_id)
        .first()
    )
    if reservation is None:
        raise NotFound(f"No reservation {reservation_id}.", code="reservation_not_found")
    return reservation


def viewer_reservations(*, event: LiveEvent, viewer_key: str) -> list[LiveReservation]:
    return list(
        LiveReservation.objects.select_related("hold", "variant", "product")
        .filter(event=event, viewer_key=viewer_key)
        .order_by("-created_at", "-id")[:50]
    )


# --- what viewers see ---------------------------------------------------------------------------


def _featured_rows(event: LiveEvent) -> list[LiveFeatured]:
    variants = Variant.objects.filter(is_active=True).order_by("position", "id")
    images = ProductImage.objects.order_by("position", "id")
    return list(
        LiveFeatured.objects.filter(event=event)
        .select_related("product")
        .prefetch_related(Prefetch("product__variants", queryset=variants), Prefetch("product__images", queryset=images))
        .order_by("position", "id")
    )


def stock_at(*, location_id: int, variant_ids: list[int]) -> dict[int, int]:
    """Units available now (on hand − active, unexpired holds) of each variant at one location:
    one query."""
    rows = (
        Stock.objects.filter(location_id=location_id, variant_id__in=variant_ids)
        .annotate(free=Greatest(F("on_hand") - held_subquery(), Value(0)))
        .values_list("variant_id", "free")
    )
    return dict(rows)


def _image_url(product: Product) -> str | None:
    images = list(product.images.all())
    if not images:
        return None
    picture = images[0].thumbnail or images[0].image
    try:
        return picture.url
    except ValueError:  # no file
        return None


def product_data(product: Product, stock: dict[int, int], *, max_per_viewer: int = 1, position: int = 0) -> dict:
    variants = [v for v in product.variants.all() if v.is_active]
    return {
        "product_id": product.pk, "handle": product.handle, "title": product.title, "brand": product.brand,
        "image": _image_url(product), "currency": variants[0].currency if variants else "",
        "price_from": min((v.price for v in variants), default=0), "max_per_viewer": max_per_viewer,
        "position": position, "available": sum(stock.get(v.pk, 0) for v in variants),
        "variants": [
            {"id": v.pk, "sku": v.sku, "label": v.label, "size": v.size, "colour": v.colour, "price": v.price,
             "available": stock.get(v.pk, 0)}
            for v in variants
        ],
    }  # fmt: skip


def featured_data(event: LiveEvent) -> list[dict]:
    """The featured products in order, each with its variants' live stock at the event's
    location. Four queries whatever the number of products."""
    rows = _featured_rows(event)
    variant_ids = [v.pk for row in rows for v in row.product.variants.all()]
    stock = stock_at(location_id=event.location_id, variant_ids=variant_ids) if variant_ids else {}
    return [product_data(row.product, stock, max_per_viewer=row.max_per_viewer, position=row.position) for row in rows]


def stock_data(event: LiveEvent) -> list[dict]:
    """Only the numbers, for a `stock` frame: [{product_id, available, variants: [{id, available}]}]."""
    return [
        {"product_id": p["product_id"], "available": p["available"],
         "variants": [{"id": v["id"], "available": v["available"]} for v in p["variants"]]}
        for p in featured_data(event)
    ]  # fmt: skip


def host_name(event: LiveEvent) -> str:
    host = event.host
    if host is None:
        return event.boutique.name
    return host.first_name or host.get_username()


def stream_data(event: LiveEvent, *, identity: str | None = None) -> dict | None:
    if not event.stream_provider:
        return None
    provider = streams.provider_for(event.stream_provider)
    try:
        return provider.player(room=event.stream_room, url=event.stream_url, identity=identity)
    except streams.StreamUnconfigured:
        return {"provider": event.stream_provider, "unavailable": True}


def event_public_data(event: LiveEvent, *, featured: list[dict] | None = None) -> dict:
    """Everything the public event page shows, in one shape (API, socket hello, realtime)."""
    featured = featured_data(event) if featured is None else featured
    pinned = next((p for p in featured if p["product_id"] == event.pinned_product_id), None)
    return {
        "id": event.pk, "title": event.title, "description": event.description, "kind": event.kind,
        "status": event.status, "starts_at": event.starts_at, "ends_at": event.ends_at,
        "started_at": event.started_at, "ended_at": event.ended_at, "host": host_name(event),
        "location": {"code": event.location.code, "name": event.location.name},
        "stream": stream_data(event), "slow_mode_seconds": event.slow_mode_seconds,
        "pinned": pinned, "pinned_at": event.pinned_at if pinned else None, "featured": featured,
        "viewers": {"now": event.viewers_now, "peak": event.viewers_peak},
        "replay_url": event.replay_url if event.status == LiveEvent.Status.ENDED else "",
    }  # fmt: skip


def message_data(message: LiveMessage) -> dict:
    return {
        "id": message.pk, "name": message.author_name, "text": message.text,
        "name_html": str(escape(message.author_name)), "text_html": str(escape(message.text)),
        "staff": message.chatter_id is None, "created_at": message.created_at.isoformat(),
    }  # fmt: skip


def chat_list(*, event: LiveEvent, after_id: int = 0, limit: int = CHAT_PAGE, with_hidden: bool = False) -> list[LiveMessage]:
    """Messages after `after_id`, oldest first (without after_id: the latest `limit`). Viewers never
    see hidden ones; staff may."""
    qs = LiveMessage.objects.filter(event=event)
    if not with_hidden:
        qs = qs.filter(hidden_at__isnull=True)
    if after_id:
        return list(qs.filter(pk__gt=after_id).order_by("pk")[:limit])
    return list(reversed(qs.order_by("-pk")[:limit]))


def _clocks(offset: int) -> dict:
    """A moment as the replay shows it ("1:02:05", "12:05") and as minutes:seconds ("62:05")."""
    minutes, seconds = divmod(offset, 60)
    clock = f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}" if minutes >= 60 else f"{minutes}:{seconds:02d}"
    return {"clock": clock, "at": f"{minutes}:{seconds:02d}"}


def replay_data(event: LiveEvent) -> dict:
    """The replay and its chapters: each time a product was pinned, in seconds from the start."""
    pins = list(LivePin.objects.filter(event=event).select_related("product").order_by("pinned_at", "pk"))
    duration = None
    if event.started_at and event.ended_at:
        duration = int((event.ended_at - event.started_at).total_seconds())
    return {
        "event_id": event.pk, "title": event.title, "status": event.status,
        "replay_url": event.replay_url if event.status == LiveEvent.Status.ENDED else "",
        "started_at": event.started_at, "ended_at": event.ended_at, "duration_seconds": duration,
        "products": [
            {"pin_id": pin.pk, "product_id": pin.product_id, "title": pin.product.title,
             "handle": pin.product.handle, "offset_seconds": pin.offset_seconds, "pinned_at": pin.pinned_at,
             **_clocks(pin.offset_seconds)}
            for pin in pins
        ],
    }  # fmt: skip


def reservation_state(reservation: LiveReservation, *, now=None) -> str:
    """The status as the viewer should read it: a reservation whose hold has ended is lapsed even
    before the sweep writes it down."""
    now = now or timezone.now()
    if reservation.status != LiveReservation.Status.RESERVED:
        return reservation.status
    hold = reservation.hold
    if hold is None or hold.status != "active" or (hold.expires_at is not None and hold.expires_at <= now):
        return LiveReservation.Status.LAPSED
    return reservation.status


# --- pages ---------------------------------------------------------------------------------------


def events_by_state(*, boutique: Boutique, limit: int = 30) -> dict[str, list[LiveEvent]]:
    """The storefront's list: live now, upcoming (soonest first) and past (latest first)."""
    qs = event_queryset(boutique=boutique)
    return {
        "live": list(qs.filter(status=LiveEvent.Status.LIVE).order_by("-started_at", "-pk")[:limit]),
        "upcoming": list(qs.filter(status=LiveEvent.Status.SCHEDULED).order_by("starts_at", "pk")[:limit]),
        "past": list(qs.filter(status=LiveEvent.Status.ENDED).order_by("-ended_at", "-pk")[:limit]),
    }


def event_sales(event: LiveEvent) -> dict:
    """What the event sold: its placed orders (count, total) and its reservations by status."""
    placed = Order.objects.filter(boutique_id=event.boutique_id, source_kind="live_event", source_ref=str(event.pk),
                                  status=Order.Status.PLACED)  # fmt: skip
    totals = placed.aggregate(n=Count("pk"), total=Sum("total"))
    by_status = dict(LiveReservation.objects.filter(event=event).values("status").annotate(n=Count("pk"))
                     .values_list("status", "n"))  # fmt: skip
    units = dict(LiveReservation.objects.filter(event=event).values("status").annotate(n=Sum("quantity"))
                 .values_list("status", "n"))  # fmt: skip
    return {"orders": totals["n"] or 0, "total": totals["total"] or 0, "currency": event.boutique.currency,
            "reservations": {s: by_status.get(s, 0) for s in LiveReservation.Status.values},
            "units": {s: units.get(s) or 0 for s in LiveReservation.Status.values}}  # fmt: skip


def featurable_products(*, boutique: Boutique, query: str, limit: int = 10) -> list[Product]:
    """Published products matching a title, brand or SKU, to feature in an event."""
    query = (query or "").strip()[:80]
    if not query:
        return []
    match = Q(title__icontains=query) | Q(brand__icontains=query) | Q(variants__sku__iexact=query)
    return list(Product.objects.filter(boutique=boutique, status=Product.Status.ACTIVE).filter(match)
                .distinct().order_by("title", "pk")[:limit])  # fmt: skip


def host_choices(*, boutique: Boutique) -> list:
    """The boutique's active staff, who may host an event (a manager picks one)."""
    members = StaffMember.objects.filter(boutique=boutique, is_active=True).select_related("user")
    return [m.user for m in members.order_by("user__username")]


def staff_chat(*, event: LiveEvent, limit: int = CHAT_PAGE) -> list[dict]:
    """The chat as moderators see it: hidden messages too, each marked, and whether its author is banned."""
    messages = chat_list(event=event, limit=limit, with_hidden=True)
    chatters = {m.chatter_id for m in messages if m.chatter_id}
    banned = set(LiveChatter.objects.filter(pk__in=chatters, banned_at__isnull=False).values_list("pk", flat=True))
    return [{**message_data(m), "hidden": m.hidden_at is not None,
             "viewer_banned": (m.chatter_id in banned) if m.chatter_id else None} for m in messages]  # fmt: skip


def reservation_cart_line(reservation: LiveReservation) -> CartLine | None:
    """The line of her reservation's cart (how she gets the piece: collected or sent), if it has one."""
    if reservation.cart_id is None:
        return None
    return CartLine.objects.select_related("location", "variant__product").filter(cart_id=reservation.cart_id).first()
