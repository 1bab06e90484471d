"""Money in integer minor units with an ISO 4217 currency, formatted with Babel."""

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision, list_currencies

from omnipresence.core.errors import InvalidInput

_KNOWN_CURRENCIES = frozenset(list_currencies())


def validate_currency(code: str) -> str:
    code = (code or "").strip().upper()
    if code not in _KNOWN_CURRENCIES:
        raise InvalidInput(f"'{code}' is not an ISO 4217 currency code.", code="invalid_currency")
    return code


def minor_exponent(currency: str) -> int:
    return get_currency_precision(currency)


@dataclass(frozen=True, slots=True)
class Money:
    amount: int  # minor units
    currency: str

    def __add__(self, other: "Money") -> "Money":
        if other.currency != self.currency:
            raise InvalidInput("Cannot add amounts in different currencies.", code="currency_mismatch")
        return Money(self.amount + other.amount, self.currency)

    def as_decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-minor_exponent(self.currency))

    def format(self, locale: str = "en") -> str:
        return format_money(self.amount, self.currency, locale)


def format_money(amount: int, currency: str, locale: str = "en") -> str:
    value = Decimal(amount).scaleb(-minor_exponent(currency))
    return format_currency(value, currency, locale=locale.replace("-", "_"))


MAX_PRICE_MINOR = 10**11  # a sanity ceiling: one billion in major units of any 2-decimal currency


def parse_price(text: str | int | float | Decimal, currency: str) -> int:
    """Turn a price in major units ("1250.00", "1 250,5") into minor units, strictly."""
    if isinstance(text, bool):
        raise InvalidInput("A price must be a number.", code="invalid_price")
    raw = str(text).strip().replace("\u00a0", "").replace(" ", "")
    if "," in raw and "." not in raw:
        raw = raw.replace(",", ".")
    try:
        value = Decimal(raw)
    except Exception:
        raise InvalidInput(f"'{text}' is not a price.", code="invalid_price")
    if not value.is_finite() or value < 0:
        raise InvalidInput(f"'{text}' is not a valid price.", code="invalid_price")
    exponent = minor_exponent(currency)
    minor = value.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise InvalidInput(
            f"'{text}' has more decimals than {currency} allows ({exponent}).", code="invalid_price"
        )
    if minor > MAX_PRICE_MINOR:
        raise InvalidInput(f"'{text}' is too large for a price.", code="invalid_price")
    return int(minor)
