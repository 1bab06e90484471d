"""Shared by the benchmarks: a throwaway database, Django set-up, a seeded boutique, and statistics.

Each benchmark makes its own database (a fresh PostgreSQL database `omni_bench_<pid>`, or a
temporary SQLite file), migrates it, seeds it through the services and removes it at the end.
"""

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "src") not in sys.path:
    sys.path.insert(0, str(REPO / "src"))

# The server the benchmark creates its database on; trust auth as on the development machines.
PG_SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")


def pg_admin_connect(dbname: str = "postgres"):
    import psycopg

    return psycopg.connect(f"{PG_SERVER_URL}/{dbname}", autocommit=True)


@contextmanager
def postgres_database(prefix: str = "omni_bench") -> Iterator[str]:
    """Create `<prefix>_<pid>` on the server, yield its URL, drop it at the end (even on error)."""
    from psycopg import sql

    name = f"{prefix}_{os.getpid()}"
    with pg_admin_connect() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{PG_SERVER_URL}/{name}"
    finally:
        _close_django_connections()
        with pg_admin_connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def sqlite_database() -> Iterator[str]:
    """A temporary SQLite file (WAL, IMMEDIATE transactions: the settings' SQLITE_OPTIONS)."""
    directory = tempfile.mkdtemp(prefix="omni-bench-")
    try:
        yield f"sqlite:///{directory}/bench.sqlite3"
    finally:
        _close_django_connections()
        shutil.rmtree(directory, ignore_errors=True)


def _close_django_connections() -> None:
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()


def django_setup(database_url: str) -> None:
    """Point the settings at `database_url`, set Django up and migrate."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "omnipresence.settings"
    # Keep the benchmark from creating ./omnipresence-data wherever it is run from.
    if not os.environ.get("OMNIPRESENCE_DATA_DIR"):  # mkdtemp only when needed (it leaked an empty folder)
        os.environ["OMNIPRESENCE_DATA_DIR"] = tempfile.mkdtemp(prefix="omni-bench-data-")
    Path(os.environ["OMNIPRESENCE_DATA_DIR"], "static").mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


@dataclass
class World:
    boutique: object
    actor: object  # an associate's Actor, as the console would build it
    shop: object
    locations: list = field(default_factory=list)
    hot_variant: object = None
    variants: list = field(default_factory=list)  # the many-SKU catalogue


def seed_world(
    *, skus: int = 1000, hot_stock: int = 1_000_000, sku_stock: int = 100_000, locations: int = 1
) -> World:
    """One boutique with `locations` shops, a hot SKU with `hot_stock` units at the first shop, and
    `skus` other SKUs (10 variants a product) with `sku_stock` units each there. Through the services."""
    from omnipresence.catalog import services as catalog
    from omnipresence.stores import services as stores
    from omnipresence.stores.access import actor_for_user, system_actor

    boutique = stores.boutique_create(name="Bench Boutique", slug="bench", country="GB", currency="GBP",
                                      timezone_name="Europe/London", city="London")  # fmt: skip
    owner = system_actor(boutique)
    every_day = [(d, time(0, 0), time(23, 59)) for d in range(7)]
    shops = []
    for i in range(locations):
        shop = stores.location_create(actor=owner, code=f"shop{i}", name=f"Shop {i}", kind="shop",
                                      offers_pickup=True, fulfils_online=True, city="London")  # fmt: skip
        stores.opening_hours_set(actor=owner, location=shop, periods=every_day)
        shops.append(shop)
    member = stores.staff_add(boutique=boutique, username="bench-associate", role="associate",
                              password="bench-pass-1234", home_location=shops[0])  # fmt: skip
    actor = actor_for_user(member.user, boutique)

    hot_product = catalog.product_create(actor=owner, title="Hot Drop Sneaker", brand="Bench")
    hot = catalog.variant_create(actor=owner, product=hot_product, sku="HOT-1", price=12000)
    _receive(owner, shops[0], hot, hot_stock)

    variants = []
    for p in range((skus + 9) // 10):
        product = catalog.product_create(actor=owner, title=f"Bench Product {p}", brand="Bench")
        for v in range(min(10, skus - 10 * p)):
            variant = catalog.variant_create(actor=owner, product=product, sku=f"B-{p}-{v}", price=5000 + v,
                                             size=str(v), position=v)  # fmt: skip
            _receive(owner, shops[0], variant, sku_stock)
            variants.append(variant)
    return World(
        boutique=boutique, actor=actor, shop=shops[0], locations=shops, hot_variant=hot, variants=variants
    )


def _receive(actor, location, variant, quantity: int) -> None:
    """Deliveries of at most MAX_QUANTITY units each (the services' limit per movement)."""
    from omnipresence.inventory import services as inventory

    while quantity > 0:
        step = min(quantity, inventory.MAX_QUANTITY)
        inventory.stock_receive(
            actor=actor, location=location, variant=variant, quantity=step, reason="bench"
        )
        quantity -= step


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(pct / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table, columns padded so it also reads well in a terminal."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def machine_summary() -> str:
    import platform
    import sqlite3

    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return (f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, "
            f"load average {load}")  # fmt: skip
