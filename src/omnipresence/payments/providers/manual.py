"""Cash, or an external card terminal, recorded by the associate who took it: it has succeeded
before it is recorded, and a refund is money the associate hands back."""

from collections.abc import Mapping

from .base import InvalidWebhook, ProviderPayment, ProviderRefund, WebhookEvent


class ManualProvider:
    name = "manual"
    hosted = False

    def create(
        self, *, amount: int, currency: str, idempotency_key: str, description: str = "", return_url: str = "",
        cancel_url: str = "", metadata: Mapping[str, str] | None = None, expires_at: int | None = None,
    ) -> ProviderPayment:  # fmt: skip
        return ProviderPayment(
            reference=f"manual_{idempotency_key}", status="succeeded", amount=amount, currency=currency
        )

    def retrieve(self, *, reference: str) -> ProviderPayment:
        return ProviderPayment(reference=reference, status="succeeded", amount=0, currency="")

    def cancel(self, *, reference: str) -> ProviderPayment:
        return self.retrieve(reference=reference)

    def refund(self, *, reference: str, amount: int, currency: str, idempotency_key: str) -> ProviderRefund:
        return ProviderRefund(reference=f"manual_re_{idempotency_key}", status="succeeded", amount=amount)

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        raise InvalidWebhook("Payments recorded by an associate have no notifications.")
