"""A client hold becomes an order without losing the units: the same hold row becomes the order's
allocation, availability never moves, and the associate who put it aside gets the credit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from omnipresence.core.errors import Conflict, InvalidInput
from omnipresence.inventory import services as inventory
from omnipresence.inventory.models import Hold
from omnipresence.inventory.selectors import availability_for_variants, ledger_check
from omnipresence.orders import services
from omnipresence.orders.models import Order, OrderAllocation
from omnipresence.orders.tests.conftest import state


def soho(world, index=0) -> int:
    variant = world["variants"][index]
    entry = availability_for_variants(boutique=world["boutique"], variants=[variant])[variant.pk]
    return next(la.available for la in entry.locations if la.location.pk == world["shop"].pk)


@pytest.fixture
def put_aside(world_a, seller):
    return inventory.hold_place(actor=seller, location=world_a["shop"], variant=world_a["variants"][0], quantity=2,
                                client_name="Ms Vane", client_contact="vane@example.com", note="for Saturday")  # fmt: skip


def test_a_hold_becomes_the_orders_allocation_with_the_same_row(world_a, seller, manager_actor, put_aside, associate_a):
    assert soho(world_a) == 0  # both units at Soho are hers
    order = services.order_from_holds(actor=manager_actor, holds=[put_aside])
    assert soho(world_a) == 0  # and still are: never back on sale
    allocation = OrderAllocation.objects.get(line__order=order)
    assert allocation.hold_id == put_aside.pk and allocation.quantity == 2
    hold = Hold.objects.get(pk=put_aside.pk)
    assert (hold.kind, hold.status, hold.expires_at, hold.owner_ref) == ("order", "active", None, f"order:{order.pk}")
    assert (order.channel, order.source_kind, order.source_ref, order.associate_id) == (
        "shop", "hold", str(put_aside.pk), associate_a.pk)
    assert (order.client_name, order.client_email, order.total) == ("Ms Vane", "vane@example.com", 90000)
    assert order.lines.get().fulfilment == "pickup"
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_more_units_than_the_hold_takes_the_rest_from_stock(world_a, seller, put_aside):
    inventory.stock_receive(actor=world_a["actor"], location=world_a["shop"], variant=world_a["variants"][0],
                            quantity=1, reason="delivery")  # fmt: skip
    cart = services.cart_create(actor=seller, channel="shop", client_name="Ms Vane")
    services.cart_hold_add(actor=seller, cart=cart, hold=put_aside)
    line = cart.lines.get()
    services.cart_line_set(actor=seller, cart=cart, variant=line.variant, quantity=3, fulfilment="pickup",
                           location=world_a["shop"])  # fmt: skip
    with pytest.raises(InvalidInput) as raised:
        services.cart_line_set(actor=seller, cart=cart, variant=line.variant, quantity=1, fulfilment="pickup",
                               location=world_a["shop"])  # fmt: skip
    assert raised.value.code == "below_hold"
    order = services.cart_checkout(actor=seller, cart=cart)
    quantities = sorted(a.quantity for a in OrderAllocation.objects.filter(line__order=order))
    assert quantities == [1, 2] and soho(world_a) == 0


def test_an_expired_hold_cannot_become_an_order_and_nothing_is_written(world_a, seller, put_aside):
    Hold.objects.filter(pk=put_aside.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    before = state(world_a["boutique"])
    with pytest.raises(Conflict) as raised:
        services.order_from_holds(actor=seller, holds=[Hold.objects.get(pk=put_aside.pk)])
    assert raised.value.code == "hold_not_active"
    assert not Order.objects.exists() and state(world_a["boutique"])[1:3] == before[1:3]


def test_a_hold_that_ends_before_checkout_stops_the_checkout(world_a, seller, put_aside):
    cart = services.cart_create(actor=seller, channel="shop")
    services.cart_hold_add(actor=seller, cart=cart, hold=put_aside)
    inventory.hold_release(actor=seller, hold=put_aside, reason="changed her mind")
    # The line still wants 2 units at Soho; now free, they are taken as new units.
    order = services.cart_checkout(actor=seller, cart=cart)
    allocation = OrderAllocation.objects.get(line__order=order)
    assert allocation.hold_id != put_aside.pk and allocation.quantity == 2
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_one_hold_in_two_open_carts_is_refused(world_a, seller, put_aside):
    first = services.cart_create(actor=seller, channel="shop")
    services.cart_hold_add(actor=seller, cart=first, hold=put_aside)
    second = services.cart_create(actor=seller, channel="phone")
    with pytest.raises(Conflict) as raised:
        services.cart_hold_add(actor=seller, cart=second, hold=put_aside)
    assert raised.value.code == "hold_in_cart" and not second.lines.exists()


def test_a_manager_sells_a_piece_found_on_the_shelf_and_the_ledger_says_so(world_a, seller, manager_actor):
    from omnipresence.core.errors import Forbidden, InsufficientStock
    from omnipresence.inventory.models import Movement, Stock
    from omnipresence.orders.tests.conftest import cart_with

    # Soho shows 2 of size S; the associate has a third on the counter.
    cart = cart_with(seller, world_a, (0, 3, "pickup", "soho"), channel="shop")
    with pytest.raises(InsufficientStock):
        services.cart_checkout(actor=seller, cart=cart)
    with pytest.raises(Forbidden):
        services.cart_checkout(actor=seller, cart=cart, shelf_override=True)
    assert not Order.objects.exists()
    order = services.cart_checkout(actor=manager_actor, cart=cart, shelf_override=True)
    found = Movement.objects.get(kind="adjustment")
    assert (found.quantity, found.location_id) == (1, world_a["shop"].pk)
    assert "found on the shelf" in found.reason and "maria" in found.reason
    stock = Stock.objects.get(location=world_a["shop"], variant=world_a["variants"][0])
    assert (stock.on_hand, stock.held) == (3, 3) and order.lines.get().quantity == 3
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_a_shipped_line_short_online_cannot_be_overridden(world_a, manager_actor, uk_shipping):
    from omnipresence.core.errors import InsufficientStock
    from omnipresence.orders.tests.conftest import cart_with

    cart = cart_with(manager_actor, world_a, (0, 99, "ship", None), channel="web")
    with pytest.raises(InsufficientStock):
        services.cart_checkout(actor=manager_actor, cart=cart, shelf_override=True)
    assert not Order.objects.exists()
