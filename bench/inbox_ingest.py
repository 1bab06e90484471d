"""Inbound webhook ingest: signed local-provider webhooks posted to a running server, stored and
delivered to the assigned associate's inbox socket.

    .venv/bin/python bench/inbox_ingest.py [--db sqlite|postgres] [--messages 400] [--clients 8] [--workers 1]

Makes its own database (a temporary SQLite file by default; --db postgres creates and drops
`omni_bench_<pid>`), seeds through the services one boutique, an SMS inbox (local provider), an
associate online with capacity 50 and --senders clients whose associate she is, then starts
`omnipresence serve --no-sweeper` (the shipped settings; --workers > 1 adds REDIS_URL so the
workers share events through Redis), logs her in and connects her staff inbox socket
(`ws/console/bench/inbox/`). Then, each path with --clients threads and a keep-alive HTTP
connection each:

- **ours**: --messages signed webhooks `POST /api/v1/webhooks/inbox/local/{id}` (`{"from", "text",
  "id"}`, the senders in turn); each is stored, resolved to her client, routed to her and announced
  after commit. Timed until her socket has seen every message.
- **baseline**: the same server, clients and route, signed for an inbox that does not exist: the
  webhook answers 401 after one query. This is the floor of an HTTP request through Django and the
  API on this machine, with no write.
- **in-process**: `inbox.services.inbound_receive` called in this process, one message after the
  other, no HTTP and no socket: the domain write alone.

Checks afterwards: every webhook answered 200 `stored`, that many inbound messages in the
database, every conversation assigned to her, her socket saw every message exactly once. Exit
status 1 if any check fails. Columns: msgs/s = messages (requests for the baseline) per second of
wall time, from the first post to the last answer (stored) or the last socket receipt (delivered);
p50/p99 per message: post → HTTP answer, and post → her socket.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    REPO,
    django_setup,
    machine_summary,
    percentile,
    postgres_database,
    seed_world,
    sqlite_database,
    table,
)

SLUG = "bench"
clock = time.perf_counter
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`omnipresence serve` in its own process group, its output in a temporary log file."""

    def __init__(self, env: dict, workers: int):
        self.port = _free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="omni-bench-ingest-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [str(REPO / ".venv/bin/omnipresence"), "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(workers), "--no-sweeper"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            cwd=tempfile.gettempdir(),
        )  # fmt: skip

    def log_text(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def wait_ready(self, workers: int, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log_text()[-3000:]}")
            if self.log_text().count("Started server process") >= workers:
                try:
                    status, _ = post(
                        self.connect(), "/api/v1/webhooks/inbox/local/999999999", b"{}", "t=0,v1=0"
                    )
                    if status == 401:
                        return
                except OSError:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer in {timeout:.0f}s:\n{self.log_text()[-3000:]}")
            time.sleep(0.2)

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

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


def post(conn, path: str, body: bytes, signature: str) -> tuple[int, dict]:
    conn.request("POST", path, body=body, headers={"Content-Type": "application/json", "X-Omni-Signature": signature,
                                                   "Host": "127.0.0.1"})  # fmt: skip
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b"{}")


def run_posts(server: Server, requests: list[tuple[str, bytes, str]], clients: int) -> dict:
    """Post `requests` (path, body, signature) from `clients` threads, each with its own keep-alive
    connection, released together. Per request: (start, end, status, answer)."""
    results: list = [None] * len(requests)
    barrier = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        conn = server.connect()
        barrier.wait()
        for i in range(index, len(requests), clients):
            path, body, signature = requests[i]
            started = time.time()
            try:
                status, answer = post(conn, path, body, signature)
            except (OSError, http.client.HTTPException) as error:
                conn.close()
                conn = server.connect()
                status, answer = 0, {"error": str(error)}
            results[i] = (started, time.time(), status, answer)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    first = time.time()
    for thread in threads:
        thread.join()
    return {"first": first, "results": results}


class Socket:
    """Her staff inbox socket, in an event loop of its own thread; notes when each message arrives."""

    def __init__(self, port: int, cookie: str):
        self.url = f"ws://127.0.0.1:{port}/ws/console/{SLUG}/inbox/"
        self.cookie = cookie
        self.seen: dict[int, float] = {}
        self.duplicates = 0
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self.ready.wait(30):
            raise RuntimeError(f"her socket did not connect: {self.error!r}")

    def _run(self) -> None:
        try:
            asyncio.run(self._listen())
        except BaseException as error:  # noqa: BLE001 - reported by the caller
            self.error = error
            self.ready.set()

    async def _listen(self) -> None:
        from websockets.asyncio.client import connect

        async with connect(self.url, origin="http://127.0.0.1", additional_headers={"Cookie": self.cookie},
                           ping_interval=None, open_timeout=30) as websocket:  # fmt: skip
            self.ready.set()
            while not self.stop.is_set():
                try:
                    text = await asyncio.wait_for(websocket.recv(), 0.2)
                except TimeoutError:
                    continue
                event = json.loads(text)
                if event.get("kind") == "message" and event["message"]["direction"] == "in":
                    message_id = event["message"]["id"]
                    if message_id in self.seen:
                        self.duplicates += 1
                    else:
                        self.seen[message_id] = time.time()

    def wait_for(self, ids: set[int], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not ids <= self.seen.keys() and time.monotonic() < deadline:
            time.sleep(0.02)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


def _ms(values: list[float]) -> tuple[str, str]:
    ordered = sorted(values)
    return f"{percentile(ordered, 50) * 1000:.1f}", f"{percentile(ordered, 99) * 1000:.1f}"


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--senders", type=int, default=40, help="clients writing in (her conversations)")
    parser.add_argument("--workers", type=int, default=1, help="server workers (> 1 needs Redis: REDIS_URL)")
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    if args.messages < 1 or not 1 <= args.clients <= 64 or not 1 <= args.senders <= 50 or args.workers < 1:
        parser.error("--messages ≥ 1, --clients 1…64, --senders 1…50 (her capacity), --workers ≥ 1")
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)  # the server's too: sessions and webhook keys
    data_dir = tempfile.mkdtemp(prefix="omni-bench-ingest-data-")
    os.environ["OMNIPRESENCE_DATA_DIR"] = data_dir
    redis_url = os.environ.get("REDIS_URL", REDIS_DEFAULT) if args.workers > 1 else ""
    os.environ.pop("REDIS_URL", None)  # this process's own events stay in memory
    database = postgres_database() if args.db == "postgres" else sqlite_database()
    failures: list[str] = []
    with database as url:
        django_setup(url)
        from django.db import connections
        from django.test import Client

        from omnipresence.clients import services as clients
        from omnipresence.inbox import routing, services
        from omnipresence.inbox.models import Conversation, Message
        from omnipresence.inbox.webhooks import local_sign
        from omnipresence.stores.access import system_actor

        world = seed_world(skus=0)
        her = world.actor
        inbox = services.inbox_create(actor=system_actor(world.boutique), kind="sms", name="Shop SMS",
                                      address="+447700900001")  # fmt: skip
        senders = [f"+4479111234{n:02d}" for n in range(args.senders)]
        for n, phone in enumerate(senders):
            client = clients.client_resolve(boutique=world.boutique, phone=phone, name=f"Client {n}")
            clients.client_update(actor=her, client=client, primary_associate=her.user)
        routing.agent_status_set(actor=her, status="online", capacity=routing.MAX_CAPACITY)
        http = Client()
        http.force_login(her.user)
        cookie = f"sessionid={http.cookies['sessionid'].value}"
        connections.close_all()

        env = {**os.environ, "DATABASE_URL": url, "ALLOWED_HOSTS": "127.0.0.1", "DEBUG": "false",
               "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "ERROR", "DB_POOL_MAX_SIZE": "10"}  # fmt: skip
        if redis_url:
            env["REDIS_URL"] = redis_url
            env["CHANNEL_LAYER_PREFIX"] = f"benchingest{os.getpid()}."

        def webhooks(tag: str, count: int, inbox_id: int | None = None) -> list:
            requests = []
            for seq in range(count):
                body = json.dumps({"from": senders[seq % len(senders)], "text": f"{tag} message {seq}: is the coat "
                                   "still there in M?", "id": f"{tag}-{seq}"}).encode()  # fmt: skip
                requests.append(
                    (f"/api/v1/webhooks/inbox/local/{inbox_id or inbox.pk}", body, local_sign(inbox, body))
                )
            return requests

        server = Server(env, args.workers)
        socket_ = None
        try:
            server.wait_ready(args.workers)
            socket_ = Socket(server.port, cookie)
            time.sleep(0.5)
            run_posts(server, webhooks("warmup", args.warmup), min(args.clients, args.warmup) or 1)
            baseline = run_posts(
                server, webhooks("baseline", args.messages, inbox_id=999999999), args.clients
            )
            ours = run_posts(server, webhooks("ours", args.messages), args.clients)
            stored_ids = {r[3].get("message_id") for r in ours["results"] if r[2] == 200}
            socket_.wait_for(stored_ids, timeout=60)
        except Exception:
            print(server.log_text()[-3000:])
            raise
        finally:
            if socket_ is not None:
                socket_.close()
            server.stop()

        # in-process: the domain write alone
        started = time.time()
        in_process = []
        for seq in range(args.messages):
            t0 = time.time()
            services.inbound_receive(inbox=inbox, sender=senders[seq % len(senders)],
                                     body=f"direct message {seq}", provider_message_id=f"direct-{seq}")  # fmt: skip
            in_process.append(time.time() - t0)
        in_process_span = time.time() - started

        # checks
        answers = ours["results"]
        not_stored = [r for r in answers if r[2] != 200 or r[3].get("result") != "stored"]
        if not_stored:
            failures.append(
                f"{len(not_stored)} webhooks not stored, e.g. {not_stored[0][2]} {not_stored[0][3]}"
            )
        if any(r[2] != 401 for r in baseline["results"]):
            failures.append("baseline webhooks not all answered 401")
        inbound = Message.objects.filter(
            direction=Message.Direction.INBOUND, provider_message_id__startswith="ours-"
        )
        if inbound.count() != args.messages:
            failures.append(f"{inbound.count()} inbound messages stored, not {args.messages}")
        unassigned = Conversation.objects.exclude(assignee_id=her.user_id).count()
        if unassigned:
            failures.append(f"{unassigned} conversations not assigned to her")
        missing = stored_ids - socket_.seen.keys()
        if missing or socket_.duplicates:
            failures.append(f"her socket missed {len(missing)} messages and saw {socket_.duplicates} twice")

        first = ours["first"]
        last_answer = max(r[1] for r in answers)
        by_id = {r[3].get("message_id"): r for r in answers if r[2] == 200}
        delivered = [socket_.seen[i] - by_id[i][0] for i in stored_ids if i in socket_.seen]
        last_seen = max((socket_.seen[i] for i in stored_ids if i in socket_.seen), default=last_answer)
        base_span = max(r[1] for r in baseline["results"]) - baseline["first"]
        rows = [
            ["baseline: 401, one query", f"{args.messages / base_span:,.0f}", *_ms([r[1] - r[0] for r in baseline["results"]]), "", ""],
            ["ours: stored (HTTP 200)", f"{args.messages / (last_answer - first):,.0f}", *_ms([r[1] - r[0] for r in answers]), "", ""],
            ["ours: delivered to her socket", f"{len(delivered) / (last_seen - first):,.0f}", "", "", *_ms(delivered)],
            ["in-process inbound_receive", f"{args.messages / in_process_span:,.0f}", *_ms(in_process), "", ""],
        ]  # fmt: skip
        workers = f"{args.workers} worker(s)" + (" + Redis" if redis_url else ", in-memory layer")
        print()
        print(
            f"{args.db}, {args.messages} messages, {args.clients} HTTP clients, {args.senders} senders, {workers}"
        )
        print()
        print(table(["path", "msgs/s", "p50 ms", "p99 ms", "to socket p50 ms", "to socket p99 ms"], rows))
        print()
        print(machine_summary())
    for failure in failures:
        print(f"CHECK FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
