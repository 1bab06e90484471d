"""Holds: placing, releasing, extending, expiring — through the service layer and the API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from omnipresence.core.errors import Conflict, Forbidden, InsufficientStock, InvalidInput
from omnipresence.inventory import services
from omnipresence.inventory.models import Hold, Movement, Stock
from omnipresence.inventory.selectors import availability_for_product, ledger_check, stock_available


def stock_of(world, variant, location="shop"):
    return Stock.objects.get(variant=variant, location=world[location])


def test_hold_takes_units_out_of_every_channel(world_a, associate_actor):
    variant = world_a["variants"][0]
    before = availability_for_product(boutique=world_a["boutique"], product=world_a["product"])[variant.pk]
    assert (before.online, before.total) == (7, 7)

    hold = services.hold_place(
        actor=associate_actor, location=world_a["shop"], variant=variant, quantity=2, client_name="Mrs Dalloway"
    )

    after = availability_for_product(boutique=world_a["boutique"], product=world_a["product"])[variant.pk]
    soho = next(la for la in after.locations if la.location.code == "soho")
    assert (soho.on_hand, soho.held, soho.available) == (2, 2, 0)
    assert after.online == 5
    assert hold.created_by_label == "alice"
    assert hold.expires_at is not None and hold.expires_at > timezone.now() + timedelta(hours=47)
    assert stock_of(world_a, variant).held == 2
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_hold_more_than_available_is_refused_and_nothing_changes(world_a, associate_actor):
    variant = world_a["variants"][1]
    with pytest.raises(InsufficientStock) as err:
        services.hold_place(actor=associate_actor, location=world_a["shop"], variant=variant, quantity=3)
    assert err.value.details == {"lines": [{"sku": variant.sku, "location": "soho", "requested": 3, "available": 2}]}
    assert Hold.objects.count() == 0
    assert stock_of(world_a, variant).held == 0


def test_multi_line_hold_lists_every_short_line_and_holds_none(world_a, associate_actor):
    s, m, _ = world_a["variants"]
    lines = [
        services.HoldLine(world_a["shop"], s, 1),
        services.HoldLine(world_a["shop"], m, 5),
        services.HoldLine(world_a["shop2"], s, 1),
    ]
    with pytest.raises(InsufficientStock) as err:
        services.holds_place(actor=associate_actor, lines=lines)
    short = {(x["sku"], x["location"]) for x in err.value.details["lines"]}
    assert short == {(m.sku, "soho"), (s.sku, "chelsea")}
    assert Hold.objects.count() == 0
    assert Stock.objects.filter(held__gt=0).count() == 0


def test_release_gives_units_back_once(world_a, associate_actor):
    variant = world_a["variants"][0]
    hold = services.hold_place(actor=associate_actor, location=world_a["shop"], variant=variant, quantity=1)
    services.hold_release(actor=associate_actor, hold=hold)
    assert stock_available(stock_of(world_a, variant).pk) == 2
    with pytest.raises(Conflict) as err:
        services.hold_release(actor=associate_actor, hold=hold)
    assert err.value.code == "hold_not_active"
    assert stock_of(world_a, variant).held == 0


def test_expired_hold_is_ignored_at_read_time_and_swept(world_a, associate_actor):
    variant = world_a["variants"][0]
    hold = services.hold_place(actor=associate_actor, location=world_a["shop"], variant=variant, quantity=2)
    Hold.objects.filter(pk=hold.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    stock = stock_of(world_a, variant)
    assert stock.held == 2  # not swept yet
    assert stock_available(stock.pk) == 2  # but ignored when reading
    assert services.holds_sweep() == 2
    hold.refresh_from_db()
    assert hold.status == Hold.Status.EXPIRED
    assert stock_of(world_a, variant).held == 0
    assert services.holds_sweep() == 0
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_expired_holds_are_reclaimed_when_a_new_hold_needs_them(world_a, associate_actor):
    variant = world_a["variants"][0]
    old = services.hold_place(actor=associate_actor, location=world_a["shop"], variant=variant, quantity=2)
    Hold.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    new = services.hold_place(actor=associate_actor, location=world_a["shop"], variant=variant, quantity=2)
    old.refresh_from_db()
    assert old.status == Hold.Status.EXPIRED
    assert new.status == Hold.Status.ACTIVE
    assert stock_of(world_a, variant).held == 2
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_extend_and_bad_expiry(world_a, associate_actor):
    variant = world_a["variants"][0]
    hold = services.hold_place(actor=associate_actor, location=world_a["shop"], variant=variant, quantity=1)
    extended = services.hold_extend(actor=associate_actor, hold=hold, ttl_minutes=7 * 1440)
    assert extended.expires_at > timezone.now() + timedelta(days=6, hours=23)
    with pytest.raises(InvalidInput):
        services.hold_extend(actor=associate_actor, hold=hold, ttl_minutes=31 * 1440)
    with pytest.raises(InvalidInput):
        services.hold_place(actor=associate_actor, location=world_a["shop"], variant=variant, quantity=0)
    with pytest.raises(InvalidInput):
        services.hold_place(actor=associate_actor, location=world_a["shop"], variant=variant, quantity=1,
                            expires_at=timezone.now() - timedelta(minutes=1))  # fmt: skip


def test_consume_hold_sells_the_held_units(world_a, associate_actor):
    variant = world_a["variants"][0]
    hold = services.hold_place(actor=associate_actor, location=world_a["shop"], variant=variant, quantity=1)
    movement = services.hold_consume(actor=associate_actor, hold=hold, reference="order:1")
    stock = stock_of(world_a, variant)
    assert (stock.on_hand, stock.held, movement.kind, movement.quantity) == (1, 0, "sale", -1)
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_associate_cannot_adjust_stock(world_a, associate_actor):
    with pytest.raises(Forbidden):
        services.stock_adjust(actor=associate_actor, location=world_a["shop"], variant=world_a["variants"][0],
                              delta=-1, reason="damaged")  # fmt: skip
    assert Movement.objects.filter(kind="adjustment").count() == 0


def test_other_boutique_objects_are_refused(world_a, world_b, associate_actor):
    with pytest.raises(InvalidInput) as err:
        services.hold_place(actor=associate_actor, location=world_b["shop"], variant=world_b["variants"][0], quantity=1)
    assert err.value.code == "wrong_boutique"
    assert Hold.objects.count() == 0
