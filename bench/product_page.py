"""The product availability read path, server side: latency and queries per call.

    .venv/bin/python bench/product_page.py [--db sqlite|postgres] [--iterations 500]

Seeds (through the services) a boutique with --locations locations, a product with --variants
variants stocked everywhere with active, released and expired holds, and --catalogue other products
so the tables are not trivially small. Then measures, in one run:

- selector: omnipresence.inventory.selectors.availability_for_product (product from product_get);
- API: GET /api/v1/boutiques/{slug}/products/{handle}/availability through django.test.Client
  (boutique lookup, product with variants and images, availability, JSON rendering);
- naive: the same figures from a per-variant, per-location loop (one stock query and one holds
  query per pair, hours read per location), the N+1 shape the selector avoids.

The three must agree on every available quantity before any figure is printed. SQLite (a temporary
file, WAL, IMMEDIATE) by default; --db postgres creates and drops `omni_bench_<pid>`.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    django_setup,
    machine_summary,
    percentile,
    postgres_database,
    sqlite_database,
    table,
)

SIZES = ["XS", "S", "M", "L", "XL", "XXL", "3XL", "4XL", "5XL", "6XL"]


def seed(*, variants: int, locations: int, catalogue: int):
    from datetime import time as clock
    from datetime import timedelta

    from django.utils import timezone

    from omnipresence.catalog import services as catalog
    from omnipresence.inventory import services as inventory
    from omnipresence.inventory.models import Hold
    from omnipresence.stores import services as stores
    from omnipresence.stores.access import actor_for_user, system_actor

    boutique = stores.boutique_create(name="Bench Boutique", slug="bench", country="GB", currency="GBP",
                                      timezone_name="Europe/London", city="London")  # fmt: skip
    owner = system_actor(boutique)
    every_day = [(d, clock(9, 0), clock(19, 0)) for d in range(6)]
    places = []
    for i in range(locations):
        warehouse = i == locations - 1 and locations > 1
        place = stores.location_create(
            actor=owner, code=f"loc{i}", name=f"Location {i}", kind="warehouse" if warehouse else "shop",
            offers_pickup=not warehouse, fulfils_online=warehouse or i == 0, sells_in_person=not warehouse,
            city="London",
        )  # fmt: skip
        if not warehouse:
            stores.opening_hours_set(actor=owner, location=place, periods=every_day)
        places.append(place)
    member = stores.staff_add(boutique=boutique, username="bench-associate", role="associate",
                              password="bench-pass-1234", home_location=places[0])  # fmt: skip
    associate = actor_for_user(member.user, boutique)

    for p in range(catalogue):
        other = catalog.product_create(actor=owner, title=f"Catalogue Product {p}", brand="Bench")
        for v in range(4):
            variant = catalog.variant_create(
                actor=owner, product=other, sku=f"C-{p}-{v}", price=4000, position=v
            )
            inventory.stock_receive(actor=owner, location=places[v % locations], variant=variant, quantity=3)

    product = catalog.product_create(actor=owner, title="Blue Statement Coat", brand="Maison Bleue",
                                     category_path="Women > Coats")  # fmt: skip
    expired = []
    for v in range(variants):
        variant = catalog.variant_create(actor=owner, product=product, sku=f"COAT-{SIZES[v % len(SIZES)]}-{v}",
                                         price=45000, size=SIZES[v % len(SIZES)], position=v)  # fmt: skip
        for i, place in enumerate(places):
            inventory.stock_receive(actor=owner, location=place, variant=variant, quantity=3 + (v + i) % 5)
            hold = inventory.hold_place(actor=associate, location=place, variant=variant, quantity=1)
            if (v + i) % 3 == 0:
                inventory.hold_release(actor=associate, hold=hold)
            elif (v + i) % 3 == 1:
                expired.append(hold.pk)
    # Expired but not yet swept: reads must ignore them.
    Hold.objects.filter(pk__in=expired).update(expires_at=timezone.now() - timedelta(minutes=1))
    return boutique, product


def naive_availability(boutique, product) -> dict:
    """The loop the selector replaces: per variant and location, one stock and one holds query."""
    from django.db.models import Sum

    from omnipresence.inventory.models import Hold, Stock
    from omnipresence.inventory.selectors import active_holds_filter
    from omnipresence.stores.models import Location
    from omnipresence.stores.selectors import next_pickup

    result = {}
    locations = list(Location.objects.filter(boutique=boutique, is_active=True))
    pickup_at = {loc.pk: next_pickup(loc) if loc.offers_pickup else None for loc in locations}
    for variant in product.variants.filter(is_active=True).order_by("position", "id"):
        for loc in locations:
            stock = Stock.objects.filter(variant=variant, location=loc).first()
            if stock is None:
                result[(variant.pk, loc.pk)] = (0, pickup_at[loc.pk])
                continue
            held = Hold.objects.filter(active_holds_filter(), stock=stock).aggregate(total=Sum("quantity"))[
                "total"
            ]
            result[(variant.pk, loc.pk)] = (max(stock.on_hand - (held or 0), 0), pickup_at[loc.pk])
    return result


def measure(call, iterations: int) -> tuple[int, float, float]:
    """(queries of one call, p50 ms, p99 ms) over `iterations` calls after a warm-up. Queries are
    counted with an execute wrapper: the request_started signal empties connection.queries, so
    CaptureQueriesContext would see none of a test client's request."""
    from django.db import connection

    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    for _ in range(min(20, iterations)):
        call()
    with connection.execute_wrapper(count):
        call()
    timings = []
    for _ in range(iterations):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    timings.sort()
    return len(executed), percentile(timings, 50) * 1000, percentile(timings, 99) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--variants", type=int, default=8)
    parser.add_argument("--locations", type=int, default=4)
    parser.add_argument("--catalogue", type=int, default=100, help="other products (4 variants each)")
    args = parser.parse_args()

    database = postgres_database() if args.db == "postgres" else sqlite_database()
    with database as url:
        django_setup(url)
        from django.db import connection
        from django.test import Client

        from omnipresence.catalog.selectors import product_get
        from omnipresence.inventory.selectors import availability_for_product

        started = time.perf_counter()
        boutique, product = seed(variants=args.variants, locations=args.locations, catalogue=args.catalogue)
        seeded = time.perf_counter() - started
        product = product_get(boutique=boutique, product_id=product.handle)
        client = Client()
        url_path = f"/api/v1/boutiques/{boutique.slug}/products/{product.handle}/availability"

        def selector():
            return availability_for_product(boutique=boutique, product=product)

        def api():
            response = client.get(url_path)
            assert response.status_code == 200, response.content[:300]
            return response

        def naive():
            return naive_availability(boutique, product)

        # The three must tell the same story before their speed means anything.
        ours = {(vid, la.location.pk): la.available for vid, e in selector().items() for la in e.locations}
        loop = {key: available for key, (available, _) in naive().items()}
        from_api = {
            (row["sku"], loc["code"]): loc["available"] for row in api().json() for loc in row["locations"]
        }
        skus = {v.pk: v.sku for v in product.variants.all()}
        codes = {la.location.pk: la.location.code for e in selector().values() for la in e.locations}
        assert ours == loop, "selector and naive loop disagree"
        assert from_api == {(skus[v], codes[loc]): n for (v, loc), n in ours.items()}, "API disagrees"
        held_somewhere = sum(la.held for e in selector().values() for la in e.locations)

        rows = []
        for name, call in (("selector availability_for_product", selector), ("API GET …/availability", api),
                           ("naive loop (N+1)", naive)):  # fmt: skip
            queries, p50, p99 = measure(call, args.iterations)
            rows.append([name, queries, f"{p50:.2f}", f"{p99:.2f}"])
        vendor = (
            f"PostgreSQL {connection.pg_version // 10000}" if connection.vendor == "postgresql" else "SQLite"
        )
        connection.close()

    print(f"# product_page: {vendor}, {machine_summary()}")
    print(f"# {args.variants} variants × {args.locations} locations, {held_somewhere} units held by active holds "
          f"(plus released and expired ones), {args.catalogue} other products; seeded in {seeded:.1f}s; "
          f"{args.iterations} calls each\n")  # fmt: skip
    print(table(["path", "queries", "p50 ms", "p99 ms"], rows))
    selector_queries = rows[0][1]
    print(f"\n# target: availability ≤ 5 queries — selector {selector_queries}: "
          f"{'met' if selector_queries <= 5 else 'NOT met'}")  # fmt: skip
    return 0 if selector_queries <= 5 else 1


if __name__ == "__main__":
    sys.exit(main())
