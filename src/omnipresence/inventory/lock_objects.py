"""Row-locking helpers. Stock rows are always locked before hold rows, and in primary-key order."""

from django.db.models import F
from django.utils import timezone

from omnipresence.inventory.models import Hold, Stock


def stocks_lock(stock_ids: list[int]) -> dict[int, Stock]:
    """Lock the given stock rows in primary-key order (a no-op on SQLite, whose IMMEDIATE
    transactions already serialise writers)."""
    rows = Stock.objects.select_for_update().filter(pk__in=sorted(set(stock_ids))).order_by("pk")
    return {row.pk: row for row in rows}


def expired_holds_release(stock_id: int) -> int:
    """Mark a stock's expired active holds as expired and give their units back. Call with the
    stock row locked (or inside an IMMEDIATE transaction). Returns the quantity freed."""
    now = timezone.now()
    expired = list(
        Hold.objects.filter(stock_id=stock_id, status=Hold.Status.ACTIVE, expires_at__lte=now).values_list(
            "id", "quantity"
        )
    )
    if not expired:
        return 0
    freed = sum(q for _, q in expired)
    Hold.objects.filter(pk__in=[i for i, _ in expired], status=Hold.Status.ACTIVE).update(
        status=Hold.Status.EXPIRED, ended_at=now
    )
    Stock.objects.filter(pk=stock_id).update(held=F("held") - freed)
    return freed


def units_reserve(stock_id: int, quantity: int) -> bool:
    """Move `quantity` from available to held if that many are available, in one conditional
    UPDATE (which is also the re-check under the row lock). Expired holds are swept once on a miss."""
    updated = Stock.objects.filter(pk=stock_id, on_hand__gte=F("held") + quantity).update(
        held=F("held") + quantity
    )
    if updated:
        return True
    stocks_lock([stock_id])
    if expired_holds_release(stock_id) == 0:
        return False
    return bool(
        Stock.objects.filter(pk=stock_id, on_hand__gte=F("held") + quantity).update(held=F("held") + quantity)
    )


def units_take(stock_id: int, quantity: int, *, respect_holds: bool) -> bool:
    """Take units off the shelf (sale, transfer out, write-off). With respect_holds, only units
    not held for anyone can go; without, anything on hand (a count or damage adjustment)."""
    floor = F("held") + quantity if respect_holds else quantity
    updated = Stock.objects.filter(pk=stock_id, on_hand__gte=floor).update(on_hand=F("on_hand") - quantity)
    if updated or not respect_holds:
        return bool(updated)
    stocks_lock([stock_id])
    if expired_holds_release(stock_id) == 0:
        return False
    return bool(
        Stock.objects.filter(pk=stock_id, on_hand__gte=F("held") + quantity).update(
            on_hand=F("on_hand") - quantity
        )
    )
