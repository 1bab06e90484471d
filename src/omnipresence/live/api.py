"""API of live shopping.

Staff (`/boutiques/{slug}/live-events/…`, token or console session): events CRUD, go live, end,
replay, featured and pinned products, the host's stream credentials, the chat with moderation.

Public (`/boutiques/{slug}/live/{event_id}/…`, no login): the event with live stock, joining (a
viewer token, sent back as the `X-Viewer-Token` header), the chat, reserving a featured piece, its
cart and checkout, the replay. A viewer token is for one event: on another it is 401.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.urls import reverse
from ninja import Header, Query, Router, Schema, Status
from pydantic import Field

from omnipresence.catalog.selectors import access_product, variant_get
from omnipresence.core.api import (
    AUTH,
    ERRORS,
    ID,
    PUBLIC_ERRORS,
    SLUG,
    ErrorOut,
    Input,
    Moment,
    Num,
    Text,
    request_actor,
)
from omnipresence.live import selectors, services, shopping, viewers
from omnipresence.live.errors import EventWrongState, ViewerTokenInvalid
from omnipresence.live.models import LiveChatter, LiveEvent, LiveReservation
from omnipresence.orders.models import CartLine
from omnipresence.orders.selectors import access_associate
from omnipresence.stores.access import boutique_by_slug
from omnipresence.stores.selectors import access_location

router = Router(tags=["live shopping"])
PUBLIC = {**PUBLIC_ERRORS, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 429: ErrorOut}
STAFF = {**ERRORS, 429: ErrorOut, 502: ErrorOut}
Kind = Literal["launch", "demonstration", "qa", "shop_tour"]
StreamKind = Literal["", "livekit", "hls", "embed", "local"]
EventStatus = Literal["scheduled", "live", "ended"]
ViewerToken = Annotated[str | None, Header(alias="X-Viewer-Token", description="From POST …/join")]
AFTER = Annotated[int, Query(ge=0, le=2**62)]


# --- schemas -------------------------------------------------------------------------------------


class EventIn(Input):
    title: Text(120, min_length=1)
    starts_at: Moment
    ends_at: Moment
    kind: Kind = "launch"
    description: Text(2000) = ""
    host: Text(150) | None = Field(None, description="Username of the host; default: you")
    location: Text(40) | None = Field(None, description="Code of the location the pieces are taken from")
    stream_provider: StreamKind = ""
    stream_url: Text(500) = Field("", description="https URL of the HLS playlist or player (hls, embed)")
    reservation_minutes: Num(1, 60) | None = None


class EventPatch(Input):
    title: Text(120, min_length=1) | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    kind: Kind | None = None
    description: Text(2000) | None = None
    host: Text(150) | None = None
    location: Text(40) | None = None
    stream_provider: StreamKind | None = None
    stream_url: Text(500) | None = None
    reservation_minutes: Num(1, 60) | None = None


class VariantOut(Schema):
    id: int
    sku: str
    label: str
    size: str
    colour: str
    price: int
    available: int


class LiveProductOut(Schema):
    product_id: int
    handle: str
    title: str
    brand: str
    image: str | None
    currency: str
    price_from: int
    max_per_viewer: int
    position: int
    available: int
    variants: list[VariantOut]


class LocationOut(Schema):
    code: str
    name: str


class ViewersOut(Schema):
    now: int
    peak: int


class PublicEventOut(Schema):
    id: int
    title: str
    description: str
    kind: str
    status: str
    starts_at: datetime
    ends_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    host: str
    location: LocationOut
    stream: dict[str, Any] | None
    slow_mode_seconds: int
    pinned: LiveProductOut | None
    pinned_at: datetime | None
    featured: list[LiveProductOut]
    viewers: ViewersOut
    replay_url: str


class SalesOut(Schema):
    orders: int
    total: int
    currency: str
    reservations: dict[str, int]
    units: dict[str, int]


class EventOut(PublicEventOut):
    host_username: str | None
    stream_provider: str
    stream_url: str
    stream_room: str
    reservation_minutes: int | None
    replay_url: str
    sales: SalesOut
    created_at: datetime


class FeaturedItemIn(Input):
    product_id: Num(1, 2**62)
    max_per_viewer: Num(1, services.MAX_PER_VIEWER) = 1


class FeaturedIn(Input):
    products: list[FeaturedItemIn] = Field(max_length=services.MAX_FEATURED)


class PinIn(Input):
    product_id: Num(1, 2**62) | None = Field(..., description="null unpins")


class EndIn(Input):
    replay_url: Text(500) = ""


class ReplayIn(Input):
    replay_url: Text(500, min_length=1)


class SlowModeIn(Input):
    seconds: Num(0, services.MAX_SLOW_MODE)


class StaffMessageIn(Input):
    text: Text(services.TEXT_MAX, min_length=1)


class MessageIn(Input):
    name: Text(services.NAME_MAX, min_length=1)
    text: Text(services.TEXT_MAX, min_length=1)


class MessageOut(Schema):
    id: int
    name: str
    text: str
    name_html: str
    text_html: str
    staff: bool
    created_at: datetime


class StaffMessageOut(MessageOut):
    hidden: bool
    viewer_banned: bool | None


class BanOut(Schema):
    message_id: int
    banned: bool
    hidden_message_ids: list[int]


class JoinOut(Schema):
    viewer_token: str
    websocket: str
    stream: dict[str, Any] | None
    expires_in_hours: int


class ReserveIn(Input):
    sku: Text(64, min_length=1)
    quantity: Num(1, services.MAX_PER_VIEWER) = 1


class ReservationOut(Schema):
    id: int
    product_id: int
    sku: str
    quantity: int
    status: str
    expires_at: datetime
    cart_id: int | None
    order_id: int | None


class CartOut(Schema):
    reservation_id: int
    cart_id: int
    fulfilment: str
    location: LocationOut
    expires_at: datetime


class CheckoutIn(Input):
    name: Text(120, min_length=1)
    email: Text(254, min_length=3)
    phone: Text(20) = Field("", description="E.164, e.g. +447700900123")
    country: Text(2) = Field("", description="ISO 3166-1 alpha-2, when it is sent")
    address: Text(500) = ""


class CheckoutOut(Schema):
    reservation_id: int
    order_id: int
    total: int
    currency: str
    payment_status: str
    payment_url: str | None


class ChapterOut(Schema):
    product_id: int
    title: str
    handle: str
    offset_seconds: int
    pinned_at: datetime


class ReplayOut(Schema):
    event_id: int
    title: str
    status: str
    replay_url: str
    started_at: datetime | None
    ended_at: datetime | None
    duration_seconds: int | None
    products: list[ChapterOut]


# --- helpers -------------------------------------------------------------------------------------


def _staff_out(event: LiveEvent) -> dict:
    return {
        **selectors.event_public_data(event), "host_username": event.host.get_username() if event.host else None,
        "stream_provider": event.stream_provider, "stream_url": event.stream_url, "stream_room": event.stream_room,
        "reservation_minutes": event.reservation_minutes, "replay_url": event.replay_url,
        "sales": selectors.event_sales(event), "created_at": event.created_at,
    }  # fmt: skip


def _event_changes(actor, payload: Input) -> dict:
    changes = payload.model_dump(exclude_unset=True)
    if "host" in changes:
        changes["host"] = access_associate(actor, changes["host"]) if changes["host"] else None
    if "location" in changes:
        changes["location"] = access_location(actor, changes["location"]) if changes["location"] else None
    return changes


def _public_event(slug: str, event_id: int) -> LiveEvent:
    return selectors.event_get(boutique=boutique_by_slug(slug), event_id=event_id)


def _viewer(token: str | None, event: LiveEvent) -> str:
    if not token:
        raise ViewerTokenInvalid("Join the event first: send the X-Viewer-Token header.")
    return viewers.viewer_key_of(token, event_id=event.pk)


def _reservation_out(reservation: LiveReservation) -> dict:
    return {"id": reservation.pk, "product_id": reservation.product_id, "sku": reservation.variant.sku,
            "quantity": reservation.quantity, "status": selectors.reservation_state(reservation),
            "expires_at": reservation.expires_at, "cart_id": reservation.cart_id, "order_id": reservation.order_id}  # fmt: skip


def _staff_message(message) -> dict:
    return {**selectors.message_data(message), "hidden": message.hidden_at is not None,
            "viewer_banned": (message.chatter.banned_at is not None) if message.chatter_id else None}  # fmt: skip


# --- staff: events -------------------------------------------------------------------------------


@router.get("/boutiques/{slug}/live-events", response={200: list[EventOut], **STAFF}, auth=AUTH)
def live_events(request, slug: SLUG, status: EventStatus | None = None):
    """The boutique's events, the latest start first (200 at most)."""
    actor = request_actor(request, slug)
    return [_staff_out(e) for e in selectors.event_list(actor=actor, status=status)[:200]]


@router.post("/boutiques/{slug}/live-events", response={201: EventOut, **STAFF}, auth=AUTH)
def live_event_create(request, slug: SLUG, payload: EventIn):
    """A scheduled event. An associate hosts her own; a manager may name another host."""
    actor = request_actor(request, slug)
    changes = _event_changes(actor, payload)
    event = services.live_event_create(actor=actor, **changes)
    return Status(201, _staff_out(selectors.access_event(actor, event.pk)))


@router.get("/boutiques/{slug}/live-events/{event_id}", response={200: EventOut, **STAFF}, auth=AUTH)
def live_event_detail(request, slug: SLUG, event_id: ID):
    actor = request_actor(request, slug)
    return _staff_out(selectors.access_event(actor, event_id))


@router.patch("/boutiques/{slug}/live-events/{event_id}", response={200: EventOut, **STAFF}, auth=AUTH)
def live_event_update(request, slug: SLUG, event_id: ID, payload: EventPatch):
    """Change the fields sent (schedule, host and location only before it starts)."""
    actor = request_actor(request, slug)
    event = selectors.access_event(actor, event_id)
    changes = _event_changes(actor, payload)
    for name in ("title", "starts_at", "ends_at", "kind", "description", "stream_url"):
        if name in changes and changes[name] is None:
            changes.pop(name)  # null for a required field means "leave it"
    return _staff_out(services.live_event_update(actor=actor, event=event, **changes))


@router.delete("/boutiques/{slug}/live-events/{event_id}", response={204: None, **STAFF}, auth=AUTH)
def live_event_delete(request, slug: SLUG, event_id: ID):
    """Only an event that has not started and where nothing was reserved."""
    actor = request_actor(request, slug)
    services.live_event_delete(actor=actor, event=selectors.access_event(actor, event_id))
    return Status(204, None)


@router.post("/boutiques/{slug}/live-events/{event_id}/start", response={200: EventOut, **STAFF}, auth=AUTH)
def live_event_start(request, slug: SLUG, event_id: ID):
    """Go live: 409 stream_missing without a stream; 502 stream_unavailable if LiveKit refuses."""
    actor = request_actor(request, slug)
    return _staff_out(services.live_event_start(actor=actor, event=selectors.access_event(actor, event_id)))


@router.post("/boutiques/{slug}/live-events/{event_id}/end", response={200: EventOut, **STAFF}, auth=AUTH)
def live_event_end(request, slug: SLUG, event_id: ID, payload: EndIn):
    actor = request_actor(request, slug)
    event = selectors.access_event(actor, event_id)
    return _staff_out(services.live_event_end(actor=actor, event=event, replay_url=payload.replay_url))


@router.put("/boutiques/{slug}/live-events/{event_id}/replay", response={200: EventOut, **STAFF}, auth=AUTH)
def live_event_replay(request, slug: SLUG, event_id: ID, payload: ReplayIn):
    actor = request_actor(request, slug)
    event = selectors.access_event(actor, event_id)
    return _staff_out(services.live_replay_set(actor=actor, event=event, replay_url=payload.replay_url))


class MomentIn(Input):
    offset_seconds: int


class MomentOut(Schema):
    pin_id: int
    product_id: int
    offset_seconds: int


@router.put("/boutiques/{slug}/live-events/{event_id}/moments/{pin_id}", response={200: MomentOut, **STAFF},
            auth=AUTH)  # fmt: skip
def live_event_moment(request, slug: SLUG, event_id: ID, pin_id: ID, payload: MomentIn):
    """Correct when a piece shows in the replay (seconds from the start), once ended."""
    actor = request_actor(request, slug)
    event = selectors.access_event(actor, event_id)
    pin = services.live_moment_set(actor=actor, event=event, pin_id=pin_id, offset_seconds=payload.offset_seconds)
    return {"pin_id": pin.pk, "product_id": pin.product_id, "offset_seconds": pin.offset_seconds}


@router.get("/boutiques/{slug}/live-events/{event_id}/host-stream", response={200: dict[str, Any], **STAFF}, auth=AUTH)
def live_event_host_stream(request, slug: SLUG, event_id: ID):
    """What the host broadcasts with (LiveKit: the server URL, the room and a token that may publish)."""
    actor = request_actor(request, slug)
    return services.host_stream(actor=actor, event=selectors.access_event(actor, event_id))


@router.put("/boutiques/{slug}/live-events/{event_id}/featured", response={200: EventOut, **STAFF}, auth=AUTH)
def live_event_featured(request, slug: SLUG, event_id: ID, payload: FeaturedIn):
    """The featured products in this order (the list replaces the previous one)."""
    actor = request_actor(request, slug)
    event = selectors.access_event(actor, event_id)
    items = [(access_product(actor, item.product_id), item.max_per_viewer) for item in payload.products]
    services.featured_set(actor=actor, event=event, items=items)
    return _staff_out(selectors.access_event(actor, event_id))


@router.put("/boutiques/{slug}/live-events/{event_id}/pinned", response={200: EventOut, **STAFF}, auth=AUTH)
def live_event_pin(request, slug: SLUG, event_id: ID, payload: PinIn):
    """Pin a featured product (409 product_not_featured otherwise); null unpins."""
    actor = request_actor(request, slug)
    event = selectors.access_event(actor, event_id)
    product = access_product(actor, payload.product_id) if payload.product_id is not None else None
    return _staff_out(services.product_pin(actor=actor, event=event, product=product))


# --- staff: chat ---------------------------------------------------------------------------------


@router.get("/boutiques/{slug}/live-events/{event_id}/messages", response={200: list[StaffMessageOut], **STAFF},
            auth=AUTH)  # fmt: skip
def live_event_messages(request, slug: SLUG, event_id: ID, after: AFTER = 0):
    """The chat as moderators see it: hidden messages too, marked."""
    actor = request_actor(request, slug)
    event = selectors.access_event(actor, event_id)
    actor.require(services.MODERATE)
    messages = selectors.chat_list(event=event, after_id=after, with_hidden=True)
    chatters = {m.chatter_id for m in messages if m.chatter_id}
    banned = set(LiveChatter.objects.filter(pk__in=chatters, banned_at__isnull=False).values_list("pk", flat=True))
    return [{**selectors.message_data(m), "hidden": m.hidden_at is not None,
             "viewer_banned": (m.chatter_id in banned) if m.chatter_id else None} for m in messages]  # fmt: skip


@router.post("/boutiques/{slug}/live-events/{event_id}/messages", response={201: StaffMessageOut, **STAFF}, auth=AUTH)
def live_event_message_post(request, slug: SLUG, event_id: ID, payload: StaffMessageIn):
    """The host or an associate answers in the chat."""
    actor = request_actor(request, slug)
    message = services.chat_post_staff(actor=actor, event=selectors.access_event(actor, event_id), text=payload.text)
    return Status(201, {**selectors.message_data(message), "hidden": False, "viewer_banned": None})


@router.post("/boutiques/{slug}/live-events/{event_id}/messages/{message_id}/hide",
             response={200: StaffMessageOut, **STAFF}, auth=AUTH)  # fmt: skip
def live_event_message_hide(request, slug: SLUG, event_id: ID, message_id: ID):
    actor = request_actor(request, slug)
    event = selectors.access_event(actor, event_id)
    message = services.message_hide(actor=actor, event=event, message=selectors.access_message(event, message_id))
    return _staff_message(selectors.access_message(event, message.pk))


@router.post("/boutiques/{slug}/live-events/{event_id}/messages/{message_id}/ban", response={200: BanOut, **STAFF},
             auth=AUTH)  # fmt: skip
def live_event_ban(request, slug: SLUG, event_id: ID, message_id: ID):
    """Ban the message's author from the chat (her messages are hidden, her posts refused)."""
    actor = request_actor(request, slug)
    event = selectors.access_event(actor, event_id)
    message = selectors.access_message(event, message_id)
    chatter = services.viewer_ban(actor=actor, event=event, message=message)
    hidden = list(chatter.messages.filter(hidden_at__isnull=False).order_by("pk").values_list("pk", flat=True))
    return {"message_id": message.pk, "banned": True, "hidden_message_ids": hidden}


@router.delete("/boutiques/{slug}/live-events/{event_id}/messages/{message_id}/ban", response={200: BanOut, **STAFF},
               auth=AUTH)  # fmt: skip
def live_event_unban(request, slug: SLUG, event_id: ID, message_id: ID):
    actor = request_actor(request, slug)
    event = selectors.access_event(actor, event_id)
    services.viewer_unban(actor=actor, event=event, message=selectors.access_message(event, message_id))
    return {"message_id": message_id, "banned": False, "hidden_message_ids": []}


@router.put("/boutiques/{slug}/live-events/{event_id}/slow-mode", response={200: EventOut, **STAFF}, auth=AUTH)
def live_event_slow_mode(request, slug: SLUG, event_id: ID, payload: SlowModeIn):
    """One message every `seconds` per viewer; 0 turns slow mode off."""
    actor = request_actor(request, slug)
    event = selectors.access_event(actor, event_id)
    return _staff_out(services.slow_mode_set(actor=actor, event=event, seconds=payload.seconds))


# --- public --------------------------------------------------------------------------------------


@router.get("/boutiques/{slug}/live/{event_id}", response={200: PublicEventOut, **PUBLIC})
def live_public(request, slug: SLUG, event_id: ID):
    """The event page's data: the stream, the featured pieces with live stock, the pinned one."""
    return selectors.event_public_data(_public_event(slug, event_id))


@router.post("/boutiques/{slug}/live/{event_id}/join", response={200: JoinOut, **PUBLIC})
def live_join(request, slug: SLUG, event_id: ID):
    """A viewer token for this event (send it as X-Viewer-Token, and as ?token= on the socket).
    Nothing is written: a crowd joining costs no database write."""
    event = _public_event(slug, event_id)
    if event.status == LiveEvent.Status.ENDED:
        raise EventWrongState("The event has ended; watch the replay.", code="event_ended")
    key, token = viewers.viewer_token_new(event_id=event.pk)
    return {"viewer_token": token, "websocket": f"/ws/live/{event.boutique.slug}/{event.pk}/?token={token}",
            "stream": selectors.stream_data(event, identity=f"viewer-{key}"),
            "expires_in_hours": viewers.TOKEN_HOURS}  # fmt: skip


@router.get("/boutiques/{slug}/live/{event_id}/chat", response={200: list[MessageOut], **PUBLIC})
def live_chat(request, slug: SLUG, event_id: ID, after: AFTER = 0):
    """Visible messages after `after` (without it, the latest 100), oldest first."""
    event = _public_event(slug, event_id)
    return [selectors.message_data(m) for m in selectors.chat_list(event=event, after_id=after)]


@router.post("/boutiques/{slug}/live/{event_id}/chat", response={201: MessageOut, **PUBLIC})
def live_chat_post(request, slug: SLUG, event_id: ID, payload: MessageIn, x_viewer_token: ViewerToken = None):
    """Her message: 403 viewer_banned, 429 slow_mode / rate_limited / chat_busy, 409 chat_closed."""
    event = _public_event(slug, event_id)
    message = services.chat_post(event=event, viewer_key=_viewer(x_viewer_token, event), name=payload.name,
                                 text=payload.text)  # fmt: skip
    return Status(201, selectors.message_data(message))


@router.get("/boutiques/{slug}/live/{event_id}/reservations", response={200: list[ReservationOut], **PUBLIC})
def live_reservations(request, slug: SLUG, event_id: ID, x_viewer_token: ViewerToken = None):
    """Her reservations in this event."""
    event = _public_event(slug, event_id)
    return [_reservation_out(r) for r in selectors.viewer_reservations(event=event, viewer_key=_viewer(x_viewer_token, event))]


@router.post("/boutiques/{slug}/live/{event_id}/reservations", response={201: ReservationOut, **PUBLIC})
def live_reserve(request, slug: SLUG, event_id: ID, payload: ReserveIn, x_viewer_token: ViewerToken = None):
    """Reserve a featured piece while the event is live (409 insufficient_stock once sold out)."""
    event = _public_event(slug, event_id)
    key = _viewer(x_viewer_token, event)
    variant = variant_get(boutique=event.boutique, variant_ref=payload.sku)
    reservation = shopping.reservation_place(event=event, viewer_key=key, variant=variant, quantity=payload.quantity)
    return Status(201, _reservation_out(selectors.access_reservation(event, key, reservation.pk)))


@router.delete("/boutiques/{slug}/live/{event_id}/reservations/{reservation_id}", response={200: ReservationOut, **PUBLIC})
def live_release(request, slug: SLUG, event_id: ID, reservation_id: ID, x_viewer_token: ViewerToken = None):
    event = _public_event(slug, event_id)
    key = _viewer(x_viewer_token, event)
    shopping.reservation_release(event=event, reservation=selectors.access_reservation(event, key, reservation_id))
    return _reservation_out(selectors.access_reservation(event, key, reservation_id))


@router.post("/boutiques/{slug}/live/{event_id}/reservations/{reservation_id}/cart", response={200: CartOut, **PUBLIC})
def live_reservation_cart(request, slug: SLUG, event_id: ID, reservation_id: ID, x_viewer_token: ViewerToken = None):
    """The reserved piece in a cart (collected at the event's shop, or sent from it)."""
    event = _public_event(slug, event_id)
    key = _viewer(x_viewer_token, event)
    cart = shopping.reservation_cart(event=event, reservation=selectors.access_reservation(event, key, reservation_id))
    line = CartLine.objects.select_related("location").filter(cart=cart).first()
    reservation = selectors.access_reservation(event, key, reservation_id)
    return {"reservation_id": reservation.pk, "cart_id": cart.pk, "fulfilment": line.fulfilment if line else "",
            "location": {"code": event.location.code, "name": event.location.name},
            "expires_at": reservation.expires_at}  # fmt: skip


@router.post("/boutiques/{slug}/live/{event_id}/reservations/{reservation_id}/checkout",
             response={200: CheckoutOut, **PUBLIC, 502: ErrorOut})  # fmt: skip
def live_reservation_checkout(request, slug: SLUG, event_id: ID, reservation_id: ID, payload: CheckoutIn,
                              x_viewer_token: ViewerToken = None):  # fmt: skip
    """Her order for the reserved piece, and the page to pay it on (`payment_url`). A repeat
    returns the same order and the same payment."""
    event = _public_event(slug, event_id)
    key = _viewer(x_viewer_token, event)
    reservation = selectors.access_reservation(event, key, reservation_id)
    order = shopping.reservation_checkout(
        event=event, reservation=reservation, client_name=payload.name, client_email=payload.email,
        client_phone=payload.phone, shipping_country=payload.country, shipping_address=payload.address,
    )  # fmt: skip
    from omnipresence.storefront.cart_views import order_token  # the storefront's confirmation link

    return_url = request.build_absolute_uri(reverse("storefront:order", args=[event.boutique.slug, order_token(order.pk)]))
    payment_url = None
    if order.balance > 0:
        payment = shopping.reservation_payment_start(event=event, order=order, return_url=return_url)
        payment_url = payment.redirect_url or None
        order.refresh_from_db()
    return {"reservation_id": reservation.pk, "order_id": order.pk, "total": order.total, "currency": order.currency,
            "payment_status": order.payment_status, "payment_url": payment_url}  # fmt: skip


@router.get("/boutiques/{slug}/live/{event_id}/replay", response={200: ReplayOut, **PUBLIC})
def live_replay(request, slug: SLUG, event_id: ID):
    """The recording (once ended) and when each product was pinned, in seconds from the start."""
    return selectors.replay_data(_public_event(slug, event_id))
