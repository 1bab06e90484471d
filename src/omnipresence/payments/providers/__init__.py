"""The payment providers, built from settings: manual and sandbox always; stripe once
STRIPE_SECRET_KEY is set. PAYMENTS_ONLINE_PROVIDER names the one clients pay online with."""

from django.conf import settings

from omnipresence.core.errors import InvalidInput

from .base import PaymentProvider
from .gift_card import GiftCardProvider
from .manual import ManualProvider
from .sandbox import SandboxProvider

_BUILT: dict[str, PaymentProvider] = {}


def _build(name: str) -> PaymentProvider | None:
    if name == "manual":
        return ManualProvider()
    if name == "sandbox":
        return SandboxProvider()
    if name == "gift_card":
        return GiftCardProvider()
    if name == "stripe" and settings.STRIPE_SECRET_KEY:
        from .stripe import StripeProvider

        return StripeProvider(
            secret_key=settings.STRIPE_SECRET_KEY, webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
            api_base=settings.STRIPE_API_BASE,
        )  # fmt: skip
    return None


def get_provider(name: str) -> PaymentProvider:
    key = (name, settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE) if name == "stripe" else name
    provider = _BUILT.get(key)
    if provider is None:
        provider = _build(name)
        if provider is None:
            raise InvalidInput(f"The payment provider '{name[:20]}' is not set up here.", code="provider_unknown")
        _BUILT[key] = provider
    return provider


def online_provider_name() -> str:
    return settings.PAYMENTS_ONLINE_PROVIDER
