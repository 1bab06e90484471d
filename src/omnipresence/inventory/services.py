"""Writes for the inventory: every change of on-hand is a ledger movement, every reservation a hold.

Concurrency: the guard for every decrement is a conditional UPDATE (`… WHERE on_hand >= held + n`),
which on PostgreSQL takes the row lock and re-evaluates the condition after waiting, and on SQLite
runs inside an IMMEDIATE transaction. Multi-row operations touch stock rows in primary-key order.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from omnipresence.catalog.models import Variant
from omnipresence.core.errors import Conflict, InsufficientStock, InvalidInput
from omnipresence.core.events import group_send_on_commit
from omnipresence.core.validation import same_boutique as _same_boutique
from omnipresence.inventory.lock_objects import (
    expired_holds_release,
    hold_insert_reserving,
    hold_insert_sweeping,
    stock_free_units,
    stocks_lock,
    units_take,
)
from omnipresence.inventory.models import (
    CycleCount,
    CycleCountLine,
    Hold,
    Movement,
    Stock,
    Transfer,
    TransferLine,
)
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Location

MAX_QUANTITY = 100_000
MAX_HOLD_DAYS = 30


def availability_group(boutique_id: int, product_id: int) -> str:
    return f"availability.{boutique_id}.{product_id}"


def _announce(boutique_id: int, product_ids: set[int]) -> None:
    for product_id in product_ids:
        group_send_on_commit(
            availability_group(boutique_id, product_id),
            {"type": "availability.changed", "product_id": product_id},
        )


def _quantity(value, *, allow_zero: bool = False, field: str = "quantity") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be a whole number.", code="invalid_quantity", details={"field": field})
    low = 0 if allow_zero else 1
    if not low <= value <= MAX_QUANTITY:
        raise InvalidInput(
            f"{field} must be between {low} and {MAX_QUANTITY}.", code="invalid_quantity", details={"field": field}
        )
    return value


def _stock_get_or_create(location: Location, variant: Variant) -> Stock:
    stock, _ = Stock.objects.get_or_create(
        location=location, variant=variant, defaults={"boutique_id": location.boutique_id}
    )
    return stock


def _record(actor: Actor, stock: Stock, kind: str, quantity: int, reason: str = "", reference: str = "") -> Movement:
    return Movement.objects.create(
        boutique_id=stock.boutique_id,
        stock=stock,
        location_id=stock.location_id,
        variant_id=stock.variant_id,
        kind=kind,
        quantity=quantity,
        reason=reason[:200],
        reference=reference[:80],
        actor_id=actor.user_id,
        actor_label=actor.label[:120],
    )


def _available_now(stock_id: int) -> int:
    from omnipresence.inventory.selectors import stock_available

    return stock_available(stock_id)


def _stock_in(actor: Actor, location: Location, variant: Variant, quantity: int, kind: str, reason: str,
              reference: str) -> Movement:  # fmt: skip
    _same_boutique(actor, location, variant)
    quantity = _quantity(quantity)
    with transaction.atomic():
        stock = _stock_get_or_create(location, variant)
        Stock.objects.filter(pk=stock.pk).update(on_hand=F("on_hand") + quantity)
        movement = _record(actor, stock, kind, quantity, reason, reference)
    _announce(actor.boutique.pk, {variant.product_id})
    return movement


def stock_receive(
    *, actor: Actor, location: Location, variant: Variant, quantity: int, reason: str = "", reference: str = ""
) -> Movement:
    """Goods in: a delivery (a client's return comes back through stock_return)."""
    actor.require("inventory.receive")
    return _stock_in(actor, location, variant, quantity, Movement.Kind.RECEIPT, reason, reference)


def stock_return(
    *, actor: Actor, location: Location, variant: Variant, quantity: int, reason: str = "", reference: str = ""
) -> Movement:
    """A client's return put back on sale at `location` (a Return movement in the ledger)."""
    actor.require("inventory.hold")  # whoever sells takes returns back
    return _stock_in(actor, location, variant, quantity, Movement.Kind.RETURN, reason, reference)


def stock_adjust(
    *, actor: Actor, location: Location, variant: Variant, delta: int, reason: str
) -> Movement:
    """A correction with a reason (damaged, found, theft). Never takes on-hand below zero."""
    actor.require("inventory.adjust")
    _same_boutique(actor, location, variant)
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0 or abs(delta) > MAX_QUANTITY:
        raise InvalidInput(
            f"delta must be a non-zero whole number between -{MAX_QUANTITY} and {MAX_QUANTITY}.",
            code="invalid_quantity",
        )
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("An adjustment needs a reason.", code="missing_reason")
    with transaction.atomic():
        stock = _stock_get_or_create(location, variant)
        if delta > 0:
            Stock.objects.filter(pk=stock.pk).update(on_hand=F("on_hand") + delta)
        elif not units_take(stock.pk, -delta, respect_holds=False):
            on_hand = Stock.objects.values_list("on_hand", flat=True).get(pk=stock.pk)
            raise InsufficientStock(
                f"Only {on_hand} on hand at {location.name}; cannot remove {-delta}.",
                details={"sku": variant.sku, "location": location.code, "on_hand": on_hand},
            )
        movement = _record(actor, stock, Movement.Kind.ADJUSTMENT, delta, reason)
    _announce(actor.boutique.pk, {variant.product_id})
    return movement


def _hold_expiry(kind: str, expires_at: datetime | None, ttl_minutes: int | None) -> datetime | None:
    now = timezone.now()
    if expires_at is not None:
        if timezone.is_naive(expires_at):
            raise InvalidInput("expires_at needs a time zone.", code="invalid_expiry")
        if expires_at <= now:
            raise InvalidInput("expires_at is in the past.", code="invalid_expiry")
        if expires_at > now + timedelta(days=MAX_HOLD_DAYS):
            raise InvalidInput(f"A hold lasts at most {MAX_HOLD_DAYS} days.", code="invalid_expiry")
        return expires_at
    if ttl_minutes is None:
        ttl_minutes = settings.HOLD_TTL_MINUTES.get(kind)
        if ttl_minutes is None:
            return None
    if isinstance(ttl_minutes, bool) or not isinstance(ttl_minutes, int) or not 1 <= ttl_minutes <= MAX_HOLD_DAYS * 1440:
        raise InvalidInput(f"A hold lasts between 1 minute and {MAX_HOLD_DAYS} days.", code="invalid_expiry")
    return now + timedelta(minutes=ttl_minutes)


@dataclass(frozen=True)
class HoldLine:
    location: Location
    variant: Variant
    quantity: int


def holds_place(
    *,
    actor: Actor,
    lines: list[HoldLine],
    kind: str = Hold.Kind.CLIENT,
    client_name: str = "",
    client_contact: str = "",
    owner_ref: str = "",
    note: str = "",
    expires_at: datetime | None = None,
    ttl_minutes: int | None = None,
) -> list[Hold]:
    """Hold every line or none: one error lists every short line."""
    actor.require("inventory.hold")
    if kind not in Hold.Kind.values:
        raise InvalidInput(f"Unknown hold kind '{kind}'.", code="invalid_hold_kind")
    if not lines:
        raise InvalidInput("Nothing to hold.", code="empty_hold")
    if len(lines) > 200:
        raise InvalidInput("At most 200 lines in one hold.", code="too_many_lines")
    for line in lines:
        _same_boutique(actor, line.location, line.variant)
        _quantity(line.quantity)
    for field, value, limit in (("client_name", client_name, 120), ("client_contact", client_contact, 120),
                                ("note", note, 500), ("owner_ref", owner_ref, 80)):  # fmt: skip
        if len(value or "") > limit:
            raise InvalidInput(f"{field} is longer than {limit} characters.", code="too_long")
    expiry = _hold_expiry(kind, expires_at, ttl_minutes)
    holds = [
        Hold(
            boutique_id=actor.boutique.pk,
            location_id=line.location.pk,
            variant_id=line.variant.pk,
            kind=kind,
            quantity=line.quantity,
            client_name=client_name.strip(),
            client_contact=client_contact.strip(),
            owner_ref=owner_ref,
            note=note.strip(),
            created_by_id=actor.user_id,
            created_by_label=actor.label[:120],
            expires_at=expiry,
        )
        for line in lines
    ]
    # The common case, one line: one statement on PostgreSQL and no transaction of ours around it, so
    # the hot row is locked only while the server runs it. A refusal reads without locking anything.
    tried = len(lines) == 1 and connection.vendor == "postgresql"
    if tried:
        line = lines[0]
        if hold_insert_reserving(holds[0]):
            _announce(actor.boutique.pk, {line.variant.product_id})
            return holds
        found = stock_free_units(location_id=line.location.pk, variant_id=line.variant.pk)
        if found is None or found[1] < line.quantity:
            raise _insufficient([_short(line, max(found[1], 0) if found else 0)])
        # Expired holds to give back, or units freed since the miss: the locked path below decides.
    stock_ids = dict(
        ((loc, var), pk)
        for pk, loc, var in Stock.objects.filter(
            variant_id__in={line.variant.pk for line in lines},
            location_id__in={line.location.pk for line in lines},
        ).values_list("pk", "location_id", "variant_id")
    )
    keyed = sorted(
        (
            (stock_ids.get((line.location.pk, line.variant.pk)), line, hold)
            for line, hold in zip(lines, holds, strict=True)
        ),
        key=lambda entry: entry[0] or 0,
    )
    with transaction.atomic():
        failed = [
            (stock_id, line)
            for stock_id, line, hold in keyed
            if stock_id is None or not hold_insert_sweeping(hold, stock_id=stock_id, tried=tried)
        ]
        if failed:
            # Report every short line with what is available; raising rolls all of it back.
            raise _insufficient(
                [_short(line, _available_now(stock_id) if stock_id else 0) for stock_id, line in failed]
            )
    _announce(actor.boutique.pk, {line.variant.product_id for line in lines})
    return [hold for _, _, hold in keyed]


def _short(line: HoldLine, available: int) -> dict:
    return {"sku": line.variant.sku, "location": line.location.code, "requested": line.quantity, "available": available}


def _insufficient(short: list[dict]) -> InsufficientStock:
    names = ", ".join(f"{s['sku']} at {s['location']} ({s['available']} available)" for s in short)
    return InsufficientStock(f"Not enough stock: {names}.", details={"lines": short})


def hold_place(
    *, actor: Actor, location: Location, variant: Variant, quantity: int, kind: str = Hold.Kind.CLIENT, **options
) -> Hold:
    """Put units aside. A hold at a shop takes them out of every channel's availability at once."""
    return holds_place(actor=actor, lines=[HoldLine(location, variant, quantity)], kind=kind, **options)[0]


def hold_release(*, actor: Actor, hold: Hold, reason: str = "") -> Hold:
    actor.require("inventory.hold")
    _same_boutique(actor, hold)
    now = timezone.now()
    with transaction.atomic():
        stocks_lock([hold.stock_id])
        ended = Hold.objects.filter(pk=hold.pk, status=Hold.Status.ACTIVE).update(
            status=Hold.Status.RELEASED, ended_at=now
        )
        if not ended:
            hold.refresh_from_db()
            raise Conflict(f"This hold is {hold.status}, not active.", code="hold_not_active")
        Stock.objects.filter(pk=hold.stock_id).update(held=F("held") - hold.quantity)
    hold.refresh_from_db()
    _announce(actor.boutique.pk, {hold.variant.product_id})
    return hold


def hold_extend(*, actor: Actor, hold: Hold, expires_at: datetime | None = None, ttl_minutes: int | None = None) -> Hold:
    actor.require("inventory.hold")
    _same_boutique(actor, hold)
    expiry = _hold_expiry(hold.kind, expires_at, ttl_minutes if expires_at is None else None)
    if expiry is None:
        raise InvalidInput("Give a new expiry (expires_at or ttl_minutes).", code="invalid_expiry")
    with transaction.atomic():
        stocks_lock([hold.stock_id])
        now = timezone.now()
        extended = (
            Hold.objects.filter(pk=hold.pk, status=Hold.Status.ACTIVE)
            .exclude(expires_at__lte=now)
            .update(expires_at=expiry)
        )
        if not extended:
            hold.refresh_from_db()
            state = "expired" if hold.status == Hold.Status.ACTIVE else hold.status
            raise Conflict(f"This hold is {state}; place a new one.", code="hold_not_active")
    hold.refresh_from_db()
    return hold


def hold_convert(*, actor: Actor, hold: Hold, kind: str, owner_ref: str, note: str = "") -> Hold:
    """Turn a live hold into another kind (a client's "put aside" becoming her order's allocation)
    without giving its units back for a moment: the same row, the counters untouched. The stock row
    is locked first, so the sweeper cannot expire it half-way."""
    actor.require("inventory.hold")
    _same_boutique(actor, hold)
    if kind not in Hold.Kind.values:
        raise InvalidInput(f"Unknown hold kind '{kind}'.", code="invalid_hold_kind")
    with transaction.atomic():
        stocks_lock([hold.stock_id])
        now = timezone.now()
        changed = (
            Hold.objects.filter(pk=hold.pk, status=Hold.Status.ACTIVE)
            .exclude(expires_at__lte=now)
            .update(kind=kind, owner_ref=owner_ref[:80], expires_at=_hold_expiry(kind, None, None),
                    note=(note or hold.note)[:500])  # fmt: skip
        )
        if not changed:
            hold.refresh_from_db()
            state = "expired" if hold.status == Hold.Status.ACTIVE else hold.status
            raise Conflict(f"The hold on {hold.variant.sku} is {state}.", code="hold_not_active",
                           details={"hold_id": hold.pk})  # fmt: skip
    hold.refresh_from_db()
    return hold


def hold_consume(*, actor: Actor, hold: Hold, reference: str = "") -> Movement:
    """Sell held units: the hold ends and on-hand drops by the same quantity, together."""
    actor.require("inventory.hold")
    _same_boutique(actor, hold)
    with transaction.atomic():
        stocks_lock([hold.stock_id])
        now = timezone.now()
        ended = (
            Hold.objects.filter(pk=hold.pk, status=Hold.Status.ACTIVE)
            .exclude(expires_at__lte=now)
            .update(status=Hold.Status.CONSUMED, ended_at=now)
        )
        if not ended:
            raise Conflict("This hold is no longer active.", code="hold_not_active")
        Stock.objects.filter(pk=hold.stock_id).update(
            held=F("held") - hold.quantity, on_hand=F("on_hand") - hold.quantity
        )
        movement = _record(actor, hold.stock, Movement.Kind.SALE, -hold.quantity, "sold from hold", reference)
    _announce(actor.boutique.pk, {hold.variant.product_id})
    return movement


def holds_sweep(*, batch: int = 500) -> int:
    """Expire holds whose time has passed and give their units back. Safe to run any time, twice."""
    now = timezone.now()
    stock_ids = list(
        Hold.objects.filter(status=Hold.Status.ACTIVE, expires_at__lte=now)
        .values_list("stock_id", flat=True)
        .distinct()[:batch]
    )
    freed = 0
    touched: dict[int, set[int]] = {}
    for stock_id in sorted(stock_ids):
        with transaction.atomic():
            locked = stocks_lock([stock_id])
            freed += expired_holds_release(stock_id)
            if stock_id in locked:
                stock = locked[stock_id]
                touched.setdefault(stock.boutique_id, set()).add(stock.variant.product_id)
    for boutique_id, product_ids in touched.items():
        _announce(boutique_id, product_ids)
    return freed


def stock_sell(*, actor: Actor, location: Location, variant: Variant, quantity: int, reference: str = "") -> Movement:
    """A sale off the shelf of units nobody holds."""
    actor.require("inventory.hold")
    _same_boutique(actor, location, variant)
    quantity = _quantity(quantity)
    with transaction.atomic():
        stock = Stock.objects.filter(location=location, variant=variant).first()
        if stock is None or not units_take(stock.pk, quantity, respect_holds=True):
            available = _available_now(stock.pk) if stock else 0
            raise InsufficientStock(
                f"Only {available} of {variant.sku} available at {location.name}.",
                details={"lines": [{"sku": variant.sku, "location": location.code, "requested": quantity, "available": available}]},
            )
        movement = _record(actor, stock, Movement.Kind.SALE, -quantity, "", reference)
    _announce(actor.boutique.pk, {variant.product_id})
    return movement


def transfer_create(
    *, actor: Actor, source: Location, destination: Location, lines: list[tuple[Variant, int]], note: str = ""
) -> Transfer:
    """Ship units from one location to another: they leave the source now and are in transit."""
    actor.require("inventory.transfer")
    _same_boutique(actor, source, destination)
    if source.pk == destination.pk:
        raise InvalidInput("A transfer needs two different locations.", code="same_location")
    if not lines:
        raise InvalidInput("A transfer needs at least one line.", code="empty_transfer")
    merged: dict[int, tuple[Variant, int]] = {}
    for variant, quantity in lines:
        _same_boutique(actor, variant)
        _quantity(quantity)
        previous = merged.get(variant.pk, (variant, 0))[1]
        merged[variant.pk] = (variant, previous + quantity)
    stocks = {s.variant_id: s for s in Stock.objects.filter(location=source, variant_id__in=merged)}
    ordered = sorted(merged.values(), key=lambda vq: stocks[vq[0].pk].pk if vq[0].pk in stocks else 0)
    with transaction.atomic():
        transfer = Transfer.objects.create(
            boutique=actor.boutique, source=source, destination=destination, note=note[:200],
            created_by_id=actor.user_id,
        )  # fmt: skip
        short = []
        for variant, quantity in ordered:
            stock = stocks.get(variant.pk)
            if stock is None or not units_take(stock.pk, quantity, respect_holds=True):
                short.append({"sku": variant.sku, "location": source.code, "requested": quantity,
                              "available": _available_now(stock.pk) if stock else 0})  # fmt: skip
                continue
            _record(actor, stock, Movement.Kind.TRANSFER_OUT, -quantity, f"to {destination.code}", f"transfer:{transfer.pk}")
            TransferLine.objects.create(transfer=transfer, variant=variant, quantity=quantity)
        if short:
            raise _insufficient(short)
    _announce(actor.boutique.pk, {variant.product_id for variant, _ in merged.values()})
    return transfer


def transfer_receive(*, actor: Actor, transfer: Transfer, received: dict[int, int] | None = None) -> Transfer:
    """Goods arrive at the destination. `received` maps variant id → quantity when some went missing."""
    actor.require("inventory.transfer")
    _same_boutique(actor, transfer)
    with transaction.atomic():
        locked = Transfer.objects.select_for_update().filter(pk=transfer.pk, status=Transfer.Status.IN_TRANSIT)
        if not locked.exists():
            raise Conflict("This transfer is not in transit.", code="transfer_not_in_transit")
        lines = list(transfer.lines.select_related("variant"))
        if received:
            unknown = set(received) - {line.variant_id for line in lines}
            if unknown:
                raise InvalidInput("Received lines must be lines of the transfer.", code="invalid_line")
        for line in lines:
            quantity = line.quantity if received is None else received.get(line.variant_id, 0)
            _quantity(quantity, allow_zero=True)
            if quantity > line.quantity:
                raise InvalidInput("Cannot receive more than was shipped.", code="invalid_quantity")
            line.received_quantity = quantity
            line.save(update_fields=["received_quantity"])
            if quantity:
                stock = _stock_get_or_create(transfer.destination, line.variant)
                Stock.objects.filter(pk=stock.pk).update(on_hand=F("on_hand") + quantity)
                _record(actor, stock, Movement.Kind.TRANSFER_IN, quantity, f"from {transfer.source.code}",
                        f"transfer:{transfer.pk}")  # fmt: skip
        Transfer.objects.filter(pk=transfer.pk).update(status=Transfer.Status.RECEIVED, received_at=timezone.now())
    transfer.refresh_from_db()
    _announce(actor.boutique.pk, {line.variant.product_id for line in lines})
    return transfer


def count_apply(
    *, actor: Actor, location: Location, counts: list[tuple[Variant, int]], note: str = ""
) -> CycleCount:
    """Record a shelf count; each difference becomes a `count` movement so the ledger still adds up."""
    actor.require("inventory.count")
    _same_boutique(actor, location)
    if not counts:
        raise InvalidInput("A count needs at least one line.", code="empty_count")
    seen: set[int] = set()
    for variant, counted in counts:
        _same_boutique(actor, variant)
        _quantity(counted, allow_zero=True, field="counted")
        if variant.pk in seen:
            raise InvalidInput(f"{variant.sku} is counted twice.", code="duplicate_line")
        seen.add(variant.pk)
    with transaction.atomic():
        stocks = [_stock_get_or_create(location, variant) for variant, _ in counts]
        locked = stocks_lock([s.pk for s in stocks])
        count = CycleCount.objects.create(boutique=actor.boutique, location=location, note=note[:200],
                                          created_by_id=actor.user_id)  # fmt: skip
        for stock, (variant, counted) in zip(stocks, counts, strict=True):
            expected = locked[stock.pk].on_hand
            CycleCountLine.objects.create(count=count, variant=variant, expected=expected, counted=counted)
            if counted != expected:
                _holds_fit(actor, stock, variant, location, counted)
                Stock.objects.filter(pk=stock.pk).update(on_hand=counted)
                _record(actor, stock, Movement.Kind.COUNT, counted - expected, "cycle count", f"count:{count.pk}")
    _announce(actor.boutique.pk, {variant.product_id for variant, _ in counts})
    return count


def _holds_fit(actor: Actor, stock: Stock, variant: Variant, location: Location, counted: int) -> None:
    """Fewer units on the shelf than are held: expired holds go first, then client, cart and live
    holds, newest first (each released with the count as its reason). Units promised to orders are
    never dropped silently: if they alone exceed the count, the count is refused with the orders."""
    expired_holds_release(stock.pk)
    held = Stock.objects.values_list("held", flat=True).get(pk=stock.pk)
    if held <= counted:
        return
    orders_held = list(
        Hold.objects.filter(stock=stock, status=Hold.Status.ACTIVE, kind=Hold.Kind.ORDER).values_list(
            "owner_ref", "quantity"
        )
    )
    if sum(q for _, q in orders_held) > counted:
        raise Conflict(
            f"Only {counted} of {variant.sku} counted at {location.name}, but "
            f"{sum(q for _, q in orders_held)} are allocated to orders ({', '.join(r for r, _ in orders_held)}): "
            "move or cancel those first.",
            code="count_below_orders", details={"sku": variant.sku, "orders": [r for r, _ in orders_held]},
        )  # fmt: skip
    now = timezone.now()
    for hold in Hold.objects.filter(stock=stock, status=Hold.Status.ACTIVE).exclude(kind=Hold.Kind.ORDER).order_by(
        "-created_at", "-pk"
    ):
        if held <= counted:
            break
        if Hold.objects.filter(pk=hold.pk, status=Hold.Status.ACTIVE).update(
            status=Hold.Status.RELEASED, ended_at=now, note=f"{hold.note} · released: only {counted} counted"[:500]
        ):
            Stock.objects.filter(pk=stock.pk).update(held=F("held") - hold.quantity)
            held -= hold.quantity
