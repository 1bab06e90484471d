"""Search benchmark: p50/p95 of typical faceted queries at 100k variants, beside a naive baseline.

    .venv/bin/python bench/search_bench.py --db sqlite            # 100k variants
    .venv/bin/python bench/search_bench.py --db postgres --runs 30
    .venv/bin/python bench/search_bench.py --db sqlite --scale 10  # 1M variants (slow to seed)

It makes its own database (a temporary SQLite file, or PostgreSQL `omni_bench_search_<pid>` on
BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432, dropped at the end), migrates,
seeds synthetic boutiques with bulk_create (products, variants, stock at three locations, some
holds), builds the index with search_index_rebuild, then times every query of the set with
search_products and with the baseline: the same filters and facet counts done naively with
LIKE '%word%' over the catalog tables (what the interim implementation did, plus facets).
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
PG_SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")

ADJECTIVES = (
    "relaxed tailored cropped oversized slim classic belted quilted double breasted wrap pleated "
    "fitted soft structured vintage ribbed striped printed washed brushed lightweight long short"
).split()
MATERIALS = (
    "wool cashmere linen silk cotton leather suede denim velvet tweed mohair alpaca satin jersey".split()
)
CATEGORIES = {
    "women": {
        "coats": ["coat", "trench", "parka", "jacket"],
        "dresses": ["dress", "gown", "slip"],
        "knitwear": ["jumper", "cardigan", "sweater"],
        "shirts": ["shirt", "blouse"],
        "trousers": ["trousers", "jeans", "culottes"],
        "shoes": ["boots", "loafers", "sandals"],
    },
    "men": {
        "coats": ["coat", "overcoat", "jacket"],
        "shirts": ["shirt", "oxford"],
        "knitwear": ["jumper", "cardigan"],
        "trousers": ["trousers", "chinos", "jeans"],
        "shoes": ["boots", "derbies", "trainers"],
    },
    "accessories": {
        "scarves": ["scarf", "stole"],
        "bags": ["tote", "bag", "clutch"],
        "hats": ["hat", "beanie", "cap"],
    },
}
COLOURS = (
    "black navy blue white cream camel grey brown green red burgundy pink beige olive ecru charcoal".split()
)
LETTER_SIZES = ["XS", "S", "M", "L", "XL"]
SHOE_SIZES = [str(n) for n in range(36, 46)]
FILLER = (
    "made in italy portugal france by hand from soft natural fibres with a clean finish and a modern cut "
    "that layers easily over knitwear for city days and evenings our atelier sources every yarn from "
    "family mills it keeps its shape through seasons of wear fully lined with horn buttons and deep "
    "pockets designed in small batches to order cut generously through the shoulder falls to the knee "
    "dry clean only gentle hand wash lay flat to dry a timeless piece for the wardrobe pairs with "
    "tailoring denim and boots limited edition colourway responsibly produced traceable organic"
).split()
TAGS = "new bestseller gift sustainable limited winter summer essentials evening travel".split()
BRAND_SYLLABLES = "ma son bel nor dik ver ano lu ca sta ri ol ve tra ne mi".split()
CITIES = ["London", "London", "London", "Paris", "Paris", "Paris", "Milan", "Milan"]
WEIGHTS = [0.30, 0.20, 0.15, 0.10, 0.10, 0.05, 0.05, 0.05]


@contextmanager
def database(kind: str):
    if kind == "sqlite":
        directory = tempfile.mkdtemp(prefix="omni-bench-search-")
        os.environ.pop("DATABASE_URL", None)
        os.environ["OMNIPRESENCE_DATA_DIR"] = directory
        try:
            yield f"sqlite file in {directory}"
        finally:
            _close()
            shutil.rmtree(directory, ignore_errors=True)
        return
    import psycopg
    from psycopg import sql

    name = f"omni_bench_search_{os.getpid()}"
    with psycopg.connect(f"{PG_SERVER_URL}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    os.environ["DATABASE_URL"] = f"{PG_SERVER_URL}/{name}"
    try:
        yield f"postgresql database {name}"
    finally:
        _close()
        with psycopg.connect(f"{PG_SERVER_URL}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _close() -> None:
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()


def seed(total_variants: int, rng: random.Random) -> dict:
    """Boutiques of unequal size whose variants add up to about `total_variants`."""
    from django.utils import timezone

    from omnipresence.catalog.models import Category, Product, Variant
    from omnipresence.inventory.models import Hold, Stock
    from omnipresence.stores.models import Boutique, Location

    brands = sorted(
        {
            "".join(rng.sample(BRAND_SYLLABLES, 2)).title()
            + " "
            + rng.choice(["Studio", "Atelier", "Paris", "Milano", "& Co", "Maison"])
            for _ in range(80)
        }
    )
    now = timezone.now()
    info: dict = {"boutiques": [], "brands": {}}
    for index, (city, weight) in enumerate(zip(CITIES, WEIGHTS, strict=True)):
        boutique = Boutique.objects.create(
            name=f"Boutique {index}", slug=f"boutique-{index}", country="GB", city=city, currency="GBP"
        )
        locations = Location.objects.bulk_create(
            [
                Location(boutique=boutique, name="Main shop", code="main", feeds_online=True),
                Location(boutique=boutique, name="Second shop", code="second", feeds_online=False),
                Location(
                    boutique=boutique, name="Warehouse", code="warehouse", kind="warehouse", feeds_online=True
                ),
            ]
        )
        categories = {}
        for top, children in CATEGORIES.items():
            parent = Category.objects.create(boutique=boutique, name=top.title(), slug=top, path=top)
            for child in children:
                categories[f"{top}/{child}"] = Category.objects.create(
                    boutique=boutique, parent=parent, name=child.title(), slug=child, path=f"{top}/{child}"
                )
        own_brands = rng.sample(brands, 20)
        info["boutiques"].append(boutique.slug)
        info["brands"][boutique.slug] = own_brands
        target = int(total_variants * weight)
        made = 0
        serial = 0
        while made < target:
            products, plans = [], []
            for _ in range(min(1000, (target - made) // 5 + 1)):
                path = rng.choice(list(categories))
                top, child = path.split("/")
                noun = rng.choice(CATEGORIES[top][child])
                material = rng.choice(MATERIALS)
                title = f"{rng.choice(ADJECTIVES).title()} {material.title()} {noun.title()}"
                serial += 1
                products.append(Product(
                    boutique=boutique, handle=f"p-{serial}", title=title, brand=rng.choice(own_brands),
                    description=" ".join([f"A {material} {noun}"] + rng.sample(FILLER, rng.randint(15, 30))),
                    category=categories[path], tags=rng.sample(TAGS, rng.randint(1, 3)),
                ))  # fmt: skip
                if top == "accessories":
                    sizes = ["One size"]
                elif child == "shoes":
                    sizes = rng.sample(SHOE_SIZES, rng.randint(3, 6))
                else:
                    sizes = rng.sample(LETTER_SIZES, rng.randint(2, 5))
                plans.append((rng.sample(COLOURS, rng.randint(1, 2)), sizes, rng.randrange(2000, 90000, 500)))
            products = Product.objects.bulk_create(products)
            for offset, product in enumerate(products):
                product.created_at = now - timedelta(minutes=serial - offset)
            Product.objects.bulk_update(products, ["created_at"], batch_size=2000)
            variants = []
            for product, (colours, sizes, price) in zip(products, plans, strict=True):
                for colour in colours:
                    for size in sizes:
                        variants.append(Variant(
                            boutique=boutique, product=product, sku=f"{product.handle}-{colour}-{size}",
                            colour=colour.title(), size=size, price=price + (500 if size in ("XL", "45") else 0),
                            currency="GBP", position=len(variants),
                        ))  # fmt: skip
            variants = Variant.objects.bulk_create(variants, batch_size=2000)
            made += len(variants)
            stock = []
            for variant in variants:
                for location in locations:
                    if rng.random() < 0.6:
                        stock.append(Stock(boutique=boutique, location=location, variant=variant,
                                           on_hand=rng.choice([0, 1, 1, 2, 3, 5, 8])))  # fmt: skip
            stock = Stock.objects.bulk_create(stock, batch_size=2000)
            holds = []
            for row in stock:
                if row.on_hand and rng.random() < 0.03:
                    quantity = rng.randint(1, row.on_hand)
                    expired = rng.random() < 0.3
                    holds.append(Hold(
                        boutique=boutique, stock=row, location_id=row.location_id, variant_id=row.variant_id,
                        kind="cart", quantity=quantity,
                        expires_at=now + timedelta(minutes=-30 if expired else 30),
                    ))  # fmt: skip
                    row.held = quantity
            Hold.objects.bulk_create(holds, batch_size=2000)
            Stock.objects.bulk_update([r for r in stock if r.held], ["held"], batch_size=2000)
    return info


def query_set(info: dict):
    """(name, query, filters kwargs, sort, page) — what shoppers typically do."""
    big, mid = info["boutiques"][0], info["boutiques"][1]
    return [
        ("text", "wool coat", {"boutique": big}, "relevance", 1),
        (
            "text+facets",
            "coat",
            {"boutique": big, "colours": ("black", "navy"), "sizes": ("M",)},
            "relevance",
            1,
        ),
        (
            "browse category+colour",
            "",
            {"boutique": big, "category": "women", "colours": ("blue",)},
            "newest",
            1,
        ),
        (
            "browse 3 facets",
            "",
            {
                "boutique": mid,
                "category": "women/dresses",
                "sizes": ("S", "M"),
                "brands": (info["brands"][mid][0], info["brands"][mid][1]),
            },
            "newest",
            1,
        ),  # fmt: skip
        (
            "price range",
            "",
            {"boutique": big, "category": "men", "price_min": 10000, "price_max": 30000},
            "price_asc",
            1,
        ),
        ("in stock at", "", {"boutique": big, "category": "women/coats", "in_stock_at": "main"}, "newest", 1),
        ("online + text", "linen shirt", {"boutique": big, "in_stock_online": True}, "relevance", 1),
        ("typo", "cahsmere jumpr", {"boutique": big}, "relevance", 1),
        ("browse page 3", "", {"boutique": big, "category": "accessories"}, "price_desc", 3),
        ("hub text", "silk scarf", {}, "relevance", 1),
        ("hub city browse", "", {"city": "London", "category": "women"}, "newest", 1),
        ("hub colour browse", "", {"colours": ("black",)}, "newest", 1),
        ("hub text sort price", "dress", {"city": "Paris", "sizes": ("M",)}, "price_asc", 1),
    ]


def baseline_search(query: str, filters, sort: str, page: int, page_size: int = 24) -> tuple[int, list]:
    """The naive way: LIKE '%word%' over the catalog, availability by subquery, facets by GROUP BY."""
    from django.db.models import Count, F, Max, Min, Q
    from django.utils import timezone

    from omnipresence.catalog.models import Product, Variant
    from omnipresence.inventory.models import Stock
    from omnipresence.inventory.selectors import held_subquery
    from omnipresence.stores.models import Location

    def variants(exclude: str | None = None):
        qs = Variant.objects.filter(is_active=True, product__status=Product.Status.ACTIVE)
        if filters.boutique is not None:
            qs = qs.filter(boutique=filters.boutique)
        if filters.city:
            qs = qs.filter(boutique__city__iexact=filters.city)
        for word in query.split():
            qs = qs.filter(Q(product__title__icontains=word) | Q(product__brand__icontains=word)
                           | Q(product__description__icontains=word) | Q(product__tags__icontains=word))  # fmt: skip
        if filters.category and exclude != "category":
            qs = qs.filter(Q(product__category__path=filters.category)
                           | Q(product__category__path__startswith=filters.category + "/"))  # fmt: skip
        if filters.brands and exclude != "brand":
            qs = qs.filter(product__brand__in=filters.brands)
        if filters.colours and exclude != "colour":
            qs = qs.filter(colour__in=[c.title() for c in filters.colours])
        if filters.sizes and exclude != "size":
            qs = qs.filter(size__in=filters.sizes)
        if filters.price_min is not None:
            qs = qs.filter(price__gte=filters.price_min)
        if filters.price_max is not None:
            qs = qs.filter(price__lte=filters.price_max)
        if filters.in_stock_at:
            locations = Location.objects.filter(boutique=filters.boutique, code=filters.in_stock_at)
            qs = qs.filter(pk__in=Stock.objects.filter(location__in=locations).annotate(h=held_subquery(timezone.now()))
                           .filter(on_hand__gt=F("h")).values("variant_id"))  # fmt: skip
        if filters.in_stock_online:
            locations = Location.objects.filter(boutique=filters.boutique, feeds_online=True)
            qs = qs.filter(pk__in=Stock.objects.filter(location__in=locations).annotate(h=held_subquery(timezone.now()))
                           .filter(on_hand__gt=F("h")).values("variant_id"))  # fmt: skip
        return qs

    for facet, column in (("category", "product__category__path"), ("brand", "product__brand"),
                          ("colour", "colour"), ("size", "size")):  # fmt: skip
        list(variants(facet).values(column).annotate(n=Count("product_id", distinct=True)))
    products = variants().values("product_id").annotate(low=Min("price"), high=Max("price"))
    order = {"price_asc": ["low", "-product_id"], "price_desc": ["-high", "-product_id"]}.get(
        sort, ["-product_id"]
    )
    count = products.count()
    start = (page - 1) * page_size
    return count, [row["product_id"] for row in products.order_by(*order)[start : start + page_size]]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--scale", type=int, default=None, help="N × 100k variants (overrides --variants)")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per query (after one warm-up)")
    parser.add_argument("--baseline-runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    total = args.scale * 100_000 if args.scale else args.variants

    with database(args.db) as where:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnipresence.settings")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from omnipresence.catalog.models import Product, Variant
        from omnipresence.search.selectors import SearchFilters, search_products
        from omnipresence.search.services import search_index_rebuild
        from omnipresence.stores.models import Boutique

        print(f"database: {where} ({connection.vendor})")
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        info = seed(total, random.Random(args.seed))
        seeded = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        started = time.perf_counter()
        indexed = search_index_rebuild()
        rebuilt = time.perf_counter() - started
        if connection.vendor == "postgresql":
            # The steady state autovacuum reaches shortly after a bulk load: visibility maps set,
            # so index-only scans (stock, search_variant) need no heap visits.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        print(f"seeded {Product.objects.count()} products / {Variant.objects.count()} variants in {seeded:.1f} s; "
              f"search_index_rebuild: {indexed} products in {rebuilt:.1f} s")  # fmt: skip

        boutiques = {b.slug: b for b in Boutique.objects.all()}
        ours: list[float] = []
        base: list[float] = []
        print(
            f"\n{'query':<24}{'hits':>7}{'p50 ms':>9}{'p95 ms':>9}{'base p50':>10}{'base p95':>10}{'ratio':>8}"
        )
        for name, text, raw, sort, page in query_set(info):
            raw = dict(raw)
            if "boutique" in raw:
                raw["boutique"] = boutiques[raw["boutique"]]
            filters = SearchFilters(**raw)
            result = search_products(query=text, filters=filters, sort=sort, page=page)  # warm-up
            timings = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                search_products(query=text, filters=filters, sort=sort, page=page)
                timings.append((time.perf_counter() - t0) * 1000)
            baseline = []
            for _ in range(args.baseline_runs):
                t0 = time.perf_counter()
                baseline_search(text, filters, sort, page)
                baseline.append((time.perf_counter() - t0) * 1000)
            ours += timings
            base += baseline
            p50, p95 = statistics.median(timings), percentile(timings, 0.95)
            b50, b95 = statistics.median(baseline), percentile(baseline, 0.95)
            print(
                f"{name:<24}{result.count:>7}{p50:>9.1f}{p95:>9.1f}{b50:>10.1f}{b95:>10.1f}{b50 / p50:>7.1f}×"
            )
        p50, p95 = statistics.median(ours), percentile(ours, 0.95)
        b50, b95 = statistics.median(base), percentile(base, 0.95)
        print(f"{'ALL':<24}{'':>7}{p50:>9.1f}{p95:>9.1f}{b50:>10.1f}{b95:>10.1f}{b50 / p50:>7.1f}×")
        print(f"\ntarget p95 ≤ 50 ms: {'met' if p95 <= 50 else 'NOT met'} (overall p95 {p95:.1f} ms)")


if __name__ == "__main__":
    main()
