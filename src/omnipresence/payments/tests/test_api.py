"""The payments API, and Stripe end to end: a Checkout Session at the fake Stripe, the signed
notification posted to our webhook endpoint, replays and forgeries."""

import json

import pytest
from django.test import Client

from omnipresence.orders.models import Order
from omnipresence.payments.models import Payment, ProviderEvent, Refund
from omnipresence.payments.tests.fake_stripe import TEST_SECRET_KEY, FakeStripe

WEBHOOK_SECRET = "whsec_omnipresence_api_test"
BASE = "/api/v1/boutiques/atelier-a"


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def test_record_cash_then_refund_part_through_the_api(api_a, order):
    taken = post(api_a, f"{BASE}/orders/{order.pk}/payments", {"provider": "manual", "method": "cash", "amount": 50000})
    assert taken.status_code == 201, taken.content
    body = taken.json()
    assert (body["status"], body["amount"], body["refundable"]) == ("succeeded", 50000, 50000)
    detail = api_a.get(f"{BASE}/orders/{order.pk}").json()
    assert (detail["payment_status"], detail["amount_paid"], detail["balance"]) == ("partially_paid", 50000, 40000)
    refund = post(api_a, f"{BASE}/payments/{body['id']}/refunds", {"amount": 2000, "reason": "faulty"})
    assert refund.status_code == 201 and refund.json()["status"] == "succeeded"
    listed = api_a.get(f"{BASE}/orders/{order.pk}/payments").json()
    assert [(p["amount"], p["refundable"], len(p["refunds"])) for p in listed] == [(50000, 48000, 1)]


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"provider": "manual", "method": "online"}, 422, "invalid_method"),
        ({"provider": "sandbox", "method": "cash"}, 422, "invalid_method"),
        ({"provider": "manual", "method": "cash", "amount": 90001}, 422, "amount_too_large"),
        ({"provider": "manual", "method": "cash", "amount": 0}, 422, "invalid_input"),
        ({"provider": "manual", "method": "cash", "amount": "12"}, 422, "invalid_input"),
        ({"provider": "paypal"}, 422, "invalid_input"),
        ({"provider": "stripe", "method": "online"}, 422, "provider_unknown"),  # not set up here
    ],
)
def test_bad_payments_are_refused_with_a_code(api_a, order, body, status, code):
    response = post(api_a, f"{BASE}/orders/{order.pk}/payments", body)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert not Payment.objects.filter(status="succeeded").exists()


def test_a_pay_link_through_the_api(api_a, world_a, seller):
    from omnipresence.orders import services as orders

    cart = orders.cart_create(actor=seller, channel="chat", client_name="Ms Vane")
    orders.cart_line_set(actor=seller, cart=cart, variant=world_a["variants"][0], quantity=1, fulfilment="pickup",
                         location=world_a["shop"])  # fmt: skip
    made = post(api_a, f"{BASE}/pay-links", {"cart_id": cart.pk, "hours": 6, "message": "Here you are"})
    assert made.status_code == 201, made.content
    link = made.json()
    assert (link["status"], link["amount"], link["currency"]) == ("active", 45000, "GBP")
    assert link["url"].startswith("http://127.0.0.1:8000/pay/")
    page = Client().get(link["url"].removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200 and "Here you are" in page.content.decode()
    assert api_a.get(f"{BASE}/pay-links/{link['id']}").json()["views"] == 1
    revoked = post(api_a, f"{BASE}/pay-links/{link['id']}/revoke")
    assert revoked.json()["status"] == "revoked"
    assert Order.objects.get(pk=link["order_id"]).status == "cancelled"
    both = post(api_a, f"{BASE}/pay-links", {"cart_id": cart.pk, "order_id": link["order_id"]})
    assert both.status_code == 422 and both.json()["code"] == "invalid_input"


@pytest.fixture
def stripe(settings):
    fake = FakeStripe().start()
    settings.STRIPE_SECRET_KEY = TEST_SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake.url
    settings.PAYMENTS_ONLINE_PROVIDER = "stripe"
    yield fake
    fake.stop()


def stripe_webhook(fake, event_type, session_id, event_id, secret=WEBHOOK_SECRET):
    session = FakeStripe.public(fake.sessions[session_id])
    body, headers = fake.signed_webhook(event_type, session, secret=secret, event_id=event_id)
    return Client().post(
        "/api/v1/webhooks/payments/stripe", body, content_type="application/json",
        headers={"Stripe-Signature": headers["Stripe-Signature"]},
    )  # fmt: skip


def test_a_pay_link_paid_at_stripe_is_applied_once_from_its_signed_webhook(stripe, link):
    from omnipresence.payments import pay_links

    token = pay_links.pay_link_token(link)
    go = Client().post(f"/pay/{token}/pay/")
    assert go.status_code == 302 and go["Location"].startswith("https://checkout.stripe.com/")
    payment = Payment.objects.get()
    assert payment.provider == "stripe" and payment.reference.startswith("cs_")
    created = stripe.requests_to("POST", "/v1/checkout/sessions")
    assert len(created) == 1 and created[0].header("Idempotency-Key") == f"omnipresence-payment-{payment.pk}"
    assert Client().post(f"/pay/{token}/pay/")["Location"] == go["Location"]  # a second click: same session
    assert len(stripe.requests_to("POST", "/v1/checkout/sessions")) == 1

    stripe.pay(payment.reference)
    forged = stripe_webhook(stripe, "checkout.session.completed", payment.reference, "evt_forged", secret="whsec_wrong")
    assert forged.status_code == 400 and forged.json()["code"] == "invalid_webhook"
    assert Order.objects.get(pk=link.order_id).amount_paid == 0

    first = stripe_webhook(stripe, "checkout.session.completed", payment.reference, "evt_paid")
    assert (first.status_code, first.json()) == (200, {"result": "applied"})
    replay = stripe_webhook(stripe, "checkout.session.completed", payment.reference, "evt_paid")
    assert replay.json() == {"result": "duplicate"}
    order = Order.objects.get(pk=link.order_id)
    assert (order.payment_status, order.amount_paid) == ("paid", 45000)
    assert ProviderEvent.objects.filter(provider="stripe").count() == 1
    link.refresh_from_db()
    assert link.status == "paid"


def test_back_from_stripe_before_the_webhook_the_page_asks_stripe(stripe, link):
    from omnipresence.payments import pay_links

    token = pay_links.pay_link_token(link)
    Client().post(f"/pay/{token}/pay/")
    payment = Payment.objects.get()
    stripe.pay(payment.reference)
    back = Client().get(f"/pay/{token}/return/")
    assert "Paid — thank you!" in back.content.decode()
    assert Order.objects.get(pk=link.order_id).payment_status == "paid"


def test_a_stripe_refund_goes_to_the_payment_intent(stripe, link, manager_actor):
    from omnipresence.payments import pay_links, services

    Client().post(f"/pay/{pay_links.pay_link_token(link)}/pay/")
    payment = Payment.objects.get()
    stripe.pay(payment.reference)
    services.payment_sync(payment=payment)
    refund = services.refund_create(actor=manager_actor, payment=Payment.objects.get(pk=payment.pk), amount=1000)
    assert refund.status == "succeeded" and refund.reference.startswith("re_")
    sent = stripe.requests_to("POST", "/v1/refunds")
    assert len(sent) == 1 and sent[0].header("Idempotency-Key") == f"omnipresence-refund-{refund.pk}"
    assert Order.objects.get(pk=link.order_id).amount_refunded == 1000 and Refund.objects.count() == 1


def test_webhook_for_an_unknown_provider_is_a_clear_error():
    response = Client().post("/api/v1/webhooks/payments/paypal", b"{}", content_type="application/json")
    assert response.status_code == 422 and response.json()["code"] == "invalid_input"
