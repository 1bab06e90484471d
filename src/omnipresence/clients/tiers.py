"""The client tier, derived from lifetime spend in the boutique's currency.

The rule: "vip" from 5,000 major units of spend, "regular" from 500, otherwise "new" (GBP, EUR,
USD, CHF and any currency not listed). Currencies whose unit is worth much less have their own
thresholds below, in major units. Spend is net of refunds (client_stats_remove).
"""

from django.db.models import Case, Value, When
from django.db.models.lookups import GreaterThanOrEqual

from omnipresence.core.money import minor_exponent

DEFAULT_THRESHOLDS = (500, 5_000)  # (regular, vip) in major units
THRESHOLDS = {
    "JPY": (75_000, 750_000),
    "KRW": (700_000, 7_000_000),
    "CNY": (3_500, 35_000),
    "HKD": (4_000, 40_000),
    "INR": (40_000, 400_000),
    "SEK": (5_000, 50_000),
    "NOK": (5_000, 50_000),
    "DKK": (3_500, 35_000),
}


def tier_thresholds(currency: str) -> tuple[int, int]:
    """(regular, vip) in minor units of `currency`."""
    regular, vip = THRESHOLDS.get(currency, DEFAULT_THRESHOLDS)
    scale = 10 ** minor_exponent(currency)
    return regular * scale, vip * scale


def tier_for(spend: int, currency: str) -> str:
    regular, vip = tier_thresholds(currency)
    return "vip" if spend >= vip else "regular" if spend >= regular else "new"


def tier_case(spend, currency: str) -> Case:
    """The same rule as an SQL expression over `spend`, for a single UPDATE."""
    regular, vip = tier_thresholds(currency)
    return Case(
        When(GreaterThanOrEqual(spend, vip), then=Value("vip")),
        When(GreaterThanOrEqual(spend, regular), then=Value("regular")),
        default=Value("new"),
    )
