"""Taking and giving back money: manual and sandbox payments, deposits and split tender, refunds,
notifications applied once, money for a cancelled order given back."""

import pytest

from omnipresence.core.errors import Forbidden, InvalidInput
from omnipresence.inventory.models import Hold
from omnipresence.orders import services as orders
from omnipresence.orders.errors import OrderPaid
from omnipresence.orders.models import Order
from omnipresence.payments import services
from omnipresence.payments.models import Payment, ProviderEvent, Refund, SandboxCharge
from omnipresence.payments.providers import get_provider
from omnipresence.payments.providers.base import PaymentDeclined, WebhookEvent


def reload(order) -> Order:
    return Order.objects.get(pk=order.pk)


def test_cash_pays_an_order_at_once(seller, order):
    assert order.total == 90000 and order.payment_status == "unpaid"
    payment = services.payment_record(actor=seller, order=order, method="cash")
    assert (payment.status, payment.amount, payment.provider, payment.method) == ("succeeded", 90000, "manual", "cash")
    order = reload(order)
    assert (order.payment_status, order.amount_paid, order.balance) == ("paid", 90000, 0)


def test_a_deposit_then_the_rest_by_card_terminal(seller, order):
    services.payment_record(actor=seller, order=order, method="cash", amount=20000, note="deposit")
    assert (reload(order).payment_status, reload(order).balance) == ("partially_paid", 70000)
    services.payment_record(actor=seller, order=order, method="terminal", amount=70000, note="receipt 0042")
    order = reload(order)
    assert (order.payment_status, order.amount_paid, order.balance) == ("paid", 90000, 0)
    assert [p.method for p in Payment.objects.filter(order=order).order_by("pk")] == ["cash", "terminal"]


@pytest.mark.parametrize("amount", [0, -5, 90001, True])
def test_amounts_outside_what_is_owed_are_refused_and_nothing_is_written(seller, order, amount):
    with pytest.raises(InvalidInput) as raised:
        services.payment_record(actor=seller, order=order, method="cash", amount=amount)
    assert raised.value.code in {"invalid_amount", "amount_too_large"}
    assert not Payment.objects.exists() and reload(order).amount_paid == 0


def test_a_paid_order_takes_no_more_money(seller, order):
    services.payment_record(actor=seller, order=order, method="cash")
    with pytest.raises(services.OrderNotPayable) as raised:
        services.payment_record(actor=seller, order=order, method="cash", amount=1)
    assert raised.value.code == "order_already_paid"
    assert Payment.objects.count() == 1


def test_the_same_idempotency_key_records_one_payment(seller, order):
    first = services.payment_record(actor=seller, order=order, method="cash", amount=100, idempotency_key="till-7")
    again = services.payment_record(actor=seller, order=order, method="cash", amount=100, idempotency_key="till-7")
    assert first.pk == again.pk and Payment.objects.count() == 1 and reload(order).amount_paid == 100


def test_sandbox_payment_pays_once_however_often_the_page_is_submitted(seller, order):
    payment = services.payment_start(actor=seller, order=order, provider="sandbox", return_url="/back/")
    assert payment.status == "pending" and payment.redirect_url == f"/pay/sandbox/{payment.reference}/"
    again = services.payment_start(actor=seller, order=order, provider="sandbox", return_url="/back/")
    assert again.pk == payment.pk  # a double click opens the same page
    sandbox = get_provider("sandbox")
    with pytest.raises(PaymentDeclined):
        sandbox.pay(reference=payment.reference, card="4000 0000 0000 0002")
    for _ in range(3):
        answer = sandbox.pay(reference=payment.reference, card="4242 4242 4242 4242")
        services.payment_succeeded(payment_id=payment.pk, answer=answer)
    charge = SandboxCharge.objects.get(reference=payment.reference)
    assert (charge.status, charge.card_last4, charge.declines) == ("succeeded", "4242", 1)
    payment.refresh_from_db()
    assert payment.status == "succeeded" and payment.details == {"last4": "4242"}
    assert reload(order).amount_paid == 90000 and SandboxCharge.objects.count() == 1


def test_a_replayed_notification_is_applied_once(seller, order):
    payment = services.payment_start(actor=seller, order=order, provider="sandbox")
    get_provider("sandbox").pay(reference=payment.reference, card="4242424242424242")
    event = WebhookEvent(event_id="evt_1", kind="payment.succeeded", payment_reference=payment.reference,
                         amount=90000, currency="GBP")  # fmt: skip
    assert services.payment_notify(provider="sandbox", event=event) == "applied"
    assert services.payment_notify(provider="sandbox", event=event) == "duplicate"
    assert ProviderEvent.objects.count() == 1 and reload(order).amount_paid == 90000
    other = WebhookEvent(event_id="evt_2", kind="payment.succeeded", payment_reference="sbx_not_ours")
    assert services.payment_notify(provider="sandbox", event=other) == "unknown"


def test_partial_refund_then_the_rest_and_never_more(manager_actor, seller, order):
    payment = services.payment_record(actor=seller, order=order, method="terminal")
    first = services.refund_create(actor=manager_actor, payment=payment, amount=30000, reason="wrong_size")
    assert (first.status, first.amount, first.reference) == ("succeeded", 30000, f"manual_re_omnipresence-refund-{first.pk}")
    order = reload(order)
    assert (order.payment_status, order.amount_refunded, order.balance) == ("partially_refunded", 30000, 30000)
    with pytest.raises(InvalidInput) as raised:
        services.refund_create(actor=manager_actor, payment=payment, amount=60001)
    assert raised.value.code == "refund_too_large" and raised.value.details == {"refundable": 60000}
    services.refund_create(actor=manager_actor, payment=payment)
    order = reload(order)
    assert (order.payment_status, order.amount_refunded) == ("refunded", 90000)
    payment.refresh_from_db()
    assert (payment.refund_reserved, payment.refundable) == (90000, 0)


def test_associates_cannot_refund(seller, order):
    payment = services.payment_record(actor=seller, order=order, method="cash")
    with pytest.raises(Forbidden):
        services.refund_create(actor=seller, payment=payment)
    assert not Refund.objects.exists() and reload(order).amount_refunded == 0


def test_sandbox_refund_goes_through_the_provider(manager_actor, seller, order):
    payment = services.payment_start(actor=seller, order=order, provider="sandbox")
    answer = get_provider("sandbox").pay(reference=payment.reference, card="4242424242424242")
    services.payment_succeeded(payment_id=payment.pk, answer=answer)
    refund = services.refund_create(actor=manager_actor, payment=Payment.objects.get(pk=payment.pk), amount=5000,
                                    idempotency_key="r-1")  # fmt: skip
    again = services.refund_create(actor=manager_actor, payment=Payment.objects.get(pk=payment.pk), amount=5000,
                                   idempotency_key="r-1")  # fmt: skip
    assert again.pk == refund.pk and refund.reference.startswith("sbx_re_")
    assert SandboxCharge.objects.get(reference=payment.reference).refunded == 5000
    assert reload(order).amount_refunded == 5000


def test_a_paid_order_is_cancelled_only_with_its_refund(manager_actor, seller, order):
    services.payment_record(actor=seller, order=order, method="cash")
    with pytest.raises(OrderPaid):
        orders.order_cancel(actor=seller, order=order)
    with pytest.raises(Forbidden):  # giving money back needs a manager
        services.order_refund_and_cancel(actor=seller, order=reload(order))
    assert reload(order).status == "placed"
    cancelled = services.order_refund_and_cancel(actor=manager_actor, order=reload(order))
    assert (cancelled.status, reload(order).payment_status, reload(order).amount_refunded) == ("cancelled", "refunded", 90000)
    assert not Hold.objects.filter(owner_ref=f"order:{order.pk}", status="active").exists()
    assert Refund.objects.get().reason == "order_cancelled"


def test_money_arriving_for_a_cancelled_order_is_given_back(seller, order):
    payment = services.payment_start(actor=seller, order=order, provider="sandbox")
    orders.order_cancel(actor=seller, order=order)  # e.g. the sweep, while the client was paying
    answer = get_provider("sandbox").pay(reference=payment.reference, card="4242424242424242")
    services.payment_succeeded(payment_id=payment.pk, answer=answer)
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason, refund.status) == (90000, "order_cancelled", "succeeded")
    assert (reload(order).amount_paid, reload(order).amount_refunded) == (90000, 90000)


def test_paying_twice_through_two_providers_refunds_the_excess(seller, order):
    online = services.payment_start(actor=seller, order=order, provider="sandbox")
    services.payment_record(actor=seller, order=order, method="cash")  # paid at the till meanwhile
    answer = get_provider("sandbox").pay(reference=online.reference, card="4242424242424242")
    services.payment_succeeded(payment_id=online.pk, answer=answer)
    refund = Refund.objects.get()
    assert (refund.payment_id, refund.amount, refund.reason) == (online.pk, 90000, "overpaid")
    assert reload(order).balance == 0 and reload(order).payment_status == "paid"


def test_a_cancelled_order_takes_no_payment(seller, order):
    orders.order_cancel(actor=seller, order=order)
    with pytest.raises(services.OrderNotPayable) as raised:
        services.payment_record(actor=seller, order=reload(order), method="cash")
    assert raised.value.code == "order_cancelled" and not Payment.objects.exists()


def test_another_boutiques_order_is_refused(world_b, associate_b, order):
    from omnipresence.stores.access import actor_for_user

    intruder = actor_for_user(associate_b, world_b["boutique"])
    with pytest.raises(InvalidInput) as raised:
        services.payment_record(actor=intruder, order=order, method="cash")
    assert raised.value.code == "wrong_boutique" and not Payment.objects.exists()


def test_a_failed_answer_never_marks_a_payment_paid(seller, order):
    payment = services.payment_start(actor=seller, order=order, provider="sandbox")
    expired = get_provider("sandbox").cancel(reference=payment.reference)
    assert expired.status == "failed"
    services.payment_succeeded(payment_id=payment.pk, answer=expired)
    assert Payment.objects.get(pk=payment.pk).status == "pending" and reload(order).amount_paid == 0


def test_an_uncollected_pickup_is_refunded_when_it_is_released(seller, world_a, uk_shipping, settings,
                                                               django_capture_on_commit_callbacks):  # fmt: skip
    from datetime import timedelta

    from omnipresence.fulfilment import services as fulfilment
    from omnipresence.fulfilment.models import Fulfilment
    from omnipresence.payments.tests.conftest import cart_with

    settings.PICKUP_HOLD_DAYS = 7
    order = orders.cart_checkout(actor=seller, cart=cart_with(seller, world_a, (0, 1, "pickup", "soho"), (1, 1, "ship", None)))
    services.payment_record(actor=seller, order=order, method="terminal")
    pickup = Fulfilment.objects.get(order=order, method="pickup")
    fulfilment.fulfilment_ready(actor=seller, fulfilment=pickup)
    ready_at = Fulfilment.objects.get(pk=pickup.pk).ready_at
    with django_capture_on_commit_callbacks(execute=True):
        assert fulfilment.fulfilments_release_uncollected(now=ready_at + timedelta(days=7)) == 1
    refund = Refund.objects.get()
    assert (refund.amount, refund.note, refund.status) == (45000, "not collected in time", "succeeded")
    assert (reload(order).amount_refunded, reload(order).payment_status) == (45000, "partially_refunded")
    with django_capture_on_commit_callbacks(execute=True):  # a second sweep refunds nothing more
        assert fulfilment.fulfilments_release_uncollected(now=ready_at + timedelta(days=8)) == 0
    assert Refund.objects.count() == 1


def test_a_receipt_is_emailed_with_lines_vat_and_how_it_was_paid(seller, order, mailoutbox):
    from omnipresence.payments.receipts import receipt_send

    services.payment_record(actor=seller, order=order, method="cash", amount=10000)
    services.payment_record(actor=seller, order=order, method="terminal")
    assert receipt_send(actor=seller, order=order) == "vane@example.com"
    mail = mailoutbox[0]
    assert mail.subject == f"Your receipt from Atelier A — order {order.pk}"
    assert "2 × " not in mail.body and "Blue Statement Coat" in mail.body and "£900.00" in mail.body
    assert "Cash: £100.00" in mail.body and "Card terminal: £800.00" in mail.body and "VAT included: £150.00" in mail.body
    assert mail.alternatives[0].mimetype == "text/html" and "£900.00" in mail.alternatives[0].content
    with pytest.raises(InvalidInput):
        receipt_send(actor=seller, order=order, email="not-an-email")
