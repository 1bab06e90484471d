"""Buying during the stream (writes): a viewer reserves a featured piece, the reservation becomes a
cart, the cart an order she pays online; or the reservation lapses.

A reservation is an inventory hold of kind `live` (short: HOLD_TTL_MINUTES["live"], or the event's
own minutes) at the event's location, owner_ref "live:<event>:<viewer>", placed through
inventory.services.hold_place. That is what makes a drop safe: the hold's conditional UPDATE
(`… WHERE on_hand >= held + n`) is the only way units are taken, so 500 viewers racing for 20 units
get exactly 20 holds, on PostgreSQL (row lock, re-checked after the wait) as on SQLite (IMMEDIATE
transactions). The hold and the reservation row are written in one transaction.

Then, in order, each step in its own transaction so the rows are always locked reservation →
stock → cart (new) and, at checkout, reservation → cart → coupon counters → stock, as the orders
app locks them:
1. `reservation_cart`: the hold becomes the hold of a new cart in the `live` channel (the same row:
   its units are never back on sale; it then lasts as a cart hold does), credited to the event's
   host with source `live_event` — the attribution app credits the order to her "via live event".
2. `reservation_checkout`: her details, then orders.cart_checkout (the cart's hold becomes the
   order's allocation). The order is unpaid until she pays (payments.payment_start); unpaid after
   CHECKOUT_PAYMENT_MINUTES, the payments sweep cancels it and the units go back.
Like every hold put in a cart (orders.cart_hold_add), the piece is collected at the event's shop
when it offers click & collect, and otherwise sent from it.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from omnipresence.catalog.models import Variant
from omnipresence.core.errors import Conflict, InvalidInput
from omnipresence.inventory import services as inventory
from omnipresence.inventory.models import Hold
from omnipresence.live.errors import AlreadyReserved, EventNotLive, NotFeatured, ReservationClosed
from omnipresence.live.models import LiveEvent, LiveFeatured, LiveReservation
from omnipresence.orders import services as orders
from omnipresence.orders.errors import CartClosed
from omnipresence.orders.models import Cart, CartLine, Channel, Fulfilment, Order, SourceKind
from omnipresence.stores.access import Actor, system_actor


def seller(event: LiveEvent) -> Actor:
    """Who writes for a viewer: the boutique itself (as the storefront does for a web client)."""
    return system_actor(event.boutique)


def owner_ref(event: LiveEvent, viewer_key: str) -> str:
    return f"live:{event.pk}:{viewer_key}"


def reservation_place(*, event: LiveEvent, viewer_key: str, variant: Variant, quantity: int = 1) -> LiveReservation:
    """Reserve `quantity` units of a featured piece for this viewer while the event is live.
    Refused: not live (409 event_not_live), not featured (409 product_not_featured), more than the
    product allows one viewer (422), a second reservation of the same product (409 already_reserved),
    sold out (409 insufficient_stock). A refusal writes nothing."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise InvalidInput("quantity must be a whole number from 1.", code="invalid_quantity")
    current = LiveEvent.objects.select_related("boutique", "location").get(pk=event.pk)
    if current.status != LiveEvent.Status.LIVE:
        raise EventNotLive()
    if variant.boutique_id != current.boutique_id:
        raise NotFeatured()
    featured = LiveFeatured.objects.filter(event=current, product_id=variant.product_id).first()
    if featured is None or not variant.is_active:
        raise NotFeatured(details={"product_id": variant.product_id})
    if quantity > featured.max_per_viewer:
        raise InvalidInput(f"At most {featured.max_per_viewer} per viewer.", code="invalid_quantity",
                           details={"max_per_viewer": featured.max_per_viewer})  # fmt: skip
    mine = LiveReservation.objects.filter(
        event=current, viewer_key=viewer_key, product_id=variant.product_id,
        status__in=[LiveReservation.Status.RESERVED, LiveReservation.Status.ORDERED],
    ).first()  # fmt: skip
    if mine is not None:  # a repeat click does not touch the hot stock row
        raise AlreadyReserved(details={"reservation_id": mine.pk})
    try:
        with transaction.atomic():
            hold = inventory.hold_place(
                actor=seller(current), location=current.location, variant=variant, quantity=quantity,
                kind=Hold.Kind.LIVE, owner_ref=owner_ref(current, viewer_key), client_name="Live viewer",
                note=f"live event {current.pk}: {current.title}"[:500], ttl_minutes=current.reservation_minutes,
            )  # fmt: skip
            return LiveReservation.objects.create(
                boutique_id=current.boutique_id, event=current, viewer_key=viewer_key, product_id=variant.product_id,
                variant=variant, quantity=quantity, hold=hold, expires_at=hold.expires_at,
            )  # fmt: skip
    except IntegrityError:
        # Her other click won the unique constraint; this one's hold was rolled back with it.
        mine = LiveReservation.objects.filter(
            event=current, viewer_key=viewer_key, product_id=variant.product_id,
            status__in=[LiveReservation.Status.RESERVED, LiveReservation.Status.ORDERED],
        ).first()  # fmt: skip
        if mine is None:
            raise
        raise AlreadyReserved(details={"reservation_id": mine.pk})


def _locked(reservation: LiveReservation) -> LiveReservation:
    # Only the reservation's row is locked (its hold is an outer join; stock rows are locked by the
    # inventory, later, in its own order).
    return (
        LiveReservation.objects.select_for_update(of=("self",))
        .select_related("hold", "event__boutique")
        .get(pk=reservation.pk)
    )


def _hold_alive(hold: Hold | None) -> bool:
    now = timezone.now()
    return hold is not None and hold.status == Hold.Status.ACTIVE and (hold.expires_at is None or hold.expires_at > now)


def reservation_release(*, event: LiveEvent, reservation: LiveReservation) -> LiveReservation:
    """She changed her mind: the units go back on sale at once."""
    with transaction.atomic():
        locked = _locked(reservation)
        if locked.event_id != event.pk:
            raise InvalidInput("That reservation is in another event.", code="wrong_event")
        if locked.status != LiveReservation.Status.RESERVED:
            raise Conflict(f"This reservation is {locked.status}.", code="reservation_not_active")
        if _hold_alive(locked.hold):
            inventory.hold_release(actor=seller(locked.event), hold=locked.hold, reason="released by the viewer")
        locked.status = LiveReservation.Status.RELEASED
        locked.save(update_fields=["status", "updated_at"])
    return locked


def reservation_cart(*, event: LiveEvent, reservation: LiveReservation) -> Cart:
    """The reserved piece in a new cart of the `live` channel, credited to the host. Idempotent:
    a reservation already in a cart returns that cart."""
    with transaction.atomic():
        locked = _locked(reservation)
        if locked.event_id != event.pk:
            raise InvalidInput("That reservation is in another event.", code="wrong_event")
        if locked.status == LiveReservation.Status.ORDERED or (locked.cart_id and locked.status == LiveReservation.Status.RESERVED):
            return Cart.objects.get(pk=locked.cart_id)
        if locked.status != LiveReservation.Status.RESERVED or not _hold_alive(locked.hold):
            raise ReservationClosed()
        live = locked.event
        actor = seller(live)
        host = live.host if live.host_id and live.host.memberships.filter(boutique_id=live.boutique_id,
                                                                           is_active=True).exists() else None  # fmt: skip
        cart = orders.cart_create(actor=actor, channel=Channel.LIVE, associate=host, source_kind=SourceKind.LIVE_EVENT,
                                  source_ref=str(live.pk))  # fmt: skip
        hold = inventory.hold_convert(actor=actor, hold=locked.hold, kind=Hold.Kind.CART, owner_ref=locked.hold.owner_ref,
                                      note=f"live event {live.pk}, cart {cart.pk}")  # fmt: skip
        orders.cart_hold_add(actor=actor, cart=cart, hold=hold)
        locked.cart, locked.expires_at = cart, hold.expires_at
        locked.save(update_fields=["cart", "expires_at", "updated_at"])
    return cart


def reservation_checkout(
    *, event: LiveEvent, reservation: LiveReservation, client_name: str, client_email: str, client_phone: str = "",
    shipping_country: str = "", shipping_address: str = "",
) -> Order:  # fmt: skip
    """Her order for the reserved piece (unpaid until she pays; see the module's note). Idempotent:
    a second checkout of the same reservation returns the same order."""
    if not (client_email or "").strip():
        raise InvalidInput("Give an email for the receipt.", code="email_required")
    done = LiveReservation.objects.filter(pk=reservation.pk).values_list("status", "order_id").first()
    if done and done[0] == LiveReservation.Status.ORDERED and done[1]:
        return Order.objects.get(pk=done[1])
    cart = reservation_cart(event=event, reservation=reservation)
    with transaction.atomic():
        locked = _locked(reservation)
        if locked.status == LiveReservation.Status.ORDERED and locked.order_id:
            return Order.objects.get(pk=locked.order_id)
        if locked.status != LiveReservation.Status.RESERVED or not _hold_alive(locked.hold):
            # Her cart's hold ran out: the units went back to the others, as the sweep will record.
            raise ReservationClosed()
        actor = seller(locked.event)
        shipped = CartLine.objects.filter(cart=cart).exclude(fulfilment=Fulfilment.PICKUP).exists()
        changes = {"client_name": client_name, "client_email": client_email, "client_phone": client_phone}
        if shipped:
            if not (shipping_address or "").strip():
                raise InvalidInput("Give the address to send it to.", code="address_required")
            changes |= {"shipping_country": shipping_country, "shipping_address": shipping_address}
        try:
            orders.cart_update(actor=actor, cart=cart, **changes)
        except CartClosed:
            pass  # checked out by her first click: cart_checkout returns that order
        order = orders.cart_checkout(
            actor=actor, cart=cart, idempotency_key=f"live-{locked.pk}",
            payment_due_at=timezone.now() + timedelta(minutes=settings.CHECKOUT_PAYMENT_MINUTES),
        )  # fmt: skip
        locked.status, locked.order = LiveReservation.Status.ORDERED, order
        locked.save(update_fields=["status", "order", "updated_at"])
    return order


def reservation_payment_start(*, event: LiveEvent, order: Order, return_url: str):
    """Start her online payment (after the order committed: no lock is held across the provider)."""
    from omnipresence.payments import services as payments
    from omnipresence.payments.providers import online_provider_name

    return payments.payment_start(actor=seller(event), order=order, provider=online_provider_name(),
                                  return_url=return_url)  # fmt: skip
