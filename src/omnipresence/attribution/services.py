"""Crediting orders: `credit_order` applies the rule (docs/attribution.md) and is idempotent —
run it again on the same order and state, the same one Credit row comes out."""

from datetime import timedelta

from django.db import transaction

from omnipresence.attribution.models import DEFAULT_WINDOWS, AttributionSettings, Credit, Via
from omnipresence.core.errors import InvalidInput
from omnipresence.stores.access import Actor

MANAGE = "attribution.view_all"
MAX_DAYS = 90

# The order's own source_kind → via (an order that names its associate).
SOURCE_VIA = {
    "associate": Via.SALE, "": Via.SALE, "hold": Via.HOLD, "share_link": Via.SHARE_LINK,
    "conversation": Via.CONVERSATION, "appointment": Via.APPOINTMENT, "live_event": Via.LIVE_EVENT,
}  # fmt: skip
# Timeline kinds that count as a touch → via.
TOUCH_VIA = {
    "share_viewed": Via.SHARE_LINK, "share_action": Via.SHARE_LINK, "share_sent": Via.SHARE_LINK,
    "message": Via.CONVERSATION, "appointment": Via.APPOINTMENT, "hold_placed": Via.HOLD,
    "pay_link_sent": Via.PAY_LINK,
}  # fmt: skip


def windows_of(boutique) -> dict[str, int]:
    row = AttributionSettings.objects.filter(boutique=boutique).first()
    return {**DEFAULT_WINDOWS, **(row.windows if row else {})}


def _windows_clean(windows) -> dict[str, int]:
    if not isinstance(windows, dict):
        raise InvalidInput("windows is an object of {via: days}.", code="invalid_windows")
    clean = {}
    for key, days in windows.items():
        if key not in DEFAULT_WINDOWS:
            raise InvalidInput(f"Unknown attribution window '{key}'.", code="invalid_windows",
                               details={"field": key})  # fmt: skip
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_DAYS:
            raise InvalidInput(f"The '{key}' window is a whole number of days from 0 to {MAX_DAYS}.",
                               code="invalid_windows", details={"field": key})  # fmt: skip
        clean[key] = days
    return clean


def attribution_settings_set(*, actor: Actor, windows: dict) -> dict[str, int]:
    """Change some windows (managers); the keys not given keep their value. Applies to orders
    credited from now on (existing credits are not recomputed)."""
    actor.require(MANAGE)
    clean = _windows_clean(windows)
    with transaction.atomic():
        row, _ = AttributionSettings.objects.select_for_update().get_or_create(boutique=actor.boutique)
        row.windows = {**row.windows, **clean}
        row.save(update_fields=["windows", "updated_at"])
    return windows_of(actor.boutique)


def _order_row(order_id: int):
    """The order with its pay link and its boutique's windows, in one query (the hook runs inside
    every checkout, so it stays small: this, the timeline when needed, and one upsert)."""
    from django.db.models import JSONField, OuterRef, Subquery

    from omnipresence.orders.models import Order
    from omnipresence.payments.models import PayLink

    links = PayLink.objects.filter(order_id=OuterRef("pk")).order_by("pk")
    return (
        Order.objects.filter(pk=order_id)
        .annotate(
            link_id=Subquery(links.values("pk")[:1]), link_by_id=Subquery(links.values("created_by_id")[:1]),
            custom_windows=Subquery(
                AttributionSettings.objects.filter(boutique_id=OuterRef("boutique_id")).values("windows")[:1],
                output_field=JSONField(),
            ),
        )
        .first()
    )  # fmt: skip


def _credited(order) -> tuple[int | None, str, str]:
    """(associate id, via, ref) for an order row from _order_row, by the rule."""
    from omnipresence.clients.models import TimelineEvent

    if order.associate_id:
        if order.link_id is not None:
            return order.associate_id, Via.PAY_LINK, f"pay_link:{order.link_id}"
        via = SOURCE_VIA.get(order.source_kind, Via.SALE)
        ref = (
            f"{order.source_kind or 'sale'}:{order.source_ref}"[:60]
            if order.source_ref
            else f"order:{order.pk}"
        )
        return order.associate_id, via, ref
    if order.link_id is not None and order.link_by_id:
        return order.link_by_id, Via.PAY_LINK, f"pay_link:{order.link_id}"
    if order.client_id:
        custom = order.custom_windows
        if isinstance(custom, str):  # a backend that hands a JSON subquery back as text
            import json

            custom = json.loads(custom)
        windows = {**DEFAULT_WINDOWS, **(custom or {})}
        placed = order.created_at
        oldest = placed - timedelta(days=max(windows.values(), default=0))
        touches = (
            TimelineEvent.objects.filter(
                client_id=order.client_id, associate__isnull=False, kind__in=list(TOUCH_VIA),
                occurred_at__lte=placed, occurred_at__gte=oldest,
            )
            .order_by("-occurred_at", "-id")
            .values_list("pk", "kind", "occurred_at", "associate_id")
        )  # fmt: skip
        for pk, kind, occurred_at, associate_id in touches:
            via = TOUCH_VIA[kind]
            if occurred_at >= placed - timedelta(days=windows.get(via, 0)):
                return associate_id, via, f"timeline:{pk}"
    return None, Via.UNASSISTED, ""


FIELDS = [
    "boutique",
    "associate",
    "via",
    "ref",
    "amount",
    "currency",
    "channel",
    "occurred_at",
    "voided",
    "updated_at",
]


def credit_order(order) -> Credit | None:
    """The one Credit of an order, created or brought up to date (idempotent: one upsert on the
    order's unique key). The order is read afresh, so a stale instance gives the same result."""
    from omnipresence.orders.models import Order

    row = _order_row(order.pk)
    if row is None:
        return None
    associate_id, via, ref = _credited(row)
    voided = row.status == Order.Status.CANCELLED
    credit = Credit(
        boutique_id=row.boutique_id, order_id=row.pk, associate_id=associate_id, via=via, ref=ref,
        amount=0 if voided else max(row.total - row.amount_refunded, 0), currency=row.currency,
        channel=row.channel, occurred_at=row.created_at, voided=voided,
    )  # fmt: skip
    Credit.objects.bulk_create([credit], update_conflicts=True, unique_fields=["order"], update_fields=FIELDS)
    return credit


def credit_order_id(*, order_id: int, **_ignored) -> None:
    """The hook for "order.placed", "order.paid" and "order.cancelled" (same transaction)."""
    from omnipresence.orders.models import Order

    credit_order(Order(pk=order_id))


def credits_backfill(*, boutique) -> int:
    """Credit every order of a boutique (idempotent); returns how many."""
    from omnipresence.orders.models import Order

    count = 0
    for order_id in (
        Order.objects.filter(boutique=boutique).order_by("pk").values_list("pk", flat=True).iterator()
    ):
        credit_order(Order(pk=order_id))
        count += 1
    return count
