"""The one pricing function every channel calls. Pure: plain dataclasses in, a breakdown out.

list price → automatic promotions → coupon → shipping → tax → totals, all in integer minor units.
A percentage is rounded half up once per promotion, then allocated across lines by largest
remainder, so line amounts always add up exactly to the totals. Validity windows, usage counters
and per-client limits need the database and are checked by the services; everything that depends
only on the cart (channel, scope, minimum spend, currency) is decided here.
"""

from dataclasses import dataclass, field

PERCENTAGE, FIXED, FREE_SHIPPING = "percentage", "fixed", "free_shipping"
BASIS = 10_000


@dataclass(frozen=True)
class PriceLine:
    key: str
    product_id: int
    category_path: str
    unit_price: int
    quantity: int
    currency: str
    weight_grams: int = 0
    shipped: bool = True  # pickup lines ship free and weigh nothing


@dataclass(frozen=True)
class Promotion:
    id: int
    name: str
    kind: str
    value: int  # basis points for a percentage, minor units for a fixed amount
    currency: str
    min_spend: int = 0
    channels: tuple[str, ...] = ()  # empty: every channel
    category_paths: tuple[str, ...] = ()
    product_ids: tuple[int, ...] = ()
    code: str = ""

    def covers(self, line: PriceLine) -> bool:
        if not self.category_paths and not self.product_ids:
            return True
        if line.product_id in self.product_ids:
            return True
        return any(
            line.category_path == p or line.category_path.startswith(p + "/") for p in self.category_paths
        )


@dataclass(frozen=True)
class ShippingRate:
    countries: tuple[str, ...]
    price: int
    free_above: int | None = None
    weight_brackets: tuple[tuple[int, int], ...] = ()  # (max grams, price), ascending


@dataclass(frozen=True)
class PriceRequest:
    currency: str
    channel: str
    lines: tuple[PriceLine, ...]
    prices_include_tax: bool
    tax_rate_bp: int
    automatic: tuple[Promotion, ...] = ()
    coupon: Promotion | None = None
    shipping_rates: tuple[ShippingRate, ...] = ()
    country: str = ""


@dataclass(frozen=True)
class PricingProblem:
    code: str
    message: str


@dataclass
class LinePrice:
    key: str
    unit_price: int
    quantity: int
    subtotal: int
    discount: int
    tax: int
    total: int


@dataclass
class AppliedPromotion:
    id: int
    name: str
    kind: str
    code: str
    amount: int  # what it took off (merchandise or shipping)


@dataclass
class PriceBreakdown:
    currency: str
    lines: list[LinePrice]
    subtotal: int
    discount: int
    shipping: int
    shipping_discount: int
    tax: int
    total: int
    promotions: list[AppliedPromotion] = field(default_factory=list)
    coupon_problem: PricingProblem | None = None
    shipping_problem: PricingProblem | None = None


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator to the nearest integer, halves away from zero (amounts are ≥ 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split `total` in proportion to `weights` by largest remainder: the parts sum to `total`
    exactly, and ties go to the earlier entry."""
    whole = sum(weights)
    if total == 0 or whole == 0:
        return [0] * len(weights)
    parts = [total * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in remainders[: total - sum(parts)]:
        parts[i] += 1
    return parts


def promotion_problem(promo: Promotion, request: PriceRequest, base: list[int]) -> PricingProblem | None:
    """Why `promo` cannot apply to this cart (base: each line's amount before it), or None."""
    if promo.currency != request.currency:
        return PricingProblem(
            "currency_mismatch", f"This offer is in {promo.currency}, the cart in {request.currency}."
        )
    if promo.channels and request.channel not in promo.channels:
        return PricingProblem(
            "coupon_wrong_channel", f"This offer is not valid in the {request.channel} channel."
        )
    if not any(promo.covers(line) for line in request.lines):
        return PricingProblem("coupon_not_applicable", "This offer does not apply to anything in the cart.")
    if sum(base) < promo.min_spend:
        return PricingProblem("coupon_min_spend", "The cart does not reach this offer's minimum spend.")
    return None


def _discounts(promo: Promotion, request: PriceRequest, base: list[int]) -> list[int]:
    weights = [b if promo.covers(line) else 0 for line, b in zip(request.lines, base, strict=True)]
    eligible = sum(weights)
    if promo.kind == PERCENTAGE:
        amount = min(round_half_up(eligible * min(promo.value, BASIS), BASIS), eligible)
    elif promo.kind == FIXED:
        amount = min(promo.value, eligible)
    else:
        return [0] * len(base)
    return allocate(amount, weights)


def shipping_price(
    rates: tuple[ShippingRate, ...], country: str, shipped_amount: int, grams: int
) -> int | None:
    """The zone's price for this parcel; None when nothing ships to `country`."""
    rate = next((r for r in rates if country and country in r.countries), None)
    rate = rate or next((r for r in rates if "*" in r.countries), None)
    if rate is None:
        return None
    if rate.free_above is not None and shipped_amount >= rate.free_above:
        return 0
    for max_grams, price in rate.weight_brackets:
        if grams <= max_grams:
            return price
    return rate.price


def price(request: PriceRequest) -> PriceBreakdown:
    lines = request.lines
    for line in lines:
        if line.currency != request.currency:
            raise ValueError("every line must be in the cart's currency")  # services refuse it earlier
    subtotals = [line.unit_price * line.quantity for line in lines]
    base = list(subtotals)
    discounts = [0] * len(lines)
    applied: list[AppliedPromotion] = []
    free_shipping: list[Promotion] = []

    # Automatic promotions: the best money-off one applies (never stacked); free shipping separately.
    best: tuple[int, Promotion, list[int]] | None = None
    for promo in request.automatic:
        if promotion_problem(promo, request, base) is not None:
            continue
        if promo.kind == FREE_SHIPPING:
            free_shipping.append(promo)
            continue
        parts = _discounts(promo, request, base)
        if sum(parts) > 0 and (best is None or sum(parts) > best[0]):
            best = (sum(parts), promo, parts)
    if best is not None:
        amount, promo, parts = best
        discounts = [d + p for d, p in zip(discounts, parts, strict=True)]
        base = [b - p for b, p in zip(base, parts, strict=True)]
        applied.append(AppliedPromotion(promo.id, promo.name, promo.kind, "", amount))

    # The coupon stacks on what is left after the automatic promotion.
    coupon_problem = None
    if request.coupon is not None:
        coupon = request.coupon
        coupon_problem = promotion_problem(coupon, request, base)
        if coupon_problem is None:
            if coupon.kind == FREE_SHIPPING:
                free_shipping.insert(0, coupon)
            else:
                parts = _discounts(coupon, request, base)
                discounts = [d + p for d, p in zip(discounts, parts, strict=True)]
                base = [b - p for b, p in zip(base, parts, strict=True)]
                applied.append(AppliedPromotion(coupon.id, coupon.name, coupon.kind, coupon.code, sum(parts)))

    # Shipping: only for lines that ship; pickup lines ship free.
    shipping, shipping_discount, shipping_problem = 0, 0, None
    shipped = [i for i, line in enumerate(lines) if line.shipped]
    if shipped:
        grams = sum(lines[i].weight_grams * lines[i].quantity for i in shipped)
        charge = shipping_price(request.shipping_rates, request.country, sum(base[i] for i in shipped), grams)
        if charge is None:
            shipping_problem = PricingProblem("shipping_unavailable", f"No shipping to '{request.country}'.")
            charge = 0
        shipping = charge
        if free_shipping and charge:
            promo = free_shipping[0]
            shipping_discount, shipping = charge, 0
            applied.append(AppliedPromotion(promo.id, promo.name, promo.kind, promo.code, charge))
        elif free_shipping and free_shipping[0] is request.coupon:
            applied.append(
                AppliedPromotion(
                    request.coupon.id, request.coupon.name, FREE_SHIPPING, request.coupon.code, 0
                )
            )
    elif request.coupon is not None and coupon_problem is None and request.coupon.kind == FREE_SHIPPING:
        coupon_problem = PricingProblem("coupon_not_applicable", "Nothing in the cart ships.")

    # Tax on the whole, then allocated: inclusive prices contain it, exclusive ones add it.
    amounts = [*base, shipping]
    taxable = sum(amounts)
    rate = request.tax_rate_bp
    if request.prices_include_tax:
        tax = round_half_up(taxable * rate, BASIS + rate)
    else:
        tax = round_half_up(taxable * rate, BASIS)
    taxes = allocate(tax, amounts)
    added = 0 if request.prices_include_tax else 1
    priced = [
        LinePrice(line.key, line.unit_price, line.quantity, subtotals[i], discounts[i], taxes[i],
                  base[i] + added * taxes[i])
        for i, line in enumerate(lines)
    ]  # fmt: skip
    return PriceBreakdown(
        currency=request.currency,
        lines=priced,
        subtotal=sum(subtotals),
        discount=sum(discounts),
        shipping=shipping,
        shipping_discount=shipping_discount,
        tax=tax,
        total=taxable + added * tax,
        promotions=applied,
        coupon_problem=coupon_problem,
        shipping_problem=shipping_problem,
    )
