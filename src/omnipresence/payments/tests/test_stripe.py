"""The Stripe provider against a local fake Stripe over real HTTP: the SDK's own requests, retries and
errors, and Stripe's webhook signatures. Nothing here leaves 127.0.0.1."""

import json
import socket
import time
import urllib.error
import urllib.request

import pytest
import stripe
from django.http.request import HttpHeaders

from omnipresence.payments.providers import stripe as stripe_module
from omnipresence.payments.providers.base import (
    InvalidWebhook,
    PaymentDeclined,
    PaymentError,
    ProviderPayment,
    ProviderRefund,
    ProviderUnavailable,
    WebhookEvent,
)
from omnipresence.payments.providers.stripe import StripeProvider
from omnipresence.payments.tests import fake_stripe as fake_server
from omnipresence.payments.tests.fake_stripe import TEST_SECRET_KEY, stripe_signature

fake_stripe = fake_server.fake_stripe  # the fixture, under its own name

WEBHOOK_SECRET = "whsec_test_omnipresence"
SESSIONS = "/v1/checkout/sessions"


@pytest.fixture(autouse=True)
def _local_and_fast(monkeypatch):
    # The SDK waits ≥ 0.5 s between retries; the retries themselves are what these tests check.
    monkeypatch.setattr(stripe.HTTPClient, "INITIAL_DELAY", 0.001)
    monkeypatch.setattr(stripe.HTTPClient, "MAX_DELAY", 0.001)
    # requests would send even 127.0.0.1 through a proxy named in the environment.
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


@pytest.fixture
def provider(fake_stripe):
    return StripeProvider(secret_key=TEST_SECRET_KEY, webhook_secret=WEBHOOK_SECRET, api_base=fake_stripe.url,
                          timeout=2.0)  # fmt: skip


@pytest.fixture
def now(monkeypatch):
    """The provider's clock, fixed, so expiry clamping gives exact values (the fake checks its own clock)."""
    moment = int(time.time())
    monkeypatch.setattr(stripe_module, "_now", lambda: moment)
    return moment


def create(provider, **overrides) -> ProviderPayment:
    arguments = {
        "amount": 12500,
        "currency": "EUR",
        "idempotency_key": "pay-42",
        "description": "Silk scarf, navy",
        "return_url": "https://shop.example/pay/42/done",
        "cancel_url": "https://shop.example/pay/42",
        "metadata": {"payment_id": "42", "boutique": "paris-marais"},
    }
    arguments.update(overrides)
    return provider.create(**arguments)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- create -------------------------------------------------------------------------------------------


def test_create_opens_a_checkout_session_with_stripes_form_fields(fake_stripe, provider, now):
    payment = create(provider, expires_at=now + 3600)

    (session_id,) = fake_stripe.sessions
    assert payment == ProviderPayment(
        reference=session_id,
        status="pending",
        amount=12500,
        currency="EUR",
        redirect_url=f"https://checkout.stripe.com/c/pay/{session_id}",
        details={},
    )
    (request,) = fake_stripe.requests
    assert (request.method, request.path, request.status) == ("POST", SESSIONS, 200)
    assert request.fields == {
        "mode": "payment",
        "line_items[0][price_data][currency]": "eur",
        "line_items[0][price_data][unit_amount]": "12500",
        "line_items[0][price_data][product_data][name]": "Silk scarf, navy",
        "line_items[0][quantity]": "1",
        "success_url": "https://shop.example/pay/42/done",
        "cancel_url": "https://shop.example/pay/42",
        "metadata[payment_id]": "42",
        "metadata[boutique]": "paris-marais",
        "payment_intent_data[metadata][payment_id]": "42",
        "payment_intent_data[metadata][boutique]": "paris-marais",
        "client_reference_id": "42",
        "expires_at": str(now + 3600),
    }
    assert request.header("Idempotency-Key") == "pay-42"
    assert request.header("Authorization") == f"Bearer {TEST_SECRET_KEY}"
    assert request.header("Content-Type") == "application/x-www-form-urlencoded"
    assert request.header("Stripe-Version") == stripe.api_version
    session = fake_stripe.sessions[session_id]
    assert (session["status"], session["payment_status"], session["payment_intent"]) == (
        "open",
        "unpaid",
        None,
    )
    assert (session["amount_total"], session["currency"], session["expires_at"]) == (12500, "eur", now + 3600)


def test_create_without_optional_fields_sends_none_of_them(fake_stripe, provider):
    create(provider, cancel_url="", metadata={})

    assert fake_stripe.requests[0].fields == {
        "mode": "payment",
        "line_items[0][price_data][currency]": "eur",
        "line_items[0][price_data][unit_amount]": "12500",
        "line_items[0][price_data][product_data][name]": "Silk scarf, navy",
        "line_items[0][quantity]": "1",
        "success_url": "https://shop.example/pay/42/done",
    }


@pytest.mark.parametrize(
    ("asked", "sent"),
    [
        (600, 30 * 60 + 60),  # sooner than Stripe allows: the earliest it takes, with a minute's margin
        (3600, 3600),
        (3 * 24 * 3600, 24 * 3600 - 60),  # later than Stripe allows: the latest it takes
    ],
)
def test_create_clamps_the_expiry_into_stripes_window(fake_stripe, provider, now, asked, sent):
    create(provider, expires_at=now + asked)

    assert fake_stripe.requests[0].fields["expires_at"] == str(now + sent)
    assert len(fake_stripe.sessions) == 1


def test_a_500_is_retried_with_the_same_key_and_makes_one_session(fake_stripe, provider):
    fake_stripe.fail_next(kind="500")

    payment = create(provider)

    attempts = fake_stripe.requests_to("POST", SESSIONS)
    assert [(r.status, r.header("Idempotency-Key")) for r in attempts] == [(500, "pay-42"), (200, "pay-42")]
    assert list(fake_stripe.sessions) == [payment.reference]


def test_a_lost_answer_is_retried_and_replayed_not_made_twice(fake_stripe, provider):
    fake_stripe.fail_next(kind="drop", after_processing=True)

    payment = create(provider)

    attempts = fake_stripe.requests_to("POST", SESSIONS)
    assert [(r.status, r.replayed, r.header("Idempotency-Key")) for r in attempts] == [
        (0, False, "pay-42"),
        (200, True, "pay-42"),
    ]
    assert list(fake_stripe.sessions) == [payment.reference]
    assert payment.status == "pending"


def test_the_same_key_twice_gives_the_same_session(fake_stripe, provider):
    first = create(provider)
    second = create(provider)

    assert second == first
    assert list(fake_stripe.sessions) == [first.reference]
    assert [r.replayed for r in fake_stripe.requests] == [False, True]


def test_the_same_key_with_other_fields_is_refused_and_makes_nothing(fake_stripe, provider):
    first = create(provider)

    with pytest.raises(PaymentError) as raised:
        create(provider, amount=9900)

    assert type(raised.value) is PaymentError
    assert raised.value.code == "payment_error"
    assert raised.value.message.startswith(
        "Keys for idempotent requests can only be used with the same parameters"
    )
    assert list(fake_stripe.sessions) == [first.reference]


def test_zero_decimal_currencies_go_through_unchanged(fake_stripe, provider):
    payment = create(provider, amount=5000, currency="JPY")

    fields = fake_stripe.requests[0].fields
    assert (
        fields["line_items[0][price_data][currency]"],
        fields["line_items[0][price_data][unit_amount]"],
    ) == (
        "jpy",
        "5000",
    )
    assert (payment.amount, payment.currency) == (5000, "JPY")


@pytest.mark.parametrize("currency", ["ISK", "UGX", "isk"])
def test_a_currency_stripe_counts_differently_is_refused_before_any_request(fake_stripe, provider, currency):
    with pytest.raises(PaymentError) as raised:
        create(provider, amount=5000, currency=currency)

    assert raised.value.code == "currency_unsupported"
    assert fake_stripe.requests == []
    assert fake_stripe.sessions == {}


# -- retrieve and cancel ------------------------------------------------------------------------------


def test_retrieve_follows_the_session_from_open_to_paid(fake_stripe, provider):
    payment = create(provider)
    assert provider.retrieve(reference=payment.reference) == payment

    paid = fake_stripe.pay(payment.reference)

    assert provider.retrieve(reference=payment.reference) == ProviderPayment(
        reference=payment.reference,
        status="succeeded",
        amount=12500,
        currency="EUR",
        redirect_url="",
        details={"payment_intent": paid["payment_intent"]},
    )
    assert [(r.method, r.path) for r in fake_stripe.requests[1:]] == [
        ("GET", f"{SESSIONS}/{payment.reference}")
    ] * 2


@pytest.mark.parametrize(
    ("payment_status", "status"),
    [("unpaid", "pending"), ("no_payment_required", "succeeded")],  # unpaid: a bank debit still on its way
)
def test_retrieve_maps_a_completed_session_by_its_payment_status(
    fake_stripe, provider, payment_status, status
):
    payment = create(provider)
    paid = fake_stripe.pay(payment.reference, payment_status=payment_status)

    assert provider.retrieve(reference=payment.reference) == ProviderPayment(
        reference=payment.reference,
        status=status,
        amount=12500,
        currency="EUR",
        details={"payment_intent": paid["payment_intent"]},
    )


def test_retrieve_of_an_expired_session_is_failed(fake_stripe, provider):
    payment = create(provider)
    fake_stripe.expire(payment.reference)

    assert provider.retrieve(reference=payment.reference) == ProviderPayment(
        reference=payment.reference, status="failed", amount=12500, currency="EUR"
    )


def test_retrieve_of_an_unknown_session_is_a_payment_error(fake_stripe, provider):
    with pytest.raises(PaymentError) as raised:
        provider.retrieve(reference="cs_test_nope")

    assert (type(raised.value), raised.value.code) == (PaymentError, "payment_error")
    assert raised.value.message == "No such checkout.session: 'cs_test_nope'"


def test_cancel_expires_an_open_session(fake_stripe, provider):
    payment = create(provider)

    cancelled = provider.cancel(reference=payment.reference)

    assert cancelled == ProviderPayment(
        reference=payment.reference, status="failed", amount=12500, currency="EUR"
    )
    assert fake_stripe.sessions[payment.reference]["status"] == "expired"
    (expire,) = fake_stripe.requests_to("POST", f"{SESSIONS}/{payment.reference}/expire")
    assert (expire.status, expire.fields) == (200, {})
    assert expire.header("Idempotency-Key")  # the SDK makes one up; kept across its retries


def test_cancel_of_a_paid_session_says_it_succeeded(fake_stripe, provider):
    payment = create(provider)
    paid = fake_stripe.pay(payment.reference)

    cancelled = provider.cancel(reference=payment.reference)

    assert cancelled == ProviderPayment(
        reference=payment.reference,
        status="succeeded",
        amount=12500,
        currency="EUR",
        details={"payment_intent": paid["payment_intent"]},
    )
    assert fake_stripe.sessions[payment.reference]["status"] == "complete"
    assert [(r.method, r.path, r.status) for r in fake_stripe.requests[1:]] == [
        ("POST", f"{SESSIONS}/{payment.reference}/expire", 400),
        ("GET", f"{SESSIONS}/{payment.reference}", 200),
    ]


def test_cancel_twice_stays_failed(fake_stripe, provider):
    payment = create(provider)
    provider.cancel(reference=payment.reference)

    assert provider.cancel(reference=payment.reference).status == "failed"
    assert fake_stripe.sessions[payment.reference]["status"] == "expired"


# -- refund -------------------------------------------------------------------------------------------


def test_refund_refunds_the_sessions_payment_intent(fake_stripe, provider):
    payment = create(provider)
    intent_id = fake_stripe.pay(payment.reference)["payment_intent"]

    refund = provider.refund(
        reference=payment.reference, amount=5000, currency="EUR", idempotency_key="refund-7"
    )

    (refund_id,) = fake_stripe.refunds
    assert refund == ProviderRefund(reference=refund_id, status="succeeded", amount=5000)
    assert (fake_stripe.refunds[refund_id]["payment_intent"], fake_stripe.refunds[refund_id]["amount"]) == (
        intent_id,
        5000,
    )
    (request,) = fake_stripe.requests_to("POST", "/v1/refunds")
    assert request.fields == {"payment_intent": intent_id, "amount": "5000"}
    assert request.header("Idempotency-Key") == "refund-7"
    assert fake_stripe.payment_intents[intent_id]["amount_refunded"] == 5000


def test_refund_replayed_with_the_same_key_refunds_once(fake_stripe, provider):
    payment = create(provider)
    intent_id = fake_stripe.pay(payment.reference)["payment_intent"]

    first = provider.refund(
        reference=payment.reference, amount=5000, currency="EUR", idempotency_key="refund-7"
    )
    fake_stripe.fail_next(kind="drop", after_processing=True)
    second = provider.refund(
        reference=payment.reference, amount=5000, currency="EUR", idempotency_key="refund-7"
    )

    assert second == first
    assert list(fake_stripe.refunds) == [first.reference]
    assert fake_stripe.payment_intents[intent_id]["amount_refunded"] == 5000


@pytest.mark.parametrize(
    ("stripe_status", "status"),
    [("pending", "pending"), ("failed", "failed"), ("canceled", "failed"), ("requires_action", "failed")],
)
def test_refund_status_is_mapped(fake_stripe, provider, stripe_status, status):
    payment = create(provider)
    fake_stripe.pay(payment.reference)
    fake_stripe.refund_status = stripe_status

    refund = provider.refund(
        reference=payment.reference, amount=12500, currency="EUR", idempotency_key="refund-7"
    )

    assert (refund.status, refund.amount) == (status, 12500)


def test_refund_of_an_unpaid_session_is_refused_and_asks_stripe_for_nothing(fake_stripe, provider):
    payment = create(provider)

    with pytest.raises(PaymentError) as raised:
        provider.refund(reference=payment.reference, amount=5000, currency="EUR", idempotency_key="refund-7")

    assert raised.value.code == "not_refundable"
    assert fake_stripe.count("POST", "/v1/refunds") == 0
    assert fake_stripe.refunds == {}


def test_refund_in_another_currency_is_refused(fake_stripe, provider):
    payment = create(provider)
    fake_stripe.pay(payment.reference)

    with pytest.raises(PaymentError) as raised:
        provider.refund(reference=payment.reference, amount=5000, currency="GBP", idempotency_key="refund-7")

    assert (raised.value.code, raised.value.message) == (
        "currency_mismatch",
        "The payment was taken in EUR, not GBP.",
    )
    assert fake_stripe.refunds == {}


def test_refund_in_an_unsupported_currency_is_refused_before_any_request(fake_stripe, provider):
    with pytest.raises(PaymentError) as raised:
        provider.refund(reference="cs_test_x", amount=500, currency="ISK", idempotency_key="refund-7")

    assert raised.value.code == "currency_unsupported"
    assert fake_stripe.requests == []


def test_refunding_more_than_was_paid_is_a_payment_error(fake_stripe, provider):
    payment = create(provider)
    fake_stripe.pay(payment.reference)

    with pytest.raises(PaymentError) as raised:
        provider.refund(reference=payment.reference, amount=99999, currency="EUR", idempotency_key="refund-7")

    assert (type(raised.value), raised.value.code) == (PaymentError, "payment_error")
    assert raised.value.message == "Refund amount (99999) is greater than unrefunded amount on charge (12500)"
    assert fake_stripe.refunds == {}


# -- errors -------------------------------------------------------------------------------------------


def test_a_declined_card_is_payment_declined(fake_stripe, provider):
    fake_stripe.answer_next_with_error(402, "Your card was declined.", type_="card_error", code="card_declined",
                                       decline_code="stolen_card")  # fmt: skip

    with pytest.raises(PaymentDeclined) as raised:
        create(provider)

    assert (raised.value.code, raised.value.status, raised.value.message) == (
        "payment_declined",
        402,
        "Your card was declined.",
    )
    assert raised.value.details is None  # the decline code is Stripe's and ours, not the client's
    assert fake_stripe.count() == 1


def test_a_wrong_secret_key_is_a_payment_error_and_is_not_retried(fake_stripe):
    provider = StripeProvider(
        secret_key="sk_test_wrong_key", webhook_secret=WEBHOOK_SECRET, api_base=fake_stripe.url
    )

    with pytest.raises(PaymentError) as raised:
        create(provider)

    assert (type(raised.value), raised.value.code) == (PaymentError, "payment_error")
    assert raised.value.message == "Invalid API Key provided: sk_test_****_key"
    assert [r.status for r in fake_stripe.requests] == [401]
    assert fake_stripe.sessions == {}


@pytest.mark.parametrize(
    ("status", "type_", "error"),
    [
        (403, "invalid_request_error", PaymentError),  # a restricted key without this permission
        (400, "invalid_request_error", PaymentError),
        (429, "invalid_request_error", ProviderUnavailable),  # rate limited (after the SDK's retries)
    ],
)
def test_stripe_errors_become_our_errors(fake_stripe, provider, status, type_, error):
    for _ in range(3):
        fake_stripe.answer_next_with_error(status, "Stripe says no.", type_=type_)

    with pytest.raises(PaymentError) as raised:
        create(provider)

    assert type(raised.value) is error
    assert (
        raised.value.code
        == {PaymentError: "payment_error", ProviderUnavailable: "provider_unavailable"}[error]
    )
    assert fake_stripe.sessions == {}


def test_stripe_down_is_provider_unavailable_after_bounded_retries(fake_stripe, provider):
    fake_stripe.fail_next(3, kind="500")

    with pytest.raises(ProviderUnavailable) as raised:
        create(provider)

    assert (raised.value.code, raised.value.status) == ("provider_unavailable", 503)
    assert [r.status for r in fake_stripe.requests] == [500, 500, 500]  # one try and two retries
    assert fake_stripe.sessions == {}


def test_connection_refused_is_provider_unavailable(fake_stripe):
    provider = StripeProvider(secret_key=TEST_SECRET_KEY, webhook_secret=WEBHOOK_SECRET,
                              api_base=f"http://127.0.0.1:{free_port()}")  # fmt: skip

    with pytest.raises(ProviderUnavailable) as raised:
        create(provider)

    assert raised.value.code == "provider_unavailable"
    assert type(raised.value.__cause__) is stripe.APIConnectionError  # kept for the logs, never shown


def test_no_answer_within_the_timeout_is_provider_unavailable(fake_stripe):
    provider = StripeProvider(secret_key=TEST_SECRET_KEY, webhook_secret=WEBHOOK_SECRET, api_base=fake_stripe.url,
                              timeout=0.2)  # fmt: skip
    fake_stripe.fail_next(3, kind="hang")

    with pytest.raises(ProviderUnavailable):
        provider.retrieve(reference="cs_test_x")

    assert fake_stripe.count("GET", f"{SESSIONS}/cs_test_x") == 3


# -- webhooks -----------------------------------------------------------------------------------------

PAID_SESSION = {
    "id": "cs_test_a1",
    "object": "checkout.session",
    "amount_total": 12500,
    "currency": "eur",
    "payment_intent": "pi_1",
    "payment_status": "paid",
    "status": "complete",
}
REFUND = {"id": "re_1", "object": "refund", "amount": 5000, "currency": "eur", "payment_intent": "pi_1",
          "status": "succeeded"}  # fmt: skip
CHARGE = {"id": "ch_1", "object": "charge", "amount": 12500, "amount_refunded": 5000, "currency": "eur",
          "payment_intent": "pi_1", "status": "succeeded"}  # fmt: skip
PAYMENT = {
    "payment_reference": "cs_test_a1",
    "amount": 12500,
    "currency": "EUR",
    "details": {"payment_intent": "pi_1"},
}
REFUNDED = {"payment_reference": "pi_1", "amount": 5000, "currency": "EUR", "details": {"refund": "re_1"}}


@pytest.mark.parametrize(
    ("event_type", "data_object", "expected"),
    [
        ("checkout.session.completed", PAID_SESSION, {"kind": "payment.succeeded", **PAYMENT}),
        ("checkout.session.completed", {**PAID_SESSION, "payment_status": "unpaid"}, {"kind": "ignored"}),
        ("checkout.session.async_payment_succeeded", PAID_SESSION, {"kind": "payment.succeeded", **PAYMENT}),
        ("checkout.session.async_payment_failed", {**PAID_SESSION, "payment_status": "unpaid"},
         {"kind": "payment.failed", **PAYMENT}),
        ("checkout.session.expired", {**PAID_SESSION, "status": "expired", "payment_status": "unpaid",
                                      "payment_intent": None},
         {"kind": "payment.failed", **PAYMENT, "details": {}}),
        ("refund.updated", REFUND, {"kind": "refund.succeeded", **REFUNDED}),
        ("refund.updated", {**REFUND, "status": "pending"}, {"kind": "ignored"}),
        ("charge.refunded", {**CHARGE, "refunds": {"object": "list", "data": [REFUND]}},
         {"kind": "refund.succeeded", **REFUNDED, "details": {"refund": "re_1", "amount_refunded": 5000}}),
        ("charge.refunded", CHARGE,  # API versions from 2022-11-15 leave the refunds out
         {"kind": "refund.succeeded", **REFUNDED, "amount": None, "details": {"amount_refunded": 5000}}),
        ("payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent"}, {"kind": "ignored"}),
    ],
)  # fmt: skip
def test_a_signed_webhook_is_read_into_our_event(fake_stripe, provider, event_type, data_object, expected):
    body, headers = fake_stripe.signed_webhook(
        event_type, data_object, secret=WEBHOOK_SECRET, event_id="evt_1"
    )

    assert provider.parse_webhook(body=body, headers=headers) == WebhookEvent(event_id="evt_1", **expected)


@pytest.mark.parametrize(
    "make_headers",
    [
        lambda signature: {"stripe-signature": signature},
        lambda signature: {"STRIPE-SIGNATURE": signature},
        lambda signature: HttpHeaders({"HTTP_STRIPE_SIGNATURE": signature}),  # Django's request.headers
    ],
)
def test_the_signature_header_is_found_in_any_case(fake_stripe, provider, make_headers):
    body, headers = fake_stripe.signed_webhook("checkout.session.completed", PAID_SESSION, secret=WEBHOOK_SECRET,
                                               event_id="evt_1")  # fmt: skip

    event = provider.parse_webhook(body=body, headers=make_headers(headers["Stripe-Signature"]))

    assert (event.event_id, event.kind) == ("evt_1", "payment.succeeded")


def test_a_signature_just_inside_the_tolerance_is_accepted(fake_stripe, provider):
    body, headers = fake_stripe.signed_webhook("checkout.session.completed", PAID_SESSION, secret=WEBHOOK_SECRET,
                                               timestamp=int(time.time()) - 290)  # fmt: skip

    assert provider.parse_webhook(body=body, headers=headers).kind == "payment.succeeded"


def _signed(body: bytes, *, secret: str = WEBHOOK_SECRET, age: int = 0) -> dict[str, str]:
    return {"Stripe-Signature": stripe_signature(body, secret, int(time.time()) - age)}


GOOD_BODY = json.dumps({"id": "evt_1", "object": "event", "type": "checkout.session.completed",
                        "data": {"object": PAID_SESSION}}).encode()  # fmt: skip


# Headers are made when the test runs, not when it is collected: a signature ages.
@pytest.mark.parametrize(
    ("body", "make_headers", "message"),
    [
        (GOOD_BODY.replace(b"12500", b"1"), lambda: _signed(GOOD_BODY),
         "The Stripe signature does not verify: No signatures found matching the expected signature for payload"),
        (GOOD_BODY, lambda: _signed(GOOD_BODY, secret="whsec_someone_else"),
         "The Stripe signature does not verify: No signatures found matching the expected signature for payload"),
        (GOOD_BODY, lambda: {}, "The Stripe-Signature header is missing."),
        (GOOD_BODY, lambda: {"Stripe-Signature": ""}, "The Stripe-Signature header is missing."),
        (GOOD_BODY, lambda: {"Stripe-Signature": "nonsense"},
         "The Stripe signature does not verify: Unable to extract timestamp and signatures from header"),
        (GOOD_BODY, lambda: {"Stripe-Signature": f"t={int(time.time())},v0=abc"},
         "The Stripe signature does not verify: No signatures found with expected scheme v1"),
        (b"not json at all", lambda: _signed(b"not json at all"), "The notification body is not JSON."),
        (b"\xff\xfe\x00", lambda: {"Stripe-Signature": "t=1,v1=00"}, "The notification body is not UTF-8 text."),
        (b"[1, 2]", lambda: _signed(b"[1, 2]"), "The notification is not a Stripe event."),
        (b'{"id": "evt_1", "type": "x", "data": []}', lambda: _signed(b'{"id": "evt_1", "type": "x", "data": []}'),
         "The notification is not a Stripe event."),
    ],
)  # fmt: skip
def test_an_untrustworthy_webhook_is_invalid(provider, body, make_headers, message):
    with pytest.raises(InvalidWebhook) as raised:
        provider.parse_webhook(body=body, headers=make_headers())

    assert (raised.value.code, raised.value.status, raised.value.message) == ("invalid_webhook", 400, message)


def test_a_signature_older_than_the_tolerance_is_invalid(fake_stripe):
    provider = StripeProvider(secret_key=TEST_SECRET_KEY, webhook_secret=WEBHOOK_SECRET, api_base=fake_stripe.url,
                              tolerance=60)  # fmt: skip
    headers = _signed(GOOD_BODY, age=120)
    timestamp = headers["Stripe-Signature"].split(",")[0].removeprefix("t=")

    with pytest.raises(InvalidWebhook) as raised:
        provider.parse_webhook(body=GOOD_BODY, headers=headers)

    assert (
        raised.value.message
        == f"The Stripe signature does not verify: Timestamp outside the tolerance zone ({timestamp})"
    )


def test_a_provider_without_a_webhook_secret_trusts_nothing(fake_stripe):
    provider = StripeProvider(secret_key=TEST_SECRET_KEY, webhook_secret="", api_base=fake_stripe.url)

    with pytest.raises(InvalidWebhook):
        provider.parse_webhook(body=GOOD_BODY, headers=_signed(GOOD_BODY, secret=""))


# -- the fake itself refuses what Stripe refuses ----------------------------------------------------------


def _raw(fake, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, dict]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(f"{fake.url}{path}", data=body, headers=headers, method=method)
    try:
        with opener.open(request, timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


GOOD_HEADERS = {
    "Authorization": f"Bearer {TEST_SECRET_KEY}",
    "Stripe-Version": "2026-10-28.endive",
    "Content-Type": "application/x-www-form-urlencoded",
    "Idempotency-Key": "raw-1",
}
GOOD_FORM = (
    b"mode=payment&success_url=https%3A%2F%2Fshop.example%2Fdone&line_items[0][quantity]=1"
    b"&line_items[0][price_data][currency]=eur&line_items[0][price_data][unit_amount]=100"
    b"&line_items[0][price_data][product_data][name]=Scarf"
)


@pytest.mark.parametrize(
    ("change", "body", "status", "message"),
    [
        ({"Idempotency-Key": None}, GOOD_FORM, 400, "This fake expects an Idempotency-Key header on every POST request."),
        ({"Stripe-Version": None}, GOOD_FORM, 400, "This fake expects a Stripe-Version header on every request."),
        ({"Authorization": "Bearer sk_live_0000000000000000"}, GOOD_FORM, 401,
         "Invalid API Key provided: sk_live_****0000"),
        ({"Content-Type": "application/json"}, b'{"mode": "payment"}', 400,
         "Invalid request: Content-Type application/json is not supported; send application/x-www-form-urlencoded."),
        ({}, GOOD_FORM.replace(b"=eur", b"=EUR"), 400, "Invalid currency: EUR. Use the lower-case ISO code."),
        ({}, GOOD_FORM.replace(b"=100", b"=1.00"), 400, "Invalid integer: 1.00"),
        ({}, GOOD_FORM + b"&line_items[0][amount]=100", 400, "Received unknown parameter: line_items[0][amount]"),
        ({}, GOOD_FORM.replace(b"mode=payment&", b""), 400, "Missing required param: mode."),
    ],
)  # fmt: skip
def test_the_fake_refuses_a_malformed_request(fake_stripe, change, body, status, message):
    headers = {name: value for name, value in {**GOOD_HEADERS, **change}.items() if value is not None}

    answer_status, answer = _raw(fake_stripe, "POST", SESSIONS, body, headers)

    assert (answer_status, answer["error"]["message"]) == (status, message)
    assert answer["error"]["type"] == "invalid_request_error"
    assert fake_stripe.sessions == {}


def test_the_fake_accepts_a_well_formed_request(fake_stripe):
    status, session = _raw(fake_stripe, "POST", SESSIONS, GOOD_FORM, GOOD_HEADERS)

    assert (status, session["object"], session["amount_total"], session["currency"]) == (
        200,
        "checkout.session",
        100,
        "eur",
    )
    assert list(fake_stripe.sessions) == [session["id"]]
