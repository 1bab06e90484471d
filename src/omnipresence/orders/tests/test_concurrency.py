"""Checkouts racing each other, on SQLite and PostgreSQL: one cart checked out by many clients
makes one order; a code with K uses left is used exactly K times; once per client holds."""

import threading
from collections import Counter

import pytest
from django.db import connections
from django.db.models import Sum

from omnipresence.core.errors import DomainError
from omnipresence.inventory.models import Hold
from omnipresence.inventory.selectors import ledger_check
from omnipresence.orders import services
from omnipresence.orders.models import Campaign, Order, Redemption
from omnipresence.orders.tests.conftest import cart_with

pytestmark = pytest.mark.django_db(transaction=True)
CLIENTS = 8


def run_clients(count: int, client_work) -> tuple[list, list[BaseException]]:
    """client_work(index) in `count` threads, each with its own connection, released together."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    escaped: list[BaseException] = []

    def client(index: int) -> None:
        try:
            connections["default"].ensure_connection()
            barrier.wait(timeout=60)
            results[index] = client_work(index)
        except BaseException as exc:
            escaped.append(exc)
            barrier.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a client is stuck (deadlock?)"
    return results, escaped


def test_one_cart_checked_out_by_many_clients_makes_one_order(world_a, seller, uk_shipping):
    services.campaign_create(
        actor=world_a["actor"], name="Welcome", kind="percentage", value=1000, code="WELCOME10"
    )
    cart = cart_with(seller, world_a, (0, 6, "ship", None), (1, 1, "pickup", "soho"), code="WELCOME10",
                     client_email="a@example.com")  # fmt: skip

    results, escaped = run_clients(CLIENTS, lambda i: services.cart_checkout(actor=seller, cart=cart).pk)

    assert escaped == []
    assert len(set(results)) == 1
    order = Order.objects.get()
    assert order.pk == results[0]
    assert Hold.objects.filter(owner_ref=f"order:{order.pk}").count() == 3  # S split in two + M
    assert Redemption.objects.count() == 1
    assert Campaign.objects.get().used == 1
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_a_code_with_k_uses_is_used_exactly_k_times(world_a, seller, uk_shipping):
    limit = 3
    campaign = services.campaign_create(actor=world_a["actor"], name="Flash", kind="fixed", value=1000,
                                        code="FLASH", usage_limit=limit)  # fmt: skip
    carts = [
        cart_with(seller, world_a, (i % 3, 1, "ship", None), code="FLASH", client_email=f"c{i}@example.com")
        for i in range(CLIENTS)
    ]

    def client_work(index):
        try:
            return services.cart_checkout(actor=seller, cart=carts[index]).discount
        except DomainError as error:
            return error.code

    results, escaped = run_clients(CLIENTS, client_work)

    assert escaped == []
    assert Counter(results) == {1000: limit, "coupon_exhausted": CLIENTS - limit}
    campaign.refresh_from_db()
    assert campaign.used == limit == Redemption.objects.filter(status="redeemed").count()
    assert Order.objects.count() == limit
    assert Hold.objects.filter(kind="order").count() == limit  # refused checkouts held nothing
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_once_per_client_under_concurrency(world_a, seller, uk_shipping):
    services.campaign_create(actor=world_a["actor"], name="First order", kind="percentage", value=1500,
                             code="FIRST", per_client_limit=1)  # fmt: skip
    carts = [
        cart_with(seller, world_a, (i % 3, 1, "ship", None), code="FIRST", client_email="same@example.com")
        for i in range(6)
    ]

    def client_work(index):
        try:
            return services.cart_checkout(actor=seller, cart=carts[index]).discount
        except DomainError as error:
            return error.code

    results, escaped = run_clients(6, client_work)

    assert escaped == []
    assert Counter(results) == {6750: 1, "coupon_already_used": 5}
    assert Redemption.objects.filter(status="redeemed").count() == 1
    assert Campaign.objects.get().used == 1


def test_buyers_racing_for_the_last_units_never_oversell(world_a, seller, uk_shipping):
    # Given 7 units of S (5 at the warehouse, 2 at Soho) and 8 buyers of 1 each, plus one of 2
    carts = [cart_with(seller, world_a, (0, 2 if i == 0 else 1, "ship", None)) for i in range(CLIENTS)]

    def client_work(index):
        try:
            return sum(
                line.quantity for line in services.cart_checkout(actor=seller, cart=carts[index]).lines.all()
            )
        except DomainError as error:
            return error.code

    results, escaped = run_clients(CLIENTS, client_work)

    assert escaped == []
    sold = sum(r for r in results if isinstance(r, int))
    assert sold == 7  # whatever the order, the seven units are sold and not one more
    assert set(results) <= {1, 2, "insufficient_stock"}
    assert Hold.objects.filter(kind="order", status="active").aggregate(n=Sum("quantity"))["n"] == sold
    assert ledger_check(boutique=world_a["boutique"]) == []
