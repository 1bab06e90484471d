"""The built-in test provider: a hosted payment page at /pay/sandbox/<reference>/ that takes test
card numbers, so the demo and the tests pay offline the way a client pays at Stripe Checkout.

It stands for an outside system: its books are its own tables (SandboxCharge, SandboxRefund),
written in their own short transactions, never inside ours. Every operation is idempotent the
way a real provider's is: the same idempotency key gives the same charge or refund, and a charge
succeeds at most once however often its page is submitted.
"""

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .base import InvalidWebhook, PaymentDeclined, PaymentError, ProviderPayment, ProviderRefund, WebhookEvent

TEST_CARD_OK = "4242424242424242"
TEST_CARDS_DECLINED = {
    "4000000000000002": "The card was declined.",
    "4000000000009995": "The card has insufficient funds.",
    "4000000000000069": "The card has expired.",
}
MAX_DECLINES = 10


def card_digits(text: str) -> str:
    return "".join(ch for ch in str(text or "") if ch.isdigit())[:19]


class SandboxProvider:
    name = "sandbox"
    hosted = True

    def _view(self, charge) -> ProviderPayment:
        status = {"open": "pending", "succeeded": "succeeded", "expired": "failed"}[charge.status]
        if status == "pending" and charge.expires_at is not None and charge.expires_at <= timezone.now():
            status = "failed"
        return ProviderPayment(
            reference=charge.reference, status=status, amount=charge.amount, currency=charge.currency,
            redirect_url=f"/pay/sandbox/{charge.reference}/" if status == "pending" else "",
            details={"last4": charge.card_last4} if charge.card_last4 else {},
        )  # fmt: skip

    def _charge(self, reference: str):
        from omnipresence.payments.models import SandboxCharge

        charge = SandboxCharge.objects.filter(reference=reference).first()
        if charge is None:
            raise PaymentError("The sandbox has no such payment.", code="provider_not_found")
        return charge

    def create(
        self, *, amount: int, currency: str, idempotency_key: str, description: str = "", return_url: str = "",
        cancel_url: str = "", metadata: Mapping[str, str] | None = None, expires_at: int | None = None,
    ) -> ProviderPayment:  # fmt: skip
        from omnipresence.payments.models import SandboxCharge

        existing = SandboxCharge.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            try:
                with transaction.atomic():
                    existing = SandboxCharge.objects.create(
                        reference=f"sbx_{secrets.token_urlsafe(18)}", idempotency_key=idempotency_key,
                        amount=amount, currency=currency, description=description[:200], return_url=return_url,
                        cancel_url=cancel_url, metadata=dict(metadata or {}),
                        expires_at=datetime.fromtimestamp(expires_at, UTC) if expires_at else None,
                    )  # fmt: skip
            except IntegrityError:  # the same key at the same moment: one charge
                existing = SandboxCharge.objects.get(idempotency_key=idempotency_key)
        if (existing.amount, existing.currency) != (amount, currency):
            raise PaymentError("This idempotency key was used for another amount.", code="idempotency_key_reused")
        return self._view(existing)

    def retrieve(self, *, reference: str) -> ProviderPayment:
        return self._view(self._charge(reference))

    def cancel(self, *, reference: str) -> ProviderPayment:
        from omnipresence.payments.models import SandboxCharge

        SandboxCharge.objects.filter(reference=reference, status=SandboxCharge.Status.OPEN).update(
            status=SandboxCharge.Status.EXPIRED
        )
        return self.retrieve(reference=reference)

    def pay(self, *, reference: str, card: str) -> ProviderPayment:
        """The client submits the hosted page: the test card succeeds (once), others decline."""
        from omnipresence.payments.models import SandboxCharge

        charge = self._charge(reference)
        view = self._view(charge)
        if view.status != "pending":
            return view  # paid already (a double submit charges nothing more), or expired
        digits = card_digits(card)
        if digits != TEST_CARD_OK:
            SandboxCharge.objects.filter(pk=charge.pk).update(declines=F("declines") + 1)
            if charge.declines + 1 >= MAX_DECLINES:
                self.cancel(reference=reference)
            message = TEST_CARDS_DECLINED.get(
                digits, "The sandbox takes only test cards: use 4242 4242 4242 4242 to pay."
            )
            raise PaymentDeclined(message)
        now = timezone.now()
        SandboxCharge.objects.filter(pk=charge.pk, status=SandboxCharge.Status.OPEN).exclude(
            expires_at__lte=now
        ).update(status=SandboxCharge.Status.SUCCEEDED, card_last4=digits[-4:], paid_at=now)
        return self.retrieve(reference=reference)

    def refund(self, *, reference: str, amount: int, currency: str, idempotency_key: str) -> ProviderRefund:
        from omnipresence.payments.models import SandboxCharge, SandboxRefund

        done = SandboxRefund.objects.filter(idempotency_key=idempotency_key).first()
        if done is not None:
            return ProviderRefund(reference=done.reference, status="succeeded", amount=done.amount)
        charge = self._charge(reference)
        if charge.status != SandboxCharge.Status.SUCCEEDED:
            raise PaymentError("Only a succeeded payment can be refunded.", code="not_refundable")
        with transaction.atomic():
            if not SandboxCharge.objects.filter(pk=charge.pk, refunded__lte=F("amount") - amount).update(
                refunded=F("refunded") + amount
            ):
                raise PaymentError("That is more than is left to refund.", code="refund_too_large")
            done = SandboxRefund.objects.create(
                charge=charge, reference=f"sbx_re_{secrets.token_urlsafe(12)}", idempotency_key=idempotency_key,
                amount=amount,
            )  # fmt: skip
        return ProviderRefund(reference=done.reference, status="succeeded", amount=amount)

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        raise InvalidWebhook("The sandbox reports payments through its own page, not by notification.")
