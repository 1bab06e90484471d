"""Row-locking helpers. Stock rows are always locked before hold rows, and in primary-key order."""

from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
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


def stock_free_units(
    *, stock_id: int | None = None, location_id: int | None = None, variant_id: int | None = None
) -> tuple[int, int] | None:
    """(stock id, units free once expired holds are given back) of one stock row, by id or by
    (location, variant), read in one statement without a lock; None if there is no such row. With
    the held counter equal to the active holds (ledger_check), this is the availability reads show."""
    now = timezone.now()
    expired_units = (
        Hold.objects.filter(stock_id=OuterRef("pk"), status=Hold.Status.ACTIVE, expires_at__lte=now)
        .order_by()
        .values("stock_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    rows = (
        Stock.objects.filter(pk=stock_id)
        if stock_id is not None
        else Stock.objects.filter(location_id=location_id, variant_id=variant_id)
    )
    return (
        rows.annotate(
            free=F("on_hand")
            - F("held")
            + Coalesce(Subquery(expired_units, output_field=IntegerField()), Value(0))
        )
        .values_list("pk", "free")
        .first()
    )


def expired_holds_reclaim(stock_id: int, quantity: int) -> bool:
    """After a conditional UPDATE missed: is it worth trying again under the lock?

    Without a lock, look whether `quantity` units would be free once expired holds are given back.
    Usually not: the row is truly short, and a sold-out hot row is not locked by every refused
    request. If so (expired holds, or units freed since the miss), lock the row, release its
    expired holds and return True; the caller's retry under the lock is then the authoritative
    answer. Call inside a transaction."""
    found = stock_free_units(stock_id=stock_id)
    if found is None or found[1] < quantity:
        return False
    stocks_lock([stock_id])
    expired_holds_release(stock_id)
    return True


def hold_insert_reserving(hold: Hold, *, stock_id: int | None = None) -> bool:
    """Reserve `hold.quantity` units of its stock row and insert `hold`, or do nothing and return
    False if that many are not available (expired holds are not swept here: hold_insert_sweeping).

    The row is `stock_id`, or the hold's (location, variant) row when no id is given. On PostgreSQL
    this is one statement: the conditional UPDATE takes the row lock and re-checks availability
    after any wait, and the INSERT of the hold reads the updated row, so outside a transaction the
    lock lasts no client round trip at all (LESSONS 9). On SQLite it is an UPDATE and an INSERT, to
    run in the caller's IMMEDIATE transaction, which already serialises writers. Sets `hold.pk` and
    `hold.stock_id` on success."""
    db = connections[DEFAULT_DB_ALIAS]  # once: each use of the `connection` proxy is a lookup
    if db.vendor == "postgresql":
        sql = _reserve_and_insert_sql(by_id=stock_id is not None)
        key = [stock_id] if stock_id is not None else [hold.location_id, hold.variant_id]
        with db.cursor() as cursor:
            cursor.execute(sql, [hold.quantity, *key, hold.quantity, *_insert_values(hold, db)])
            row = cursor.fetchone()
        if row is None:
            return False
        hold.pk, hold.stock_id = row
    else:
        if stock_id is None:
            stock_id = (
                Stock.objects.filter(location_id=hold.location_id, variant_id=hold.variant_id)
                .values_list("pk", flat=True)
                .first()
            )
        if stock_id is None or not Stock.objects.filter(
            pk=stock_id, on_hand__gte=F("held") + hold.quantity
        ).update(held=F("held") + hold.quantity):
            return False
        hold.stock_id = stock_id
        hold.save(force_insert=True)
    hold._state.adding = False
    hold._state.db = db.alias
    return True


def hold_insert_sweeping(hold: Hold, *, stock_id: int, tried: bool = False) -> bool:
    """hold_insert_reserving, and on a miss reclaim the row's expired holds and try once more under
    the lock (see expired_holds_reclaim). Call inside a transaction. `tried` skips the first attempt
    when the caller has just made it."""
    if not tried and hold_insert_reserving(hold, stock_id=stock_id):
        return True
    if not expired_holds_reclaim(stock_id, hold.quantity):
        return False
    return hold_insert_reserving(hold, stock_id=stock_id)


def _insert_fields() -> list:
    return [f for f in Hold._meta.concrete_fields if not f.primary_key and f.attname != "stock_id"]


def _insert_values(hold: Hold, db) -> list:
    # What Django's insert compiler does: pre_save (auto_now_add) then the database form of each value.
    return [f.get_db_prep_save(f.pre_save(hold, add=True), db) for f in _insert_fields()]


@cache
def _reserve_and_insert_sql(*, by_id: bool) -> str:
    """PostgreSQL: reserve units and insert the hold in one statement (a data-modifying CTE).
    Only names from the models are interpolated; every value is a parameter."""
    q = connection.ops.quote_name
    stock, hold = Stock._meta, Hold._meta
    held, on_hand = q(stock.get_field("held").column), q(stock.get_field("on_hand").column)
    if by_id:
        where = f"{q(stock.pk.column)} = %s"
    else:
        where = (
            f"{q(stock.get_field('location').column)} = %s AND {q(stock.get_field('variant').column)} = %s"
        )
    fields = _insert_fields()
    columns = ", ".join(q(f.column) for f in [*fields, hold.get_field("stock")])
    # Casts, because client-side binding sends untyped literals into a SELECT list. Without a length
    # ("varchar", not "varchar(120)"): a cast would silently truncate, the INSERT raises instead.
    values = ", ".join(f"%s::{f.cast_db_type(connection).split('(')[0]}" for f in fields)
    return (
        f"WITH reserved AS (UPDATE {q(stock.db_table)} SET {held} = {held} + %s "  # noqa: S608
        f"WHERE {where} AND {on_hand} >= {held} + %s RETURNING {q(stock.pk.column)}) "
        f"INSERT INTO {q(hold.db_table)} ({columns}) SELECT {values}, reserved.{q(stock.pk.column)} "
        f"FROM reserved RETURNING {q(hold.pk.column)}, {q(hold.get_field('stock').column)}"
    )


def units_take(stock_id: int, quantity: int, *, respect_holds: bool) -> bool:
    """Take units off the shelf (sale, transfer out, write-off). With respect_holds, only units
    not held for anyone can go; without, anything on hand (a count or damage adjustment)."""
    floor = F("held") + quantity if respect_holds else quantity
    updated = Stock.objects.filter(pk=stock_id, on_hand__gte=floor).update(on_hand=F("on_hand") - quantity)
    if updated or not respect_holds:
        return bool(updated)
    if not expired_holds_reclaim(stock_id, quantity):
        return False
    return bool(
        Stock.objects.filter(pk=stock_id, on_hand__gte=F("held") + quantity).update(
            on_hand=F("on_hand") - quantity
        )
    )
