"""Gift cards and store credit: issued by managers, spent in any channel with the code (never twice,
never more than they hold), given back on a refund, and through the API."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from omnipresence.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from omnipresence.orders.models import Order
from omnipresence.payments import gift_cards, services
from omnipresence.payments.models import GiftCard, GiftCardMovement, Payment


def balance_is_the_ledger(card) -> bool:
    card.refresh_from_db()
    return card.balance == sum(GiftCardMovement.objects.filter(card=card).values_list("amount", flat=True))


def test_only_managers_issue_and_codes_are_kept_hashed(manager_actor, seller):
    with pytest.raises(Forbidden):
        gift_cards.gift_card_issue(actor=seller, amount=5000)
    card, code = gift_cards.gift_card_issue(actor=manager_actor, amount=5000, client_name="Ms Vane")
    assert len(code) == 19 and code.count("-") == 3 and not set(code.replace("-", "")) & set("01OI")
    assert code not in card.code_hash and card.last4 == code[-4:] and card.balance == 5000
    assert gift_cards.gift_card_find(actor=seller, code=code.lower()).pk == card.pk
    with pytest.raises(NotFound):
        gift_cards.gift_card_find(actor=seller, code=code[:-1] + ("A" if code[-1] != "A" else "B"))


def test_a_card_pays_part_and_cannot_be_spent_twice(manager_actor, seller, order):
    card, code = gift_cards.gift_card_issue(actor=manager_actor, amount=30000)
    payment = gift_cards.gift_card_pay(actor=seller, order=order, code=code)
    assert (payment.amount, payment.status, payment.details["last4"]) == (30000, "succeeded", card.last4)
    assert Order.objects.get(pk=order.pk).balance == 60000
    with pytest.raises(Conflict) as raised:
        gift_cards.gift_card_pay(actor=seller, order=order, code=code)
    assert raised.value.code == "gift_card_empty" and Payment.objects.count() == 1
    assert balance_is_the_ledger(card)


def test_a_refund_goes_back_onto_the_card_once(manager_actor, seller, order):
    card, code = gift_cards.gift_card_issue(actor=manager_actor, amount=100000)
    payment = gift_cards.gift_card_pay(actor=seller, order=order, code=code)
    assert payment.amount == 90000  # what was owed, not all the card holds
    services.refund_create(actor=manager_actor, payment=payment, amount=20000, idempotency_key="r1")
    services.refund_create(actor=manager_actor, payment=Payment.objects.get(pk=payment.pk), amount=20000,
                           idempotency_key="r1")  # fmt: skip
    card.refresh_from_db()
    assert card.balance == 10000 + 20000 and balance_is_the_ledger(card)
    assert Order.objects.get(pk=order.pk).amount_refunded == 20000


def test_expired_and_foreign_cards_are_refused(manager_actor, seller, order, world_b):
    from omnipresence.stores.access import system_actor

    card, code = gift_cards.gift_card_issue(actor=manager_actor, amount=1000,
                                            expires_at=timezone.now() + timedelta(days=1))  # fmt: skip
    GiftCard.objects.filter(pk=card.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(Conflict) as raised:
        gift_cards.gift_card_pay(actor=seller, order=order, code=code)
    assert raised.value.code == "gift_card_expired"
    _, other = gift_cards.gift_card_issue(actor=system_actor(world_b["boutique"]), amount=1000)
    with pytest.raises(NotFound):  # another boutique's card is simply unknown here
        gift_cards.gift_card_pay(actor=seller, order=order, code=other)
    with pytest.raises(InvalidInput) as raised:
        gift_cards.gift_card_issue(actor=manager_actor, amount=1000, kind="store_credit")
    assert raised.value.code == "client_required"
    assert not Payment.objects.exists()


def test_gift_cards_through_the_api(manager_a, order):
    api = Client()
    api.force_login(manager_a)
    made = api.post("/api/v1/boutiques/atelier-a/gift-cards", json.dumps({"amount": 25000}),
                    content_type="application/json")  # fmt: skip
    assert made.status_code == 201, made.content
    code = made.json()["code"]
    balance = api.post("/api/v1/boutiques/atelier-a/gift-cards/balance", json.dumps({"code": code}),
                       content_type="application/json")  # fmt: skip
    assert balance.json()["balance"] == 25000 and balance.json()["code"] is None
    paid = api.post(f"/api/v1/boutiques/atelier-a/orders/{order.pk}/payments",
                    json.dumps({"provider": "gift_card", "method": "gift_card", "gift_card_code": code}),
                    content_type="application/json")  # fmt: skip
    assert paid.status_code == 201 and paid.json()["amount"] == 25000
    missing = api.post(f"/api/v1/boutiques/atelier-a/orders/{order.pk}/payments",
                       json.dumps({"provider": "gift_card"}), content_type="application/json")  # fmt: skip
    assert (missing.status_code, missing.json()["code"]) == (422, "gift_card_code_required")
