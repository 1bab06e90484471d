"""Clients racing to pay, on SQLite and PostgreSQL (threads, each with its own connection): one pay
link opened and paid from 16 tabs at once takes one charge; refunds racing on one payment never give
back more than it took; a link revoked while the client pays either takes the money or releases the
units, never both."""

import pytest
from django.db.models import Sum

from omnipresence.core.errors import DomainError
from omnipresence.inventory.selectors import ledger_check
from omnipresence.orders.models import Order
from omnipresence.orders.tests.test_concurrency import run_clients
from omnipresence.payments import pay_links, services
from omnipresence.payments.models import PayLink, Payment, Refund, SandboxCharge
from omnipresence.payments.providers import get_provider

pytestmark = pytest.mark.django_db(transaction=True)
CLIENTS = 16


def test_one_link_paid_from_many_tabs_at_once_is_charged_once(world_a, link):
    token = pay_links.pay_link_token(link)
    sandbox = get_provider("sandbox")

    def client(index):
        try:
            payment = pay_links.pay_link_pay(link=pay_links.pay_link_by_token(token), return_url="/back/")
        except DomainError as error:
            return error.code  # the link was paid by another tab first
        try:
            answer = sandbox.pay(reference=payment.reference, card="4242424242424242")
        except DomainError as error:
            return error.code
        services.payment_succeeded(payment_id=payment.pk, answer=answer)
        return payment.pk

    results, escaped = run_clients(CLIENTS, client)

    assert escaped == []
    payment_ids = {r for r in results if isinstance(r, int)}
    assert len(payment_ids) == 1, results
    assert set(results) - payment_ids <= {"pay_link_paid", "order_already_paid"}  # later tabs: told it is paid
    assert Payment.objects.count() == 1 and Payment.objects.get().status == "succeeded"
    assert SandboxCharge.objects.filter(status="succeeded").count() == 1
    assert not Refund.objects.exists()
    order = Order.objects.get(pk=link.order_id)
    assert (order.payment_status, order.amount_paid) == ("paid", 45000)
    assert PayLink.objects.get(pk=link.pk).status == "paid"


def test_refunds_racing_on_one_payment_never_exceed_it(world_a, manager_actor, order):
    payment = services.payment_record(actor=manager_actor, order=order, method="terminal")  # 900.00

    def client(index):
        try:
            return services.refund_create(actor=manager_actor, payment=payment, amount=20000).amount
        except DomainError as error:
            return error.code

    results, escaped = run_clients(CLIENTS, client)

    assert escaped == []
    assert results.count(20000) == 4 and results.count("refund_too_large") == CLIENTS - 4
    assert Refund.objects.filter(status="succeeded").aggregate(s=Sum("amount"))["s"] == 80000
    payment.refresh_from_db()
    assert payment.refund_reserved == 80000
    assert Order.objects.get(pk=order.pk).amount_refunded == 80000


def test_revoking_while_the_client_pays_never_keeps_both_money_and_units_free(world_a, seller, link):
    token = pay_links.pay_link_token(link)
    payment = pay_links.pay_link_pay(link=pay_links.pay_link_by_token(token), return_url="/back/")
    sandbox = get_provider("sandbox")

    def client(index):
        try:
            if index == 0:
                return pay_links.pay_link_revoke(actor=seller, link=PayLink.objects.get(pk=link.pk)).status
            answer = sandbox.pay(reference=payment.reference, card="4242424242424242")
            services.payment_succeeded(payment_id=payment.pk, answer=answer)  # a failed answer records nothing
            return answer.status
        except DomainError as error:
            return error.code

    results, escaped = run_clients(2, client)

    assert escaped == []
    order = Order.objects.get(pk=link.order_id)
    net = order.amount_paid - order.amount_refunded
    if order.status == "cancelled":
        assert net == 0  # revoked first: the late payment, if any, was given back
    else:
        assert (order.payment_status, PayLink.objects.get(pk=link.pk).status) == ("paid", "paid")
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_one_gift_card_spent_from_many_tills_at_once_never_goes_below_zero(world_a, seller, manager_actor,
                                                                           uk_shipping):  # fmt: skip
    from omnipresence.inventory import services as inventory
    from omnipresence.orders import services as orders
    from omnipresence.payments import gift_cards
    from omnipresence.payments.models import GiftCard
    from omnipresence.payments.tests.conftest import cart_with

    inventory.stock_receive(actor=world_a["actor"], location=world_a["shop"], variant=world_a["variants"][2],
                            quantity=CLIENTS, reason="race")  # fmt: skip
    placed = [
        orders.cart_checkout(actor=seller, cart=cart_with(seller, world_a, (2, 1, "pickup", "soho")))
        for _ in range(CLIENTS)
    ]
    card, code = gift_cards.gift_card_issue(actor=manager_actor, amount=100000)  # enough for two coats

    def client(index):
        try:
            return gift_cards.gift_card_pay(actor=seller, order=placed[index], code=code, amount=45000).amount
        except DomainError as error:
            return error.code

    results, escaped = run_clients(CLIENTS, client)

    assert escaped == []
    assert results.count(45000) == 2, results
    assert set(results) - {45000} <= {"gift_card_insufficient"}
    assert GiftCard.objects.get(pk=card.pk).balance == 10000
    assert Payment.objects.filter(provider="gift_card").aggregate(s=Sum("amount"))["s"] == 90000


def test_a_double_submitted_till_payment_answers_paid_both_times(world_a, seller, order):
    def client(index):
        payment = services.payment_record(actor=seller, order=order, method="terminal", idempotency_key="till-42")
        return payment.pk, payment.status

    results, escaped = run_clients(CLIENTS, client)

    assert escaped == []
    assert len(set(results)) == 1 and results[0][1] == "succeeded"
    assert Payment.objects.count() == 1 and Order.objects.get(pk=order.pk).payment_status == "paid"
