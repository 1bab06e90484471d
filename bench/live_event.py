"""A live event with 1,000 viewers on websockets and a drop bought by 500 viewers at once.

    .venv/bin/python bench/live_event.py [--viewers 1000] [--buyers 500] [--units 20] [--db postgres]

Makes its own database (PostgreSQL `omni_bench_<pid>` on 127.0.0.1:5432, or --db sqlite), seeds one
boutique through the services, schedules an event at the shop with the local stream, features a
hot product (1,000,000 units) and the drop (--units units), goes live, and mints the viewer tokens
(viewers.viewer_token_new, signed with the server's SECRET_KEY). Then, for each path, it starts a
real ASGI server process (uvicorn, `ws=websockets`, as `omnipresence serve`) and opens --viewers
websockets to `ws/live/bench/<event>/?token=…` from one asyncio process:

- `memory`: the shipped settings without REDIS_URL (the in-memory channel layer), uvicorn with
  `ws="websockets"` as `omnipresence serve` runs it;
- `memory-sansio`: the same with uvicorn's `ws="websockets-sansio"` implementation;
- `redis-pubsub`: the shipped settings with REDIS_URL (only when REDIS_URL is set);
- `bare` (the fan-out baseline): a `websockets` server that keeps its sockets in a set and
  `websockets.broadcast`s each frame (no Django, no layer, no database), same clients, same frames.

Phases, each timed from the client's send to every viewer's receipt (one machine, one clock):

1. **chat**: --messages messages at --rate a second, each sent as a `chat` frame by one of 20
   poster sockets (round robin, within the flood limit); ours stores each (chat_post) and fans it
   out after commit with one group_send; `bare` broadcasts the frame it got.
2. **stock**: --reservations reservations of the hot product at --stock-rate a second over HTTP
   (`POST …/reservations`, one viewer token each); the inventory announces each change once, every
   server process reads the stock once and sends a `stock` frame to its sockets (live.presence).
   A viewer who gets a later number first has that change "coalesced" (counted, not a loss). For
   `bare` the driver asks the server to broadcast a stock frame.
3. **drop** (ours only, PostgreSQL or SQLite as chosen): --buyers threads, each with its own HTTP
   connection opened before a barrier releases them together: `POST …/reservations` for the drop
   SKU, then on 201 `POST …/checkout` (pickup at the shop, sandbox payment started). The 1,000
   sockets stay connected and must all end on 0 left. **Baseline**: the same buyers against a
   plain counter (a bare ASGI app under the same uvicorn: `if left: left -= 1`).

Checks (exit status 1 if any fails): every viewer gets every chat message and ends on the right
stock numbers; the viewer count reaches --viewers (presence, stored every LIVE_PRESENCE_SECONDS=2
here, so one write per interval, not per join); exactly --units sold, --buyers − --units told sold
out, no 5xx; in the database exactly --units orders, the drop's stock row held = --units, the
ledger clean. The baseline counter must also sell exactly --units.
"""

import argparse
import asyncio
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    REPO,
    _receive,
    django_setup,
    machine_summary,
    percentile,
    postgres_database,
    seed_world,
    sqlite_database,
    table,
)

SLUG = "bench"  # seed_world's boutique
DROP_SKU = "DROP-1"
POSTERS = 20
STOCK_CONTROL = "/__bench/stock"


# --- servers (child processes: `live_event.py --serve PATH --port N`) ------------------------------


def serve_ours(port: int) -> None:
    import uvicorn

    os.environ["DJANGO_SETTINGS_MODULE"] = "omnipresence.settings"
    # `omnipresence serve` runs ws="websockets"; --ws tries another of uvicorn's implementations.
    ws = os.environ.get("BENCH_WS", "websockets")
    uvicorn.run("omnipresence.asgi:application", host="127.0.0.1", port=port, log_level="warning", lifespan="off",
                ws=ws, http="httptools")  # fmt: skip


def serve_bare(port: int) -> None:
    from websockets.asyncio.server import broadcast, serve

    sockets = set()

    async def handler(websocket):
        if websocket.request.path == STOCK_CONTROL:
            async for text in websocket:  # the driver: broadcast this stock frame
                broadcast(sockets, text)
            return
        sockets.add(websocket)
        try:
            await websocket.send(json.dumps({"kind": "hello"}))
            async for text in websocket:
                frame = json.loads(text)
                if frame.get("type") == "chat":
                    broadcast(sockets, json.dumps({"kind": "chat", "message": {"name": frame["name"], "text": frame["text"]}}))
        finally:
            sockets.discard(websocket)

    async def main():
        async with serve(handler, "127.0.0.1", port, ping_interval=None, max_queue=None) as server:
            await server.serve_forever()

    asyncio.run(main())


def serve_counter(port: int, units: int) -> None:
    """The drop's baseline: a plain counter behind the same HTTP server."""
    import uvicorn

    left = {"units": units, "sold": 0}

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        status, body = 404, b"{}"
        if scope["path"].endswith("/reservations"):
            if left["units"] > 0:  # one event loop: nothing runs between the test and the decrement
                left["units"] -= 1
                left["sold"] += 1
                status, body = 201, json.dumps({"id": left["sold"]}).encode()
            else:
                status, body = 409, b'{"code": "insufficient_stock"}'
        elif scope["path"].endswith("/checkout"):
            status, body = 200, b'{"order_id": 1}'
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", http="httptools")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, path: str, env: dict, *extra: str):
        self.path, self.port = path, _free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="omni-bench-live-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", path, "--port", str(self.port), *extra], env=env, stdout=self.log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, cwd=tempfile.gettempdir(),
        )  # fmt: skip

    def log_text(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the {self.path} server exited:\n{self.log_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the {self.path} server did not start:\n{self.log_text()[-3000:]}")
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
            except ProcessLookupError:
                pass
        self.log.close()
        if os.environ.get("BENCH_KEEP_LOGS"):
            print(f"server log kept: {self.log.name}")
            return
        Path(self.log.name).unlink(missing_ok=True)


# --- the viewers -----------------------------------------------------------------------------------


@dataclass
class Viewers:
    count: int
    hot_id: int
    chat: list = field(default_factory=list)  # per viewer: {seq: receipt time}
    stock: list = field(default_factory=list)  # per viewer: {available: first receipt time}
    drop_left: list = field(default_factory=list)  # per viewer: last `available` of the drop seen
    acks: dict = field(default_factory=dict)  # poster index: receipt times of its acks, in order
    viewers_seen: int = 0
    viewers_at: float = 0.0

    def __post_init__(self):
        self.chat = [{} for _ in range(self.count)]
        self.stock = [{} for _ in range(self.count)]
        self.drop_left = [None] * self.count


def _frame_handler(viewers: Viewers, drop_id: int):
    def handle(index: int, text: str) -> None:
        now = time.time()
        frame = json.loads(text)
        for one in frame["frames"] if frame.get("kind") == "batch" else [frame]:
            handle_one(index, one, now)

    def handle_one(index: int, frame: dict, now: float) -> None:
        kind = frame.get("kind")
        if kind == "ack":
            viewers.acks.setdefault(index, []).append(now)
        if kind == "chat":
            words = frame["message"]["text"].split()
            if len(words) == 2 and words[0] == "bench":
                viewers.chat[index].setdefault(int(words[1]), now)
        elif kind == "stock":
            for product in frame["products"]:
                if product["product_id"] == viewers.hot_id:
                    viewers.stock[index].setdefault(product["available"], now)
                elif product["product_id"] == drop_id:
                    viewers.drop_left[index] = product["available"]
        elif kind == "viewers" and frame["now"] > viewers.viewers_seen:
            viewers.viewers_seen, viewers.viewers_at = frame["now"], now

    return handle


async def open_sockets(url_of, count: int) -> tuple[list, float]:
    from websockets.asyncio.client import connect

    sockets: list = [None] * count
    hellos: list = [None] * count
    gate = asyncio.Semaphore(50)  # 50 handshakes in flight: a crowd arriving

    async def open_one(index):
        async with gate:
            websocket = await connect(url_of(index), origin="http://127.0.0.1", ping_interval=None, max_queue=None,
                                      open_timeout=120, compression=None, max_size=2**22)  # fmt: skip
            hello = json.loads(await websocket.recv())
            assert hello["kind"] == "hello", hello
            sockets[index], hellos[index] = websocket, hello

    started = time.perf_counter()
    await asyncio.gather(*(open_one(i) for i in range(count)))
    return sockets, hellos, time.perf_counter() - started


async def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


def _post(port: int, path: str, body: dict, token: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json", "X-Viewer-Token": token})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


async def fan_out(path: str, port: int, *, event_id: int, tokens: list[str], hot_id: int, hot_sku: str,
                  drop_id: int, args, server_pid: int) -> dict:  # fmt: skip
    """Connect the viewers, run the chat and stock phases; returns the measures and the sockets."""
    from websockets.asyncio.client import connect

    viewers = Viewers(args.viewers, hot_id)
    handle = _frame_handler(viewers, drop_id)
    loop = asyncio.get_running_loop()
    reserve_url = f"/api/v1/boutiques/{SLUG}/live/{event_id}/reservations"
    if path == "bare":
        sockets, hellos, connect_s = await open_sockets(lambda i: f"ws://127.0.0.1:{port}/", args.viewers)
        hot_start = 1_000_000
    else:
        # Warm the server up first (its first request imports the API; its first reservation the
        # payment and order modules), as a server that has been up for a while is.
        status, _ = await loop.run_in_executor(None, _post, port, reserve_url, {"sku": hot_sku}, tokens[-1])
        assert status == 201, status
        sockets, hellos, connect_s = await open_sockets(
            lambda i: f"ws://127.0.0.1:{port}/ws/live/{SLUG}/{event_id}/?token={tokens[i]}", args.viewers)  # fmt: skip
        hot_start = next(p["available"] for p in hellos[-1]["event"]["featured"] if p["product_id"] == hot_id)

    async def listen(index, websocket):
        try:
            async for text in websocket:
                handle(index, text)
        except Exception:
            pass

    listeners = [asyncio.create_task(listen(i, ws)) for i, ws in enumerate(sockets)]
    result = {"connect_s": connect_s, "viewers": viewers, "sockets": sockets, "listeners": listeners}
    if path != "bare":
        await wait_for(lambda: viewers.viewers_seen >= args.viewers, timeout=15)
        result["viewer_count"] = viewers.viewers_seen

    # 1. chat
    sent: dict[int, float] = {}
    cpu_before = cpu_seconds(server_pid)
    start = time.perf_counter()
    for seq in range(args.messages):
        delay = start + seq / args.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent[seq] = time.time()
        await sockets[seq % POSTERS].send(json.dumps({"type": "chat", "name": f"Viewer {seq % POSTERS}", "text": f"bench {seq}"}))
    await wait_for(lambda: all(len(c) >= args.messages for c in viewers.chat), timeout=30)
    latencies = sorted(t - sent[seq] for c in viewers.chat for seq, t in c.items())
    # The poster's ack comes once the message is stored: the part of the latency before the fan-out.
    stored = sorted(viewers.acks[p][k] - sent[k * POSTERS + p] for p in viewers.acks for k in range(len(viewers.acks[p]))
                    if k * POSTERS + p in sent)  # fmt: skip
    result["chat"] = {"delivered": sum(len(c) for c in viewers.chat), "expected": args.viewers * args.messages,
                      "latencies": latencies, "cpu": cpu_seconds(server_pid) - cpu_before, "stored": stored}  # fmt: skip

    # 2. stock
    sent_stock: dict[int, float] = {}
    control = None
    if path == "bare":
        control = await connect(f"ws://127.0.0.1:{port}{STOCK_CONTROL}", origin="http://127.0.0.1", ping_interval=None,
                                compression=None)  # fmt: skip
    cpu_before = cpu_seconds(server_pid)
    start = time.perf_counter()
    failures = 0
    for k in range(1, args.reservations + 1):
        delay = start + (k - 1) / args.stock_rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        value = hot_start - k
        sent_stock[value] = time.time()
        if path == "bare":
            await control.send(json.dumps({"kind": "stock", "products": [{"product_id": hot_id, "available": value}]}))
        else:
            status, _ = await loop.run_in_executor(None, _post, port, reserve_url, {"sku": hot_sku}, tokens[args.viewers + k])
            failures += status != 201
    final = hot_start - args.reservations
    await wait_for(lambda: all(final in s for s in viewers.stock), timeout=30)
    if control is not None:
        await control.close()
    stock_latencies = sorted(t - sent_stock[v] for s in viewers.stock for v, t in s.items() if v in sent_stock)
    result["stock"] = {
        "delivered": sum(1 for s in viewers.stock for v in s if v in sent_stock),
        "expected": args.viewers * args.reservations, "final_everywhere": sum(1 for s in viewers.stock if final in s),
        "latencies": stock_latencies, "failures": failures, "cpu": cpu_seconds(server_pid) - cpu_before,
    }  # fmt: skip
    return result


async def close_all(result: dict) -> None:
    for task in result["listeners"]:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in result["sockets"]), return_exceptions=True)


# --- the drop ----------------------------------------------------------------------------------------


def run_drop(port: int, *, event_id: int, tokens: list[str], buyers: int) -> dict:
    """`buyers` threads released together: reserve the drop, and on 201 check out."""
    barrier = threading.Barrier(buyers + 1)
    outcomes: list = [None] * buyers
    base = f"/api/v1/boutiques/{SLUG}/live/{event_id}/reservations"

    def call(conn, path, body, token):
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json", "X-Viewer-Token": token})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")

    def buyer(index: int) -> None:
        token = tokens[index]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            conn.connect()
            barrier.wait(timeout=120)
            began = time.perf_counter()
            status, data = call(conn, base, {"sku": DROP_SKU}, token)
            if status == 201:
                status, data = call(conn, f"{base}/{data['id']}/checkout", {"name": "Bench Buyer",
                                    "email": f"buyer{index}@bench.example"}, token)  # fmt: skip
                outcome = "bought" if status == 200 else f"checkout {status} {data.get('code')}"
            elif status == 409 and data.get("code") == "insufficient_stock":
                outcome = "sold_out"
            else:
                outcome = f"reserve {status} {data.get('code')}"
            outcomes[index] = (outcome, time.perf_counter() - began, time.perf_counter())
        except Exception as error:  # counted as a client error
            outcomes[index] = (f"error {error.__class__.__name__}", 0.0, time.perf_counter())
        finally:
            conn.close()

    threads = [threading.Thread(target=buyer, args=(i,), daemon=True) for i in range(buyers)]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=120)
    released = time.perf_counter()
    for thread in threads:
        thread.join(timeout=300)
    counts = Counter(o[0] for o in outcomes if o)
    bought_at = [o[2] for o in outcomes if o and o[0] == "bought"]
    latencies = sorted(o[1] for o in outcomes if o)
    return {"counts": counts, "latencies": latencies, "wall": max(o[2] for o in outcomes if o) - released,
            "sold_out_after": (max(bought_at) - released) if bought_at else 0.0}  # fmt: skip


# --- set-up and report --------------------------------------------------------------------------


def seed(args) -> dict:
    from django.utils import timezone

    from omnipresence.catalog import services as catalog
    from omnipresence.live import services as live
    from omnipresence.stores.access import system_actor

    world = seed_world(skus=0)
    owner = system_actor(world.boutique)
    drop_product = catalog.product_create(actor=owner, title="Numbered Drop Jacket", brand="Bench")
    drop = catalog.variant_create(actor=owner, product=drop_product, sku=DROP_SKU, price=25000)
    _receive(owner, world.shop, drop, args.units)
    now = timezone.now()
    host = world.actor  # the associate hosts at her shop
    event = live.live_event_create(actor=host, title="Bench drop, live", starts_at=now, ends_at=now + timedelta(hours=2),
                                   location=world.shop, stream_provider="local")  # fmt: skip
    live.featured_set(actor=host, event=event, items=[(world.hot_variant.product, 1), (drop_product, 1)])
    live.live_event_start(actor=host, event=event)
    return {"event_id": event.pk, "hot_id": world.hot_variant.product_id, "hot_sku": world.hot_variant.sku,
            "drop_id": drop_product.pk}  # fmt: skip


def tokens_for(event_id: int, count: int) -> list[str]:
    """Viewer tokens as the join endpoint makes them (signed with the server's SECRET_KEY)."""
    from omnipresence.live import viewers

    return [viewers.viewer_token_new(event_id=event_id)[1] for _ in range(count)]


def drop_checks(seeded: dict, args) -> list[str]:
    from omnipresence.inventory.models import Stock
    from omnipresence.inventory.selectors import ledger_check
    from omnipresence.live.models import LivePresence, LiveReservation
    from omnipresence.orders.models import Order

    problems = []
    orders = Order.objects.filter(channel="live", source_ref=str(seeded["event_id"])).count()
    if orders != args.units:
        problems.append(f"{orders} orders, not {args.units}")
    stock = Stock.objects.get(variant__sku=DROP_SKU)
    if (stock.on_hand, stock.held) != (args.units, args.units):
        problems.append(f"drop stock on hand {stock.on_hand}, held {stock.held}")
    ordered = LiveReservation.objects.filter(event_id=seeded["event_id"], variant__sku=DROP_SKU, status="ordered").count()
    if ordered != args.units:
        problems.append(f"{ordered} drop reservations ordered")
    if ledger_check():
        problems.append("the ledger does not add up")
    seeded["presence_rows"] = LivePresence.objects.filter(event_id=seeded["event_id"]).count()
    return problems


def _ms(values: list[float], pct: float) -> str:
    return f"{percentile(values, pct) * 1000:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--rate", type=float, default=10.0, help="chat messages a second")
    parser.add_argument("--reservations", type=int, default=20, help="stock changes in the stock phase")
    parser.add_argument("--stock-rate", type=float, default=4.0)
    parser.add_argument("--buyers", type=int, default=500)
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        {"ours": lambda: serve_ours(args.port), "bare": lambda: serve_bare(args.port),
         "counter": lambda: serve_counter(args.port, args.units)}[args.serve]()  # fmt: skip
        return 0
    if min(args.viewers, args.messages, args.buyers, args.units, args.reservations) < 1 or args.viewers < POSTERS:
        parser.error(f"counts must be positive, --viewers at least {POSTERS}")
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    redis_url = os.environ.get("REDIS_URL", "")
    paths = ["bare", "memory", "memory-sansio"] + (["redis-pubsub"] if redis_url else [])
    data_dir = tempfile.mkdtemp(prefix="omni-bench-live-data-")
    os.environ["OMNIPRESENCE_DATA_DIR"] = data_dir
    secret = secrets.token_urlsafe(50)
    os.environ["SECRET_KEY"] = secret
    database = postgres_database() if args.db == "postgres" else sqlite_database()
    fan_rows, drop_rows, failed = [], [], []
    with database as url:
        django_setup(url)
        seeded = seed(args)
        from django.db import connections

        connections.close_all()
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secret, "ALLOWED_HOSTS": "127.0.0.1", "DEBUG": "false",
               "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "ERROR", "PYTHONPATH": str(REPO / "src"),
               "LIVE_PRESENCE_SECONDS": "2", "DB_POOL_MAX_SIZE": "40", "DB_POOL_TIMEOUT": "60"}  # fmt: skip
        env.pop("REDIS_URL", None)
        for path in paths:
            server_env = dict(env)
            if path == "memory-sansio":
                server_env["BENCH_WS"] = "websockets-sansio"
            if path == "redis-pubsub":
                server_env["REDIS_URL"] = redis_url
                server_env["CHANNEL_LAYER_PREFIX"] = f"benchlive{os.getpid()}."
            server = Server("bare" if path == "bare" else "ours", server_env)
            try:
                server.wait_ready()

                async def run_path(path=path, server=server):
                    result = await fan_out(path, server.port, event_id=seeded["event_id"], tokens=seeded["tokens"],
                                           hot_id=seeded["hot_id"], hot_sku=seeded["hot_sku"], drop_id=seeded["drop_id"],
                                           args=args, server_pid=server.proc.pid)  # fmt: skip
                    if path == "memory":
                        loop = asyncio.get_running_loop()
                        buyer_tokens = seeded["tokens"][args.viewers + args.reservations + 1 : -1]
                        result["drop"] = await loop.run_in_executor(
                            None, lambda: run_drop(server.port, event_id=seeded["event_id"], tokens=buyer_tokens,
                                                   buyers=args.buyers))  # fmt: skip
                        await wait_for(lambda: all(v == 0 for v in result["viewers"].drop_left), timeout=30)
                        result["drop_zero"] = sum(1 for v in result["viewers"].drop_left if v == 0)
                    await close_all(result)
                    return result

                seeded["tokens"] = tokens_for(seeded["event_id"], args.viewers + args.reservations + 1 + args.buyers + 1)
                result = asyncio.run(run_path())
            except Exception:
                print(server.log_text()[-3000:])
                raise
            finally:
                log_tail = server.log_text()[-4000:]
                server.stop()
            for phase in ("chat", "stock"):
                r = result[phase]
                missing = r["expected"] - r["delivered"]
                if phase == "chat" and missing:
                    failed.append(f"{path}: {missing} chat deliveries missing")
                if phase == "stock" and r.get("final_everywhere", args.viewers) != args.viewers:
                    failed.append(f"{path}: {args.viewers - r['final_everywhere']} viewers never saw the last stock number")
                if r.get("failures"):
                    failed.append(f"{path}: {r['failures']} reservations refused in the stock phase")
                note = f"{missing:,} coalesced"
                if phase == "chat":
                    note = f"stored p50 {_ms(r['stored'], 50)} ms" if r.get("stored") else ""
                per_delivery = r["cpu"] / max(r["delivered"], 1) * 1e6
                fan_rows.append([path, phase, f"{r['delivered']:,}/{r['expected']:,}", note, _ms(r["latencies"], 50),
                                 _ms(r["latencies"], 99), _ms(r["latencies"], 100), f"{r['cpu']:.1f}",
                                 f"{per_delivery:.0f}", f"{result['connect_s']:.1f}"])  # fmt: skip
            if path != "bare" and result.get("viewer_count", 0) < args.viewers:
                failed.append(f"{path}: the viewer count reached only {result.get('viewer_count', 0)}")
            if "drop" in result:
                drop = result["drop"]
                counts = drop["counts"]
                if (counts["bought"], counts["sold_out"]) != (args.units, args.buyers - args.units):
                    failed.append(f"drop: {dict(counts)}")
                    print(f"The server's log ends with:\n{log_tail}")
                if result["drop_zero"] != args.viewers:
                    failed.append(f"drop: {args.viewers - result['drop_zero']} viewers did not see it sold out")
                drop_rows.append(["ours (reserve + checkout)", counts["bought"], counts["sold_out"],
                                  sum(v for k, v in counts.items() if k not in ("bought", "sold_out")),
                                  f"{drop['sold_out_after']:.2f}", f"{drop['wall']:.2f}", _ms(drop["latencies"], 50),
                                  _ms(drop["latencies"], 99), f"{result['drop_zero']:,}/{args.viewers:,}"])  # fmt: skip
            print(f"{path}: done", flush=True)
        failed += drop_checks(seeded, args)
        counter = Server("counter", env, "--units", str(args.units))
        try:
            counter.wait_ready()
            baseline = run_drop(counter.port, event_id=seeded["event_id"], tokens=["-"] * args.buyers,
                                buyers=args.buyers)  # fmt: skip
        finally:
            counter.stop()
        counts = baseline["counts"]
        if (counts["bought"], counts["sold_out"]) != (args.units, args.buyers - args.units):
            failed.append(f"baseline counter: {dict(counts)}")
        drop_rows.insert(0, ["baseline: plain counter", counts["bought"], counts["sold_out"],
                             sum(v for k, v in counts.items() if k not in ("bought", "sold_out")),
                             f"{baseline['sold_out_after']:.2f}", f"{baseline['wall']:.2f}",
                             _ms(baseline["latencies"], 50), _ms(baseline["latencies"], 99), "–"])  # fmt: skip
    print()
    print(f"{args.viewers:,} viewers; chat {args.messages} messages at {args.rate:g}/s; stock {args.reservations} "
          f"changes at {args.stock_rate:g}/s; database {args.db}")  # fmt: skip
    print()
    print(table(["path", "phase", "delivered", "", "p50 ms", "p99 ms", "max ms", "server CPU s", "µs/delivery",
                 "connect s"], fan_rows))  # fmt: skip
    print()
    print(f"Drop: {args.buyers} buyers released together for {args.units} units ({args.viewers:,} viewers connected "
          "to ours, one uvicorn worker)")
    print()
    print(table(["path", "bought", "sold out", "other", "sold out after s", "all answered s", "p50 ms", "p99 ms",
                 "viewers saw 0"], drop_rows))  # fmt: skip
    print()
    print(f"Presence rows for the event after {len(paths) - 1} server run(s): {seeded.get('presence_rows')}")
    print(machine_summary())
    if failed:
        print("\nFAILED: " + "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
