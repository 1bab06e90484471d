"""Many clients at once on one stock row: never oversell, never deadlock, never "database is locked".

Each client is a thread with its own database connection, released together by a barrier, going
through the service layer. The tests commit for real (transaction=True) so the threads see each
other's writes: on SQLite (a file, WAL, IMMEDIATE transactions) and on PostgreSQL (row locks).
"""

import random
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from omnipresence.core.errors import InsufficientStock
from omnipresence.inventory import services
from omnipresence.inventory.models import Hold, Movement, Stock, Transfer
from omnipresence.inventory.selectors import availability_for_product, ledger_check, stock_available

CLIENTS = 32
pytestmark = pytest.mark.django_db(transaction=True)


def run_clients(count: int, client_work) -> tuple[list, list[BaseException]]:
    """Run client_work(index) in `count` threads released together by a barrier. Returns what each
    returned, and every exception that escaped (InsufficientStock is the work's to catch)."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    escaped: list[BaseException] = []

    def client(index: int) -> None:
        try:
            connections["default"].ensure_connection()  # connect before the start, not in the race
            barrier.wait(timeout=60)
            results[index] = client_work(index)
        except BaseException as exc:
            escaped.append(exc)
            barrier.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client, args=(i,), name=f"client-{i}") for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a client is stuck (deadlock?)"
    return results, escaped


def stock_of(world, variant, location="shop") -> Stock:
    return Stock.objects.get(variant=variant, location=world[location])


def receive_up_to(world, variant, units: int, location="shop") -> Stock:
    stock = stock_of(world, variant, location)
    services.stock_receive(actor=world["actor"], location=world[location], variant=variant,
                           quantity=units - stock.on_hand, reason="test stock")  # fmt: skip
    return stock_of(world, variant, location)


def test_many_clients_one_row_hold_exactly_the_stock(world_a, associate_actor):
    # Given 10 units of one variant at one shop and 32 clients trying 4 times each
    variant = world_a["variants"][0]
    stock = receive_up_to(world_a, variant, 10)
    attempts = 4

    def client_work(index):
        outcomes = Counter()
        for _ in range(attempts):
            try:
                services.hold_place(
                    actor=associate_actor, location=world_a["shop"], variant=variant, quantity=1
                )
                outcomes["held"] += 1
            except InsufficientStock as err:
                assert err.details == {
                    "lines": [{"sku": variant.sku, "location": "soho", "requested": 1, "available": 0}]
                }
                outcomes["refused"] += 1
        return outcomes

    # When they all place 1-unit holds at once
    results, escaped = run_clients(CLIENTS, client_work)

    # Then exactly 10 succeed, every other attempt is refused as insufficient stock, and nothing else
    assert escaped == []
    totals = sum(results, Counter())
    assert totals == {"held": 10, "refused": CLIENTS * attempts - 10}
    stock.refresh_from_db()
    assert (stock.on_hand, stock.held, stock_available(stock.pk)) == (10, 10, 0)
    assert Hold.objects.filter(stock=stock, status=Hold.Status.ACTIVE).count() == 10
    soho = next(
        la
        for la in availability_for_product(boutique=world_a["boutique"], product=world_a["product"])[
            variant.pk
        ].locations
        if la.location.code == "soho"
    )
    assert (soho.on_hand, soho.held, soho.available) == (10, 10, 0)
    assert ledger_check() == []


def test_clients_reclaim_expired_holds_exactly_once(world_a, associate_actor):
    # Given 6 units all held by holds that have expired but were not swept
    variant = world_a["variants"][2]
    stock = receive_up_to(world_a, variant, 6)
    old = [services.hold_place(actor=associate_actor, location=world_a["shop"], variant=variant, quantity=2)
           for _ in range(3)]  # fmt: skip
    Hold.objects.filter(pk__in=[h.pk for h in old]).update(expires_at=timezone.now() - timedelta(seconds=1))

    def client_work(index):
        placed = 0
        for _ in range(2):
            try:
                services.hold_place(
                    actor=associate_actor, location=world_a["shop"], variant=variant, quantity=1
                )
                placed += 1
            except InsufficientStock:
                pass
        return placed

    # When 32 clients want one unit each, twice
    results, escaped = run_clients(CLIENTS, client_work)

    # Then the expired holds are released once and exactly the 6 units are held again
    assert escaped == []
    assert sum(results) == 6
    assert set(Hold.objects.filter(pk__in=[h.pk for h in old]).values_list("status", flat=True)) == {
        "expired"
    }
    stock.refresh_from_db()
    assert (stock.on_hand, stock.held) == (6, 6)
    assert Hold.objects.filter(stock=stock, status=Hold.Status.ACTIVE).count() == 6
    assert ledger_check() == []


def test_holds_releases_sales_and_transfers_at_once_keep_the_ledger(world_a, associate_actor):
    # Given 40 units at the shop, and clients that hold, release, sell from holds, sell off the shelf
    # and transfer out of the same stock row while an observer keeps reading it
    variant = world_a["variants"][1]
    stock = receive_up_to(world_a, variant, 40)
    owner = world_a["actor"]
    shop, chelsea = world_a["shop"], world_a["shop2"]
    seen_wrong: list[tuple[int, int]] = []
    stop = threading.Event()

    def observe():
        try:
            while not stop.is_set():
                on_hand, held = Stock.objects.values_list("on_hand", "held").get(pk=stock.pk)
                if not 0 <= held <= on_hand:
                    seen_wrong.append((on_hand, held))
                time.sleep(0.002)
        finally:
            connections.close_all()

    def client_work(index):
        rng = random.Random(index)
        mine: list[Hold] = []
        done = Counter()
        for _ in range(8):
            action = rng.choice(["hold", "hold", "release", "consume", "sell", "transfer"])
            try:
                if action == "hold":
                    mine.append(
                        services.hold_place(actor=associate_actor, location=shop, variant=variant, quantity=1)
                    )
                elif action == "release" and mine:
                    services.hold_release(actor=associate_actor, hold=mine.pop())
                elif action == "consume" and mine:
                    services.hold_consume(actor=associate_actor, hold=mine.pop(), reference=f"order:{index}")
                elif action == "sell":
                    services.stock_sell(actor=associate_actor, location=shop, variant=variant, quantity=1)
                elif action == "transfer":
                    services.transfer_create(
                        actor=owner, source=shop, destination=chelsea, lines=[(variant, 1)]
                    )
                else:
                    continue
                done[action] += 1
            except InsufficientStock:
                done[f"{action} refused"] += 1
        done["still held"] = len(mine)
        return done

    observer = threading.Thread(target=observe)
    observer.start()
    try:
        # When 24 clients run 8 random actions each, all at once
        results, escaped = run_clients(24, client_work)
    finally:
        stop.set()
        observer.join(timeout=30)

    # Then only "insufficient stock" refusals happened, and the row adds up exactly
    assert escaped == []
    assert seen_wrong == []
    done = sum(results, Counter())
    assert done["hold"] + done["sell"] + done["transfer"] > 0
    stock.refresh_from_db()
    left = 40 - done["consume"] - done["sell"] - done["transfer"]
    assert stock.on_hand == left >= 0
    assert stock.held == done["hold"] - done["release"] - done["consume"] == done["still held"]
    assert 0 <= stock.held <= stock.on_hand
    assert Hold.objects.filter(stock=stock, status=Hold.Status.ACTIVE).count() == done["still held"]
    assert Hold.objects.filter(stock=stock, status=Hold.Status.CONSUMED).count() == done["consume"]
    assert Transfer.objects.count() == done["transfer"]
    assert Movement.objects.filter(stock=stock, kind="transfer_out").count() == done["transfer"]
    assert Movement.objects.filter(stock=stock, kind="sale").count() == done["consume"] + done["sell"]
    assert ledger_check() == []


def test_multi_line_holds_in_opposite_orders_are_all_or_nothing(world_a, associate_actor):
    # Given 6 of S and 9 of M at the shop
    s, m, _ = world_a["variants"]
    stock_s, stock_m = receive_up_to(world_a, s, 6), receive_up_to(world_a, m, 9)
    shop = world_a["shop"]

    def client_work(index):
        # Half the clients ask for S then M, the other half M then S.
        lines = [services.HoldLine(shop, s, 1), services.HoldLine(shop, m, 1)]
        if index % 2:
            lines.reverse()
        placed = []
        for _ in range(2):
            try:
                placed.append(
                    len(services.holds_place(actor=associate_actor, lines=lines, owner_ref=f"cart:{index}"))
                )
            except InsufficientStock as err:
                assert err.details == {
                    "lines": [{"sku": s.sku, "location": "soho", "requested": 1, "available": 0}]
                }
                placed.append(0)
        return placed

    # When 32 clients each try twice to hold one of each
    results, escaped = run_clients(CLIENTS, client_work)

    # Then no deadlock, 6 carts got both lines, the others got nothing at all
    assert escaped == []
    outcomes = Counter(n for per_client in results for n in per_client)
    assert outcomes == {2: 6, 0: CLIENTS * 2 - 6}
    stock_s.refresh_from_db()
    stock_m.refresh_from_db()
    assert (stock_s.on_hand, stock_s.held, stock_m.on_hand, stock_m.held) == (6, 6, 9, 6)
    per_cart = Counter(Hold.objects.filter(status=Hold.Status.ACTIVE).values_list("owner_ref", "variant_id"))
    assert sum(per_cart.values()) == 12
    carts = {ref for ref, _ in per_cart}
    assert all(per_cart[(ref, s.pk)] == per_cart[(ref, m.pk)] for ref in carts)
    assert ledger_check() == []
