"""Hold placement under contention on PostgreSQL: our service path against a bare-SQL baseline.

    .venv/bin/python bench/hold_contention.py [--clients 1,8,32,64] [--seconds 5] [--skus 1000]

Creates its own database `omni_bench_<pid>` on 127.0.0.1:5432 (dropped at the end), seeds one
boutique through the services, then for each client count and scenario (one hot SKU; random SKUs
among --skus) runs both paths for --seconds with one process and one connection per client:

- ours: `omnipresence.inventory.services.hold_place(quantity=1)`, exactly as the console calls it;
- baseline: psycopg, autocommit, one statement per hold (conditional UPDATE + INSERT in one CTE).

After every run it checks the database: no stock row holds more than it has on hand, the held
counters equal the active holds, and the holds table has exactly the holds the clients were told
succeeded. A last run gives a SKU only --limited-stock units and lets clients keep trying: exactly
that many holds must exist. See bench/README.md for why processes rather than threads.
"""

import argparse
import multiprocessing
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    django_setup,
    machine_summary,
    percentile,
    pg_admin_connect,
    postgres_database,
    seed_world,
    table,
)

BASELINE_SQL = """
WITH s AS (
    UPDATE inventory_stock SET held = held + 1
    WHERE id = %s AND on_hand - held >= 1
    RETURNING id, boutique_id, location_id, variant_id
)
INSERT INTO inventory_hold (
    boutique_id, stock_id, location_id, variant_id, kind, quantity, status, client_name, client_contact,
    owner_ref, note, created_by_id, created_by_label, created_at, expires_at
)
SELECT boutique_id, id, location_id, variant_id, 'client', 1, 'active', '', '', '', '', %s, 'bench', now(),
       now() + interval '48 hours'
FROM s
RETURNING id
"""

CHECK_SQL = """
SELECT
    count(*) FILTER (WHERE s.held > s.on_hand OR coalesce(h.units, 0) > s.on_hand) AS oversold,
    count(*) FILTER (WHERE s.held <> coalesce(h.units, 0)) AS counter_mismatch,
    coalesce(sum(h.rows), 0) AS hold_rows
FROM inventory_stock s
LEFT JOIN (
    SELECT stock_id, sum(quantity) AS units, count(*) AS rows
    FROM inventory_hold WHERE status = 'active' GROUP BY stock_id
) h ON h.stock_id = s.id
"""

# Set in the parent before forking; children inherit it (fork start method, no pickling).
STATE: dict = {}


@dataclass
class ClientResult:
    placed: int = 0
    short: int = 0
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)


@dataclass
class RunResult:
    clients: int
    scenario: str
    path: str
    holds_per_s: float
    p50_ms: float
    p99_ms: float
    placed: int
    short: int
    errors: int
    oversold: int
    counter_mismatch: int
    hold_rows: int

    @property
    def consistent(self) -> bool:
        return self.oversold == 0 and self.counter_mismatch == 0 and self.hold_rows == self.placed


def _client(index: int, path: str, scenario: str, seconds: float, barrier, results, refusals: int) -> None:
    """One client: its own connection, released with the others by the barrier. Stops at the
    deadline, or after `refusals` refused attempts when that is not 0."""
    rng = random.Random(index)
    targets = STATE["targets"][scenario]
    outcome = ClientResult()
    if path == "ours":
        from django.db import connections

        from omnipresence.core.errors import InsufficientStock
        from omnipresence.inventory.services import hold_place

        actor = STATE["actor"]
        connections["default"].ensure_connection()

        def place(target) -> bool:
            try:
                hold_place(actor=actor, location=target[0], variant=target[1], quantity=1)
            except InsufficientStock:
                return False
            return True
    else:
        import psycopg

        conn = psycopg.connect(STATE["url"], autocommit=True)
        cursor = conn.cursor()
        user_id = STATE["actor"].user_id

        def place(target) -> bool:
            return cursor.execute(BASELINE_SQL, (target[2], user_id), prepare=True).fetchone() is not None

    barrier.wait()
    clock = time.perf_counter
    start = clock()
    deadline = start + seconds
    latencies = outcome.latencies
    while True:
        before = clock()
        if before >= deadline:
            break
        target = targets[0] if len(targets) == 1 else rng.choice(targets)
        try:
            if place(target):
                outcome.placed += 1
            else:
                outcome.short += 1
        except Exception as exc:  # counted and shown: the run must have none
            outcome.errors.append(f"{type(exc).__name__}: {exc}"[:200])
        latencies.append(clock() - before)
        if refusals and outcome.short >= refusals:
            break
    outcome.elapsed = clock() - start
    results.put(outcome)


def _run(path: str, scenario: str, clients: int, seconds: float, refusals: int = 0) -> RunResult:
    from django.db import connections

    connections.close_all()  # children must not share the parent's socket
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(clients + 1)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=_client, args=(i, path, scenario, seconds, barrier, results, refusals), daemon=True
        )
        for i in range(clients)
    ]
    for proc in procs:
        proc.start()
    barrier.wait(timeout=120)
    outcomes = [results.get(timeout=seconds + 120) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    latencies = sorted(x for o in outcomes for x in o.latencies)
    placed = sum(o.placed for o in outcomes)
    errors = [e for o in outcomes for e in o.errors]
    for message in sorted(set(errors))[:5]:
        print(f"  ! {path}/{scenario}/{clients}: {message}", file=sys.stderr)
    elapsed = max(o.elapsed for o in outcomes)
    with pg_admin_connect(STATE["dbname"]) as conn:
        oversold, mismatch, rows = conn.execute(CHECK_SQL).fetchone()
    return RunResult(
        clients=clients, scenario=scenario, path=path, holds_per_s=placed / elapsed,
        p50_ms=percentile(latencies, 50) * 1000, p99_ms=percentile(latencies, 99) * 1000, placed=placed,
        short=sum(o.short for o in outcomes), errors=len(errors), oversold=oversold, counter_mismatch=mismatch,
        hold_rows=rows,
    )  # fmt: skip


def _reset() -> None:
    """Forget every hold so each run starts from the same state (and the same table sizes)."""
    with pg_admin_connect(STATE["dbname"]) as conn:
        # CASCADE: other apps' tables point at holds (order allocations); the bench leaves them empty.
        conn.execute("TRUNCATE inventory_hold CASCADE")
        conn.execute("UPDATE inventory_stock SET held = 0 WHERE held <> 0")
        conn.execute("VACUUM ANALYZE inventory_stock")
        conn.execute("VACUUM ANALYZE inventory_hold")
        conn.execute("CHECKPOINT")


def _median_run(runs: list[RunResult]) -> RunResult:
    ordered = sorted(runs, key=lambda r: r.holds_per_s)
    chosen = ordered[len(ordered) // 2]
    # Correctness is judged on every repeat, not only the median one.
    chosen.oversold = max(r.oversold for r in runs)
    chosen.counter_mismatch = max(r.counter_mismatch for r in runs)
    chosen.errors = sum(r.errors for r in runs)
    if not all(r.consistent for r in runs):
        chosen.hold_rows = -1
    return chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,8,32,64", help="comma-separated client counts")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each run")
    parser.add_argument("--skus", type=int, default=1000, help="SKUs in the spread scenario")
    parser.add_argument("--repeat", type=int, default=1, help="runs per cell; the median is shown")
    parser.add_argument("--limited-stock", type=int, default=500, help="units in the limited-stock run")
    parser.add_argument("--limited-clients", type=int, default=32)
    parser.add_argument("--paths", default="baseline,ours")
    args = parser.parse_args()
    client_counts = [int(c) for c in args.clients.split(",") if c.strip()]
    paths = [p.strip() for p in args.paths.split(",") if p.strip()]

    with postgres_database() as url:
        django_setup(url)
        from django.db import connection

        from omnipresence.inventory.models import Stock

        started = time.perf_counter()
        world = seed_world(skus=args.skus)
        limited = _limited_variant(world, args.limited_stock)
        seeded = time.perf_counter() - started
        stock_ids = {
            (s.location_id, s.variant_id): s.pk for s in Stock.objects.filter(boutique=world.boutique)
        }

        def target(variant):
            return (world.shop, variant, stock_ids[(world.shop.pk, variant.pk)])

        STATE.update(
            url=url, dbname=connection.settings_dict["NAME"], actor=world.actor,
            targets={"hot": [target(world.hot_variant)], f"{args.skus} SKUs": [target(v) for v in world.variants],
                     "limited": [target(limited)]},
        )  # fmt: skip
        print(f"# hold_contention: PostgreSQL {connection.pg_version // 10000}, {machine_summary()}")
        print(f"# seeded {args.skus} SKUs + hot SKU in {seeded:.1f}s; {args.seconds:g}s per run, "
              f"repeat {args.repeat}\n")  # fmt: skip

        rows = []
        ok = True
        for clients in client_counts:
            for scenario in ("hot", f"{args.skus} SKUs"):
                cell: dict[str, list[RunResult]] = {p: [] for p in paths}
                for repeat in range(args.repeat):
                    order = paths if repeat % 2 == 0 else list(reversed(paths))
                    for path in order:
                        _reset()
                        cell[path].append(_run(path, scenario, clients, args.seconds))
                chosen = {p: _median_run(runs) for p, runs in cell.items()}
                base = chosen.get("baseline")
                for path in paths:
                    r = chosen[path]
                    ok &= r.consistent and r.errors == 0
                    ratio = f"{r.holds_per_s / base.holds_per_s:.0%}" if base and path == "ours" else ""
                    rows.append([
                        r.clients, r.scenario, path, f"{r.holds_per_s:,.0f}", f"{r.p50_ms:.2f}",
                        f"{r.p99_ms:.2f}", r.oversold, r.errors, ratio,
                    ])  # fmt: skip
                    print(f"  {clients:>3} {scenario:<10} {path:<8} {r.holds_per_s:>8,.0f}/s "
                          f"p50 {r.p50_ms:.2f} p99 {r.p99_ms:.2f} ms", file=sys.stderr)  # fmt: skip

        # Limited stock: clients keep trying after it runs out; exactly that many holds may exist.
        limited_rows = []
        for path in paths:
            _reset()
            # Every client goes on until refused 20 times, so the drop sells out and is then hammered.
            r = _run(path, "limited", args.limited_clients, 60.0, refusals=20)
            exact = r.placed == args.limited_stock == r.hold_rows
            ok &= exact and r.consistent and r.errors == 0
            limited_rows.append([
                r.clients, args.limited_stock, path, r.placed, r.hold_rows, r.short, r.oversold, r.errors,
                "yes" if exact else "NO",
            ])  # fmt: skip

        connection.close()
        print(table(["clients", "scenario", "path", "holds/s", "p50 ms", "p99 ms", "oversell", "errors",
                     "ours/baseline"], rows))  # fmt: skip
        print()
        print(table(["clients", "stock", "path", "holds placed", "hold rows", "refused", "oversell", "errors",
                     "exact"], limited_rows))  # fmt: skip
        print(f"\n# {machine_summary()}")
        print("# all runs consistent (oversell 0, counters = holds, rows = successes, no errors):",
              "yes" if ok else "NO")  # fmt: skip
    return 0 if ok else 1


def _limited_variant(world, units: int):
    """A drop with only `units` on hand, for the run where clients outnumber the stock."""
    from omnipresence.catalog import services as catalog
    from omnipresence.inventory import services as inventory
    from omnipresence.stores.access import system_actor

    owner = system_actor(world.boutique)
    product = catalog.product_create(actor=owner, title="Limited Drop", brand="Bench")
    variant = catalog.variant_create(actor=owner, product=product, sku="LIMITED-1", price=30000)
    inventory.stock_receive(actor=owner, location=world.shop, variant=variant, quantity=units, reason="bench")
    return variant


if __name__ == "__main__":
    sys.exit(main())
