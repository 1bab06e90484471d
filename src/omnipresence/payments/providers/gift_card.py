"""Gift cards and store credit as a provider: only refunds go through here (back onto the card);
spending is `payments.gift_cards.gift_card_pay`, one transaction with the payment it makes."""

from collections.abc import Mapping

from .base import InvalidWebhook, PaymentError, ProviderPayment, ProviderRefund, WebhookEvent


class GiftCardProvider:
    name = "gift_card"
    hosted = False

    def create(self, **kwargs) -> ProviderPayment:
        raise PaymentError("Pay with a gift card through its code.", code="invalid_method")

    def retrieve(self, *, reference: str) -> ProviderPayment:
        return ProviderPayment(reference=reference, status="succeeded", amount=0, currency="")

    def cancel(self, *, reference: str) -> ProviderPayment:
        return self.retrieve(reference=reference)

    def refund(self, *, reference: str, amount: int, currency: str, idempotency_key: str) -> ProviderRefund:
        from omnipresence.payments.gift_cards import gift_card_credit

        movement = gift_card_credit(reference=reference, amount=amount, idempotency_key=idempotency_key)
        return ProviderRefund(reference=f"gcr_{movement.pk}", status="succeeded", amount=amount)

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        raise InvalidWebhook("Gift cards send no notifications.")
