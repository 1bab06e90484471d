"""Campaigns and codes: every refusal with its code, per-client limits, personal codes, usage
counted at checkout and given back on cancellation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from omnipresence.core.errors import DomainError, Forbidden, InvalidInput
from omnipresence.orders import services
from omnipresence.orders.models import Campaign, Code, Redemption
from omnipresence.orders.tests.conftest import cart_with, state

pytestmark = pytest.mark.django_db


def campaign(world, **options):
    defaults = {"name": "Offer", "kind": "percentage", "value": 1000}
    return services.campaign_create(actor=world["actor"], **{**defaults, **options})


def refusal(seller, cart, code) -> str:
    with pytest.raises(DomainError) as refused:
        services.cart_code_apply(actor=seller, cart=cart, code=code)
    return refused.value.code


def test_every_coupon_refusal_has_its_code(world_a, seller, uk_shipping):
    now = timezone.now()
    campaign(world_a, code="PAST", ends_at=now - timedelta(minutes=1))
    campaign(world_a, code="SOON", starts_at=now + timedelta(days=1))
    campaign(world_a, code="SHOPONLY", channels=["shop"])
    campaign(world_a, code="BIGSPEND", min_spend=100000)
    campaign(world_a, code="MENSWEAR", category_paths=["Men > Shirts"])
    campaign(world_a, code="ONCEEACH", per_client_limit=1)
    used_up = campaign(world_a, code="GONE", usage_limit=1)
    Campaign.objects.filter(pk=used_up.pk).update(used=1)
    euro = campaign(world_a, code="EUROS", kind="fixed", value=500)
    Campaign.objects.filter(pk=euro.pk).update(currency="EUR")  # e.g. the boutique changed currency since
    personal = services.code_issue(
        actor=seller, campaign=campaign(world_a, name="Thanks"), client_ref="other@example.com"
    )

    cart = cart_with(seller, world_a, (0, 1, "ship", None), client_email="vane@example.com")
    anonymous = cart_with(seller, world_a, (0, 1, "ship", None))
    before = state(world_a["boutique"])
    assert {
        "NOPE": refusal(seller, cart, "NOPE"),
        "PAST": refusal(seller, cart, "past"),
        "SOON": refusal(seller, cart, "SOON"),
        "GONE": refusal(seller, cart, "GONE"),
        "SHOPONLY": refusal(seller, cart, "SHOPONLY"),
        "BIGSPEND": refusal(seller, cart, "BIGSPEND"),
        "MENSWEAR": refusal(seller, cart, "MENSWEAR"),
        "EUROS": refusal(seller, cart, "EUROS"),
        "personal": refusal(seller, cart, personal.code),
        "anonymous": refusal(seller, anonymous, "ONCEEACH"),
    } == {
        "NOPE": "coupon_unknown",
        "PAST": "coupon_expired",
        "SOON": "coupon_not_started",
        "GONE": "coupon_exhausted",
        "SHOPONLY": "coupon_wrong_channel",
        "BIGSPEND": "coupon_min_spend",
        "MENSWEAR": "coupon_not_applicable",
        "EUROS": "currency_mismatch",
        "personal": "coupon_not_applicable",
        "anonymous": "coupon_client_required",
    }
    assert state(world_a["boutique"]) == before
    # Once per client: the second order of the same client is refused
    services.cart_code_apply(actor=seller, cart=cart, code="ONCEEACH")
    services.cart_checkout(actor=seller, cart=cart)
    again = cart_with(seller, world_a, (1, 1, "ship", None), client_email="VANE@example.com")
    assert refusal(seller, again, "ONCEEACH") == "coupon_already_used"


def test_checkout_rechecks_the_code(world_a, seller, uk_shipping):
    # Given two carts holding the last use of a code
    campaign(world_a, code="LAST", usage_limit=1)
    first = cart_with(seller, world_a, (0, 1, "ship", None), code="LAST")
    second = cart_with(seller, world_a, (1, 1, "ship", None), code="LAST")
    services.cart_checkout(actor=seller, cart=first)
    # When the second checks out, the code is refused and nothing is held
    priced = services.cart_price(actor=seller, cart=second)
    assert priced.coupon_problem.code == "coupon_exhausted" and priced.discount == 0
    before = state(world_a["boutique"])
    with pytest.raises(DomainError) as refused:
        services.cart_checkout(actor=seller, cart=second)
    assert refused.value.code == "coupon_exhausted"
    assert state(world_a["boutique"]) == before
    # Removing the code lets it through at full price
    services.cart_code_remove(actor=seller, cart=second)
    assert services.cart_checkout(actor=seller, cart=second).discount == 0


def test_per_client_limit_counts_slots_and_cancel_frees_one(world_a, seller, uk_shipping):
    offer = campaign(world_a, code="TWICE", per_client_limit=2)
    client = {"client_email": "ms.vane@example.com"}
    orders = [
        services.cart_checkout(
            actor=seller, cart=cart_with(seller, world_a, (i, 1, "ship", None), code="TWICE", **client)
        )
        for i in (0, 1)
    ]
    third = cart_with(seller, world_a, (2, 1, "ship", None), **client)
    assert refusal(seller, third, "TWICE") == "coupon_already_used"
    services.order_cancel(actor=seller, order=orders[0])
    services.cart_code_apply(actor=seller, cart=third, code="TWICE")
    services.cart_checkout(actor=seller, cart=third)
    assert sorted(Redemption.objects.filter(status="redeemed").values_list("slot", flat=True)) == [1, 2]
    offer.refresh_from_db()
    assert offer.used == 2 == services.redemption_count(campaign=offer)


def test_personal_codes_are_unguessable_single_use_and_for_one_client(world_a, seller, uk_shipping):
    thanks = campaign(world_a, name="Thank you", kind="fixed", value=2500)
    codes = {
        services.code_issue(actor=seller, campaign=thanks, client_ref="+44 7700 900123").code
        for _ in range(20)
    }
    assert len(codes) == 20
    assert all(len(c) == 19 and c.count("-") == 3 for c in codes)
    code = codes.pop()
    issued = Code.objects.get(code=code)
    assert (issued.kind, issued.client_ref, issued.usage_limit) == ("personal", "+447700900123", 1)
    cart = cart_with(seller, world_a, (0, 1, "ship", None), code=code.lower(), client_phone="+447700900123")
    order = services.cart_checkout(actor=seller, cart=cart)
    assert order.discount == 2500
    again = cart_with(seller, world_a, (1, 1, "ship", None), client_phone="+447700900123")
    assert refusal(seller, again, code) == "coupon_exhausted"


def test_free_shipping_code(world_a, seller, uk_shipping):
    campaign(world_a, code="SHIPFREE", kind="free_shipping")
    cart = cart_with(seller, world_a, (0, 1, "ship", None), code="SHIPFREE",
                     shipping_country="US")  # fmt: skip
    order = services.cart_checkout(actor=seller, cart=cart)
    assert (order.shipping, order.total, order.promotions[0]["amount"]) == (0, 45000, 2500)


def test_who_may_create_campaigns_and_bad_campaigns(world_a, seller, manager_actor):
    with pytest.raises(Forbidden):
        services.campaign_create(actor=seller, name="Mine", kind="percentage", value=5000)
    created = services.campaign_create(actor=manager_actor, name="Coats", kind="percentage", value=1000,
                                       category_paths=["Women > Coats"], channels=["web", "shop"])  # fmt: skip
    assert (created.category_paths, created.channels, created.currency) == (
        ["women/coats"],
        ["shop", "web"],
        "GBP",
    )
    bad = [
        ({"kind": "percentage", "value": 10001}, "invalid_value"),
        ({"kind": "fixed", "value": 0}, "invalid_value"),
        ({"kind": "bogus"}, "invalid_kind"),
        ({"channels": ["fax"]}, "invalid_channel"),
        ({"automatic": True, "code": "AUTO"}, "invalid_code"),
        ({"code": "COATS", "product_ids": [10**9]}, "product_not_found"),
    ]
    for options, code in bad:
        with pytest.raises(InvalidInput) as refused:
            services.campaign_create(
                actor=manager_actor, **{"name": "X", "kind": "percentage", "value": 1, **options}
            )
        assert refused.value.code == code
    services.campaign_create(actor=manager_actor, name="A", kind="percentage", value=1, code="DUPE")
    with pytest.raises(InvalidInput) as taken:
        services.campaign_create(actor=manager_actor, name="B", kind="percentage", value=1, code="dupe")
    assert taken.value.code == "code_taken"


def test_automatic_offer_once_per_client_skips_who_cannot_use_it(world_a, seller, uk_shipping):
    campaign(world_a, name="First coat", automatic=True, per_client_limit=1, value=2000)
    anonymous = cart_with(seller, world_a, (0, 1, "ship", None))
    assert services.cart_price(actor=seller, cart=anonymous).discount == 0
    first = cart_with(seller, world_a, (0, 1, "ship", None), client_email="vane@example.com")
    assert services.cart_checkout(actor=seller, cart=first).discount == 9000
    second = cart_with(seller, world_a, (1, 1, "ship", None), client_email="vane@example.com")
    assert services.cart_checkout(actor=seller, cart=second).discount == 0
    assert services.cart_checkout(actor=seller, cart=anonymous).discount == 0
