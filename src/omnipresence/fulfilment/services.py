"""Writes of the fulfilment queue: fulfilments made when an order is placed, moved forward by
associates (pick, pack, ready, ship, collect), cancelled with their order, released when nobody
collects them.

Concurrency: every step locks the order row first (as `order_cancel` and `order_payments_set` do),
re-reads the fulfilment under that lock and then moves it with a conditional UPDATE from the states
it may leave, so a double click or two associates at once move it once; the second call gets the
fulfilment as the first left it. Stock rows are locked after (inside `hold_consume` /
`hold_release`, in stock-row order). Shipping and collecting consume the allocation holds: the
units leave the ledger as a sale, and only for an order paid in full.
"""

from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from omnipresence.core import hooks
from omnipresence.core.errors import InvalidInput
from omnipresence.core.validation import clean_text as _text
from omnipresence.core.validation import same_boutique as _same_boutique
from omnipresence.fulfilment import notify
from omnipresence.fulfilment.codes import code_hash, code_matches, code_new
from omnipresence.fulfilment.errors import (
    FulfilmentCancelled,
    FulfilmentClosed,
    NothingToHandOver,
    OrderUnpaid,
    PickupCodeLocked,
    PickupCodeWrong,
    PickupNotReady,
    StepBackwards,
    WrongMethod,
)
from omnipresence.fulfilment.models import Fulfilment, FulfilmentLine
from omnipresence.fulfilment.selectors import SELL, access_fulfilment, fulfilment_queryset
from omnipresence.inventory import services as inventory
from omnipresence.inventory.models import Hold
from omnipresence.orders.models import Fulfilment as LineFulfilment
from omnipresence.orders.models import Order, OrderAllocation
from omnipresence.stores.access import Actor, system_actor
from omnipresence.stores.models import Location

Status = Fulfilment.Status
Method = Fulfilment.Method
MAX_CODE_ATTEMPTS = 5
OVERRIDE = "inventory.adjust"  # managers and owners: collect without the client's code
BEFORE_HAND_OVER = (Status.TO_PICK, Status.PICKED, Status.PACKED)
FINISHED = (Status.SHIPPED, Status.COLLECTED, Status.RELEASED)


# ---------- Made with the order, cancelled with it ----------


def fulfilments_create_for_order(*, order_id: int) -> list[Fulfilment]:
    """The "order.placed" subscriber: one fulfilment per (location, method) of the order's
    allocations — pickup lines at their shop, ship and ship-from lines as a delivery from the
    location that holds the units. Idempotent: allocations already covered are skipped."""
    # Part of the checkout's transaction when called from it (no savepoint of its own: three
    # queries in all, one read and two inserts).
    with transaction.atomic(savepoint=False):
        allocations = list(
            OrderAllocation.objects.filter(line__order_id=order_id)
            .select_related("line__order", "fulfilment_line__fulfilment")
            .order_by("pk")
        )
        if not allocations:
            return []
        order = allocations[0].line.order
        fulfilments: dict[tuple[int, str], Fulfilment] = {}
        groups: dict[tuple[int, str], list[OrderAllocation]] = {}
        for allocation in allocations:
            existing = getattr(allocation, "fulfilment_line", None)
            if existing is not None:
                fulfilment = existing.fulfilment
                fulfilments[(fulfilment.location_id, fulfilment.method)] = fulfilment
                continue
            line = allocation.line
            if line.fulfilment == LineFulfilment.PICKUP:
                key = (line.location_id or allocation.location_id, Method.PICKUP)
            else:
                key = (allocation.location_id, Method.DELIVERY)
            groups.setdefault(key, []).append(allocation)
        new = [
            Fulfilment(
                boutique_id=order.boutique_id, order_id=order_id, location_id=location_id, method=method
            )
            for location_id, method in groups
            if (location_id, method) not in fulfilments
        ]
        if new:
            Fulfilment.objects.bulk_create(new)
            fulfilments.update({(f.location_id, f.method): f for f in new})
        if groups:
            FulfilmentLine.objects.bulk_create(
                FulfilmentLine(
                    boutique_id=order.boutique_id,
                    fulfilment=fulfilments[key],
                    order_line_id=allocation.line_id,
                    allocation=allocation,
                    quantity=allocation.quantity,
                )  # fmt: skip
                for key, members in groups.items()
                for allocation in members
            )
    return sorted(fulfilments.values(), key=lambda f: f.pk)


def fulfilment_cancel_for_order(*, order_id: int) -> int:
    """The "order.cancelled" subscriber (inside order_cancel, which released the holds): its open
    fulfilments become cancelled. Safe to run twice. Returns how many changed."""
    with transaction.atomic():
        return Fulfilment.objects.filter(order_id=order_id, status__in=Fulfilment.OPEN).update(
            status=Status.CANCELLED, cancelled_at=timezone.now()
        )


# ---------- The steps ----------


def _locked(actor: Actor, fulfilment: Fulfilment) -> Fulfilment:
    """The fulfilment as it is now, read under its order's row lock (with the order as locked)."""
    Order.objects.select_for_update().filter(pk=fulfilment.order_id).values_list("pk", flat=True).get()
    return fulfilment_queryset(boutique=actor.boutique).get(pk=fulfilment.pk)


def _already(current: Fulfilment, *, target: str, sources: tuple[str, ...], method: str | None) -> bool:
    """True if `current` is at `target` already (a repeat: nothing to do); raises if it cannot go
    there from where it is."""
    if current.status == Status.CANCELLED or current.order.status == Order.Status.CANCELLED:
        raise FulfilmentCancelled()
    if method is not None and current.method != method:
        raise WrongMethod(
            f"This step is for a {Method(method).label.lower()}, and this is a {current.get_method_display().lower()}.",
            details={"method": current.method},
        )
    if current.status == target:
        return True
    if current.status in sources:
        return False
    label = current.get_status_display().lower()
    if current.status in FINISHED:
        raise FulfilmentClosed(f"This fulfilment is {label}.", details={"status": current.status})
    raise StepBackwards(f"This fulfilment is already {label}.", details={"status": current.status})


def _move(actor: Actor, current: Fulfilment, *, step: str, sources: tuple[str, ...], **changes) -> datetime:
    """Move to the status named like the step, stamping when and by whom; only from `sources`."""
    step = Status(step).value
    now = timezone.now()
    moved = Fulfilment.objects.filter(pk=current.pk, status__in=sources).update(
        status=step, **{f"{step}_at": now, f"{step}_by_id": actor.user_id, f"{step}_by_label": actor.label[:120]},
        **changes,
    )  # fmt: skip
    if not moved:  # cannot happen under the order lock; refuse rather than stamp twice
        raise StepBackwards()
    current.status = step
    setattr(current, f"{step}_at", now)
    for field, value in changes.items():
        setattr(current, field, value)
    return now


def _require_paid(order: Order) -> None:
    if order.payment_status != Order.PaymentStatus.PAID:
        raise OrderUnpaid(
            f"Order #{order.pk} is {order.get_payment_status_display().lower()}: take the payment first.",
            details={"payment_status": order.payment_status, "balance": order.balance},
        )


def _consume(actor: Actor, current: Fulfilment) -> None:
    """The units leave: each allocation hold becomes a sale, stock rows in primary-key order."""
    holds = (
        Hold.objects.filter(pk__in=[line.allocation.hold_id for line in current.lines.all()])
        .select_related("stock", "variant")
        .order_by("stock_id", "pk")
    )
    for hold in holds:
        inventory.hold_consume(actor=actor, hold=hold, reference=f"order:{current.order_id}")


def _step(
    actor: Actor, fulfilment: Fulfilment, *, step: str, sources: tuple[str, ...], method: str | None = None
):
    actor.require(SELL)
    _same_boutique(actor, fulfilment)
    with transaction.atomic():
        current = _locked(actor, fulfilment)
        if not _already(current, target=step, sources=sources, method=method):
            _move(actor, current, step=step, sources=sources)
    return access_fulfilment(actor, fulfilment.pk)


def fulfilment_pick(*, actor: Actor, fulfilment: Fulfilment) -> Fulfilment:
    """The pieces are off the shelf."""
    return _step(actor, fulfilment, step=Status.PICKED, sources=(Status.TO_PICK,))


def fulfilment_pack(*, actor: Actor, fulfilment: Fulfilment) -> Fulfilment:
    """Wrapped (and, for a delivery, boxed): picking may be skipped."""
    return _step(actor, fulfilment, step=Status.PACKED, sources=(Status.TO_PICK, Status.PICKED))


def fulfilment_ready(*, actor: Actor, fulfilment: Fulfilment) -> tuple[Fulfilment, str | None]:
    """A pickup waits at the counter: a new pickup code is made and emailed to the client. The code
    is returned this once (None on a repeat) so it can also be given another way; only its hash is
    kept. No payment needed: clients often pay when they collect."""
    actor.require(SELL)
    _same_boutique(actor, fulfilment)
    sources = BEFORE_HAND_OVER
    code = None
    with transaction.atomic():
        current = _locked(actor, fulfilment)
        if not _already(current, target=Status.READY, sources=sources, method=Method.PICKUP):
            code = code_new()
            _move(actor, current, step=Status.READY, sources=sources,
                  pickup_code_hash=code_hash(current.pk, code), pickup_code_attempts=0)  # fmt: skip
            notify.pickup_ready(current, code)
    return access_fulfilment(actor, fulfilment.pk), code


def fulfilment_ship(
    *, actor: Actor, fulfilment: Fulfilment, carrier: str, tracking_code: str = ""
) -> Fulfilment:
    """The parcel leaves with a carrier (tracking code optional: a letter may have none). Consumes
    the holds; refused (nothing changed) unless the order is paid in full."""
    actor.require(SELL)
    _same_boutique(actor, fulfilment)
    carrier = _text(carrier, "carrier", 60)
    tracking_code = _text(tracking_code, "tracking_code", 120)
    if not carrier:
        raise InvalidInput(
            "Say which carrier takes the parcel.", code="carrier_required", details={"field": "carrier"}
        )
    sources = BEFORE_HAND_OVER
    with transaction.atomic():
        current = _locked(actor, fulfilment)
        if not _already(current, target=Status.SHIPPED, sources=sources, method=Method.DELIVERY):
            _require_paid(current.order)
            _move(actor, current, step=Status.SHIPPED, sources=sources, carrier=carrier,
                  tracking_code=tracking_code)  # fmt: skip
            _consume(actor, current)
            notify.shipped(current)
    return access_fulfilment(actor, fulfilment.pk)


def fulfilment_collect(
    *, actor: Actor, fulfilment: Fulfilment, code: str = "", manager_override: bool = False
) -> Fulfilment:
    """The client takes her pickup, showing her code. A wrong code is counted; after
    MAX_CODE_ATTEMPTS wrong ones the pickup is locked until a manager hands it over with
    `manager_override` (she checks the client otherwise; recorded as such), which also works before
    the pickup was made ready. Consumes the holds; refused unless the order is paid in full."""
    actor.require(SELL)
    _same_boutique(actor, fulfilment)
    if manager_override:
        actor.require(OVERRIDE)
    wrong_attempts = None
    with transaction.atomic():
        current = _locked(actor, fulfilment)
        if not _already(current, target=Status.COLLECTED, sources=Fulfilment.OPEN, method=Method.PICKUP):
            if not manager_override and current.status != Status.READY:
                raise PickupNotReady()
            _require_paid(current.order)
            if not manager_override:
                if current.pickup_code_attempts >= MAX_CODE_ATTEMPTS:
                    raise PickupCodeLocked()
                if not code_matches(current.pk, code, current.pickup_code_hash):
                    # Counted and committed, then refused below (outside the transaction).
                    Fulfilment.objects.filter(pk=current.pk).update(
                        pickup_code_attempts=F("pickup_code_attempts") + 1
                    )
                    wrong_attempts = current.pickup_code_attempts + 1
            if wrong_attempts is None:
                via = Fulfilment.CollectedVia.OVERRIDE if manager_override else Fulfilment.CollectedVia.CODE
                _move(actor, current, step=Status.COLLECTED, sources=Fulfilment.OPEN, collected_via=via)
                _consume(actor, current)
                notify.collected(current)
    if wrong_attempts is not None:
        left = MAX_CODE_ATTEMPTS - wrong_attempts
        if left:
            message = (
                f"That is not the pickup code of this order: {left} more {'try' if left == 1 else 'tries'}."
            )
        else:
            message = "That is not the pickup code of this order, and it was the last try: a manager must hand it over."
        raise PickupCodeWrong(message, details={"attempts_left": left})
    return access_fulfilment(actor, fulfilment.pk)


def fulfilment_hand_over(*, actor: Actor, order: Order, location: Location | None = None) -> list[Fulfilment]:
    """A shop-floor sale the client takes with her at once: every open pickup of the order (at
    `location`, if given) is collected without a code. Refused unless the order is paid in full;
    safe to repeat."""
    actor.require(SELL)
    _same_boutique(actor, order)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        pickups = fulfilment_queryset(boutique=actor.boutique).filter(order_id=order.pk, method=Method.PICKUP)
        if location is not None:
            pickups = pickups.filter(location=location)
        pickups = list(pickups)
        if not pickups:
            raise NothingToHandOver()
        if locked.status == Order.Status.CANCELLED:
            raise FulfilmentCancelled()
        waiting = [f for f in pickups if f.is_open]
        if waiting:
            _require_paid(locked)
        for current in waiting:
            _move(actor, current, step=Status.COLLECTED, sources=Fulfilment.OPEN,
                  collected_via=Fulfilment.CollectedVia.HAND_OVER)  # fmt: skip
            _consume(actor, current)
    return list(fulfilment_queryset(boutique=actor.boutique).filter(pk__in=[f.pk for f in pickups]))


# ---------- The sweep ----------


def fulfilments_release_uncollected(*, now: datetime | None = None, batch: int = 500) -> int:
    """Pickups ready for longer than settings.PICKUP_HOLD_DAYS go back: their holds are released
    (the units are for sale again), the status becomes released and the client is told. Each in its
    own transaction; safe to run twice or from two workers. Returns how many were released."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PICKUP_HOLD_DAYS)
    overdue = list(
        Fulfilment.objects.filter(status=Status.READY, ready_at__lte=cutoff)
        .order_by("ready_at", "pk")
        .values_list("pk", "order_id")[:batch]
    )
    released = 0
    for fulfilment_id, order_id in overdue:
        with transaction.atomic():
            Order.objects.select_for_update().filter(pk=order_id).values_list("pk", flat=True).get()
            if not Fulfilment.objects.filter(
                pk=fulfilment_id, status=Status.READY, ready_at__lte=cutoff
            ).update(status=Status.RELEASED, released_at=now):
                continue  # collected or released by someone else meanwhile
            current = Fulfilment.objects.select_related("boutique", "order", "location__boutique").get(
                pk=fulfilment_id
            )
            actor = system_actor(current.boutique)
            holds = (
                Hold.objects.filter(
                    pk__in=FulfilmentLine.objects.filter(fulfilment_id=fulfilment_id).values(
                        "allocation__hold_id"
                    ),
                    status=Hold.Status.ACTIVE,
                )
                .select_related("stock", "variant")
                .order_by("stock_id", "pk")
            )
            for hold in holds:
                inventory.hold_release(actor=actor, hold=hold, reason="pickup not collected")
            notify.released(current)
            value = sum(
                line.order_line.total * line.quantity // line.order_line.quantity
                for line in FulfilmentLine.objects.filter(fulfilment_id=fulfilment_id).select_related("order_line")
            )
            # Money taken for units she never collected goes back, after this commit (a provider call).
            transaction.on_commit(partial(
                hooks.emit, "pickup.released", order_id=order_id, fulfilment_id=fulfilment_id, amount=value,
            ))  # fmt: skip
            released += 1
    return released
