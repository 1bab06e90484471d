"""The fulfilment queue through its services: fulfilments made at checkout, every step, repeats,
refusals that change nothing, pickup codes, cancellation, release of uncollected pickups, and the
emails each step sends."""

from datetime import timedelta

import pytest
from django.utils import timezone

from omnipresence.core.errors import Forbidden, InvalidInput
from omnipresence.fulfilment import services
from omnipresence.fulfilment.codes import ALPHABET, code_display
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
from omnipresence.fulfilment.models import Fulfilment
from omnipresence.fulfilment.tests.conftest import checkout, fulfilment_of, pay, state
from omnipresence.inventory.models import Hold, Movement, Stock
from omnipresence.inventory.selectors import ledger_check
from omnipresence.orders import services as orders
from omnipresence.orders.errors import OrderPaid
from omnipresence.orders.models import Order

pytestmark = pytest.mark.django_db


def stock(world, index, key) -> tuple[int, int]:
    row = Stock.objects.get(variant=world["variants"][index], location=world[key])
    return row.on_hand, row.held


def shape(order) -> list[tuple]:
    return sorted(
        (
            f.method,
            f.location.code,
            f.status,
            sorted((line.order_line.sku[-1], line.quantity) for line in f.lines.all()),
        )
        for f in Fulfilment.objects.filter(order=order)
        .prefetch_related("lines__order_line")
        .select_related("location")
    )


@pytest.fixture
def mixed(world_a, seller, uk_shipping):
    """A paid order: S picked up at Soho, two M shipped (from the warehouse)."""
    return pay(checkout(seller, world_a, (0, 1, "pickup", "soho"), (1, 2, "ship", None)))


@pytest.fixture
def pickup(mixed):
    return fulfilment_of(mixed, "pickup")


@pytest.fixture
def delivery(mixed):
    return fulfilment_of(mixed, "delivery")


def ready(seller, fulfilment) -> str:
    _, code = services.fulfilment_ready(actor=seller, fulfilment=fulfilment)
    return code


# ---------- Made at checkout ----------


def test_a_mixed_order_makes_a_pickup_and_a_delivery(world_a, mixed):
    assert shape(mixed) == [
        ("delivery", "warehouse", "to_pick", [("M", 2)]),
        ("pickup", "soho", "to_pick", [("S", 1)]),
    ]
    assert set(Fulfilment.objects.values_list("boutique_id", flat=True)) == {world_a["boutique"].pk}


def test_lines_are_grouped_by_location_and_method(world_a, seller, uk_shipping):
    # Given 6 S shipped (5 from the warehouse, 1 from Soho), an M shipped from Soho, an L picked up there
    order = checkout(
        seller, world_a, (0, 6, "ship", None), (1, 1, "ship_from", "soho"), (2, 1, "pickup", "soho")
    )
    # Then Soho sends one parcel with both its units and hands over the pickup apart
    assert shape(order) == [
        ("delivery", "soho", "to_pick", [("M", 1), ("S", 1)]),
        ("delivery", "warehouse", "to_pick", [("S", 5)]),
        ("pickup", "soho", "to_pick", [("L", 1)]),
    ]


def test_making_them_again_changes_nothing(mixed):
    before = shape(mixed)
    again = services.fulfilments_create_for_order(order_id=mixed.pk)
    assert [f.pk for f in again] == list(
        Fulfilment.objects.filter(order=mixed).order_by("pk").values_list("pk", flat=True)
    )
    assert shape(mixed) == before
    assert services.fulfilments_create_for_order(order_id=10**9) == []


# ---------- The steps ----------


def test_a_pickup_goes_picked_packed_ready_collected(world_a, seller, pickup, associate_a):
    assert services.fulfilment_pick(actor=seller, fulfilment=pickup).status == "picked"
    assert services.fulfilment_pack(actor=seller, fulfilment=pickup).status == "packed"
    code = ready(seller, pickup)
    collected = services.fulfilment_collect(actor=seller, fulfilment=pickup, code=code)
    assert collected.status == "collected"
    assert collected.collected_via == "code"
    assert (collected.picked_by, collected.packed_by, collected.ready_by, collected.collected_by) == (
        associate_a,
    ) * 4
    assert {collected.picked_by_label, collected.collected_by_label} == {"alice"}
    assert collected.picked_at <= collected.packed_at <= collected.ready_at <= collected.collected_at
    assert (collected.shipped_at, collected.cancelled_at, collected.released_at) == (None, None, None)
    # The unit has left Soho: a sale in the ledger, the hold consumed
    assert stock(world_a, 0, "shop") == (1, 0)
    hold = collected.lines.get().allocation.hold
    hold.refresh_from_db()
    assert hold.status == "consumed"
    assert Movement.objects.filter(kind="sale", reference=f"order:{pickup.order_id}").count() == 1
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_a_delivery_is_shipped_and_its_units_leave(world_a, seller, delivery):
    assert stock(world_a, 1, "warehouse") == (5, 2)
    shipped = services.fulfilment_ship(actor=seller, fulfilment=delivery, carrier=" Royal Mail ",
                                       tracking_code="RM123456785GB")  # fmt: skip
    assert (shipped.status, shipped.carrier, shipped.tracking_code) == (
        "shipped",
        "Royal Mail",
        "RM123456785GB",
    )
    assert shipped.shipped_by_label == "alice" and shipped.shipped_at is not None
    assert stock(world_a, 1, "warehouse") == (3, 0)
    sale = Movement.objects.get(kind="sale")
    assert (sale.quantity, sale.reference, sale.location_id) == (
        -2,
        f"order:{delivery.order_id}",
        world_a["warehouse"].pk,
    )
    assert ledger_check(boutique=world_a["boutique"]) == []
    # The order can no longer be cancelled (its money is taken and its units gone)
    with pytest.raises(OrderPaid):
        orders.order_cancel(actor=seller, order=Order.objects.get(pk=delivery.order_id))


def test_steps_may_be_skipped_forward(seller, pickup, delivery):
    assert ready(seller, pickup) is not None
    assert Fulfilment.objects.get(pk=pickup.pk).picked_at is None
    assert services.fulfilment_ship(actor=seller, fulfilment=delivery, carrier="DHL").status == "shipped"


@pytest.mark.parametrize("step", ["pick", "pack"])
def test_steps_never_go_backwards(world_a, seller, pickup, step):
    ready(seller, pickup)
    before = state(world_a["boutique"])
    with pytest.raises(StepBackwards) as refused:
        getattr(services, f"fulfilment_{step}")(actor=seller, fulfilment=pickup)
    assert (refused.value.status, refused.value.details) == (409, {"status": "ready"})
    assert state(world_a["boutique"]) == before


def test_a_finished_fulfilment_does_not_move(world_a, seller, delivery):
    services.fulfilment_ship(actor=seller, fulfilment=delivery, carrier="DHL")
    before = state(world_a["boutique"])
    with pytest.raises(FulfilmentClosed):
        services.fulfilment_pack(actor=seller, fulfilment=delivery)
    assert state(world_a["boutique"]) == before


def test_a_double_click_moves_once(
    world_a, seller, pickup, delivery, mailoutbox, django_capture_on_commit_callbacks
):
    first = services.fulfilment_pack(actor=seller, fulfilment=pickup)
    again = services.fulfilment_pack(actor=seller, fulfilment=pickup)
    assert again.packed_at == first.packed_at and again.status == "packed"
    with django_capture_on_commit_callbacks(execute=True):
        code = ready(seller, pickup)
        assert ready(seller, pickup) is None  # the code is given once; the first one still works
    assert len(mailoutbox) == 1
    services.fulfilment_collect(actor=seller, fulfilment=pickup, code=code)
    services.fulfilment_collect(actor=seller, fulfilment=pickup, code="wrong")  # a repeat: already collected
    services.fulfilment_ship(actor=seller, fulfilment=delivery, carrier="DHL", tracking_code="1")
    shipped = services.fulfilment_ship(actor=seller, fulfilment=delivery, carrier="UPS", tracking_code="2")
    assert (shipped.carrier, shipped.tracking_code) == ("DHL", "1")
    assert Movement.objects.filter(kind="sale").count() == 2
    assert Fulfilment.objects.get(pk=pickup.pk).pickup_code_attempts == 0
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_each_step_is_for_its_kind(world_a, seller, pickup, delivery):
    before = state(world_a["boutique"])
    with pytest.raises(WrongMethod):
        services.fulfilment_ship(actor=seller, fulfilment=pickup, carrier="DHL")
    with pytest.raises(WrongMethod):
        services.fulfilment_ready(actor=seller, fulfilment=delivery)
    with pytest.raises(WrongMethod):
        services.fulfilment_collect(actor=seller, fulfilment=delivery, code="ABCDEFGH")
    with pytest.raises(InvalidInput) as no_carrier:
        services.fulfilment_ship(actor=seller, fulfilment=delivery, carrier="  ")
    assert no_carrier.value.code == "carrier_required"
    assert state(world_a["boutique"]) == before


def test_an_actor_of_another_boutique_moves_nothing(world_a, world_b, pickup):
    from omnipresence.stores.access import system_actor

    before = state(world_a["boutique"])
    with pytest.raises(InvalidInput) as refused:
        services.fulfilment_pack(actor=system_actor(world_b["boutique"]), fulfilment=pickup)
    assert refused.value.code == "wrong_boutique"
    assert state(world_a["boutique"]) == before


# ---------- Payment ----------


@pytest.mark.parametrize("paid_share", [0, 0.5])
def test_nothing_leaves_an_order_not_paid_in_full(world_a, seller, uk_shipping, paid_share, mailoutbox,
                                                  django_capture_on_commit_callbacks):  # fmt: skip
    order = checkout(seller, world_a, (0, 1, "pickup", "soho"), (1, 2, "ship", None))
    orders.order_payments_set(order_id=order.pk, paid=int(order.total * paid_share), refunded=0)
    code = ready(seller, fulfilment_of(order, "pickup"))  # ready needs no payment: she may pay at the counter
    before = state(world_a["boutique"])
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(OrderUnpaid) as ship_refused:
            services.fulfilment_ship(actor=seller, fulfilment=fulfilment_of(order, "delivery"), carrier="DHL")
        with pytest.raises(OrderUnpaid) as collect_refused:
            services.fulfilment_collect(actor=seller, fulfilment=fulfilment_of(order, "pickup"), code=code)
    assert ship_refused.value.status == collect_refused.value.status == 409
    assert ship_refused.value.details["payment_status"] == ("unpaid" if not paid_share else "partially_paid")
    assert state(world_a["boutique"]) == before
    assert mailoutbox == []
    # Once she pays, the same code works
    pay(order)
    assert (
        services.fulfilment_collect(actor=seller, fulfilment=fulfilment_of(order, "pickup"), code=code).status
        == "collected"
    )


# ---------- Pickup codes ----------


def test_the_code_is_eight_unambiguous_characters_kept_only_as_a_hash(seller, pickup):
    code = ready(seller, pickup)
    assert len(code) == 8 and set(code) <= set(ALPHABET)
    assert not set("0O1I") & set(ALPHABET)
    assert code_display(code) == f"{code[:4]}-{code[4:]}"
    row = Fulfilment.objects.filter(pk=pickup.pk).values().get()
    assert len(row["pickup_code_hash"]) == 64
    assert code not in str(row)


@pytest.mark.parametrize("typed", ["{code}", "{lower}", "{display}", " {spaced} "])
def test_the_code_may_be_typed_in_any_case_with_or_without_the_dash(seller, pickup, typed):
    code = ready(seller, pickup)
    text = typed.format(code=code, lower=code.lower(), display=code_display(code), spaced=" ".join(code))
    assert services.fulfilment_collect(actor=seller, fulfilment=pickup, code=text).status == "collected"


def test_wrong_codes_are_counted_then_the_pickup_locks(world_a, seller, pickup, manager_actor, manager_a):
    code = ready(seller, pickup)
    wrong = "ABCDEFGH" if code != "ABCDEFGH" else "HGFEDCBA"
    left = []
    for _ in range(5):
        with pytest.raises(PickupCodeWrong) as refused:
            services.fulfilment_collect(actor=seller, fulfilment=pickup, code=wrong)
        left.append(refused.value.details["attempts_left"])
    assert left == [4, 3, 2, 1, 0]
    assert Fulfilment.objects.get(pk=pickup.pk).pickup_code_attempts == 5
    before = state(world_a["boutique"])
    # Locked: even the right code is refused, and an associate cannot override
    with pytest.raises(PickupCodeLocked) as locked:
        services.fulfilment_collect(actor=seller, fulfilment=pickup, code=code)
    assert (locked.value.code, locked.value.status) == ("pickup_code_locked", 409)
    with pytest.raises(Forbidden):
        services.fulfilment_collect(actor=seller, fulfilment=pickup, manager_override=True)
    assert state(world_a["boutique"]) == before
    # A manager hands it over, and it is recorded as hers, by override
    collected = services.fulfilment_collect(actor=manager_actor, fulfilment=pickup, manager_override=True)
    assert (collected.status, collected.collected_via, collected.collected_by) == (
        "collected",
        "override",
        manager_a,
    )
    assert stock(world_a, 0, "shop") == (1, 0)


def test_a_code_collect_needs_a_ready_pickup_but_a_manager_may_hand_over_earlier(
    world_a, seller, pickup, manager_actor
):
    before = state(world_a["boutique"])
    with pytest.raises(PickupNotReady):
        services.fulfilment_collect(actor=seller, fulfilment=pickup, code="ABCDEFGH")
    assert state(world_a["boutique"]) == before
    assert (
        services.fulfilment_collect(actor=manager_actor, fulfilment=pickup, manager_override=True).status
        == "collected"
    )


# ---------- Hand-over at the till ----------


def test_a_shop_sale_is_handed_over_at_once(world_a, seller, uk_shipping):
    order = checkout(seller, world_a, (0, 1, "pickup", "soho"), (1, 1, "ship", None), channel="shop")
    before = state(world_a["boutique"])
    with pytest.raises(OrderUnpaid):
        services.fulfilment_hand_over(actor=seller, order=order)
    assert state(world_a["boutique"]) == before
    pay(order)
    handed = services.fulfilment_hand_over(actor=seller, order=order, location=world_a["shop"])
    assert [(f.method, f.status, f.collected_via, f.pickup_code_hash) for f in handed] == [
        ("pickup", "collected", "hand_over", "")
    ]
    assert fulfilment_of(order, "delivery").status == "to_pick"  # the parcel still goes by post
    assert stock(world_a, 0, "shop") == (1, 0)
    again = services.fulfilment_hand_over(actor=seller, order=order)
    assert [f.collected_at for f in again] == [handed[0].collected_at]
    with pytest.raises(NothingToHandOver):
        services.fulfilment_hand_over(actor=seller, order=order, location=world_a["shop2"])


# ---------- Cancelled with the order ----------


def test_cancelling_the_order_cancels_its_fulfilments(world_a, seller, uk_shipping):
    order = checkout(seller, world_a, (0, 1, "pickup", "soho"), (1, 2, "ship", None))
    ready(seller, fulfilment_of(order, "pickup"))
    orders.order_cancel(actor=seller, order=order)
    assert sorted(Fulfilment.objects.filter(order=order).values_list("status", flat=True)) == [
        "cancelled",
        "cancelled",
    ]
    assert all(f.cancelled_at for f in Fulfilment.objects.filter(order=order))
    assert stock(world_a, 0, "shop") == (2, 0) and stock(world_a, 1, "warehouse") == (5, 0)
    before = state(world_a["boutique"])
    for step in ("pick", "pack", "ready"):
        with pytest.raises(FulfilmentCancelled):
            getattr(services, f"fulfilment_{step}")(actor=seller, fulfilment=fulfilment_of(order, "pickup"))
    with pytest.raises(FulfilmentCancelled):
        services.fulfilment_ship(actor=seller, fulfilment=fulfilment_of(order, "delivery"), carrier="DHL")
    assert state(world_a["boutique"]) == before
    assert services.fulfilment_cancel_for_order(order_id=order.pk) == 0  # safe to run twice


# ---------- Uncollected pickups ----------


def test_a_pickup_nobody_collects_is_released_after_the_hold_days(
    world_a, seller, pickup, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.PICKUP_HOLD_DAYS = 7
    ready(seller, pickup)
    ready_at = Fulfilment.objects.get(pk=pickup.pk).ready_at
    assert (
        services.fulfilments_release_uncollected(now=ready_at + timedelta(days=7) - timedelta(seconds=1)) == 0
    )
    assert stock(world_a, 0, "shop") == (2, 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.fulfilments_release_uncollected(now=ready_at + timedelta(days=7)) == 1
    released = Fulfilment.objects.get(pk=pickup.pk)
    assert (released.status, released.released_at) == ("released", ready_at + timedelta(days=7))
    assert Hold.objects.get(pk=released.lines.get().allocation.hold_id).status == "released"
    assert stock(world_a, 0, "shop") == (2, 0)  # back on sale
    assert [m.subject for m in mailoutbox] == [f"Your order #{pickup.order_id} was not collected"]
    assert "7 days" in mailoutbox[0].body and "Soho" in mailoutbox[0].body
    assert services.fulfilments_release_uncollected(now=ready_at + timedelta(days=30)) == 0
    with pytest.raises(FulfilmentClosed):
        services.fulfilment_collect(actor=seller, fulfilment=pickup, manager_override=False, code="X")
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_the_hold_days_come_from_the_settings(seller, pickup, settings):
    settings.PICKUP_HOLD_DAYS = 2
    ready(seller, pickup)
    soon = timezone.now() + timedelta(days=2, minutes=1)
    assert services.fulfilments_release_uncollected(now=soon) == 1


# ---------- Telling the client ----------


def test_the_ready_email_has_the_code_and_the_shop(world_a, seller, pickup, mailoutbox,
                                                   django_capture_on_commit_callbacks):  # fmt: skip
    from omnipresence.stores import services as stores

    stores.location_update(actor=world_a["actor"], location=world_a["shop"], address="12 Old Compton Street",
                           postcode="W1D 4TQ")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        code = ready(seller, pickup)
        assert mailoutbox == []  # sent only once the step commits
    (mail,) = mailoutbox
    assert mail.to == ["jane@example.com"]
    assert mail.subject == f"Your order #{pickup.order_id} is ready for collection"
    assert code_display(code) in mail.body
    assert (
        "Hello Jane Doe," in mail.body
        and "ready for collection at Soho" in mail.body
        and "Atelier A" in mail.body
    )
    assert "12 Old Compton Street, W1D 4TQ, London" in mail.body


def test_the_shipped_and_collected_emails(
    seller, pickup, delivery, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.fulfilment_ship(
            actor=seller, fulfilment=delivery, carrier="Royal Mail", tracking_code="RM1GB"
        )
        code = ready(seller, pickup)
        services.fulfilment_collect(actor=seller, fulfilment=pickup, code=code)
    subjects = [m.subject for m in mailoutbox]
    order = pickup.order_id
    assert subjects == [f"Your order #{order} is on its way", f"Your order #{order} is ready for collection",
                        f"You collected your order #{order}"]  # fmt: skip
    assert "Royal Mail" in mailoutbox[0].body and "Tracking code: RM1GB" in mailoutbox[0].body


def test_no_email_without_an_address_and_none_for_a_refused_step(world_a, seller, uk_shipping, mailoutbox,
                                                                 django_capture_on_commit_callbacks):  # fmt: skip
    order = checkout(seller, world_a, (0, 1, "pickup", "soho"), client_email="", client_phone="+447700900123")
    with django_capture_on_commit_callbacks(execute=True):
        code = ready(seller, fulfilment_of(order, "pickup"))
        with pytest.raises(OrderUnpaid):
            services.fulfilment_collect(actor=seller, fulfilment=fulfilment_of(order, "pickup"), code=code)
    assert code is not None  # the associate gives it to the client another way
    assert mailoutbox == []


def test_the_email_is_written_in_the_boutiques_language(
    world_b, mailoutbox, django_capture_on_commit_callbacks
):
    from babel.dates import format_date
    from django.utils import translation

    from omnipresence.core.timeutil import local
    from omnipresence.orders.tests.conftest import cart_with

    actor = world_b["actor"]
    cart = cart_with(actor, world_b, (0, 1, "pickup", "soho"), client_email="amelie@example.com")
    order = orders.cart_checkout(actor=actor, cart=cart)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        ready(actor, fulfilment_of(order, "pickup"))
        assert translation.get_language() == "en"  # the request's language is left as it was
    (mail,) = mailoutbox
    kept = local(Fulfilment.objects.get(order=order).ready_at + timedelta(days=7), "Europe/Paris").date()
    assert format_date(kept, "long", locale="fr_FR") in mail.body  # e.g. "9 décembre 2026"
