"""The appointment room: who may enter (a signed room token), and its shared cart — an orders cart
attached to the appointment on first use, for her as the client, that she and the associate change
together while the room is open; then a pay link or a click & collect order made from it.

The room's address is the local video provider's link format for every appointment, whatever its
video provider: `/<slug>/appointments/room/<room>/?t=<JWT>` (HS256 with SECRET_KEY, aud
`omnipresence-room`, the participant in `sub`, `host` for the associate, `nbf` / `exp` the
participant's window). The room is the appointment's `video_room`, or `appointment-<id>` when it
has none (a pasted Zoom link, an in-store appointment). For `local` the join link *is* this page.

Every write locks the appointment row, then the cart row (orders' lock order follows: the cart,
then stock rows), re-checks the window under the lock, and tells the room's group after commit
(`room.changed` with the id: each socket reads the fresh state itself). She writes as the
boutique's own channel (`system_actor`, like the storefront's bag); the associate as herself.
Reads of the room (its state for the page and the socket) are at the end of this module."""

import copy
import logging
import re
from dataclasses import dataclass
from datetime import datetime

import jwt
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from omnipresence.appointments import invitations, video
from omnipresence.appointments.errors import AppointmentNotActive, RoomClosed, RoomNotOpen
from omnipresence.appointments.models import Appointment, PullItem
from omnipresence.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InsufficientStock,
    InvalidInput,
    NotFound,
)
from omnipresence.core.events import group_send_on_commit
from omnipresence.core.money import format_money
from omnipresence.stores.access import Actor, actor_for_user, system_actor
from omnipresence.stores.models import Boutique

log = logging.getLogger(__name__)

AUDIENCE = "omnipresence-room"
ROOM_RE = re.compile(r"^[A-Za-z0-9_-]{1,120}$")
BY_ID_RE = re.compile(r"^appointment-([1-9][0-9]{0,18})$")
MAX_QUANTITY = 20  # pieces of one kind in the room's cart


class RoomLinkInvalid(NotFound):
    code = "room_link_invalid"
    default_message = "This room link is not valid."


class RoomLinkNotOpen(Forbidden):
    code = "room_not_open"
    default_message = "The room opens shortly before the appointment."


class RoomLinkClosed(Forbidden):
    code = "room_closed"
    default_message = "The appointment's time is over: the room is closed."


@dataclass(frozen=True)
class RoomPass:
    """Someone in the room, from a verified token: the appointment, and whether she is the host."""

    appointment_id: int
    boutique_id: int
    host: bool
    identity: str
    name: str
    room: str


def room_key(appointment: Appointment) -> str:
    return appointment.video_room or f"appointment-{appointment.pk}"


def room_group(appointment_id: int) -> str:
    return f"appointment-room-{appointment_id}"


def room_link(appointment: Appointment, *, host: bool) -> video.JoinLink:
    """The room page's link for one participant, for any appointment (the local provider's format,
    with the room key in place of a video room it may not have)."""
    participant = invitations.host_participant(appointment) if host else invitations.client_participant(appointment)
    keyed = copy.copy(appointment)
    keyed.video_room = room_key(appointment)
    return video.LocalProvider().join(appointment=keyed, participant=participant)


def room_join(appointment: Appointment, *, host: bool, room_page: bool = True, video_only: bool = False,
              now: datetime | None = None) -> dict:  # fmt: skip
    """A participant's way in, in the room's window: the room page with the shared cart (any
    appointment, or with `video_only` video appointments only: the console's "Open the room"), or
    (`room_page=False`) the video provider's own link (video appointments only).
    409 appointment_not_active / room_closed / room_not_open (with `opens_at`) otherwise. The API,
    her link page and the console all go through here."""
    from omnipresence.appointments.models import AppointmentType

    now = now or timezone.now()
    if appointment.status != Appointment.Status.BOOKED:
        raise AppointmentNotActive(f"This appointment is {appointment.status}.")
    if appointment.mode != AppointmentType.Mode.VIDEO and (video_only or not room_page):
        raise InvalidInput(_("This appointment is not a video appointment."), code="not_video")
    if now >= appointment.cap_ends_at:
        raise RoomClosed(details={"cap_ends_at": appointment.cap_ends_at.isoformat()})
    link = room_link(appointment, host=host) if room_page else invitations.join_link(appointment, host=host)
    if now < link.not_before:
        raise RoomNotOpen(details={"opens_at": link.not_before.isoformat()})
    return {"provider": link.provider, "room": link.room, "url": link.url, "token": link.token,
            "not_before": link.not_before, "expires_at": link.expires_at, "starts_at": appointment.starts_at,
            "ends_at": appointment.ends_at, "cap_ends_at": appointment.cap_ends_at}  # fmt: skip


def _appointment_for_room(boutique: Boutique, room: str) -> Appointment | None:
    rows = Appointment.objects.filter(boutique=boutique).select_related(
        "appointment_type", "location", "associate", "client", "boutique"
    )
    by_id = BY_ID_RE.match(room)
    if by_id:
        return rows.filter(pk=int(by_id.group(1)), video_room="").first()
    return rows.filter(video_room=room).first()


def room_enter(*, boutique: Boutique, room: str, token: str, now: datetime | None = None) -> tuple[RoomPass, Appointment]:
    """Check a room token: signed by us for this room of this boutique's appointment, for her or
    for its associate, inside the window. 404 room_link_invalid for anything tampered or foreign,
    403 room_not_open / room_closed outside the window (and after a cancellation)."""
    now = now or timezone.now()
    if not ROOM_RE.match(room or "") or not token or len(token) > 2000:
        raise RoomLinkInvalid()
    try:
        claims = jwt.decode(
            token, settings.SECRET_KEY, algorithms=["HS256"], audience=AUDIENCE,
            options={"verify_exp": False, "verify_nbf": False, "require": ["room", "sub", "nbf", "exp"]},
        )  # fmt: skip
    except jwt.PyJWTError:
        raise RoomLinkInvalid()
    appointment = _appointment_for_room(boutique, room)
    if appointment is None or claims.get("room") != room:
        raise RoomLinkInvalid()
    host = claims.get("host") is True
    expected = f"associate-{appointment.associate_id}" if host else f"client-{appointment.client_id}"
    if claims.get("sub") != expected:
        raise RoomLinkInvalid()
    if appointment.status == Appointment.Status.CANCELLED:
        raise RoomLinkClosed(_("This appointment was cancelled."))
    opens, closes = video.VideoProvider.window(appointment, video.Participant(expected, "", host=host))
    if not (isinstance(claims["nbf"], int) and isinstance(claims["exp"], int)):
        raise RoomLinkInvalid()
    if now.timestamp() >= min(claims["exp"], closes.timestamp()):
        raise RoomLinkClosed(details={"cap_ends_at": appointment.cap_ends_at.isoformat()})
    if now.timestamp() < max(claims["nbf"], opens.timestamp()):
        raise RoomLinkNotOpen(details={"opens_at": opens.isoformat()})
    name = str(claims.get("name") or "")[:120]
    return RoomPass(appointment.pk, appointment.boutique_id, host, expected, name, room), appointment


# --- writes ----------------------------------------------------------------------------------


def _actor(entry: RoomPass, appointment: Appointment) -> Actor:
    if entry.host:
        return actor_for_user(appointment.associate, appointment.boutique)
    return system_actor(appointment.boutique)


def _lock_open(entry: RoomPass, now: datetime) -> Appointment:
    """Under the appointment's row lock: still booked, inside the room's window."""
    locked = Appointment.objects.select_for_update(of=("self",)).select_related(
        "boutique", "location", "associate", "client", "appointment_type"
    ).get(pk=entry.appointment_id)
    if locked.status != Appointment.Status.BOOKED:
        raise AppointmentNotActive(_("This appointment is over: the cart can no longer change."))
    if now >= locked.cap_ends_at:
        raise RoomClosed(details={"cap_ends_at": locked.cap_ends_at.isoformat()})
    opens, _closes = video.VideoProvider.window(locked, video.Participant(entry.identity, "", host=entry.host))
    if now < opens:
        raise RoomNotOpen(details={"opens_at": opens.isoformat()})
    return locked


def _cart_of(locked: Appointment):
    """The appointment's cart, made for her on first use."""
    from omnipresence.orders import services as orders

    if locked.cart_id is not None:
        return locked.cart
    client = locked.client
    cart = orders.cart_create(
        actor=system_actor(locked.boutique), channel="appointment", client_name=client.display_name[:120],
        client_email=invitations.client_email(client), associate=locked.associate, source_kind="appointment",
        source_ref=f"appointment:{locked.pk}",
    )  # fmt: skip
    Appointment.objects.filter(pk=locked.pk).update(cart=cart)
    locked.cart = cart
    return cart


def _variant(appointment: Appointment, variant_ref):
    from omnipresence.catalog.selectors import variant_get

    if isinstance(variant_ref, bool) or not isinstance(variant_ref, int | str) or not str(variant_ref).strip():
        raise InvalidInput(_("Give a piece: its id or SKU."), code="invalid_variant")
    return variant_get(boutique=appointment.boutique, variant_ref=variant_ref)


def _quantity(value) -> int:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_QUANTITY:
        raise InvalidInput(_("The quantity is a whole number from 0 to %(max)s.") % {"max": MAX_QUANTITY},
                           code="invalid_quantity")  # fmt: skip
    return value


def _live_pull_item(appointment: Appointment, variant_id: int, now: datetime) -> PullItem | None:
    from omnipresence.inventory.models import Hold

    return (
        PullItem.objects.filter(appointment=appointment, removed_at__isnull=True, hold__variant_id=variant_id,
                                hold__status=Hold.Status.ACTIVE, hold__expires_at__gt=now)
        .select_related("hold__location", "hold__variant")
        .order_by("pk")
        .first()
    )  # fmt: skip


def _check_stock(appointment: Appointment, variant, location, wanted: int, held: int) -> None:
    """Refuse more than there is: at the line's shop, or (no shop) where delivered orders are sent from."""
    from omnipresence.inventory.selectors import availability_for_variants

    entry = availability_for_variants(boutique=appointment.boutique, variants=[variant])[variant.pk]
    if location is not None:
        free = sum(la.available for la in entry.locations if la.location.pk == location.pk)
    else:
        free = sum(la.available for la in entry.locations if la.location.fulfils_online and la.location.feeds_online)
    if wanted > free + held:
        raise InsufficientStock(
            _("Only %(count)s of %(sku)s can be had this way.") % {"count": free + held, "sku": variant.sku},
            code="out_of_stock", details={"sku": variant.sku, "available": free + held, "requested": wanted},
        )  # fmt: skip


def _set_locked(entry: RoomPass, locked: Appointment, variant, quantity: int, now: datetime, *, add: bool) -> None:
    from omnipresence.orders import services as orders
    from omnipresence.orders.models import CartLine, Fulfilment

    actor = _actor(entry, locked)
    cart = _cart_of(locked)
    if cart.status != cart.Status.OPEN:
        raise Conflict(_("This cart has been sent: it can no longer change."), code="cart_closed")
    line = CartLine.objects.filter(cart=cart, variant=variant).select_related("hold", "location").order_by("pk").first()
    if add:
        quantity += line.quantity if line is not None else 0
        if quantity > MAX_QUANTITY:
            raise InvalidInput(_("At most %(max)s of one piece.") % {"max": MAX_QUANTITY}, code="invalid_quantity")
    if line is None:
        if quantity == 0:
            return
        item = _live_pull_item(locked, variant.pk, now)
        if item is not None:  # from the pull list: the units put aside go into her cart
            orders.cart_hold_add(actor=actor, cart=cart, hold=item.hold)
            line = CartLine.objects.select_related("hold", "location").get(cart=cart, hold=item.hold)
            if quantity == line.quantity:
                return
        elif not entry.host:
            raise Forbidden(_("Your associate adds pieces that are not on the pull list."), code="not_on_pull_list")
        else:
            shop = locked.location
            fulfilment, location = (Fulfilment.PICKUP, shop) if shop.offers_pickup else (Fulfilment.SHIP, None)
            _check_stock(locked, variant, location, quantity, 0)
            orders.cart_line_set(actor=actor, cart=cart, variant=variant, quantity=quantity, fulfilment=fulfilment,
                                 location=location)  # fmt: skip
            return
    if quantity > line.quantity:
        held = line.hold.quantity if line.hold_id and line.hold.status == "active" else 0
        _check_stock(locked, variant, line.location, quantity, held)
    orders.cart_line_set(actor=actor, cart=cart, variant=variant, quantity=quantity, fulfilment=line.fulfilment,
                         location=line.location)  # fmt: skip


def _changed(appointment_id: int) -> None:
    group_send_on_commit(room_group(appointment_id), {"type": "room.changed", "appointment_id": appointment_id})


def room_cart_set(*, entry: RoomPass, variant_ref, quantity, now: datetime | None = None) -> None:
    """Set how many of a piece are in the cart (0 takes it out). A piece not in the cart yet comes
    from the pull list (its hold) or, for the associate, from the shop's stock."""
    now = now or timezone.now()
    quantity = _quantity(quantity)
    with transaction.atomic():
        locked = _lock_open(entry, now)
        _set_locked(entry, locked, _variant(locked, variant_ref), quantity, now, add=False)
        _changed(locked.pk)


def room_cart_add(*, entry: RoomPass, variant_ref, quantity=1, now: datetime | None = None) -> None:
    """Add pieces (a pull-list item, or a SKU the associate found) to what is in the cart."""
    now = now or timezone.now()
    quantity = _quantity(quantity)
    if quantity == 0:
        raise InvalidInput(_("Add at least one."), code="invalid_quantity")
    with transaction.atomic():
        locked = _lock_open(entry, now)
        _set_locked(entry, locked, _variant(locked, variant_ref), quantity, now, add=True)
        _changed(locked.pk)


def _host_only(entry: RoomPass) -> None:
    if not entry.host:
        raise Forbidden(_("Only the associate can do this."), code="host_only")


def _pay_link_email(link_id: int) -> None:
    from omnipresence.payments.models import PayLink
    from omnipresence.payments.pay_links import pay_link_url

    link = PayLink.objects.select_related("order__boutique").get(pk=link_id)
    order = link.order
    if not order.client_email:
        return
    boutique = order.boutique
    with translation.override(boutique.language.split("-")[0]):
        subject = _("Your pieces from your appointment at %(boutique)s") % {"boutique": boutique.name}
        body = _("Hello %(name)s,\n\nThank you for your appointment. You can pay %(amount)s for your pieces "
                 "securely here:\n\n%(url)s\n\n%(boutique)s") % {
            "name": order.client_name or _("there"), "url": pay_link_url(link), "boutique": boutique.name,
            "amount": format_money(order.total, order.currency, boutique.language),
        }  # fmt: skip
    try:
        send_mail(subject, body, None, [order.client_email])
    except Exception:  # the link is in the room and in the console: a mail server down loses nothing
        log.exception("appointment room: pay link %s could not be emailed", link_id)


def room_pay_link_send(*, entry: RoomPass, now: datetime | None = None):
    """The associate sends the cart as a pay link (payments.pay_links: checked out now, the units
    kept until it is paid or ends); she sees it in the room at once and gets it by email."""
    from omnipresence.payments.pay_links import pay_link_create

    _host_only(entry)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_open(entry, now)
        if locked.cart_id is None:
            raise InvalidInput(_("The cart is empty."), code="empty_cart")
        link = pay_link_create(actor=_actor(entry, locked), cart=locked.cart)
        transaction.on_commit(lambda: _pay_link_email(link.pk))
        _changed(locked.pk)
    return link


def room_click_and_collect(*, entry: RoomPass, now: datetime | None = None):
    """The associate turns the cart into an order she collects at the appointment's shop (the
    pull list's holds become the order's allocation: the pieces never go back on sale)."""
    from omnipresence.orders import services as orders
    from omnipresence.orders.models import CartLine, Fulfilment

    _host_only(entry)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_open(entry, now)
        if locked.cart_id is None:
            raise InvalidInput(_("The cart is empty."), code="empty_cart")
        if CartLine.objects.filter(cart_id=locked.cart_id).exclude(
            fulfilment=Fulfilment.PICKUP, location_id=locked.location_id
        ).exists():
            raise InvalidInput(_("Every piece must be collected at %(shop)s.") % {"shop": locked.location.name},
                               code="pickup_unavailable")  # fmt: skip
        order = orders.cart_checkout(actor=_actor(entry, locked), cart=locked.cart,
                                     idempotency_key=f"appointment-room-{locked.pk}")  # fmt: skip
        _changed(locked.pk)
    return order


def room_finish(*, entry: RoomPass, now: datetime | None = None) -> Appointment:
    """The associate finishes the appointment (appointment_complete: her follow-up task)."""
    from omnipresence.appointments.services import appointment_complete

    _host_only(entry)
    appointment = Appointment.objects.select_related("boutique", "associate").get(pk=entry.appointment_id)
    with transaction.atomic():
        done = appointment_complete(actor=_actor(entry, appointment), appointment=appointment, now=now)
        _changed(done.pk)
    return done


# --- reads: the room's state, for the page and the socket --------------------------------------


def room_state(appointment_id: int, *, now: datetime | None = None) -> dict:
    """Everything both windows show, the same for both: the cart priced as everywhere else, the pull
    list, the pay link or the order made from the cart, and whether the cart can still change."""
    from omnipresence.inventory.models import Hold
    from omnipresence.orders.models import CartLine, Order
    from omnipresence.orders.services import cart_price
    from omnipresence.payments.models import PayLink
    from omnipresence.payments.pay_links import pay_link_state, pay_link_url

    now = now or timezone.now()
    appointment = Appointment.objects.select_related("boutique", "location", "cart").get(pk=appointment_id)
    boutique = appointment.boutique

    def money(amount: int) -> str:
        return format_money(amount, boutique.currency, boutique.language)

    cart = appointment.cart
    lines, totals, pay_link, order = [], None, None, None
    if cart is not None:
        rows = list(CartLine.objects.filter(cart=cart).select_related("variant__product", "location", "hold")
                    .order_by("pk"))  # fmt: skip
        breakdown = cart_price(actor=system_actor(boutique), cart=cart)
        priced = {p.key: p for p in breakdown.lines}
        for row in rows:
            p = priced.get(str(row.pk))
            lines.append({
                "id": row.pk, "variant_id": row.variant_id, "sku": row.variant.sku,
                "title": row.variant.product.title, "label": row.variant.label, "quantity": row.quantity,
                "unit": money(row.variant.price), "total": money(p.total if p else 0),
                "pulled": row.hold_id is not None, "pickup": row.location.name if row.location_id else "",
            })  # fmt: skip
        totals = {"subtotal": money(breakdown.subtotal), "discount": money(breakdown.discount),
                  "shipping": money(breakdown.shipping), "tax": money(breakdown.tax), "total": money(breakdown.total),
                  "total_minor": breakdown.total, "has_discount": breakdown.discount > 0}  # fmt: skip
        made = Order.objects.filter(cart=cart).first()
        if made is not None:
            link = PayLink.objects.filter(order=made).first()
            if link is not None:
                pay_link = {"url": pay_link_url(link), "state": pay_link_state(link, now=now), "total": money(made.total)}
            else:
                order = {"id": made.pk, "total": money(made.total), "shop": appointment.location.name}
    in_cart = {line["variant_id"] for line in lines}
    pull = [
        {"item_id": item.pk, "variant_id": item.hold.variant_id, "sku": item.hold.variant.sku,
         "title": item.hold.variant.product.title, "label": item.hold.variant.label, "quantity": item.hold.quantity,
         "price": money(item.hold.variant.price), "in_cart": item.hold.variant_id in in_cart}
        for item in PullItem.objects.filter(appointment=appointment, removed_at__isnull=True,
                                            hold__status=Hold.Status.ACTIVE)
        .select_related("hold__variant__product").order_by("pk")
    ]  # fmt: skip
    is_open = (appointment.status == Appointment.Status.BOOKED and now < appointment.cap_ends_at
               and (cart is None or cart.status == cart.Status.OPEN))  # fmt: skip
    return {
        "kind": "cart", "appointment_id": appointment.pk, "status": appointment.status, "open": is_open,
        "count": sum(line["quantity"] for line in lines), "lines": lines, "totals": totals, "pull_list": pull,
        "pay_link": pay_link, "order": order, "cap_ends_at": appointment.cap_ends_at.isoformat(),
    }  # fmt: skip


def domain_error_frame(error: DomainError) -> dict:
    frame = {"kind": "error", "code": error.code, "message": error.message}
    if error.details:
        frame["details"] = error.details
    return frame
