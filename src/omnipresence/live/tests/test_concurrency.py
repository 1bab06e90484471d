"""A drop, with real concurrent buyers (threads with their own connections) on PostgreSQL: 500
buyers over a pool of 32 clients for 20 units reserve exactly 20 and the winners' checkouts make
exactly 20 orders; a double-clicked checkout makes one order; one viewer's racing clicks make one
reservation."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from omnipresence.core.errors import InsufficientStock
from omnipresence.inventory import services as inventory
from omnipresence.inventory.models import Hold, Stock
from omnipresence.inventory.selectors import ledger_check
from omnipresence.live import shopping, viewers
from omnipresence.live.errors import AlreadyReserved
from omnipresence.live.models import LiveReservation
from omnipresence.orders.models import Order
from omnipresence.orders.tests.test_concurrency import run_clients

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
BUYERS, POOL, UNITS = 500, 32, 20


def drop_stock(world, variant, units: int) -> Stock:
    stock = Stock.objects.get(location=world["shop"], variant=variant)
    inventory.stock_receive(actor=world["actor"], location=world["shop"], variant=variant,
                            quantity=units - stock.on_hand, reason="the drop")  # fmt: skip
    return Stock.objects.get(pk=stock.pk)


def in_pool(count: int, work) -> tuple[list, list[BaseException]]:
    """work(i) for i in range(count) over POOL threads started together, each with its own
    connection (closed at the end of each task)."""
    start = threading.Barrier(POOL)
    escaped: list[BaseException] = []

    def task(index: int):
        try:
            return work(index)
        except BaseException as exc:
            escaped.append(exc)
            return None
        finally:
            connections.close_all()

    def warm(_):
        connections["default"].ensure_connection()
        start.wait(timeout=60)
        connections.close_all()

    with ThreadPoolExecutor(POOL) as pool:
        list(pool.map(warm, range(POOL)))  # every thread exists before the first buyer
        results = list(pool.map(task, range(count)))
    return results, escaped


def test_500_buyers_for_20_units_reserve_exactly_20_and_the_winners_check_out_at_once(world_a, live_event):
    variant = world_a["variants"][0]
    stock = drop_stock(world_a, variant, UNITS)
    keys = [viewers.viewer_token_new(event_id=live_event.pk)[0] for _ in range(BUYERS)]

    def buy(index):
        # Reservations and checkouts interleave, as in a real drop (this deadlocked while checkout
        # locked the boutique row: orders.services._checkout).
        try:
            reservation = shopping.reservation_place(event=live_event, viewer_key=keys[index], variant=variant)
        except InsufficientStock:
            return "sold_out"
        order = shopping.reservation_checkout(event=live_event, reservation=reservation, client_name="Buyer",
                                              client_email=f"buyer{index}@example.com")  # fmt: skip
        return order.pk

    results, escaped = in_pool(BUYERS, buy)

    assert escaped == []
    orders = [r for r in results if r != "sold_out"]
    assert (len(orders), results.count("sold_out")) == (UNITS, BUYERS - UNITS)
    assert set(Order.objects.filter(channel="live", source_ref=str(live_event.pk)).values_list("pk", flat=True)) == set(orders)
    stock.refresh_from_db()
    assert (stock.on_hand, stock.held) == (UNITS, UNITS)
    assert Hold.objects.filter(stock=stock, kind="order", status="active").count() == UNITS
    assert not Hold.objects.filter(stock=stock, kind__in=["live", "cart"], status="active").exists()
    assert LiveReservation.objects.filter(event=live_event, status="ordered").count() == UNITS
    assert ledger_check() == []


def test_double_clicked_checkouts_make_one_order_each(world_a, live_event):
    variant = world_a["variants"][2]
    drop_stock(world_a, variant, 8)
    reservations = [
        shopping.reservation_place(event=live_event, viewer_key=viewers.viewer_token_new(event_id=live_event.pk)[0],
                                   variant=variant)
        for _ in range(8)
    ]  # fmt: skip

    def checkout(index):
        return shopping.reservation_checkout(event=live_event, reservation=reservations[index // 2], client_name="Buyer",
                                             client_email=f"buyer{index // 2}@example.com").pk  # fmt: skip

    orders, escaped = run_clients(16, checkout)

    assert escaped == []
    assert all(orders[2 * i] == orders[2 * i + 1] for i in range(8)) and len(set(orders)) == 8
    assert Order.objects.filter(channel="live").count() == 8
    assert ledger_check() == []


def test_one_viewers_racing_clicks_make_one_reservation(world_a, live_event):
    variant = world_a["variants"][1]
    stock = drop_stock(world_a, variant, 10)
    key = viewers.viewer_token_new(event_id=live_event.pk)[0]

    def click(index):
        try:
            return shopping.reservation_place(event=live_event, viewer_key=key, variant=variant).pk
        except AlreadyReserved:
            return "already"

    results, escaped = run_clients(16, click)

    assert escaped == []
    assert results.count("already") == 15
    assert LiveReservation.objects.filter(viewer_key=key).count() == 1
    stock.refresh_from_db()
    assert stock.held == 1  # the losing clicks' holds were rolled back with them
    assert ledger_check() == []
