"""Inbox fan-out: one event to 1,000 connected staff inbox sockets, per channel layer.

    .venv/bin/python bench/inbox_fanout.py [--clients 1000] [--paced 20] [--rate 2] [--burst 150]

Makes a temporary SQLite database, seeds one boutique and an associate, logs her in (one session
for every socket), then for each path starts a real ASGI server process (uvicorn, `ws=websockets`,
as `omnipresence serve`) and opens --clients websockets to `ws/console/bench/inbox/` from one
asyncio process (the `websockets` library). Every socket is a `StaffInboxConsumer` in the
boutique's team group. A control socket then makes the server send inbox events
(`{"kind": "message", ...}`, ~0.5 kB as the console gets them) to the group with
`channel_layer.group_send`, exactly what `inbox.realtime` does after a message commits:

- **paced**: --paced events at --rate a second (a busy shop, a live event's chat);
- **burst**: --burst events back to back, as fast as the layer takes them (150 by default: more
  than the 100 messages the core Redis layer queues per process).

A phase stops sending after --limit seconds (a path too slow to send them all) and waits for
receipts until every client has every event sent, --drain seconds pass without one, or --wait.

Paths (--paths):
- `memory`: the shipped settings without REDIS_URL (omnipresence.core.layers.InMemoryChannelLayer);
- `memory-channels`: the same server with channels' own InMemoryChannelLayer (the comparison);
- `redis-pubsub`: the shipped settings with REDIS_URL (channels_redis' RedisPubSubChannelLayer);
- `redis-core`: the same server with channels_redis.core.RedisChannelLayer, defaults (capacity 100);
- `bare`: the baseline, a `websockets` server that keeps its 1,000 connections in a set and sends
  each event with `websockets.broadcast` (no Django, no channel layer), same clients, same events.

Every event carries its sequence number and the time it was sent; each client counts what it got.
Columns: sent = events sent in the limit / planned; delivered = distinct (client, event) pairs
received / clients × sent; lost = pairs never received; refused = group sends the core layer
refused for a full process queue (it logs them; each is lost for every member); dup = pairs
received twice; latency from the send call to the client's receipt (one machine, one clock);
deliveries/s = delivered pairs / (last receipt − first send); send ms = the sender's time per
group_send; connect s = opening the --clients sockets (20 handshakes at a time; each consumer
checks her session and staff membership and records her heartbeat). Redis at 127.0.0.1:6379
(REDIS_URL overrides); without it the Redis rows are left out. Exit status 1 if a shipped path
(`memory`, `redis-pubsub`) loses or duplicates anything it sent.
"""

import argparse
import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, django_setup, machine_summary, percentile, seed_world, sqlite_database, table  # noqa: E402

CONTROL_PATH = "/__bench/control"
SLUG = "bench"  # seed_world's boutique
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"
SHIPPED = {"memory", "redis-pubsub"}
BODY = "Is the blue statement coat still available in M? I could come by the Soho shop at six to try it on."


def sample_event(phase: str, seq: int) -> dict:
    """An inbox `message` event as realtime.message_data shapes it, plus the benchmark's stamp."""
    return {
        "kind": "message",
        "message": {
            "id": 100000 + seq, "conversation_id": 4242, "direction": "inbound", "body": BODY, "payload": {},
            "author": "Sibyl Vane", "status": "received", "created_at": "2026-12-03T10:15:00.000000+00:00",
            "attachments": [], "purpose": "service", "author_id": None,
        },
        "bench": {"phase": phase, "seq": seq, "sent": time.time()},
    }  # fmt: skip


async def fire(send_one, *, phase: str, messages: int, rate: float, limit: float) -> dict:
    """Send `messages` events (paced at `rate` a second, or back to back), stopping after `limit`
    seconds (a path too slow to send them all); how many were sent and how long it took."""
    start = time.perf_counter()
    sent = 0
    for seq in range(messages):
        if rate:
            delay = start + seq / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        if time.perf_counter() - start > limit:
            break
        await send_one(sample_event(phase, seq))
        sent += 1
    return {"sent": sent, "send_seconds": time.perf_counter() - start}


# --- the servers (run in a child process: `inbox_fanout.py --serve PATH --port N`) -------------


class OverCapacity(logging.Handler):
    """Counts the group sends channels_redis' core layer refused for a full process queue (it logs
    "N of M channels over capacity"; the event is lost for every member behind that queue)."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record):
        if "over capacity" in record.getMessage():
            self.count += 1


def serve_channels(path: str, port: int) -> None:
    import django
    import uvicorn

    os.environ["DJANGO_SETTINGS_MODULE"] = "omnipresence.settings"
    django.setup()
    from channels.layers import get_channel_layer
    from django.conf import settings

    if path == "redis-core":  # the comparison: the list-based layer with its defaults
        settings.CHANNEL_LAYERS = {"default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [settings.REDIS_URL], "prefix": settings.CHANNEL_LAYER_PREFIX},
        }}  # fmt: skip
    elif path == "memory-channels":  # the comparison: channels' own in-memory layer
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    elif path == "memory" and os.environ.get("BENCH_MEMORY_CAPACITY"):
        settings.CHANNEL_LAYERS = {"default": {**settings.CHANNEL_LAYERS["default"],
                                               "CONFIG": {"capacity": int(os.environ["BENCH_MEMORY_CAPACITY"])}}}  # fmt: skip
    from omnipresence.asgi import application
    from omnipresence.inbox.realtime import team_group

    over_capacity = OverCapacity()
    logging.getLogger("channels_redis.core").addHandler(over_capacity)
    logging.getLogger("channels_redis.core").setLevel(logging.INFO)
    from omnipresence.stores.models import Boutique

    group = team_group(Boutique.objects.get(slug=SLUG).pk)

    async def control(receive, send):
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        layer = get_channel_layer()

        async def send_one(event):
            await layer.group_send(group, {"type": "inbox.event", "event": event})

        while True:
            frame = await receive()
            if frame["type"] != "websocket.receive":
                return
            outcome = await fire(send_one, **json.loads(frame["text"]))
            outcome["over_capacity"] = over_capacity.count
            await send({"type": "websocket.send", "text": json.dumps(outcome)})

    async def app(scope, receive, send):
        if scope["type"] == "websocket" and scope["path"] == CONTROL_PATH:
            return await control(receive, send)
        return await application(scope, receive, send)

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="websockets",
                http="httptools")  # fmt: skip


def serve_bare(port: int) -> None:
    from websockets.asyncio.server import broadcast, serve

    connections = set()

    async def handler(websocket):
        if websocket.request.path != CONTROL_PATH:
            connections.add(websocket)
            try:
                await websocket.wait_closed()
            finally:
                connections.discard(websocket)
            return

        async def send_one(event):
            broadcast(connections, json.dumps(event))
            await asyncio.sleep(0)  # let the loop write, as a server with other work would

        async for text in websocket:
            outcome = await fire(send_one, **json.loads(text))
            await websocket.send(json.dumps({**outcome, "over_capacity": 0}))

    async def main():
        async with serve(handler, "127.0.0.1", port, ping_interval=None, max_queue=None) as server:
            await server.serve_forever()

    asyncio.run(main())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, path: str, env: dict):
        self.path = path
        self.port = _free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="omni-bench-fanout-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [sys.executable, os.environ.get("BENCH_SERVE_SCRIPT", __file__), "--serve", path, "--port", str(self.port)], env=env, stdout=self.log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, cwd=tempfile.gettempdir(),
        )  # fmt: skip

    def log_text(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def wait_ready(self, timeout: float = 60) -> None:
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
        Path(self.log.name).unlink(missing_ok=True)


# --- the clients ---------------------------------------------------------------------------------


@dataclass
class Phase:
    clients: int
    seen: list = field(default_factory=list)  # per client: the sequence numbers received
    duplicates: int = 0
    latencies: list = field(default_factory=list)
    last_receipt: float = 0.0

    def __post_init__(self):
        self.seen = [set() for _ in range(self.clients)]

    @property
    def delivered(self) -> int:
        return sum(len(s) for s in self.seen)


async def measure(port: int, *, clients: int, phases_plan: list, cookie: str, deflate: bool, drain: float,
                  limit: float, wait: float) -> dict:  # fmt: skip
    from websockets.asyncio.client import connect

    url = f"ws://127.0.0.1:{port}/ws/console/{SLUG}/inbox/"
    options = {"origin": "http://127.0.0.1", "additional_headers": {"Cookie": cookie}, "ping_interval": None,
               "max_queue": None, "open_timeout": 60, "compression": "deflate" if deflate else None}  # fmt: skip
    phases = {name: Phase(clients) for name, _, _ in phases_plan}
    sockets = []
    connected = asyncio.Semaphore(20)  # 20 handshakes in flight: a crowd arriving, not a thundering herd

    async def open_one():
        async with connected:
            sockets.append(await connect(url, **options))

    async def listen(index, websocket):
        async for text in websocket:
            now = time.time()
            stamp = json.loads(text).get("bench")
            if stamp is None:
                continue  # other inbox events (agents coming online)
            phase = phases[stamp["phase"]]
            seen = phase.seen[index]
            if stamp["seq"] in seen:
                phase.duplicates += 1
            seen.add(stamp["seq"])
            phase.latencies.append(now - stamp["sent"])
            phase.last_receipt = now

    started = time.perf_counter()
    await asyncio.gather(*(open_one() for _ in range(clients)))
    connect_seconds = time.perf_counter() - started
    listeners = [asyncio.create_task(listen(i, ws)) for i, ws in enumerate(sockets)]
    results = {"connect_seconds": connect_seconds}
    async with connect(f"ws://127.0.0.1:{port}{CONTROL_PATH}", origin="http://127.0.0.1", ping_interval=None,
                       open_timeout=30, compression=None) as control:  # fmt: skip
        await asyncio.sleep(0.5)
        over_before = 0
        for name, messages, phase_rate in phases_plan:
            phase = phases[name]
            first_send = time.time()
            await control.send(
                json.dumps({"phase": name, "messages": messages, "rate": phase_rate, "limit": limit})
            )
            answer = json.loads(await control.recv())
            expected = clients * answer["sent"]
            # Until every client has every event sent, nothing new arrived for `drain` seconds, or
            # `wait` seconds after the last send.
            last_count, quiet_since = -1, time.monotonic()
            give_up = time.monotonic() + wait
            while phase.delivered < expected and time.monotonic() < give_up:
                await asyncio.sleep(0.05)
                if phase.delivered != last_count:
                    last_count, quiet_since = phase.delivered, time.monotonic()
                elif time.monotonic() - quiet_since > drain:
                    break
            span = max(phase.last_receipt - first_send, 1e-9)
            latencies = sorted(phase.latencies)
            results[name] = {
                "sent": answer["sent"], "planned": messages, "delivered": phase.delivered, "expected": expected,
                "duplicates": phase.duplicates, "refused": answer["over_capacity"] - over_before,
                "p50": percentile(latencies, 50) * 1000, "p99": percentile(latencies, 99) * 1000,
                "max": (latencies[-1] * 1000) if latencies else 0.0, "per_s": phase.delivered / span,
                "send_ms": answer["send_seconds"] * 1000 / max(answer["sent"], 1),
            }  # fmt: skip
            over_before = answer["over_capacity"]
            await asyncio.sleep(0.3)
    for task in listeners:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return results


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--paced", type=int, default=20, help="events of the paced phase")
    parser.add_argument("--rate", type=float, default=2.0, help="events a second in the paced phase")
    parser.add_argument("--burst", type=int, default=150,
                        help="events of the burst (above the core layer's capacity of 100)")  # fmt: skip
    parser.add_argument("--limit", type=float, default=20.0, help="seconds a phase may send (slow paths)")
    parser.add_argument(
        "--wait", type=float, default=60.0, help="seconds to wait for receipts after the sends"
    )
    parser.add_argument(
        "--memory-capacity", type=int, help="the memory path's per-socket capacity (shipped: 1000)"
    )
    parser.add_argument("--paths", default="bare,memory,memory-channels,redis-pubsub,redis-core")
    parser.add_argument("--deflate", action="store_true", help="negotiate permessage-deflate, as browsers do")
    parser.add_argument(
        "--drain", type=float, default=5.0, help="seconds without a new receipt that end a phase"
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        if args.serve == "bare":
            serve_bare(args.port)
        else:
            serve_channels(args.serve, args.port)
        return 0
    paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    unknown = set(paths) - {"bare", "memory", "memory-channels", "redis-pubsub", "redis-core"}
    if unknown or min(args.clients, args.paced, args.burst) < 1 or args.rate <= 0 or args.limit <= 0:
        parser.error(
            f"unknown paths {sorted(unknown)}" if unknown else "counts, --rate and --limit must be > 0"
        )
    plan = [("paced", args.paced, args.rate), ("burst", args.burst, 0.0)]
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    redis_url = os.environ.get("REDIS_URL", REDIS_DEFAULT)
    if any(p.startswith("redis") for p in paths) and not redis_reachable(redis_url):
        print(f"Redis is not reachable at {redis_url}: the Redis paths are left out.")
        paths = [p for p in paths if not p.startswith("redis")]

    data_dir = tempfile.mkdtemp(prefix="omni-bench-fanout-data-")
    os.environ["OMNIPRESENCE_DATA_DIR"] = data_dir
    rows, failed = [], False
    with sqlite_database() as url:
        django_setup(url)
        from django.test import Client

        world = seed_world(skus=0)
        http = Client()
        http.force_login(world.actor.user)
        cookie = f"sessionid={http.cookies['sessionid'].value}"
        from django.db import connections

        connections.close_all()
        from django.conf import settings

        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": settings.SECRET_KEY,  # signed her session
               "ALLOWED_HOSTS": "127.0.0.1", "DEBUG": "false", "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "ERROR",
               "PYTHONPATH": str(REPO / "src")}  # fmt: skip
        for path in paths:
            server_env = dict(env)
            server_env.pop("REDIS_URL", None)
            if args.memory_capacity:
                server_env["BENCH_MEMORY_CAPACITY"] = str(args.memory_capacity)
            if path.startswith("redis"):
                server_env["REDIS_URL"] = redis_url
                server_env["CHANNEL_LAYER_PREFIX"] = f"bench{os.getpid()}{path[6:]}."
            server = Server(path, server_env)
            try:
                server.wait_ready()
                result = asyncio.run(measure(server.port, clients=args.clients, phases_plan=plan, cookie=cookie,
                                             deflate=args.deflate, drain=args.drain, limit=args.limit,
                                             wait=args.wait))  # fmt: skip
            except Exception:
                print(server.log_text()[-3000:])
                raise
            finally:
                server.stop()
            for phase in ("paced", "burst"):
                r = result[phase]
                lost = r["expected"] - r["delivered"]
                if path in SHIPPED and (lost or r["duplicates"]):
                    failed = True
                label = f"paced {args.rate:g}/s" if phase == "paced" else "burst"
                rows.append([
                    path, label, f"{r['sent']}/{r['planned']}", f"{r['delivered']:,}/{r['expected']:,}", f"{lost:,}",
                    r["refused"], r["duplicates"], f"{r['p50']:.1f}", f"{r['p99']:.1f}", f"{r['max']:.0f}",
                    f"{r['per_s']:,.0f}", f"{r['send_ms']:.2f}", f"{result['connect_seconds']:.1f}",
                ])  # fmt: skip
            print(f"{path}: done", flush=True)
    print()
    print(f"{args.clients} clients; paced {args.paced} events at {args.rate:g}/s, burst {args.burst}; "
          f"limit {args.limit:g} s a phase; deflate {'on' if args.deflate else 'off'}")  # fmt: skip
    print()
    print(table(["path", "phase", "sent", "delivered", "lost", "refused", "dup", "p50 ms", "p99 ms", "max ms",
                 "deliveries/s", "send ms", "connect s"], rows))  # fmt: skip
    print()
    print(machine_summary())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
