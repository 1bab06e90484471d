"""Returns and exchanges in any channel: restock where chosen, refund to the original payment or
as store credit, exchange for another size paid with that credit, and return rates by channel."""

import json

import pytest
from django.test import Client

from omnipresence.core.errors import Conflict, Forbidden
from omnipresence.inventory.models import Movement, Stock
from omnipresence.inventory.selectors import ledger_check
from omnipresence.orders.models import Order
from omnipresence.payments import gift_cards
from omnipresence.payments.models import GiftCard, Refund
from omnipresence.returns import services
from omnipresence.returns.models import Return
from omnipresence.returns.selectors import return_rates
from omnipresence.returns.tests.conftest import cart_with, hand_over


def on_hand(world, location_key, index=0) -> int:
    return Stock.objects.get(location=world[location_key], variant=world["variants"][index]).on_hand


def test_a_return_to_the_original_payment_restocks_where_chosen(manager_actor, world_a, sold):
    line = sold.lines.get()
    assert (line.total, on_hand(world_a, "shop")) == (81000, 0)
    result = services.return_create(
        actor=manager_actor, order=sold, channel="shop",
        lines=[services.LineBack(order_line=line, quantity=1, reason="wrong_size", restock_location=world_a["shop2"])],
    )  # fmt: skip
    ret = result.ret
    assert (ret.amount, ret.refunded, ret.status, ret.assisted, ret.sale_channel) == (40500, 40500, "completed", True, "chat")
    assert Stock.objects.get(location=world_a["shop2"], variant=world_a["variants"][0]).on_hand == 1
    assert Movement.objects.filter(kind="return", reference=f"return:{ret.pk}").count() == 1
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason, refund.status) == (40500, "wrong_size", "succeeded")
    order = Order.objects.get(pk=sold.pk)
    assert (order.amount_refunded, order.payment_status) == (40500, "partially_refunded")
    assert ledger_check(boutique=world_a["boutique"]) == []
    from omnipresence.clients.models import Client, TimelineEvent

    event = TimelineEvent.objects.get(kind="return")
    assert event.client_id == order.client_id and event.data["amount"] == 40500 and event.data["assisted"] is True
    assert Client.objects.get(pk=order.client_id).lifetime_spend == 81000 - 40500


def test_returning_every_unit_in_two_returns_gives_back_exactly_the_line_total(manager_actor, world_a, seller,
                                                                               uk_shipping):  # fmt: skip
    from omnipresence.orders import services as orders
    from omnipresence.payments import services as payments

    orders.campaign_create(actor=world_a["actor"], name="Odd", kind="fixed", value=1001, code="ODD")
    cart = cart_with(seller, world_a, (1, 2, "pickup", "soho"), code="ODD", client_email="odd@example.com")
    order = orders.cart_checkout(actor=seller, cart=cart)
    payments.payment_record(actor=seller, order=order, method="cash")
    hand_over(seller, order)
    line = order.lines.get()
    amounts = [
        services.return_create(actor=manager_actor, order=order, lines=[services.LineBack(order_line=line, quantity=1)],
                               idempotency_key=f"r{i}").ret.amount  # fmt: skip
        for i in range(2)
    ]
    assert sum(amounts) == line.total == 90000 - 1001 and sorted(amounts) == [44499, 44500]
    assert Order.objects.get(pk=order.pk).payment_status == "refunded"


def test_more_than_was_handed_over_is_refused_and_nothing_changes(manager_actor, world_a, sold):
    line = sold.lines.get()
    services.return_create(actor=manager_actor, order=sold, lines=[services.LineBack(order_line=line, quantity=2)])
    with pytest.raises(Conflict) as raised:
        services.return_create(actor=manager_actor, order=sold, lines=[services.LineBack(order_line=line, quantity=1)])
    assert raised.value.code == "not_returnable" and raised.value.details["lines"][0]["returnable"] == 0
    assert Return.objects.count() == 1 and Refund.objects.count() == 1


def test_units_not_handed_over_cannot_be_returned(manager_actor, world_a, seller, uk_shipping):
    from omnipresence.orders import services as orders

    order = orders.cart_checkout(actor=seller, cart=cart_with(seller, world_a, (1, 1, "pickup", "soho")))
    with pytest.raises(Conflict) as raised:
        services.return_create(actor=manager_actor, order=order,
                               lines=[services.LineBack(order_line=order.lines.get(), quantity=1)])  # fmt: skip
    assert raised.value.code == "not_returnable" and not Return.objects.exists()


def test_associates_cannot_give_money_back(seller, sold):
    with pytest.raises(Forbidden):
        services.return_create(actor=seller, order=sold, lines=[services.LineBack(order_line=sold.lines.get(), quantity=1)])
    assert not Return.objects.exists()


def test_store_credit_is_spendable_in_another_channel(manager_actor, seller, world_a, sold, uk_shipping):
    from omnipresence.orders import services as orders

    result = services.return_create(
        actor=manager_actor, order=sold, refund_method="store_credit",
        lines=[services.LineBack(order_line=sold.lines.get(), quantity=1, reason="changed_mind",
                                 restock_location=world_a["shop"])],
    )  # fmt: skip
    card = result.ret.credit
    assert (card.kind, card.balance, card.client_ref, len(result.credit_code)) == ("store_credit", 40500, "vane@example.com", 19)
    assert not Refund.objects.exists()  # the money stays with the boutique as her credit
    web = orders.cart_checkout(actor=seller, cart=cart_with(seller, world_a, (1, 1, "pickup", "soho"), channel="web",
                                                            client_email="vane@example.com"))  # fmt: skip
    payment = gift_cards.gift_card_pay(actor=seller, order=web, code=result.credit_code.lower().replace("-", " "))
    assert (payment.amount, payment.provider) == (40500, "gift_card")
    web = Order.objects.get(pk=web.pk)
    assert (web.payment_status, web.balance) == ("partially_paid", 4500)
    assert GiftCard.objects.get(pk=card.pk).balance == 0
    with pytest.raises(Conflict) as raised:
        gift_cards.gift_card_pay(actor=seller, order=web, code=result.credit_code)
    assert raised.value.code == "gift_card_empty"


def test_an_exchange_for_another_size_is_paid_with_the_credit(manager_actor, world_a, sold):
    result = services.return_create(
        actor=manager_actor, order=sold, refund_method="exchange", channel="shop",
        lines=[services.LineBack(order_line=sold.lines.get(), quantity=1, reason="wrong_size",
                                 restock_location=world_a["shop"])],
        exchange=[services.ExchangeLine(variant=world_a["variants"][1], quantity=1, fulfilment="pickup",
                                        location=world_a["shop"])],
    )  # fmt: skip
    ret = result.ret
    new = Order.objects.get(pk=ret.exchange_order_id)
    assert (new.total, new.channel, new.client_email, new.source_ref) == (45000, "shop", "vane@example.com", f"exchange:return:{ret.pk}")
    assert (new.amount_paid, new.balance, new.payment_status) == (40500, 4500, "partially_paid")  # she pays the difference
    assert GiftCard.objects.get(pk=ret.credit_id).balance == 0
    assert on_hand(world_a, "shop", 0) == 1  # the S went back on the shelf
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_an_exchange_with_no_stock_writes_nothing(manager_actor, world_a, sold):
    from omnipresence.core.errors import InsufficientStock

    before = (Return.objects.count(), GiftCard.objects.count(), Order.objects.count(), on_hand(world_a, "shop"))
    with pytest.raises(InsufficientStock):
        services.return_create(
            actor=manager_actor, order=sold, refund_method="exchange",
            lines=[services.LineBack(order_line=sold.lines.get(), quantity=1, restock_location=world_a["shop"])],
            exchange=[services.ExchangeLine(variant=world_a["variants"][1], quantity=9, fulfilment="pickup",
                                            location=world_a["shop"])],
        )  # fmt: skip
    assert (Return.objects.count(), GiftCard.objects.count(), Order.objects.count(), on_hand(world_a, "shop")) == before


def test_return_rates_compare_assisted_and_self_service_selling(manager_actor, seller, world_a, sold, uk_shipping):
    from omnipresence.orders import services as orders
    from omnipresence.payments import services as payments

    web = orders.cart_checkout(actor=seller, cart=cart_with(seller, world_a, (2, 1, "pickup", "soho"), channel="web"))
    payments.payment_record(actor=seller, order=web, method="cash")
    hand_over(seller, web)
    services.return_create(actor=manager_actor, order=sold, lines=[services.LineBack(order_line=sold.lines.get(), quantity=1)])
    rates = {(r.channel, r.assisted): (r.orders, r.units_sold, r.units_returned, r.rate)
             for r in return_rates(actor=manager_actor)}  # fmt: skip
    assert rates == {("chat", True): (1, 2, 1, 0.5), ("web", False): (1, 1, 0, 0.0)}


def test_returns_through_the_api_with_idempotency(world_a, manager_a, sold):
    api = Client()
    api.force_login(manager_a)
    line = sold.lines.get()
    body = {"lines": [{"line_id": line.pk, "quantity": 1, "reason": "faulty"}], "refund_method": "store_credit",
            "idempotency_key": "counter-17"}  # fmt: skip
    url = f"/api/v1/boutiques/atelier-a/orders/{sold.pk}/returns"
    first = api.post(url, json.dumps(body), content_type="application/json")
    assert first.status_code == 201, first.content
    made = first.json()
    assert (made["amount"], made["refund_method"], made["lines"][0]["restock_location"]) == (40500, "store_credit", None)
    assert len(made["store_credit_code"]) == 19
    again = api.post(url, json.dumps(body), content_type="application/json")
    assert again.json()["id"] == made["id"] and again.json()["store_credit_code"] is None
    assert Return.objects.count() == 1 and GiftCard.objects.count() == 1
    bad = api.post(url, json.dumps({"lines": [{"line_id": 999999, "quantity": 1}]}), content_type="application/json")
    assert (bad.status_code, bad.json()["code"]) == (422, "wrong_order_line")
    rates = api.get("/api/v1/boutiques/atelier-a/returns/rates").json()
    assert rates == [{"channel": "chat", "assisted": True, "orders": 1, "units_sold": 2, "units_returned": 1, "rate": 0.5}]
