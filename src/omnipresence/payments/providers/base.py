"""The payment provider interface. Providers talk to the outside world only: they never touch the
database and are never called while a lock is held. Services start a Payment row and commit, call
the provider, then lock again to record what it said (LESSONS 4).

Amounts are integers in the currency's minor units, as everywhere in Omnipresence. Every call that
creates something at the provider carries an idempotency key, so a retry after a lost answer finds
the same object instead of making a second one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from omnipresence.core.errors import DomainError


class PaymentError(DomainError):
    code = "payment_error"
    status = 402
    default_message = "The payment could not be completed."


class PaymentDeclined(PaymentError):
    code = "payment_declined"
    default_message = "The card was declined."


class ProviderUnavailable(PaymentError):
    code = "provider_unavailable"
    status = 503
    default_message = "The payment provider is unavailable. Please try again."


class InvalidWebhook(PaymentError):
    code = "invalid_webhook"
    status = 400
    default_message = "The payment notification could not be verified."


@dataclass(frozen=True)
class ProviderPayment:
    """What the provider knows of one payment."""

    reference: str  # the provider's id: cs_… (Stripe Checkout Session), sbx_…, manual_…
    status: str  # "pending" | "succeeded" | "failed"
    amount: int
    currency: str  # ISO 4217, upper-case
    redirect_url: str = ""  # where the client pays (a hosted page), when status is pending
    details: dict = field(default_factory=dict)  # e.g. {"last4": "4242"}, {"payment_intent": "pi_…"}


@dataclass(frozen=True)
class ProviderRefund:
    reference: str  # re_… at Stripe
    status: str  # "succeeded" | "pending" | "failed"
    amount: int


@dataclass(frozen=True)
class WebhookEvent:
    """A verified notification, reduced to what the services need."""

    event_id: str  # unique per provider: replays are recognised by it
    kind: str  # "payment.succeeded" | "payment.failed" | "refund.succeeded" | "ignored"
    payment_reference: str = ""
    amount: int | None = None
    currency: str = ""
    details: dict = field(default_factory=dict)


class PaymentProvider(Protocol):
    name: str
    # True when the client pays on a page of the provider's (redirect_url); False when the
    # associate records the payment (manual).
    hosted: bool

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
        expires_at: int | None = None,  # unix time after which the provider should refuse to take it
    ) -> ProviderPayment: ...

    def retrieve(self, *, reference: str) -> ProviderPayment: ...

    def cancel(self, *, reference: str) -> ProviderPayment:
        """Stop a pending payment from being taken (Stripe: expire the Checkout Session). Returns the
        payment as it now stands: a payment that had already succeeded comes back succeeded."""
        ...

    def refund(self, *, reference: str, amount: int, currency: str, idempotency_key: str) -> ProviderRefund: ...

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify the signature and read the event; InvalidWebhook if it cannot be trusted."""
        ...
