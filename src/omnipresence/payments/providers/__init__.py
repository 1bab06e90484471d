from .base import PaymentProvider
from .manual import ManualProvider
from .sandbox import SandboxProvider

PROVIDERS: dict[str, PaymentProvider] = {"manual": ManualProvider(), "sandbox": SandboxProvider()}


def get_provider(name: str) -> PaymentProvider:
    return PROVIDERS[name]
