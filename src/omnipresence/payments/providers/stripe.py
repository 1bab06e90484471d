"""Stripe as a payment provider: the client pays on a Stripe Checkout Session (hosted page); the outcome
arrives as a signed webhook and can be asked for with retrieve(). Every call goes through one
StripeClient, and every SDK error leaves this module as one of our payment errors."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import stripe

from .base import (
    InvalidWebhook,
    PaymentDeclined,
    PaymentError,
    ProviderPayment,
    ProviderRefund,
    ProviderUnavailable,
    WebhookEvent,
)

# Stripe accepts a Checkout Session expiry 30 minutes to 24 hours after creation. The margin keeps us
# inside that window when our clock and Stripe's disagree by a little.
MIN_EXPIRY = 30 * 60
MAX_EXPIRY = 24 * 60 * 60
EXPIRY_MARGIN = 60

# Our amounts are in ISO 4217 minor units (Babel's precision); Stripe wants its "smallest unit". They agree
# for two-decimal currencies, for zero-decimal ones (JPY, KRW, CLP, VND, XOF…) and for three-decimal ones
# (BHD, JOD, KWD, OMR, TND; Stripe also wants the last digit to be 0 there, and refuses other amounts).
# Where they disagree, sending our amount unchanged would charge a hundredth of the price, so we refuse:
# - ISK: 0 decimals for ISO and Babel; Stripe's API keeps ISK two-decimal (100 = 1 króna, multiples of 100).
# - UGX: 0 decimals for ISO and Babel; Stripe lists it among its special cases kept two-decimal for
#   backwards compatibility. Refused until checked against a live account, rather than risk a 100× error.
# HUF and TWD are Stripe special cases only for payouts (whole units there); charges are two-decimal at
# Stripe as in Babel, so they pass.
UNSUPPORTED_CURRENCIES = frozenset({"ISK", "UGX"})

MAX_NETWORK_RETRIES = 2

_REFUND_STATUSES = {
    "succeeded": "succeeded",
    "pending": "pending",
    "failed": "failed",
    "canceled": "failed",
    # The client must act at their bank (a few local methods): we cannot finish it for them.
    "requires_action": "failed",
}


def _now() -> int:
    return int(time.time())


def _stripe_id(value) -> str:
    """An id that Stripe may send as a string or as an expanded object."""
    if isinstance(value, Mapping):
        return str(value.get("id") or "")
    return str(value or "")


def _message(error: stripe.StripeError, fallback: str) -> str:
    return error.user_message or fallback


@contextmanager
def _stripe_errors() -> Iterator[None]:
    """SDK errors become our domain errors; the SDK error stays attached as __cause__ for the logs."""
    try:
        yield
    except stripe.CardError as error:
        # Stripe's message only; its decline_code (stolen_card, fraudulent…) is not for the client's eyes.
        raise PaymentDeclined(_message(error, PaymentDeclined.default_message)) from error
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
        # APIError is what the SDK raises for 5xx, 409 lock conflicts and unreadable answers: all worth a retry
        # later, none the client's fault.
        raise ProviderUnavailable() from error
    except stripe.StripeError as error:
        # Authentication, permission, invalid request, idempotency conflict: a configuration or programming
        # problem on our side, reported with Stripe's own message.
        raise PaymentError(_message(error, PaymentError.default_message)) from error


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)  # Django's request.headers is case-insensitive already
    if value is None:
        wanted = name.lower()
        value = next((v for key, v in headers.items() if key.lower() == wanted), None)
    return value


def _payment(session) -> ProviderPayment:
    session = session.to_dict() if hasattr(session, "to_dict") else session
    if session.get("payment_status") in ("paid", "no_payment_required"):
        status = "succeeded"
    elif session.get("status") == "expired":
        status = "failed"
    else:
        status = "pending"
    payment_intent = _stripe_id(session.get("payment_intent"))
    return ProviderPayment(
        reference=session["id"],
        status=status,
        amount=session.get("amount_total") or 0,
        currency=(session.get("currency") or "").upper(),
        redirect_url=(session.get("url") or "") if status == "pending" else "",
        details={"payment_intent": payment_intent} if payment_intent else {},
    )


class StripeProvider:
    name = "stripe"
    hosted = True

    def __init__(
        self,
        *,
        secret_key: str,
        webhook_secret: str,
        api_base: str = "https://api.stripe.com",
        timeout: float = 10.0,
        tolerance: int = 300,
    ):
        self._webhook_secret = webhook_secret
        self._tolerance = tolerance
        # A client of our own, never the global stripe.api_key: settings and tests can hold several.
        # The SDK re-sends a failed request with the same Idempotency-Key, so a retry never pays twice.
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base.rstrip("/")},
            max_network_retries=MAX_NETWORK_RETRIES,
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    def create(
        self,
        *,
        amount: int,
        currency: str,
        idempotency_key: str,
        description: str,
        return_url: str,
        cancel_url: str,
        metadata: Mapping[str, str],
        expires_at: int | None = None,
    ) -> ProviderPayment:
        currency = self._supported(currency)
        params: dict = {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": amount,
                        "product_data": {"name": description},
                    },
                    "quantity": 1,
                }
            ],
            "success_url": return_url,
        }
        if cancel_url:
            params["cancel_url"] = cancel_url
        if metadata:
            params["metadata"] = dict(metadata)
            params["payment_intent_data"] = {"metadata": dict(metadata)}
        if metadata.get("payment_id"):
            params["client_reference_id"] = metadata["payment_id"]
        if expires_at is not None:
            # Out of Stripe's window the whole call fails; a pay link due in 10 minutes still gets a session
            # open for 31, and the caller cancels it when its own deadline passes.
            now = _now()
            earliest, latest = now + MIN_EXPIRY + EXPIRY_MARGIN, now + MAX_EXPIRY - EXPIRY_MARGIN
            params["expires_at"] = min(max(expires_at, earliest), latest)
        with _stripe_errors():
            session = self._client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        return _payment(session)

    def retrieve(self, *, reference: str) -> ProviderPayment:
        with _stripe_errors():
            return _payment(self._client.v1.checkout.sessions.retrieve(reference))

    def cancel(self, *, reference: str) -> ProviderPayment:
        sessions = self._client.v1.checkout.sessions
        with _stripe_errors():
            try:
                session = sessions.expire(reference)
            except stripe.InvalidRequestError:
                # Stripe expires only open sessions. One the client paid (or that expired) meanwhile answers
                # 400: report what it really is, and refuse only if it is somehow still open.
                session = sessions.retrieve(reference)
                if session.status == "open":
                    raise
        return _payment(session)

    def refund(self, *, reference: str, amount: int, currency: str, idempotency_key: str) -> ProviderRefund:
        currency = self._supported(currency)
        with _stripe_errors():
            # Refunds hang off the PaymentIntent, which the Checkout Session only has once it was paid.
            session = self._client.v1.checkout.sessions.retrieve(reference).to_dict()
            payment_intent = _stripe_id(session.get("payment_intent"))
            if not payment_intent or session.get("payment_status") != "paid":
                raise PaymentError("This payment was not taken at Stripe: there is nothing to refund.",
                                   code="not_refundable")  # fmt: skip
            if (session.get("currency") or "").upper() != currency:
                raise PaymentError(
                    f"The payment was taken in {(session.get('currency') or '').upper()}, not {currency}.",
                    code="currency_mismatch",
                )
            refund = self._client.v1.refunds.create(
                params={"payment_intent": payment_intent, "amount": amount},
                options={"idempotency_key": idempotency_key},
            )
        return ProviderRefund(
            reference=refund.id,
            status=_REFUND_STATUSES.get(refund.status or "", "pending"),
            amount=refund.amount,
        )

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        signature = _header(headers, "Stripe-Signature")
        if not signature:
            raise InvalidWebhook("The Stripe-Signature header is missing.")
        try:
            stripe.WebhookSignature.verify_header(body, signature, self._webhook_secret, self._tolerance)
        except stripe.SignatureVerificationError as error:
            raise InvalidWebhook(f"The Stripe signature does not verify: {error.user_message}")
        except UnicodeDecodeError:
            raise InvalidWebhook("The notification body is not UTF-8 text.")
        try:
            event = json.loads(body)
        except ValueError:
            raise InvalidWebhook("The notification body is not JSON.")
        data = event.get("data") if isinstance(event, dict) else None
        data_object = data.get("object") if isinstance(data, dict) else None
        if not isinstance(data_object, dict) or not event.get("id") or not event.get("type"):
            raise InvalidWebhook("The notification is not a Stripe event.")
        return _webhook_event(event["id"], event["type"], data_object)

    @staticmethod
    def _supported(currency: str) -> str:
        currency = currency.upper()
        if currency in UNSUPPORTED_CURRENCIES:
            raise PaymentError(
                f"Stripe counts {currency} amounts differently from us; take this payment another way.",
                code="currency_unsupported",
            )
        return currency


def _webhook_event(event_id: str, event_type: str, data_object: dict) -> WebhookEvent:
    ignored = WebhookEvent(event_id=event_id, kind="ignored")
    currency = (data_object.get("currency") or "").upper()

    if event_type.startswith("checkout.session."):
        if event_type == "checkout.session.completed":
            # A delayed method (bank debit) completes the session unpaid; an async_payment_* event follows.
            if data_object.get("payment_status") not in ("paid", "no_payment_required"):
                return ignored
            kind = "payment.succeeded"
        elif event_type == "checkout.session.async_payment_succeeded":
            kind = "payment.succeeded"
        elif event_type in ("checkout.session.async_payment_failed", "checkout.session.expired"):
            kind = "payment.failed"
        else:
            return ignored
        payment_intent = _stripe_id(data_object.get("payment_intent"))
        return WebhookEvent(
            event_id=event_id,
            kind=kind,
            payment_reference=str(data_object.get("id") or ""),
            amount=data_object.get("amount_total"),
            currency=currency,
            details={"payment_intent": payment_intent} if payment_intent else {},
        )

    if event_type == "refund.updated":
        if data_object.get("status") != "succeeded":
            return ignored
        return WebhookEvent(
            event_id=event_id,
            kind="refund.succeeded",
            payment_reference=_stripe_id(data_object.get("payment_intent")),
            amount=data_object.get("amount"),
            currency=currency,
            details={"refund": str(data_object.get("id") or "")},
        )

    if event_type == "charge.refunded":
        # The charge carries its refunds only under API versions before 2022-11-15; later ones send just the
        # cumulative amount_refunded, so the refund id (and its own amount) may be unknown here.
        refunds = (data_object.get("refunds") or {}).get("data") or []
        latest = max(refunds, key=lambda refund: refund.get("created") or 0) if refunds else None
        if latest is not None and latest.get("status") != "succeeded":
            return ignored
        details: dict = {"amount_refunded": data_object.get("amount_refunded")}
        if latest is not None:
            details["refund"] = str(latest.get("id") or "")
        return WebhookEvent(
            event_id=event_id,
            kind="refund.succeeded",
            payment_reference=_stripe_id(data_object.get("payment_intent")),
            amount=latest.get("amount") if latest is not None else None,
            currency=currency,
            details=details,
        )

    return ignored
