"""Realtime across processes on the shipped Redis layer (REDIS_URL).

- Two real ASGI server processes (uvicorn) on the test database and one Redis: a message posted
  to one reaches the staff inbox socket connected to the other, both ways.
- A group of 1,200 members in one process gets every event of a burst sent from another process
  (more than the 100 the list-based layer holds per process: it lost whole events there).

Redis at 127.0.0.1:6379 (OMNIPRESENCE_TEST_REDIS_URL overrides). Without it these tests skip,
except under CI=true, where they fail. Every run has its own CHANNEL_LAYER_PREFIX (Redis pub/sub
ignores the database number, so concurrent runs would otherwise hear each other).
"""

import asyncio
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client as HttpClient

from omnipresence.conftest import IN_CI
from omnipresence.inbox import realtime
from omnipresence.inbox.models import Message
from omnipresence.inbox.webhooks import local_sign

REDIS_URL = os.environ.get("OMNIPRESENCE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
GROUP_MEMBERS = 1200
BURST = 150


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as error:
        reason = f"Redis is not reachable at {REDIS_URL} ({error.__class__.__name__})"
        if IN_CI:
            pytest.fail(f"{reason}: under CI=true the Redis tests must run", pytrace=False)
        pytest.skip(f"{reason}: start redis-server or set OMNIPRESENCE_TEST_REDIS_URL")
    return REDIS_URL


def _prefix() -> str:
    return f"t{uuid.uuid4().hex[:12]}."


def _server_env(redis_url: str, prefix: str, data_dir) -> dict:
    from django.conf import settings

    env = {**os.environ, "REDIS_URL": redis_url, "CHANNEL_LAYER_PREFIX": prefix, "SECRET_KEY": settings.SECRET_KEY,
           "ALLOWED_HOSTS": "127.0.0.1", "OMNIPRESENCE_DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING",
           "DB_POOL_MIN_SIZE": "1", "DB_POOL_MAX_SIZE": "4", "PYTHONUNBUFFERED": "1"}  # fmt: skip
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"  # the test database file
    else:
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        env["DATABASE_URL"] = (
            f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def _shipped_layer_config(redis_url: str, prefix: str, data_dir) -> dict:
    """CHANNEL_LAYERS["default"] as settings.py builds it with REDIS_URL set (a fresh interpreter:
    this one was configured without it)."""
    code = (
        "import json; from django.conf import settings; print(json.dumps(settings.CHANNEL_LAYERS['default']))"
    )
    env = {**os.environ, "REDIS_URL": redis_url, "CHANNEL_LAYER_PREFIX": prefix,
           "DJANGO_SETTINGS_MODULE": "omnipresence.settings", "OMNIPRESENCE_DATA_DIR": str(data_dir)}  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AsgiProcess:
    """`uvicorn omnipresence.asgi:application` in a process of its own (websockets as `serve`)."""

    def __init__(self, env: dict, log_path):
        self.port = _free_port()
        self.log_path = log_path
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "omnipresence.asgi:application", "--host", "127.0.0.1", "--port",
             str(self.port), "--ws", "websockets", "--lifespan", "off", "--log-level", "warning"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    def wait_ready(self, deadline: float) -> None:
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log_path.read_text(errors='replace')[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return  # uvicorn binds after the application has loaded
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"no server after 30 s:\n{self.log_path.read_text(errors='replace')[-3000:]}"
                    )
                time.sleep(0.05)

    def warm_up(self) -> None:
        """One request, so the URLconf and the API are loaded before the test's clock runs."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", "/api/v1/webhooks/inbox/local/0", headers={"Host": "127.0.0.1"})
            conn.getresponse().read()
        finally:
            conn.close()

    def post_webhook(self, inbox, event: dict) -> tuple[int, dict]:
        body = json.dumps(event).encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            conn.request("POST", f"/api/v1/webhooks/inbox/local/{inbox.pk}", body=body, headers={
                "Content-Type": "application/json", "X-Omni-Signature": local_sign(inbox, body), "Host": "127.0.0.1",
            })  # fmt: skip
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            conn.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()


@pytest.fixture
def two_servers(transactional_db, redis_url, tmp_path):
    env = _server_env(redis_url, _prefix(), tmp_path / "data")
    servers = [AsgiProcess(env, tmp_path / f"server-{name}.log") for name in ("a", "b")]
    try:
        deadline = time.monotonic() + 30
        for server in servers:
            server.wait_ready(deadline)
        with ThreadPoolExecutor(len(servers)) as pool:
            list(pool.map(AsgiProcess.warm_up, servers))
        yield servers
    finally:
        for server in servers:  # before the test database is flushed: they hold connections to it
            server.stop()


def run_async(function):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, function()).result()


async def _message_with(websocket, body: str, timeout: float = 10) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await websocket.recv())
            if frame.get("kind") == "message" and frame["message"]["body"] == body:
                return frame


def test_a_message_posted_to_one_server_reaches_her_socket_on_the_other(two_servers, associate_a, sms, sibyl):
    from websockets.asyncio.client import connect

    a, b = two_servers
    http = HttpClient()
    http.force_login(associate_a)
    options = {"origin": "http://127.0.0.1", "ping_interval": None, "open_timeout": 10,
               "additional_headers": {"Cookie": f"sessionid={http.cookies['sessionid'].value}"}}  # fmt: skip

    async def run():
        async with connect(f"ws://127.0.0.1:{a.port}/ws/console/atelier-a/inbox/", **options) as on_a, \
                connect(f"ws://127.0.0.1:{b.port}/ws/console/atelier-a/inbox/", **options) as on_b:  # fmt: skip
            status_b, answer_b = await asyncio.to_thread(
                b.post_webhook, sms, {"from": "+447911123456", "text": "Posted to B", "id": "two-1"}
            )
            heard_on_a = await _message_with(on_a, "Posted to B")
            status_a, answer_a = await asyncio.to_thread(
                a.post_webhook, sms, {"from": "+447911123456", "text": "Posted to A", "id": "two-2"}
            )
            heard_on_b = await _message_with(on_b, "Posted to A")
            return status_b, answer_b, heard_on_a, status_a, answer_a, heard_on_b

    status_b, answer_b, heard_on_a, status_a, answer_a, heard_on_b = run_async(run)
    assert (status_b, answer_b["result"], status_a, answer_a["result"]) == (200, "stored", 200, "stored")
    first, second = Message.objects.order_by("pk")
    assert heard_on_a["message"]["id"] == first.pk == answer_b["message_id"]
    assert heard_on_b["message"]["id"] == second.pk == answer_a["message_id"]
    assert heard_on_a["message"]["conversation_id"] == first.conversation_id


# --- a group of 1,200 members ------------------------------------------------------------------

SENDER = """
import asyncio, json, sys, time
from django.utils.module_loading import import_string
config, group, count = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
async def main():
    layer = import_string(config["BACKEND"])(**config.get("CONFIG", {}))
    for seq in range(count):  # back to back, as a burst of inbound messages would go out
        await layer.group_send(group, {"type": "inbox.event", "event": {"kind": "message", "seq": seq,
                                                                        "body": "x" * 300}})
    await asyncio.sleep(0.2)
asyncio.run(main())
"""


async def fan_out(config: dict, *, members: int, events: int, timeout: float) -> list[list[int]]:
    """`members` receivers in one group on this process's layer; another process sends `events`
    events to the group. What each member received, in order (until all arrived, or `timeout`)."""
    from django.utils.module_loading import import_string

    layer = import_string(config["BACKEND"])(**config.get("CONFIG", {}))
    group = realtime.team_group(987654)
    channels = [await layer.new_channel() for _ in range(members)]
    for channel in channels:
        await layer.group_add(group, channel)
    received: list[list[int]] = [[] for _ in range(members)]
    complete = asyncio.Event()
    remaining = [members * events]

    async def member(index: int, channel: str):
        while True:
            message = await layer.receive(channel)
            received[index].append(message["event"]["seq"])
            remaining[0] -= 1
            if remaining[0] == 0:
                complete.set()

    tasks = [asyncio.create_task(member(i, c)) for i, c in enumerate(channels)]
    sender = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SENDER, json.dumps(config), group, str(events)
    )
    try:
        await asyncio.wait_for(complete.wait(), timeout)
    except TimeoutError:
        pass
    finally:
        await sender.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for channel in channels:
            await layer.group_discard(group, channel)
        await layer.flush()
    return received


def test_every_member_of_a_1200_group_gets_every_event_of_a_burst(redis_url, tmp_path):
    config = _shipped_layer_config(redis_url, _prefix(), tmp_path)
    # ~2 s on a quiet machine; the generous timeout is for a loaded one (a drop never completes).
    received = run_async(lambda: fan_out(config, members=GROUP_MEMBERS, events=BURST, timeout=60))
    assert config["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    complete = [r for r in received if r == list(range(BURST))]
    assert len(complete) == GROUP_MEMBERS, (
        f"{GROUP_MEMBERS - len(complete)} members missed events; "
        f"fewest received {min(len(r) for r in received)} of {BURST}"
    )
