"""A flash sale over real HTTP: many buyers, one SKU, the ASGI server on PostgreSQL.

    .venv/bin/python bench/flash_sale.py [--buyers 200] [--units 50] [--workers 2]

Creates its own database `omni_bench_flash_<pid>` on 127.0.0.1:5432, migrates it, seeds one
boutique through the services (a shop that fulfils online with --units of one hot SKU, a shipping
zone, an API token), then:

- baseline: --baseline-clients processes, one connection each, make one attempt per buyer
  (--buyers in all) with hold_contention.py's bare statement (conditional UPDATE + INSERT in one
  CTE) on a second row with --units units;
- ours: starts `omnipresence serve --workers N --no-sweeper` as a separate process (the shipped
  settings; its database user is a role of its own with a CONNECTION LIMIT, so it cannot take the
  shared PostgreSQL server's last connections), makes --warmup purchases of another SKU, then
  --buyers threads, each its own HTTP client and connection, released together by a barrier, each
  create a web cart, add the SKU, check out with an idempotency key (409 `insufficient_stock` =
  sold out) and pay with the manual provider. Every other buyer double-clicks: the same checkout
  and payment are sent a second time, on a second connection, while the first is in flight.

Then it checks in the database: exactly --units orders and units sold, no oversell, one succeeded
payment per order equal to its total (no double charge, no order unpaid), the stock ledger clean.
Prints Markdown tables; exit status 1 if any check fails. The server is stopped, the database and
the role dropped at the end, also on error, Ctrl+C or SIGTERM.

The server runs the shipped settings: a psycopg connection pool per worker process, sized with
DB_POOL_MAX_SIZE so that all workers fit the role's limit. See bench/README.md.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    REPO,
    _receive,
    django_setup,
    machine_summary,
    percentile,
    pg_admin_connect,
    postgres_database,
    seed_world,
    table,
)
from hold_contention import BASELINE_SQL, CHECK_SQL  # noqa: E402

SLUG = "bench"  # seed_world's boutique
HOT_SKU = "HOT-1"  # seed_world's hot SKU
BASELINE_SKU = "FLASH-BASE-1"  # the baseline's row, so the hot SKU's stays untouched for our run
WARMUP_SKU = "FLASH-WARMUP-1"
clock = time.perf_counter


# --- the bare-SQL baseline (processes, as in hold_contention.py) -------------------------------

# Set in the parent before forking; children inherit it (fork start method, no pickling).
BASE: dict = {}


def _baseline_client(attempts: int, barrier, results) -> None:
    """One client with its own connection: `attempts` holds of one unit, one statement each."""
    import psycopg

    placed, refused, errors, latencies, successes = 0, 0, [], [], []
    conn = psycopg.connect(BASE["url"], autocommit=True)
    cursor = conn.cursor()
    # Prepare the statement before the start (stock id 0 does not exist: nothing is written).
    cursor.execute(BASELINE_SQL, (0, BASE["user_id"]), prepare=True).fetchone()
    barrier.wait(timeout=60)
    start = clock()
    for _ in range(attempts):
        before = clock()
        try:
            if cursor.execute(BASELINE_SQL, (BASE["stock_id"], BASE["user_id"]), prepare=True).fetchone():
                placed += 1
                successes.append(clock())
            else:
                refused += 1
        except Exception as exc:  # counted and shown: the run must have none
            errors.append(f"{type(exc).__name__}: {exc}"[:200])
        latencies.append(clock() - before)
    results.put((placed, refused, errors, latencies, successes, start, clock()))
    conn.close()


@dataclass
class Outcome:
    path: str
    clients: str
    attempts: int
    sold: int
    wall: float  # from the release to the last answer
    sold_out_after: float  # from the release to the last successful sale
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def per_s(self) -> float:
        return self.sold / self.wall if self.wall else 0.0


def run_baseline(*, clients: int, attempts: int) -> tuple[Outcome, tuple[int, int, int]]:
    from django.db import connections

    connections.close_all()  # children must not share the parent's socket
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(clients + 1)
    results = ctx.Queue()
    shares = [attempts // clients + (1 if i < attempts % clients else 0) for i in range(clients)]
    procs = [ctx.Process(target=_baseline_client, args=(n, barrier, results), daemon=True) for n in shares]
    for proc in procs:
        proc.start()
    try:
        barrier.wait(timeout=60)
        outcomes = [results.get(timeout=60) for _ in procs]
    finally:
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
    start = min(o[5] for o in outcomes)
    latencies = sorted(x for o in outcomes for x in o[3])
    successes = [x for o in outcomes for x in o[4]]
    errors = [e for o in outcomes for e in o[2]]
    for message in sorted(set(errors))[:5]:
        print(f"  ! baseline: {message}", file=sys.stderr)
    with pg_admin_connect(BASE["dbname"]) as conn:
        check = conn.execute(CHECK_SQL).fetchone()
    return Outcome(
        path="baseline: bare SQL hold", clients=f"{clients} connections", attempts=attempts,
        sold=sum(o[0] for o in outcomes), wall=max(o[6] for o in outcomes) - start,
        sold_out_after=(max(successes) - start) if successes else 0.0,
        p50_ms=percentile(latencies, 50) * 1000, p99_ms=percentile(latencies, 99) * 1000, errors=len(errors),
    ), check  # fmt: skip


# --- the server ------------------------------------------------------------------------------


def _cpu_seconds(pids) -> float:
    """utime + stime of these processes (those that have gone are left out)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


@contextmanager
def server_role(limit: int) -> Iterator[str]:
    """A login role `omni_bench_flash_<pid>` with CONNECTION LIMIT `limit`, for the server: however many
    connections it tries to open, it cannot take the shared PostgreSQL server's last slots from other
    users. Dropped at the end (after the database, which holds its privileges)."""
    from psycopg import sql

    name = f"omni_bench_flash_{os.getpid()}"
    with pg_admin_connect() as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN CONNECTION LIMIT {}").format(sql.Identifier(name), limit))
    try:
        yield name
    finally:
        with pg_admin_connect() as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def grant_role(dbname: str, role: str) -> None:
    from psycopg import sql

    with pg_admin_connect(dbname) as conn:
        for what in ("TABLES", "SEQUENCES"):
            conn.execute(sql.SQL("GRANT ALL ON ALL {} IN SCHEMA public TO {}").format(
                sql.SQL(what), sql.Identifier(role)))  # fmt: skip


def connection_headroom() -> tuple[int, int]:
    """(max_connections, connections in use now) on the PostgreSQL server."""
    with pg_admin_connect() as conn:
        limit = int(conn.execute("SHOW max_connections").fetchone()[0])
        used = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
        ).fetchone()[0]
    return limit, used


class ConnectionSampler:
    """Every 50 ms, how many connections the server's role has open; the peak is reported."""

    def __init__(self, role: str):
        self.role, self.peak, self.stop_event = role, 0, threading.Event()
        self.conn = pg_admin_connect()
        self.thread = threading.Thread(target=self._run, name="connection-sampler", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop_event.wait(0.05):
            try:
                n = self.conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE usename = %s", (self.role,)
                ).fetchone()[0]
            except Exception:
                return
            self.peak = max(self.peak, n)

    def stop(self) -> int:
        self.stop_event.set()
        self.thread.join(timeout=5)
        self.conn.close()
        return self.peak


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`omnipresence serve` in its own process group, its output in a temporary log file."""

    def __init__(self, *, url: str, workers: int, pool: int):
        self.port = _free_port()
        self.workers = workers
        self.log = tempfile.NamedTemporaryFile(prefix="omni-bench-flash-", suffix=".log", delete=False)
        env = {
            **os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1", "DEBUG": "false", "PYTHONUNBUFFERED": "1",
        }  # fmt: skip
        env.pop("REDIS_URL", None)
        # The shipped settings: a connection pool per worker, sized so all workers fit the role's limit.
        env["DB_POOL_MAX_SIZE"] = str(pool)
        self.command = [str(REPO / ".venv/bin/omnipresence"), "serve", "--host", "127.0.0.1",
                        "--port", str(self.port), "--workers", str(workers), "--no-sweeper"]  # fmt: skip
        self.proc = subprocess.Popen(
            self.command, env=env, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=tempfile.gettempdir(),
        )  # fmt: skip

    def processes(self) -> list[int]:
        """uvicorn's master and its workers."""
        return [self.proc.pid, *_children(self.proc.pid)]

    def log_text(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def wait_ready(self, token: str, timeout: float = 90.0) -> float:
        """Until every worker has loaded the application and a token request answers 200; then a
        few more requests on fresh connections, so both workers have answered one."""
        started = clock()
        deadline = started + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}):\n{self.log_text()[-3000:]}")
            if clock() > deadline:
                raise RuntimeError(f"the server did not answer in {timeout:.0f}s:\n{self.log_text()[-3000:]}")
            loaded = self.log_text().count("Started server process")
            if loaded >= self.workers and self._get(token) == 200:
                break
            time.sleep(0.2)
        ready = clock() - started
        for _ in range(2 * self.workers):
            self._get(token)
        return ready

    def _get(self, token: str) -> int | None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", f"/api/v1/boutiques/{SLUG}/orders?page_size=1",
                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            response = conn.getresponse()
            response.read()
            return response.status
        except OSError:
            return None
        finally:
            conn.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # uvicorn's master, then its workers
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
            except ProcessLookupError:
                pass
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


# --- the buyers ------------------------------------------------------------------------------


@dataclass
class Buyer:
    index: int
    double: bool  # double-clicks checkout and payment
    outcome: str = "not started"  # bought / sold out / error
    order_id: int | None = None
    payment_id: int | None = None
    order_total: int | None = None
    latency: float | None = None  # checkout (+ payment), from the first click to the last answer
    checked_out_at: float | None = None
    done_at: float | None = None  # the last answer of a buyer who bought or was told sold out
    finished_at: float | None = None  # the last answer, whatever it was
    steps: list[tuple[str, int, float]] = field(default_factory=list)  # (step, status, seconds)
    problems: list[str] = field(default_factory=list)
    mismatch: int = 0  # a double click that did not give back the same order or payment
    pending_repeats: int = 0  # payment answers that said pending (a repeat racing the first)
    reconnects: int = 0  # new connections because the last one had been idle too long


class Api:
    """A tiny JSON client over one keep-alive http.client connection. Like a browser, it does not
    reuse a connection idle for longer than the server keeps it (uvicorn closes after 5 s)."""

    IDLE_LIMIT = 4.0

    def __init__(self, port: int, token: str, timeout: float):
        self.port, self.timeout = port, timeout
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                        "Accept": "application/json"}  # fmt: skip
        self.conn = self.connect()
        self.answered_at: float | None = None  # when self.conn last finished reading an answer
        self.reconnects = 0

    def main(self) -> http.client.HTTPConnection:
        if self.answered_at is not None and clock() - self.answered_at > self.IDLE_LIMIT:
            self.conn.close()
            self.conn = self.connect()
            self.reconnects += 1
        return self.conn

    def connect(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        conn.connect()
        return conn

    def send(self, conn, method: str, path: str, body: dict) -> float:
        conn.request(method, path, body=json.dumps(body).encode(), headers=self.headers)
        return clock()

    def read(self, conn) -> tuple[int, dict | str]:
        response = conn.getresponse()
        raw = response.read()
        if conn is self.conn:
            self.answered_at = clock()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, raw.decode(errors="replace")[:500]


def _describe(method: str, path: str, body: dict, status, data) -> str:
    return f"{method} {path} {json.dumps(body)} -> {status} {json.dumps(data)[:500]}"


def buy(buyer: Buyer, api: Api, barrier: threading.Barrier, sku: str, tag: str) -> None:
    base = f"/api/v1/boutiques/{SLUG}"
    i = buyer.index

    def call(step: str, method: str, path: str, body: dict, expected: set[int], conn=None):
        conn = conn or api.main()
        sent = api.send(conn, method, path, body)
        status, data = api.read(conn)
        buyer.steps.append((step, status, clock() - sent))
        if status not in expected:
            buyer.problems.append(_describe(method, path, body, status, data))
        return status, data

    def double_click(step: str, method: str, path: str, body: dict, expected: set[int]):
        """The same request twice, the second sent on its own connection before the first is answered."""
        second = api.connect()
        try:
            sent = api.send(api.main(), method, path, body)
            api.send(second, method, path, body)
            first_answer = api.read(api.conn)
            buyer.steps.append((step, first_answer[0], clock() - sent))
            second_answer = api.read(second)
            buyer.steps.append((step + " (repeat)", second_answer[0], clock() - sent))
        finally:
            second.close()
        for status, data in (first_answer, second_answer):
            if status not in expected:
                buyer.problems.append(_describe(method, path, body, status, data))
        return first_answer, second_answer

    try:
        barrier.wait(timeout=60)
        status, cart = call("POST carts", "POST", f"{base}/carts", {
            "channel": "web", "client_name": f"{tag.title()} {i}", "client_email": f"{tag}-{i}@example.com",
            "shipping_country": "GB", "shipping_address": f"{i} Bench Street, London",
        }, {201})  # fmt: skip
        if status != 201:
            buyer.outcome = "error"
            return
        status, _ = call("PUT lines", "PUT", f"{base}/carts/{cart['id']}/lines",
                         {"sku": sku, "quantity": 1, "fulfilment": "ship"}, {200})  # fmt: skip
        if status != 200:
            buyer.outcome = "error"
            return

        started = clock()
        path, body, ok = (
            f"{base}/carts/{cart['id']}/checkout",
            {"idempotency_key": f"{tag}-{i}-checkout"},
            {201, 409},
        )
        if buyer.double:
            answers = double_click("POST checkout", "POST", path, body, ok)
        else:
            answers = (call("POST checkout", "POST", path, body, ok),)
        statuses = {a[0] for a in answers}
        if statuses == {409} and all(isinstance(a[1], dict) and a[1].get("code") == "insufficient_stock"
                                     for a in answers):  # fmt: skip
            buyer.outcome, buyer.latency, buyer.done_at = "sold out", clock() - started, clock()
            return
        if statuses != {201}:
            buyer.outcome = "error"
            if 201 in statuses and len(answers) > 1:
                buyer.mismatch += 1
                buyer.problems.append(f"double-clicked checkout answered {[a[0] for a in answers]}")
            if 409 in statuses:  # a 409 other than insufficient_stock
                buyer.problems.append(_describe("POST", path, body, 409, [a[1] for a in answers]))
            return
        orders = {a[1]["id"] for a in answers}
        if len(orders) > 1:
            buyer.mismatch += 1
            buyer.problems.append(f"double-clicked checkout made orders {sorted(orders)}")
        order = answers[0][1]
        buyer.order_id, buyer.order_total, buyer.checked_out_at = order["id"], order["total"], clock()

        path = f"{base}/orders/{order['id']}/payments"
        body = {"provider": "manual", "method": "terminal", "idempotency_key": f"{tag}-{i}-payment"}
        if buyer.double:
            answers = double_click("POST payments", "POST", path, body, {201})
        else:
            answers = (call("POST payments", "POST", path, body, {201}),)
        buyer.latency, buyer.done_at = clock() - started, clock()
        if {a[0] for a in answers} != {201}:
            buyer.outcome = "error"
            return
        payments = {a[1]["id"] for a in answers}
        if len(payments) > 1:
            buyer.mismatch += 1
            buyer.problems.append(f"double-clicked payment made payments {sorted(payments)}")
        # A repeat that arrives while the first request is still waiting for the provider gets the
        # same payment back, still pending (payments.services.payment_start); the other answers
        # succeeded. At least one answer must say succeeded, for the whole total.
        buyer.pending_repeats = sum(1 for a in answers if a[1]["status"] == "pending")
        payment = next((a[1] for a in answers if a[1]["status"] == "succeeded"), answers[0][1])
        if payment["status"] != "succeeded" or payment["amount"] != order["total"]:
            buyer.problems.append(f"payment {payment['id']}: {payment['status']} {payment['amount']} "
                                  f"for a total of {order['total']}")  # fmt: skip
            buyer.outcome = "error"
            return
        buyer.payment_id = payment["id"]
        buyer.outcome = "bought"
    except Exception as exc:  # a timeout, a reset connection: shown, and the run fails
        buyer.outcome = "error"
        buyer.problems.append(f"buyer {i}: {type(exc).__name__}: {exc}"[:300])
    finally:
        buyer.finished_at, buyer.reconnects = clock(), api.reconnects
        api.conn.close()


def run_sale(
    *,
    port: int,
    token: str,
    buyers: int,
    timeout: float,
    deadline: float,
    sku: str = HOT_SKU,
    tag: str = "buyer",
) -> list[Buyer]:
    barrier = threading.Barrier(buyers + 1)
    crowd = [Buyer(index=i, double=i % 2 == 1) for i in range(buyers)]
    # Every buyer connects before the release, so the barrier lets the requests go, not the handshakes.
    apis = [Api(port, token, timeout) for _ in crowd]
    threads = [
        threading.Thread(target=buy, args=(b, a, barrier, sku, tag), name=f"{tag}-{b.index}", daemon=True)
        for b, a in zip(crowd, apis, strict=True)
    ]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=60)
    released = clock()
    for thread in threads:
        thread.join(timeout=max(0.1, deadline - clock()))
    for b in crowd:
        if b.outcome == "not started" or (b.outcome not in ("bought", "sold out", "error")):
            b.outcome = "error"
            b.problems.append(f"buyer {b.index} had not finished by the deadline")
        for name in ("checked_out_at", "done_at", "finished_at"):
            if getattr(b, name) is not None:
                setattr(b, name, getattr(b, name) - released)
    return crowd


# --- the checks ------------------------------------------------------------------------------


def database_checks(
    *, boutique, hot_stock_id: int, expected: int, buyers: int, units_received: int
) -> list[tuple[str, object, object]]:
    from django.db.models import Count, Q, Sum

    from omnipresence.inventory.models import Hold, Stock
    from omnipresence.inventory.selectors import ledger_check
    from omnipresence.orders.models import Cart, Order, OrderLine
    from omnipresence.payments.models import Payment

    # The sale's orders and carts (the warm-up's buyers are warmup-<i>@example.com, on another SKU).
    orders = Order.objects.filter(boutique=boutique, client_email__startswith="buyer-")
    carts = Cart.objects.filter(boutique=boutique, client_email__startswith="buyer-")
    placed = orders.filter(status=Order.Status.PLACED)
    units = OrderLine.objects.filter(order__in=placed).aggregate(n=Sum("quantity"))["n"] or 0
    stock = Stock.objects.get(pk=hot_stock_id)
    succeeded = Q(payments__status=Payment.Status.SUCCEEDED)
    paid = placed.annotate(
        n=Count("payments", filter=succeeded), amount=Sum("payments__amount", filter=succeeded)
    )  # fmt: skip
    once = sum(1 for o in paid if o.n == 1 and o.amount == o.total)
    twice = sum(1 for o in paid if o.n > 1 or (o.amount or 0) > o.total)
    unpaid = sum(1 for o in paid if o.n == 0)
    payments = Payment.objects.filter(order__in=orders)
    problems = ledger_check(boutique=boutique)
    for problem in problems[:5]:
        print(f"  ! ledger: {problem}", file=sys.stderr)
    return [
        ("orders placed", expected, placed.count()),
        ("orders cancelled", 0, orders.exclude(status=Order.Status.PLACED).count()),
        ("units sold (Σ order line quantities)", expected, units),
        ("carts checked out", expected, carts.filter(status=Cart.Status.CHECKED_OUT).count()),
        ("carts left open (sold out)", buyers - expected, carts.filter(status=Cart.Status.OPEN).count()),
        ("hot SKU on hand (nothing left the ledger)", units_received, stock.on_hand),
        ("hot SKU held (order holds)", expected, stock.held),
        ("active order holds on the hot SKU", expected,
         Hold.objects.filter(stock_id=hot_stock_id, kind="order", status=Hold.Status.ACTIVE).count()),
        ("hot SKU on hand − held ≥ 0 (oversell)", "≥ 0", stock.on_hand - stock.held),
        ("orders with exactly one succeeded payment = total", expected, once),
        ("orders charged twice or beyond their total", 0, twice),
        ("orders without a payment", 0, unpaid),
        ("payment rows (none pending, failed or extra)", expected, payments.count()),
        ("orders not marked paid", 0, placed.exclude(payment_status=Order.PaymentStatus.PAID).count()),
        ("ledger_check problems", 0, len(problems)),
    ]  # fmt: skip


def _passes(expected, got) -> bool:
    return got >= 0 if expected == "≥ 0" else got == expected


# --- main ------------------------------------------------------------------------------------


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _role_url(url: str, role: str) -> str:
    """The database URL with the server's role as the user (trust auth, as for `postgres`)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{role}@{parts.netloc.rsplit('@', 1)[-1]}"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--units", type=int, default=50, help="units of the hot SKU and of the baseline row")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--baseline-clients", type=int, default=32,
                        help="connections the baseline's --buyers attempts are spread over")  # fmt: skip
    parser.add_argument("--server-connections", type=int, default=40,
                        help="CONNECTION LIMIT of the server's database role (lowered if the server is busy)")  # fmt: skip
    parser.add_argument("--warmup", type=int, default=4, help="purchases of another SKU before the sale")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds for any one HTTP request")
    parser.add_argument("--sale-limit", type=float, default=60.0, help="seconds the whole sale may take")
    args = parser.parse_args()
    if args.buyers < 1 or args.units < 1 or args.warmup < 0 or not 1 <= args.baseline_clients <= 64:
        parser.error("--buyers and --units must be ≥ 1, --warmup ≥ 0, --baseline-clients 1…64")
    # Also when started with SIGINT ignored (a background job): the server and database must go.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    expected = min(args.units, args.buyers)
    max_connections, in_use = connection_headroom()
    # Leave other users of the PostgreSQL server at least 20 connections.
    role_limit = max(5, min(args.server_connections, max_connections - in_use - args.baseline_clients - 20))
    pool = max(2, (role_limit - 2) // max(1, args.workers))  # headroom for a connection being replaced

    server = None
    # The server's and our data directory (static files): removed at the end, unlike common's default.
    data_dir = tempfile.mkdtemp(prefix="omni-bench-flash-data-")
    os.environ["OMNIPRESENCE_DATA_DIR"] = data_dir
    with server_role(role_limit) as role, postgres_database(prefix="omni_bench_flash") as url:
        try:
            started = clock()
            django_setup(url)
            from django.db import connection

            from omnipresence.catalog import services as catalog
            from omnipresence.inventory.models import Stock
            from omnipresence.orders.services import shipping_rule_create
            from omnipresence.stores.access import system_actor
            from omnipresence.stores.services import api_token_create

            world = seed_world(skus=0, hot_stock=args.units)
            owner = system_actor(world.boutique)
            shipping_rule_create(actor=owner, name="UK", countries=["GB"], price=495)
            extra = {}
            for sku, units in ((BASELINE_SKU, args.units), (WARMUP_SKU, max(1, args.warmup))):
                product = catalog.product_create(actor=owner, title=f"Bench {sku}", brand="Bench")
                extra[sku] = catalog.variant_create(actor=owner, product=product, sku=sku, price=12000)
                _receive(owner, world.shop, extra[sku], units)
            _, token = api_token_create(boutique=world.boutique, name="flash-sale bench")
            stock_ids = {s.variant_id: s.pk for s in Stock.objects.filter(boutique=world.boutique)}
            dbname = connection.settings_dict["NAME"]
            BASE.update(
                url=url,
                dbname=dbname,
                user_id=world.actor.user_id,
                stock_id=stock_ids[extra[BASELINE_SKU].pk],
            )
            grant_role(dbname, role)
            pg_version = connection.pg_version
            print(f"# flash_sale: PostgreSQL {pg_version // 10000}.{pg_version % 10000}, {machine_summary()}")
            print(f"# {args.buyers} buyers, {args.units} units; migrated and seeded in {clock() - started:.1f}s; "
                  f"max_connections {max_connections}, {in_use} in use before the run")  # fmt: skip

            baseline, baseline_check = run_baseline(
                clients=min(args.baseline_clients, args.buyers), attempts=args.buyers
            )  # fmt: skip
            print(f"  baseline: {baseline.sold} holds in {baseline.wall * 1000:.1f} ms", file=sys.stderr)

            server = Server(url=_role_url(url, role), workers=args.workers, pool=pool)
            ready = server.wait_ready(token)
            settings_note = f"as shipped (a connection pool of at most {pool} a worker, DB_POOL_MAX_SIZE)"
            if args.warmup:
                warm = run_sale(port=server.port, token=token, buyers=args.warmup, timeout=args.timeout,
                                deadline=clock() + args.sale_limit, sku=WARMUP_SKU, tag="warmup")  # fmt: skip
                for p in [p for b in warm for p in b.problems][:5]:
                    print(f"  ! warm-up: {p}", file=sys.stderr)
            print(f"# server: {' '.join(server.command[1:])} (uvicorn, httptools), settings {settings_note}, database "
                  f"role limited to {role_limit} connections; ready in {ready:.1f}s, then {args.warmup} warm-up "
                  f"purchases of another SKU\n")  # fmt: skip

            server_pids = server.processes()
            sampler = ConnectionSampler(role)
            cpu_before = (_cpu_seconds(server_pids), time.process_time())
            crowd = run_sale(port=server.port, token=token, buyers=args.buyers, timeout=args.timeout,
                             deadline=clock() + args.sale_limit)  # fmt: skip
            cpu = (_cpu_seconds(server_pids) - cpu_before[0], time.process_time() - cpu_before[1])
            peak = sampler.stop()
            server_log = server.log_text()
            server.stop()
            server = None
            notes = (f"CPU during the sale: server {cpu[0]:.2f} s, the buyers' client {cpu[1]:.2f} s. "
                     f"Server connections to PostgreSQL: peak {peak} (role limit {role_limit}); "
                     f"'too many connections' in the server log: "
                     f"{server_log.count('too many connections') + server_log.count('too many clients')}")  # fmt: skip

            ok = report(args, expected, crowd, baseline, baseline_check, world, stock_ids[world.hot_variant.pk],
                        server_log, notes)  # fmt: skip
            connection.close()
            print(f"\n# {machine_summary()}")
            print("# all checks passed:", "yes" if ok else "NO")
            return 0 if ok else 1
        except KeyboardInterrupt:
            print("\n# interrupted: stopping the server and dropping the database", file=sys.stderr)
            return 130
        finally:
            if server is not None:
                server.stop()
            shutil.rmtree(data_dir, ignore_errors=True)


def _p50_p99(sorted_seconds: list[float]) -> str:
    if not sorted_seconds:
        return "–"
    return (
        f"p50 {percentile(sorted_seconds, 50) * 1000:.1f} p99 {percentile(sorted_seconds, 99) * 1000:.1f} ms"
    )


def report(
    args, expected, crowd, baseline, baseline_check, world, hot_stock_id, server_log, cpu_note
) -> bool:
    bought = [b for b in crowd if b.outcome == "bought"]
    sold_out = [b for b in crowd if b.outcome == "sold out"]
    failed = [b for b in crowd if b.outcome == "error"]
    done = [b.finished_at for b in crowd if b.finished_at is not None]
    latencies = sorted(b.latency for b in crowd if b.latency is not None)
    ours = Outcome(
        path="ours: HTTP checkout + payment", clients=f"{args.buyers} buyers", attempts=args.buyers,
        sold=len(bought), wall=max(done) if done else 0.0,
        sold_out_after=max((b.checked_out_at for b in bought), default=0.0),
        p50_ms=percentile(latencies, 50) * 1000, p99_ms=percentile(latencies, 99) * 1000, errors=len(failed),
    )  # fmt: skip
    rows = []
    for o in (baseline, ours):
        ratio = f"{ours.per_s / baseline.per_s:.1%}" if o is ours and baseline.per_s else ""
        timed = o is baseline or latencies  # no latency to show when nobody got to the checkout
        rows.append([o.path, o.clients, o.attempts, o.sold, f"{o.wall:.3f}", f"{o.sold_out_after:.3f}",
                     f"{o.per_s:,.1f}", f"{o.p50_ms:.1f}" if timed else "–", f"{o.p99_ms:.1f}" if timed else "–",
                     o.errors, ratio])  # fmt: skip
    print(table(["path", "clients", "attempts", "sold", "wall s", "sold out after s", "sold/s", "p50 ms",
                 "p99 ms", "errors", "ours/baseline"], rows))  # fmt: skip
    bought_lat = sorted(b.latency for b in bought)
    out_lat = sorted(b.latency for b in sold_out)
    print(f"\nours, checkout + payment of the {len(bought)} who bought: {_p50_p99(bought_lat)}; "
          f"sold-out answer to the {len(sold_out)} told so: {_p50_p99(out_lat)}")  # fmt: skip
    requests = sum(len(b.steps) for b in crowd)
    pending = sum(b.pending_repeats for b in crowd)
    reconnects = sum(b.reconnects for b in crowd)
    print(f"{requests} requests ({reconnects} on a new connection after a wait over {Api.IDLE_LIMIT:g} s). "
          f"{cpu_note}.")  # fmt: skip
    print(f"double-clicked payments answered `pending` (the repeat found the first still at the provider): "
          f"{pending} of {sum(1 for b in bought if b.double)}")  # fmt: skip

    # Per request, as the server answered it.
    by_step: dict[str, list[float]] = {}
    statuses: dict[str, Counter] = {}
    for b in crowd:
        for step, status, seconds in b.steps:
            by_step.setdefault(step, []).append(seconds)
            statuses.setdefault(step, Counter())[status] += 1
    step_rows = []
    for step, values in by_step.items():
        values.sort()
        step_rows.append([step, len(values), f"{percentile(values, 50) * 1000:.1f}",
                          f"{percentile(values, 99) * 1000:.1f}", f"{values[-1] * 1000:.1f}",
                          ", ".join(f"{s}×{n}" for s, n in sorted(statuses[step].items()))])  # fmt: skip
    print()
    print(table(["request", "count", "p50 ms", "p99 ms", "max ms", "statuses"], step_rows))

    five_xx = sum(n for c in statuses.values() for s, n in c.items() if s >= 500)
    problems = [p for b in crowd for p in b.problems]
    for p in problems[:10]:
        print(f"  ! {p}", file=sys.stderr)
    if five_xx or problems:
        tail = [line for line in server_log.splitlines() if "Traceback" in line or "Error" in line]
        for line in tail[:20]:
            print(f"  server: {line}", file=sys.stderr)

    oversold, mismatch, hold_rows = baseline_check
    checks = database_checks(boutique=world.boutique, hot_stock_id=hot_stock_id, expected=expected,
                             buyers=args.buyers, units_received=args.units)  # fmt: skip
    checks += [
        ("buyers told they bought", expected, len(bought)),
        ("buyers told sold out (409 insufficient_stock)", args.buyers - expected, len(sold_out)),
        ("distinct orders among buyers", expected, len({b.order_id for b in bought})),
        ("double clicks answered with another order or payment", 0, sum(b.mismatch for b in crowd)),
        ("5xx responses", 0, five_xx),
        ("unexpected responses or client errors", 0, len(problems)),
        ("baseline: holds placed", expected, baseline.sold),
        ("baseline: errors", 0, baseline.errors),
        ("baseline: stock rows oversold", 0, oversold),
        ("baseline: held counters ≠ holds", 0, mismatch),
        ("baseline: hold rows", expected, hold_rows),
    ]
    print()
    ok = True
    check_rows = []
    for name, want, got in checks:
        passed = _passes(want, got)
        ok &= passed
        check_rows.append([name, want, got, "PASS" if passed else "FAIL"])
    print(table(["check", "expected", "got", ""], check_rows))
    return ok


if __name__ == "__main__":
    sys.exit(main())
