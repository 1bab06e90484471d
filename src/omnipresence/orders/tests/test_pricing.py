"""The pricing function on its own: exact amounts in minor units, VAT inclusive and exclusive,
GBP/EUR/JPY, discounts allocated so lines add up, promotions, shipping and channel scope."""

import random
from dataclasses import replace

from omnipresence.orders.pricing import (
    PriceLine,
    PriceRequest,
    Promotion,
    ShippingRate,
    allocate,
    price,
    round_half_up,
)


def line(key, unit, qty, *, currency="GBP", shipped=False, path="women/coats", product=1, grams=0):
    return PriceLine(key=key, product_id=product, category_path=path, unit_price=unit, quantity=qty,
                     currency=currency, weight_grams=grams, shipped=shipped)  # fmt: skip


def promo(pid, kind, value, *, currency="GBP", code="", **options):
    return Promotion(
        id=pid, name=f"promo {pid}", kind=kind, value=value, currency=currency, code=code, **options
    )


def request(lines, *, currency="GBP", inclusive=True, rate=2000, channel="web", **options):
    return PriceRequest(currency=currency, channel=channel, lines=tuple(lines), prices_include_tax=inclusive,
                        tax_rate_bp=rate, **options)  # fmt: skip


UK = (ShippingRate(("GB",), 495, free_above=20000),)


def test_round_half_up_and_largest_remainder():
    assert [round_half_up(n, 10) for n in (14, 15, 16, 25)] == [1, 2, 2, 3]
    assert allocate(2000, [10000, 9999]) == [1000, 1000]
    assert allocate(10, [1, 1, 1]) == [4, 3, 3]  # ties go to the earlier line
    assert allocate(0, [5, 5]) == [0, 0]
    assert allocate(7, [0, 0]) == [0, 0]


def test_gbp_vat_inclusive_with_coupon_and_shipping():
    # Given a £100 coat and three £33.33 scarves, shipped to the UK, with a 10% coupon (VAT 20% included)
    lines = [line("1", 10000, 1, shipped=True), line("2", 3333, 3, shipped=True)]
    coupon = promo(7, "percentage", 1000, code="WELCOME10")
    # When priced
    b = price(request(lines, coupon=coupon, shipping_rates=UK, country="GB"))
    # Then 10% of £199.99 is £20.00, split £10.00 + £10.00; shipping £4.95 (under £200 after discount)
    assert (b.subtotal, b.discount, b.shipping, b.tax, b.total) == (19999, 2000, 495, 3082, 18494)
    assert [(x.discount, x.tax, x.total) for x in b.lines] == [(1000, 1500, 9000), (1000, 1500, 8999)]
    assert [(p.id, p.code, p.amount) for p in b.promotions] == [(7, "WELCOME10", 2000)]
    assert b.coupon_problem is None


def test_eur_vat_exclusive_adds_the_tax():
    lines = [line("1", 10000, 1, currency="EUR"), line("2", 3333, 3, currency="EUR")]
    b = price(request(lines, currency="EUR", inclusive=False))
    assert (b.subtotal, b.discount, b.shipping, b.tax, b.total) == (19999, 0, 0, 4000, 23999)
    assert [(x.tax, x.total) for x in b.lines] == [(2000, 12000), (2000, 11999)]


def test_jpy_has_no_minor_unit_and_still_adds_up():
    # ¥1,980 × 3 with 15% off, 10% consumption tax included
    b = price(request([line("1", 1980, 3, currency="JPY")], currency="JPY", rate=1000,
                      coupon=promo(1, "percentage", 1500, currency="JPY")))  # fmt: skip
    assert (b.subtotal, b.discount, b.tax, b.total) == (5940, 891, 459, 5049)
    # 3.33% of ¥4,000 is ¥133.2 → ¥133, allocated 66 + 67 by largest remainder
    b = price(request([line("1", 1999, 1, currency="JPY"), line("2", 2001, 1, currency="JPY")], currency="JPY",
                      rate=1000, coupon=promo(1, "percentage", 333, currency="JPY")))  # fmt: skip
    assert [x.discount for x in b.lines] == [66, 67]
    assert b.discount == 133


def test_lines_always_add_up_to_the_totals():
    rng = random.Random(3)
    for _ in range(300):
        currency = rng.choice(["GBP", "EUR", "JPY"])
        lines = [
            line(str(i), rng.randint(1, 99999), rng.randint(1, 5), currency=currency, shipped=rng.random() < 0.5,
                 path=rng.choice(["women/coats", "men/shirts"]), grams=rng.randint(0, 3000))
            for i in range(rng.randint(1, 6))
        ]  # fmt: skip
        coupon = rng.choice([None, promo(1, "percentage", rng.randint(1, 10000), currency=currency),
                             promo(2, "fixed", rng.randint(1, 50000), currency=currency,
                                   category_paths=("women",))])  # fmt: skip
        inclusive = rng.random() < 0.5
        b = price(request(lines, currency=currency, inclusive=inclusive, rate=rng.choice([0, 500, 2000, 2100]),
                          coupon=coupon, shipping_rates=(ShippingRate(("*",), rng.randint(0, 2000)),), country="GB"))  # fmt: skip
        assert sum(x.discount for x in b.lines) == b.discount
        assert sum(x.subtotal for x in b.lines) == b.subtotal
        shipping_tax = b.tax - sum(x.tax for x in b.lines)
        assert shipping_tax >= 0
        assert sum(x.total for x in b.lines) + b.shipping + (0 if inclusive else shipping_tax) == b.total
        assert all(x.total >= 0 and 0 <= x.discount <= x.subtotal for x in b.lines)


def test_best_automatic_promotion_then_the_coupon_stacks():
    lines = [line("1", 10000, 1)]
    automatic = (promo(1, "percentage", 1000), promo(2, "fixed", 500))
    b = price(request(lines, automatic=automatic, coupon=promo(3, "fixed", 1000, code="TENOFF")))
    assert [(p.id, p.amount) for p in b.promotions] == [(1, 1000), (3, 1000)]
    assert (b.discount, b.total) == (2000, 8000)
    # A fixed amount never takes a line below zero
    b = price(request(lines, coupon=promo(3, "fixed", 50000)))
    assert (b.discount, b.total) == (10000, 0)


def test_scope_min_spend_channel_and_currency_problems():
    lines = [line("1", 10000, 1, path="women/coats/long"), line("2", 5000, 1, path="women/coatsx", product=9)]
    scoped = promo(1, "percentage", 5000, category_paths=("women/coats",))
    b = price(request(lines, coupon=scoped))
    assert [x.discount for x in b.lines] == [5000, 0]
    by_product = promo(1, "fixed", 1000, product_ids=(9,))
    assert [x.discount for x in price(request(lines, coupon=by_product)).lines] == [0, 1000]
    problems = {
        "coupon_not_applicable": promo(1, "percentage", 1000, category_paths=("men",)),
        "coupon_min_spend": promo(1, "percentage", 1000, min_spend=15001),
        "coupon_wrong_channel": promo(1, "percentage", 1000, channels=("shop",)),
        "currency_mismatch": promo(1, "fixed", 1000, currency="EUR"),
    }
    for code, coupon in problems.items():
        b = price(request(lines, coupon=coupon))
        assert b.coupon_problem.code == code
        assert (b.discount, b.total) == (0, 15000)
    assert price(request(lines, coupon=promo(1, "percentage", 1000, min_spend=15000))).discount == 1500


def test_same_cart_same_price_in_every_channel_unless_scoped():
    lines = [line("1", 45000, 1, shipped=True), line("2", 9500, 2)]
    everywhere = (promo(1, "percentage", 1500),)
    base = request(lines, automatic=everywhere, shipping_rates=UK, country="GB")
    priced = {c: price(replace(base, channel=c)) for c in ("web", "shop", "chat", "live")}
    assert len({repr(b) for b in priced.values()}) == 1
    assert priced["web"].total == 64000 - 9600  # 15% off; the shipped coat is above £200: free
    live_only = replace(base, automatic=(promo(1, "percentage", 1500, channels=("live",)),))
    totals = {c: price(replace(live_only, channel=c)).total for c in ("web", "shop", "chat", "live")}
    assert totals == {"web": 64000, "shop": 64000, "chat": 64000, "live": 54400}


def test_shipping_zones_thresholds_weights_and_pickup():
    rates = (
        ShippingRate(("GB",), 495, free_above=20000),
        ShippingRate(("FR", "DE"), 1500, weight_brackets=((1000, 900), (5000, 1200))),
        ShippingRate(("*",), 3000),
    )

    def ship(country, grams, unit=5000, shipped=True):
        return price(request([line("1", unit, 1, shipped=shipped, grams=grams)], shipping_rates=rates,
                             country=country))  # fmt: skip

    assert ship("GB", 100).shipping == 495
    assert ship("GB", 100, unit=20000).shipping == 0
    assert [ship("FR", g).shipping for g in (800, 1000, 4000, 9000)] == [900, 900, 1200, 1500]
    assert ship("JP", 100).shipping == 3000
    assert ship("JP", 100, shipped=False).shipping == 0  # pickup ships free
    nowhere = price(request([line("1", 5000, 1, shipped=True)], shipping_rates=rates[:1], country="US"))
    assert nowhere.shipping_problem.code == "shipping_unavailable"
    free = promo(4, "free_shipping", 0, code="SHIPFREE")
    b = price(request([line("1", 5000, 1, shipped=True)], shipping_rates=rates, country="GB", coupon=free))
    assert (b.shipping, b.shipping_discount, b.total) == (0, 495, 5000)
    b = price(request([line("1", 5000, 1)], shipping_rates=rates, country="GB", coupon=free))
    assert b.coupon_problem.code == "coupon_not_applicable"  # nothing ships
