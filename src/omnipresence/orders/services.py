"""Writes for carts and orders in every channel: lines with a fulfilment each, codes, checkout
(allocation holds, order, coupon usage, in one transaction) and cancellation.

Lock order, everywhere: cart row, then campaign and code counters, then stock rows (taken by the
inventory's holds_place, in primary-key order). No lock is held across an outside call.
"""

from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from omnipresence.catalog.models import Variant
from omnipresence.core import hooks
from omnipresence.core.errors import Conflict, InsufficientStock, InvalidInput
from omnipresence.core.validation import clean_text as _text
from omnipresence.core.validation import same_boutique as _same_boutique
from omnipresence.inventory import services as inventory
from omnipresence.inventory.models import Hold
from omnipresence.inventory.selectors import availability_for_variants
from omnipresence.orders import client_link
from omnipresence.orders.errors import (
    CartClosed,
    CouponError,
    CurrencyMismatch,
    OrderFulfilled,
    OrderPaid,
    ShippingUnavailable,
)
from omnipresence.orders.models import (
    Campaign,
    Cart,
    CartLine,
    Channel,
    Code,
    Fulfilment,
    Order,
    OrderAllocation,
    OrderLine,
    Redemption,
    ShippingRule,
    SourceKind,
)
from omnipresence.orders.pricing import (
    PriceBreakdown,
    PriceLine,
    PriceRequest,
    PricingProblem,
    ShippingRate,
    price,
)
from omnipresence.orders.promotions import (
    campaign_create,
    client_ref_normalise,
    code_issue,
    coupon_check,
    promotion_of,
    redemption_record,
    redemptions_release,
)
from omnipresence.orders.routing import route
from omnipresence.orders.selectors import (
    SELL,
    access_cart,
    access_order,
    automatic_campaigns,
    order_handed_over,
    shipping_rules,
)
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Location

__all__ = [
    "campaign_create", "cart_checkout", "cart_code_apply", "cart_code_remove", "cart_create", "cart_line_set",
    "cart_hold_add", "cart_price", "cart_update", "code_issue", "order_from_holds", "order_cancel", "order_payment_due_set", "order_payments_set", "shipping_rule_create",
]  # fmt: skip

MAX_LINES = 100
MAX_QUANTITY = 1000


def _attribution(actor: Actor, *, channel, client_name, client_email, client_phone, associate, source_kind,
                 source_ref, shipping_country, shipping_address) -> dict:  # fmt: skip
    if channel not in Channel.values:
        raise InvalidInput(f"Unknown channel '{channel}'.", code="invalid_channel")
    if source_kind not in SourceKind.values:
        raise InvalidInput(f"Unknown source kind '{source_kind}'.", code="invalid_source")
    if (
        associate is not None
        and not associate.memberships.filter(boutique=actor.boutique, is_active=True).exists()
    ):
        raise InvalidInput("The associate is not on this boutique's staff.", code="invalid_associate")
    email = _text(client_email, "client_email", 254)
    phone = _text(client_phone, "client_phone", 20)
    if "@" in phone:
        raise InvalidInput("client_phone is a phone number.", code="invalid_client")
    phone = client_ref_normalise(phone)  # E.164
    client_ref = client_ref_normalise(email) or phone
    country = (shipping_country or actor.boutique.country).strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise InvalidInput("shipping_country is an ISO 3166-1 alpha-2 code.", code="invalid_country")
    return {
        "channel": channel, "client_name": _text(client_name, "client_name", 120), "client_email": email.lower(),
        "client_phone": phone, "client_ref": client_ref,
        "associate": associate, "source_kind": source_kind, "source_ref": _text(source_ref, "source_ref", 120),
        "shipping_country": country, "shipping_address": _text(shipping_address, "shipping_address", 500),
    }  # fmt: skip


def cart_create(
    *,
    actor: Actor,
    channel: str = Channel.WEB,
    client_name: str = "",
    client_email: str = "",
    client_phone: str = "",
    associate=None,
    source_kind: str = "",
    source_ref: str = "",
    shipping_country: str = "",
    shipping_address: str = "",
) -> Cart:
    """A cart in one channel, with the client and what led to it (attribution)."""
    actor.require(SELL)
    fields = _attribution(
        actor, channel=channel, client_name=client_name, client_email=client_email, client_phone=client_phone,
        associate=associate, source_kind=source_kind, source_ref=source_ref, shipping_country=shipping_country,
        shipping_address=shipping_address,
    )  # fmt: skip
    return Cart.objects.create(
        boutique=actor.boutique, currency=actor.boutique.currency, created_by_id=actor.user_id, **fields
    )


def cart_update(*, actor: Actor, cart: Cart, **changes) -> Cart:
    """Change the client, the attribution or the destination of an open cart (e.g. the associate
    finds the client after scanning the items). Only the fields given change."""
    actor.require(SELL)
    _same_boutique(actor, cart)
    allowed = {"channel", "client_name", "client_email", "client_phone", "associate", "source_kind", "source_ref",
               "shipping_country", "shipping_address"}  # fmt: skip
    where = {name: changes.pop(name) for name in ("shipping_latitude", "shipping_longitude") if name in changes}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"Cannot change {', '.join(sorted(unknown))}.", code="invalid_field")
    for name, value in where.items():
        limit = 90 if name == "shipping_latitude" else 180
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > limit):
            raise InvalidInput(f"{name} must be a number from -{limit} to {limit}.", code="invalid_coordinates")
    with transaction.atomic():
        locked = _open_cart_locked(cart)
        current = {name: getattr(locked, name) for name in allowed}
        fields = _attribution(actor, **{**current, **changes})
        Cart.objects.filter(pk=cart.pk).update(
            **{k: v for k, v in fields.items() if k != "associate"}, associate=fields["associate"], **where,
            updated_at=timezone.now(),
        )  # fmt: skip
    return access_cart(actor, cart.pk)


def _open_cart_locked(cart: Cart) -> Cart:
    locked = Cart.objects.select_for_update().get(pk=cart.pk)
    if locked.status != Cart.Status.OPEN:
        raise CartClosed()
    return locked


def cart_line_set(
    *, actor: Actor, cart: Cart, variant: Variant, quantity: int, fulfilment: str = Fulfilment.SHIP,
    location: Location | None = None,
) -> Cart:  # fmt: skip
    """Set the quantity of one (variant, fulfilment, location) line; 0 removes it."""
    actor.require(SELL)
    _same_boutique(actor, cart, variant, location)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(f"quantity must be between 0 and {MAX_QUANTITY}.", code="invalid_quantity")
    if fulfilment not in Fulfilment.values:
        raise InvalidInput(f"Unknown fulfilment '{fulfilment}'.", code="invalid_fulfilment")
    if fulfilment == Fulfilment.SHIP:
        location = None
    elif location is None:
        raise InvalidInput(f"A {fulfilment} line needs a location.", code="location_required")
    elif not location.is_active:
        raise InvalidInput(f"{location.name} is closed.", code="location_inactive")
    elif fulfilment == Fulfilment.PICKUP and not location.offers_pickup:
        raise InvalidInput(f"{location.name} does not offer click & collect.", code="pickup_unavailable")
    # A draft may be sold by an associate (new in, not online yet); an archived product may not.
    if not variant.is_active or variant.product.status == "archived":
        raise InvalidInput(f"{variant.sku} is not for sale.", code="variant_unavailable")
    if variant.currency != cart.currency:
        raise CurrencyMismatch(f"{variant.sku} is priced in {variant.currency}, the cart in {cart.currency}.")
    with transaction.atomic():
        _open_cart_locked(cart)
        line = CartLine.objects.filter(
            cart=cart, variant=variant, fulfilment=fulfilment, location=location
        ).first()
        if quantity == 0:
            if line is not None:
                line.delete()  # a client hold it came from stays as it was
        elif line is not None:
            if line.hold_id and quantity < line.hold.quantity:
                raise InvalidInput(
                    f"{line.hold.quantity} of these are put aside for the client: release the hold to sell fewer.",
                    code="below_hold",
                )  # fmt: skip
            CartLine.objects.filter(pk=line.pk).update(quantity=quantity)
        else:
            if CartLine.objects.filter(cart=cart).count() >= MAX_LINES:
                raise InvalidInput(f"A cart has at most {MAX_LINES} lines.", code="too_many_lines")
            CartLine.objects.create(cart=cart, variant=variant, quantity=quantity, fulfilment=fulfilment,
                                    location=location)  # fmt: skip
        Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
    return access_cart(actor, cart.pk)


def cart_hold_add(*, actor: Actor, cart: Cart, hold: Hold) -> Cart:
    """Put units a client already has aside (a "put it aside for you" hold) in her cart: collected
    at the hold's shop (or sent from it), and kept by that same hold until checkout turns it into
    the order's allocation — the units are never back on sale in between."""
    actor.require(SELL)
    _same_boutique(actor, cart, hold)
    now = timezone.now()
    if hold.status != Hold.Status.ACTIVE or (hold.expires_at is not None and hold.expires_at <= now):
        raise Conflict("This hold has ended; hold the piece again.", code="hold_not_active")
    if hold.kind not in (Hold.Kind.CLIENT, Hold.Kind.CART):
        raise InvalidInput("Only a client's or a cart's hold can go into a cart.", code="invalid_hold_kind")
    fulfilment = Fulfilment.PICKUP if hold.location.offers_pickup else Fulfilment.SHIP_FROM
    with transaction.atomic():
        _open_cart_locked(cart)
        if CartLine.objects.filter(hold=hold).exclude(cart=cart).filter(cart__status=Cart.Status.OPEN).exists():
            raise Conflict("This hold is already in another open cart.", code="hold_in_cart")
        line = CartLine.objects.filter(cart=cart, variant=hold.variant, fulfilment=fulfilment,
                                       location=hold.location).first()  # fmt: skip
        if line is None:
            if CartLine.objects.filter(cart=cart).count() >= MAX_LINES:
                raise InvalidInput(f"A cart has at most {MAX_LINES} lines.", code="too_many_lines")
            CartLine.objects.create(cart=cart, variant=hold.variant, quantity=hold.quantity, fulfilment=fulfilment,
                                    location=hold.location, hold=hold)  # fmt: skip
        elif line.hold_id not in (None, hold.pk):
            raise Conflict("That line already comes from another hold.", code="line_has_hold")
        elif line.hold_id is None:
            CartLine.objects.filter(pk=line.pk).update(quantity=line.quantity + hold.quantity, hold=hold)
        Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
    return access_cart(actor, cart.pk)


def order_from_holds(
    *, actor: Actor, holds: list[Hold], channel: str = Channel.SHOP, client_email: str = "", client_phone: str = "",
    idempotency_key: str | None = None, payment_due_at: datetime | None = None,
) -> Order:  # fmt: skip
    """A client's holds become her order (she comes in to pay, or is sent a pay link): the units
    stay hers throughout, and the sale is credited to the associate who put them aside."""
    actor.require(SELL)
    if not holds:
        raise InvalidInput("Give the holds to turn into an order.", code="empty_hold")
    first = holds[0]
    contact = first.client_contact or ""
    email = client_email or (contact if "@" in contact else "")
    phone = client_phone or ("" if "@" in contact else contact)
    associate = first.created_by if first.created_by_id else None
    if associate is not None and not associate.memberships.filter(boutique=actor.boutique, is_active=True).exists():
        associate = None
    with transaction.atomic():
        cart = cart_create(
            actor=actor, channel=channel, client_name=first.client_name, client_email=email,
            client_phone=phone if phone.startswith("+") else "", associate=associate, source_kind=SourceKind.HOLD,
            source_ref=",".join(str(h.pk) for h in holds)[:120],
        )  # fmt: skip
        for hold in holds:
            cart_hold_add(actor=actor, cart=cart, hold=hold)
        return cart_checkout(actor=actor, cart=cart, idempotency_key=idempotency_key, payment_due_at=payment_due_at)


def cart_code_apply(*, actor: Actor, cart: Cart, code: str) -> Cart:
    """Apply a coupon code; refused now, with its reason, if it cannot be used on this cart."""
    actor.require(SELL)
    _same_boutique(actor, cart)
    text = _text(code, "code", 40).upper()
    coupon = coupon_check(boutique=actor.boutique, code_text=text, client_ref=cart.client_ref)
    breakdown = _price(cart, coupon=coupon)
    if breakdown.coupon_problem is not None:
        raise _coupon_error(breakdown.coupon_problem)
    with transaction.atomic():
        _open_cart_locked(cart)
        Cart.objects.filter(pk=cart.pk).update(code=coupon.code, updated_at=timezone.now())
    return access_cart(actor, cart.pk)


def cart_code_remove(*, actor: Actor, cart: Cart) -> Cart:
    actor.require(SELL)
    _same_boutique(actor, cart)
    with transaction.atomic():
        _open_cart_locked(cart)
        Cart.objects.filter(pk=cart.pk).update(code="", updated_at=timezone.now())
    return access_cart(actor, cart.pk)


def _coupon_error(problem: PricingProblem) -> CouponError | CurrencyMismatch:
    if problem.code == "currency_mismatch":
        return CurrencyMismatch(problem.message)
    return CouponError(problem.message, code=problem.code)


def _lines(cart: Cart) -> list[CartLine]:
    return list(
        CartLine.objects.filter(cart=cart)
        .select_related("variant__product__category", "location", "hold__location", "hold__variant")
        .order_by("id")
    )


def _price(cart: Cart, *, coupon: Code | None, lines: list[CartLine] | None = None) -> PriceBreakdown:
    boutique = cart.boutique
    lines = _lines(cart) if lines is None else lines
    request = PriceRequest(
        currency=cart.currency,
        channel=cart.channel,
        lines=tuple(
            PriceLine(
                key=str(line.pk),
                product_id=line.variant.product_id,
                category_path=line.variant.product.category.path if line.variant.product.category else "",
                unit_price=line.variant.price,
                quantity=line.quantity,
                currency=line.variant.currency,
                weight_grams=line.variant.weight_grams,
                shipped=line.fulfilment != Fulfilment.PICKUP,
            )  # fmt: skip
            for line in lines
        ),
        prices_include_tax=boutique.prices_include_tax,
        tax_rate_bp=boutique.tax_rate_bp,
        automatic=tuple(
            promotion_of(c) for c in automatic_campaigns(boutique=boutique, client_ref=cart.client_ref)
        ),
        coupon=promotion_of(coupon.campaign, coupon) if coupon is not None else None,
        shipping_rates=tuple(
            ShippingRate(
                tuple(r.countries), r.price, r.free_above, tuple(tuple(b) for b in r.weight_brackets)
            )
            for r in shipping_rules(boutique=boutique)
        ),
        country=cart.shipping_country,
    )
    return price(request)


def cart_price(*, actor: Actor, cart: Cart) -> PriceBreakdown:
    """What the cart costs now. A stored code that no longer applies is left out, with the reason
    in `coupon_problem` (checkout refuses it)."""
    actor.require(SELL)
    _same_boutique(actor, cart)
    breakdown, _ = _price_with_code(cart)
    return breakdown


def _price_with_code(cart: Cart, lines: list[CartLine] | None = None) -> tuple[PriceBreakdown, Code | None]:
    coupon, problem = None, None
    if cart.code:
        try:
            coupon = coupon_check(boutique=cart.boutique, code_text=cart.code, client_ref=cart.client_ref)
        except CouponError as error:
            problem = PricingProblem(error.code, error.message)
    breakdown = _price(cart, coupon=coupon, lines=lines)
    if problem is not None:
        breakdown.coupon_problem = problem
    if breakdown.coupon_problem is not None:
        coupon = None
    return breakdown, coupon


@dataclass
class _Need:
    line: CartLine
    places: list[tuple[Location, int]]
    hold: Hold | None = None  # a client hold this line's units already sit in (converted, not re-taken)


def _allocation_plan(cart: Cart, lines: list[CartLine]) -> list[_Need]:
    """Where each line's units come from: pickup and ship-from lines at their location; ship lines
    by Location.priority among locations that ship and feed online, split when one is short. One
    InsufficientStock lists every short line."""
    variants = list({line.variant_id: line.variant for line in lines}.values())
    availability = availability_for_variants(boutique=cart.boutique, variants=variants)
    free: dict[tuple[int, int], int] = {}
    locations: dict[int, Location] = {}
    for variant_id, entry in availability.items():
        for la in entry.locations:
            free[(variant_id, la.location.pk)] = la.available
            locations[la.location.pk] = la.location
    shippers = sorted(
        (loc for loc in locations.values() if loc.fulfils_online and loc.feeds_online),
        key=lambda loc: (loc.priority, loc.pk),
    )
    plan, short = [], []
    # Lines bound to a location first (the pickup shop is filled first), then routed ship lines.
    ordered = sorted(lines, key=lambda line: (line.fulfilment == Fulfilment.SHIP, line.pk))
    now = timezone.now()
    for line in ordered:
        need = _Need(line, [])
        if line.location is not None:
            candidates = [line.location]
        else:
            candidates = route(
                cart.boutique.routing_rule, shippers,
                free={loc.pk: free.get((line.variant_id, loc.pk), 0) for loc in shippers},
                country=cart.shipping_country, address=cart.shipping_address, lat=cart.shipping_latitude,
                lon=cart.shipping_longitude,
            )  # fmt: skip
        remaining = line.quantity
        hold = line.hold
        if hold is not None and hold.status == Hold.Status.ACTIVE and (hold.expires_at is None or hold.expires_at > now):
            need.hold = hold
            remaining -= min(hold.quantity, remaining)
        for loc in candidates:
            take = min(remaining, free.get((line.variant_id, loc.pk), 0))
            if take > 0:
                need.places.append((loc, take))
                free[(line.variant_id, loc.pk)] -= take
                remaining -= take
            if remaining == 0:
                break
        if remaining:
            short.append({
                "sku": line.variant.sku, "fulfilment": line.fulfilment,
                "location": line.location.code if line.location else None, "requested": line.quantity,
                "available": line.quantity - remaining,
            })  # fmt: skip
        plan.append(need)
    if short:
        names = ", ".join(f"{s['sku']} ({s['available']} of {s['requested']} available)" for s in short)
        raise InsufficientStock(f"Not enough stock: {names}.", details={"lines": short})
    return plan


def _holds_take(
    actor: Actor, cart: Cart, order: Order, plan: list[_Need]
) -> dict[int, list[tuple[Location, Hold]]]:
    hold_lines = [
        inventory.HoldLine(location, need.line.variant, quantity)
        for need in plan
        for location, quantity in need.places
    ]
    holds = inventory.holds_place(
        actor=actor, lines=hold_lines, kind=Hold.Kind.ORDER, client_name=cart.client_name[:120],
        client_contact=(cart.client_email or cart.client_phone)[:120], owner_ref=f"order:{order.pk}",
        note=f"{cart.channel} order {order.pk}",
    ) if hold_lines else []  # fmt: skip
    # holds_place returns them in stock-row order: match each back by (location, variant), in order.
    by_key: dict[tuple[int, int], deque[Hold]] = defaultdict(deque)
    for hold in holds:
        by_key[(hold.location_id, hold.variant_id)].append(hold)
    taken: dict[int, list[tuple[Location, Hold]]] = defaultdict(list)
    for need in plan:
        if need.hold is not None:
            converted = inventory.hold_convert(actor=actor, hold=need.hold, kind=Hold.Kind.ORDER,
                                               owner_ref=f"order:{order.pk}", note=f"{cart.channel} order {order.pk}")  # fmt: skip
            taken[need.line.pk].append((converted.location, converted))
        for location, _ in need.places:
            taken[need.line.pk].append((location, by_key[(location.pk, need.line.variant_id)].popleft()))
    return taken


def cart_checkout(
    *, actor: Actor, cart: Cart, idempotency_key: str | None = None, payment_due_at: datetime | None = None,
    shelf_override: bool = False,
) -> Order:
    """Turn the cart into an order: re-price, count the coupon, take allocation holds (all lines or
    none) and snapshot the lines, in one transaction. Idempotent: a cart (or a key) that already
    made an order returns that order, with one set of holds and one redemption. An order still
    unpaid at `payment_due_at` is cancelled by the payments sweep (its units go back).

    `shelf_override` (a manager, `inventory.adjust`): the piece is on the shop's shelf although the
    system says it is gone. The missing units of lines at a shop are first recorded as a count
    adjustment in the ledger, with the manager's name, then sold: visible, never negative stock."""
    actor.require(SELL)
    _same_boutique(actor, cart)
    if shelf_override:
        actor.require("inventory.adjust")
    key = _text(idempotency_key or "", "idempotency_key", 80)
    try:
        return _checkout(actor, cart, key, payment_due_at, shelf_override)
    except IntegrityError:
        # A concurrent checkout with the same key won the unique constraint: return its order.
        existing = _existing_order(cart, key)
        if existing is None:
            raise
        return existing


def _existing_order(cart: Cart, key: str) -> Order | None:
    order = Order.objects.filter(cart=cart).first()
    if order is None and key:
        order = Order.objects.filter(boutique_id=cart.boutique_id, idempotency_key=key).first()
        if order is not None and order.cart_id != cart.pk:
            raise Conflict("This idempotency key was used for another cart.", code="idempotency_key_reused")
    return order


def _shelf_found(actor: Actor, cart: Cart, short: list[dict], lines: list[CartLine]) -> None:
    """Record the units a manager found on the shelf (a count adjustment per short shop line)."""
    by_key = {(line.variant.sku, line.location.code if line.location else None): line for line in lines}
    for entry in short:
        line = by_key.get((entry["sku"], entry["location"]))
        if line is None or line.location is None or not line.location.sells_in_person:
            raise InsufficientStock(
                f"{entry['sku']} is short where no shelf can be checked; it cannot be overridden.",
                details={"lines": short},
            )  # fmt: skip
        inventory.stock_adjust(
            actor=actor, location=line.location, variant=line.variant, delta=entry["requested"] - entry["available"],
            reason=f"found on the shelf at a sale, confirmed by {actor.label}"[:200],
        )  # fmt: skip


def _checkout(actor: Actor, cart: Cart, key: str, payment_due_at: datetime | None, shelf_override: bool = False) -> Order:
    with transaction.atomic():
        # The cart row lock serialises checkouts of one cart (SQLite: the IMMEDIATE transaction does).
        # Only the cart's row: locking the joined boutique row too serialised every checkout of the
        # boutique and deadlocked against holds, whose deferred foreign-key checks take a key-share
        # lock on the boutique at commit while they hold a stock row (live/tests/test_concurrency.py).
        locked = Cart.objects.select_for_update(of=("self",)).select_related("boutique").get(pk=cart.pk)
        existing = _existing_order(locked, key)
        if existing is not None:
            return existing
        if locked.status != Cart.Status.OPEN:
            raise CartClosed()
        lines = _lines(locked)
        if not lines:
            raise InvalidInput("The cart is empty.", code="empty_cart")
        breakdown, coupon = _price_with_code(locked, lines)
        if breakdown.coupon_problem is not None:
            raise _coupon_error(breakdown.coupon_problem)
        if breakdown.shipping_problem is not None:
            raise ShippingUnavailable(breakdown.shipping_problem.message)
        try:
            plan = _allocation_plan(locked, lines)
        except InsufficientStock as short:
            if not shelf_override:
                raise
            _shelf_found(actor, locked, short.details["lines"], lines)
            plan = _allocation_plan(locked, lines)
        client_id = client_link.client_for(
            boutique=locked.boutique, email=locked.client_email, phone=locked.client_phone, name=locked.client_name,
            channel=locked.channel, actor_label=actor.label,
        )  # fmt: skip
        order = Order.objects.create(
            boutique_id=locked.boutique_id, cart=locked, idempotency_key=key, currency=locked.currency,
            client_id=client_id,
            channel=locked.channel, associate_id=locked.associate_id, source_kind=locked.source_kind,
            source_ref=locked.source_ref, client_name=locked.client_name, client_email=locked.client_email,
            client_phone=locked.client_phone, client_ref=locked.client_ref,
            shipping_country=locked.shipping_country, shipping_address=locked.shipping_address,
            prices_include_tax=locked.boutique.prices_include_tax, tax_rate_bp=locked.boutique.tax_rate_bp,
            subtotal=breakdown.subtotal, discount=breakdown.discount, shipping=breakdown.shipping, tax=breakdown.tax,
            total=breakdown.total, code=coupon.code if coupon else "",
            promotions=[{"id": p.id, "name": p.name, "kind": p.kind, "code": p.code, "amount": p.amount}
                        for p in breakdown.promotions],
            created_by_id=actor.user_id, created_by_label=actor.label[:120], payment_due_at=payment_due_at,
        )  # fmt: skip
        # Counters before stock rows (the lock order); a limit reached rolls everything back.
        campaigns = {c.pk: c for c in Campaign.objects.filter(pk__in=[p.id for p in breakdown.promotions])}
        for applied in sorted(breakdown.promotions, key=lambda p: p.id):
            code = coupon if coupon is not None and applied.id == coupon.campaign_id else None
            redemption_record(order=order, campaign=campaigns[applied.id], code=code, amount=applied.amount)
        try:
            taken = _holds_take(actor, locked, order, plan)
        except InsufficientStock:
            # Someone took units between our read and the holds: plan once more from fresh numbers.
            plan = _allocation_plan(locked, lines)
            taken = _holds_take(actor, locked, order, plan)
        priced = {line.key: line for line in breakdown.lines}
        for line in lines:
            p = priced[str(line.pk)]
            variant = line.variant
            order_line = OrderLine.objects.create(
                order=order, variant=variant, sku=variant.sku, title=variant.product.title,
                variant_label=variant.label[:200], quantity=line.quantity, fulfilment=line.fulfilment,
                location=line.location, unit_price=p.unit_price, discount=p.discount, tax=p.tax, total=p.total,
            )  # fmt: skip
            OrderAllocation.objects.bulk_create(
                OrderAllocation(line=order_line, location=location, hold=hold, quantity=hold.quantity)
                for location, hold in taken[line.pk]
            )
        Cart.objects.filter(pk=locked.pk).update(status=Cart.Status.CHECKED_OUT, updated_at=timezone.now())
        client_link.order_placed(order, boutique=locked.boutique, lines=len(lines))
        hooks.emit("order.placed", order_id=order.pk)
    return access_order(actor, order.pk)


def order_cancel(*, actor: Actor, order: Order, reason: str = "") -> Order:
    """Cancel an order: its coupon uses are given back and its allocation holds released. Safe to
    call twice (a cancelled order is returned as it is). Refused while money is held for it (refund
    first: payments.order_refund_and_cancel) or once units have left (a return is the way back)."""
    actor.require(SELL)
    _same_boutique(actor, order)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status == Order.Status.PLACED:
            if locked.amount_paid - locked.amount_refunded > 0:
                raise OrderPaid()
            if order_handed_over(locked):
                raise OrderFulfilled()
        if not Order.objects.filter(pk=order.pk, status=Order.Status.PLACED).update(
            status=Order.Status.CANCELLED, cancelled_at=timezone.now()
        ):
            return access_order(actor, order.pk)
        redemptions_release(order=order)  # counters before stock rows, as at checkout
        holds = (
            Hold.objects.filter(
                pk__in=OrderAllocation.objects.filter(line__order=order).values("hold_id"),
                status=Hold.Status.ACTIVE,
            )
            .select_related("variant", "stock")
            .order_by("stock_id", "pk")
        )
        for hold in holds:
            inventory.hold_release(
                actor=actor, hold=hold, reason=_text(reason, "reason", 200) or "order cancelled"
            )
        client_link.order_cancelled(locked)
        hooks.emit("order.cancelled", order_id=order.pk)
    return access_order(actor, order.pk)


def order_payment_due_set(*, order_id: int, payment_due_at: datetime | None) -> None:
    """When an unpaid order gives its units back (a pay link sent for it lasts until it expires)."""
    Order.objects.filter(pk=order_id).update(payment_due_at=payment_due_at)


def order_payments_set(*, order_id: int, paid: int, refunded: int) -> Order:
    """Record what payments captured and refunded for an order (payments calls this, inside its own
    transaction, with its sums) and derive the payment status. Emits "order.paid" the first time
    the order is paid in full."""
    if paid < 0 or not 0 <= refunded <= paid:
        raise InvalidInput("Refunds cannot exceed what was paid.", code="invalid_amount")
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        net = paid - refunded
        if net >= order.total and (paid > 0 or order.total == 0):
            status = Order.PaymentStatus.PAID
        elif net > 0:
            status = Order.PaymentStatus.PARTIALLY_REFUNDED if refunded else Order.PaymentStatus.PARTIALLY_PAID
        else:
            status = Order.PaymentStatus.REFUNDED if refunded else Order.PaymentStatus.UNPAID
        became_paid = status == Order.PaymentStatus.PAID and order.payment_status != Order.PaymentStatus.PAID
        refunded_now = refunded - order.amount_refunded
        Order.objects.filter(pk=order_id).update(amount_paid=paid, amount_refunded=refunded, payment_status=status)
        order.amount_paid, order.amount_refunded, order.payment_status = paid, refunded, status
        if became_paid:
            client_link.order_paid(order)
            hooks.emit("order.paid", order_id=order_id)
        if refunded_now > 0:
            client_link.order_refunded(order, amount=refunded_now, whole=status == Order.PaymentStatus.REFUNDED)
    return order


def shipping_rule_create(
    *, actor: Actor, name: str, countries: list[str], price: int, free_above: int | None = None,
    weight_brackets: list[tuple[int, int]] | None = None,
) -> ShippingRule:  # fmt: skip
    """A shipping zone of the boutique ("*" = the rest of the world), the same in every channel."""
    actor.require("catalog.edit")
    codes = sorted({c.strip().upper() if c.strip() != "*" else "*" for c in countries})
    if not codes or any(c != "*" and (len(c) != 2 or not c.isalpha()) for c in codes):
        raise InvalidInput("countries are ISO 3166-1 alpha-2 codes or '*'.", code="invalid_country")
    if price < 0 or (free_above is not None and free_above < 0):
        raise InvalidInput("Prices cannot be negative.", code="invalid_price")
    brackets = sorted((int(g), int(p)) for g, p in (weight_brackets or []))
    if any(g <= 0 or p < 0 for g, p in brackets):
        raise InvalidInput("A weight bracket is (max grams > 0, price ≥ 0).", code="invalid_bracket")
    return ShippingRule.objects.create(
        boutique=actor.boutique, name=_text(name, "name", 80) or "Shipping", countries=codes, price=price,
        free_above=free_above, weight_brackets=[list(b) for b in brackets],
    )  # fmt: skip


def redemption_count(*, campaign: Campaign) -> int:
    """Redeemed uses of a campaign (equals campaign.used; a check for tests and reconciliation)."""
    return Redemption.objects.filter(campaign=campaign, status=Redemption.Status.REDEEMED).count()
