"""The stock ledger through the service layer: transfers, counts, adjustments, and the check that
on-hand always equals the sum of its movements."""

import pytest

from omnipresence.core.errors import Conflict, Forbidden, InsufficientStock, InvalidInput
from omnipresence.inventory import services
from omnipresence.inventory.models import CycleCount, Movement, Stock, Transfer
from omnipresence.inventory.selectors import in_transit, ledger_check


def levels(world, index=0) -> dict[str, int]:
    variant = world["variants"][index]
    return {
        code: Stock.objects.filter(location=world[key], variant=variant).values_list("on_hand", flat=True).first() or 0
        for key, code in (("shop", "soho"), ("shop2", "chelsea"), ("warehouse", "warehouse"))
    }


@pytest.fixture
def manager_actor(world_a, manager_a):
    from omnipresence.stores.access import actor_for_user

    return actor_for_user(manager_a, world_a["boutique"])


def test_transfer_is_in_transit_then_received(world_a, manager_actor):
    s, m, _ = world_a["variants"]
    transfer = services.transfer_create(
        actor=manager_actor, source=world_a["warehouse"], destination=world_a["shop2"],
        lines=[(s, 2), (m, 1), (s, 1)], note="Saturday restock",
    )  # fmt: skip
    assert transfer.status == Transfer.Status.IN_TRANSIT
    assert sorted((line.variant_id, line.quantity) for line in transfer.lines.all()) == [(s.pk, 3), (m.pk, 1)]
    assert levels(world_a) == {"soho": 2, "chelsea": 0, "warehouse": 2}  # left the source, not arrived
    assert in_transit(boutique=world_a["boutique"], variant=s) == 3
    assert ledger_check(boutique=world_a["boutique"]) == []

    services.transfer_receive(actor=manager_actor, transfer=transfer)
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.RECEIVED and transfer.received_at is not None
    assert levels(world_a) == {"soho": 2, "chelsea": 3, "warehouse": 2}
    assert levels(world_a, 1)["chelsea"] == 1
    assert in_transit(boutique=world_a["boutique"], variant=s) == 0
    kinds = list(Movement.objects.filter(reference=f"transfer:{transfer.pk}").values_list("kind", "quantity"))
    assert sorted(kinds) == [("transfer_in", 1), ("transfer_in", 3), ("transfer_out", -3), ("transfer_out", -1)]
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_partial_receipt_books_only_what_arrived(world_a, manager_actor):
    s, m, _ = world_a["variants"]
    transfer = services.transfer_create(
        actor=manager_actor, source=world_a["warehouse"], destination=world_a["shop2"], lines=[(s, 3), (m, 2)]
    )
    services.transfer_receive(actor=manager_actor, transfer=transfer, received={s.pk: 2})
    assert levels(world_a)["chelsea"] == 2
    assert levels(world_a, 1)["chelsea"] == 0
    lines = {line.variant_id: line.received_quantity for line in transfer.lines.all()}
    assert lines == {s.pk: 2, m.pk: 0}
    with pytest.raises(Conflict) as err:
        services.transfer_receive(actor=manager_actor, transfer=transfer)
    assert err.value.code == "transfer_not_in_transit"
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_receiving_more_than_shipped_or_a_foreign_line_is_refused(world_a, manager_actor):
    s, m, _ = world_a["variants"]
    transfer = services.transfer_create(
        actor=manager_actor, source=world_a["warehouse"], destination=world_a["shop2"], lines=[(s, 1)]
    )
    for received, code in (({s.pk: 2}, "invalid_quantity"), ({m.pk: 1}, "invalid_line")):
        with pytest.raises(InvalidInput) as err:
            services.transfer_receive(actor=manager_actor, transfer=transfer, received=received)
        assert err.value.code == code
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.IN_TRANSIT
    assert levels(world_a)["chelsea"] == 0


def test_held_units_cannot_be_shipped(world_a, manager_actor, associate_actor):
    s = world_a["variants"][0]
    services.hold_place(actor=associate_actor, location=world_a["shop"], variant=s, quantity=2)
    movements = Movement.objects.count()
    with pytest.raises(InsufficientStock) as err:
        services.transfer_create(actor=manager_actor, source=world_a["shop"], destination=world_a["shop2"],
                                 lines=[(s, 1)])  # fmt: skip
    assert err.value.details == {"lines": [{"sku": s.sku, "location": "soho", "requested": 1, "available": 0}]}
    assert Transfer.objects.count() == 0
    assert Movement.objects.count() == movements
    assert levels(world_a)["soho"] == 2
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_one_short_line_ships_nothing(world_a, manager_actor):
    s, m, _ = world_a["variants"]
    with pytest.raises(InsufficientStock):
        services.transfer_create(actor=manager_actor, source=world_a["warehouse"], destination=world_a["shop"],
                                 lines=[(s, 1), (m, 6)])  # fmt: skip
    assert levels(world_a)["warehouse"] == 5 and levels(world_a, 1)["warehouse"] == 5
    assert Transfer.objects.count() == 0


def test_same_location_and_associates_are_refused(world_a, manager_actor, associate_actor):
    s = world_a["variants"][0]
    with pytest.raises(InvalidInput) as err:
        services.transfer_create(actor=manager_actor, source=world_a["shop"], destination=world_a["shop"],
                                 lines=[(s, 1)])  # fmt: skip
    assert err.value.code == "same_location"
    with pytest.raises(Forbidden):
        services.transfer_create(actor=associate_actor, source=world_a["warehouse"], destination=world_a["shop"],
                                 lines=[(s, 1)])  # fmt: skip
    assert Transfer.objects.count() == 0


def test_transfer_to_another_boutique_is_refused(world_a, world_b, manager_actor):
    with pytest.raises(InvalidInput) as err:
        services.transfer_create(actor=manager_actor, source=world_a["warehouse"], destination=world_b["shop"],
                                 lines=[(world_a["variants"][0], 1)])  # fmt: skip
    assert err.value.code == "wrong_boutique"
    assert levels(world_a)["warehouse"] == 5


def test_count_differences_become_count_movements(world_a, manager_actor):
    s, m, l_ = world_a["variants"]
    count = services.count_apply(actor=manager_actor, location=world_a["shop"], counts=[(s, 1), (m, 2), (l_, 4)],
                                 note="Monday count")  # fmt: skip
    lines = {line.variant_id: (line.expected, line.counted, line.difference) for line in count.lines.all()}
    assert lines == {s.pk: (2, 1, -1), m.pk: (2, 2, 0), l_.pk: (2, 4, 2)}
    movements = Movement.objects.filter(kind=Movement.Kind.COUNT, reference=f"count:{count.pk}")
    assert sorted(movements.values_list("variant_id", "quantity")) == sorted([(s.pk, -1), (l_.pk, 2)])
    assert (levels(world_a)["soho"], levels(world_a, 2)["soho"]) == (1, 4)
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_count_of_a_variant_never_stocked_here_creates_its_row(world_a, manager_actor):
    s = world_a["variants"][0]
    services.count_apply(actor=manager_actor, location=world_a["shop2"], counts=[(s, 3)])
    assert levels(world_a)["chelsea"] == 3
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_count_needs_lines_and_the_right_role(world_a, manager_actor, associate_actor):
    with pytest.raises(InvalidInput):
        services.count_apply(actor=manager_actor, location=world_a["shop"], counts=[])
    with pytest.raises(Forbidden):
        services.count_apply(actor=associate_actor, location=world_a["shop"], counts=[(world_a["variants"][0], 0)])
    with pytest.raises(InvalidInput) as err:
        services.count_apply(actor=manager_actor, location=world_a["shop"], counts=[(world_a["variants"][0], -1)])
    assert err.value.code == "invalid_quantity"
    assert CycleCount.objects.count() == 0


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_adjustment_needs_a_reason(world_a, manager_actor, reason):
    with pytest.raises(InvalidInput) as err:
        services.stock_adjust(actor=manager_actor, location=world_a["shop"], variant=world_a["variants"][0],
                              delta=-1, reason=reason)  # fmt: skip
    assert err.value.code == "missing_reason"
    assert levels(world_a)["soho"] == 2


@pytest.mark.parametrize("delta", [0, True, 1.5, "2", 100_001, -100_001])
def test_adjustment_delta_is_a_sane_whole_number(world_a, manager_actor, delta):
    with pytest.raises(InvalidInput):
        services.stock_adjust(actor=manager_actor, location=world_a["shop"], variant=world_a["variants"][0],
                              delta=delta, reason="typo")  # fmt: skip
    assert levels(world_a)["soho"] == 2


def test_adjustment_never_takes_stock_below_zero_but_may_take_held_units(world_a, manager_actor, associate_actor):
    s = world_a["variants"][0]
    with pytest.raises(InsufficientStock):
        services.stock_adjust(actor=manager_actor, location=world_a["shop"], variant=s, delta=-3, reason="theft")
    assert levels(world_a)["soho"] == 2
    services.hold_place(actor=associate_actor, location=world_a["shop"], variant=s, quantity=1)
    # A damaged unit is gone even if someone held it: the write-off ignores holds (the count is the truth).
    services.stock_adjust(actor=manager_actor, location=world_a["shop"], variant=s, delta=-2, reason="flood")
    assert levels(world_a)["soho"] == 0
    services.stock_adjust(actor=manager_actor, location=world_a["shop"], variant=s, delta=5, reason="found")
    assert levels(world_a)["soho"] == 5
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_ledger_check_detects_a_tampered_on_hand_and_held(world_a, world_b):
    assert ledger_check() == []
    stock = Stock.objects.get(location=world_a["shop"], variant=world_a["variants"][0])
    Stock.objects.filter(pk=stock.pk).update(on_hand=9)
    problems = ledger_check(boutique=world_a["boutique"])
    assert [(p.stock_id, p.sku, p.location, p.kind, p.recorded, p.expected) for p in problems] == [
        (stock.pk, world_a["variants"][0].sku, "soho", "on_hand", 9, 2)
    ]
    assert ledger_check(boutique=world_b["boutique"]) == []

    Stock.objects.filter(pk=stock.pk).update(on_hand=2, held=1)
    assert [(p.kind, p.recorded, p.expected) for p in ledger_check(boutique=world_a["boutique"])] == [("held", 1, 0)]


def test_a_deleted_movement_is_detected(world_a):
    movement = Movement.objects.filter(boutique=world_a["boutique"]).first()
    Movement.objects.filter(pk=movement.pk).delete()
    assert [p.kind for p in ledger_check(boutique=world_a["boutique"])] == ["on_hand"]


def test_a_count_below_the_held_units_releases_client_holds_newest_first(world_a, associate_actor):
    from omnipresence.inventory.models import Hold, Stock
    from omnipresence.inventory.selectors import ledger_check

    shop, variant = world_a["shop"], world_a["variants"][0]
    older = services.hold_place(actor=associate_actor, location=shop, variant=variant, quantity=1, client_name="A")
    newer = services.hold_place(actor=associate_actor, location=shop, variant=variant, quantity=1, client_name="B")
    services.count_apply(actor=world_a["actor"], location=shop, counts=[(variant, 1)])
    assert Hold.objects.get(pk=newer.pk).status == "released" and Hold.objects.get(pk=older.pk).status == "active"
    stock = Stock.objects.get(location=shop, variant=variant)
    assert (stock.on_hand, stock.held) == (1, 1)
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_a_count_below_units_promised_to_orders_is_refused(world_a, associate_actor):
    import pytest

    from omnipresence.core.errors import Conflict
    from omnipresence.inventory.models import Stock
    from omnipresence.orders import services as orders

    shop, variant = world_a["shop"], world_a["variants"][0]
    cart = orders.cart_create(actor=associate_actor, channel="shop")
    orders.cart_line_set(actor=associate_actor, cart=cart, variant=variant, quantity=2, fulfilment="pickup", location=shop)
    order = orders.cart_checkout(actor=associate_actor, cart=cart)
    with pytest.raises(Conflict) as raised:
        services.count_apply(actor=world_a["actor"], location=shop, counts=[(variant, 1)])
    assert raised.value.code == "count_below_orders" and raised.value.details["orders"] == [f"order:{order.pk}"]
    stock = Stock.objects.get(location=shop, variant=variant)
    assert (stock.on_hand, stock.held) == (2, 2)
