"""The live socket (ws/live/<slug>/<event_id>/) over the real ASGI application, in-memory layer:
chat fan-out, moderation, stock and viewer counts shared by every socket of a process."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.test import Client as HttpClient

from omnipresence.asgi import application
from omnipresence.live import presence, services, shopping, viewers
from omnipresence.live.models import LiveChatter, LiveEvent, LiveMessage, LivePresence
from omnipresence.live.tests.conftest import second_product

pytestmark = pytest.mark.django_db(transaction=True)  # events go out on commit: real commits


@pytest.fixture(autouse=True)
def fresh_layer():
    channel_layers.backends.clear()
    _unread.clear()
    yield
    channel_layers.backends.clear()


def run_async(function):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(async_to_sync(function)).result()


def _headers(user=None) -> list:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if user is not None:
        http = HttpClient()
        http.force_login(user)
        headers.append((b"cookie", f"sessionid={http.cookies['sessionid'].value}".encode()))
    return headers


def viewer_socket(event, token=None, slug="atelier-a") -> WebsocketCommunicator:
    token = token or viewers.viewer_token_new(event_id=event.pk)[1]
    return WebsocketCommunicator(application, f"/ws/live/{slug}/{event.pk}/?token={token}", headers=_headers())


def staff_socket(event, headers, slug="atelier-a") -> WebsocketCommunicator:
    """`headers`: _headers(user), made before the event loop runs (a login writes a session)."""
    return WebsocketCommunicator(application, f"/ws/live/{slug}/{event.pk}/", headers=headers)


_unread: dict[int, list[dict]] = {}


async def next_frame(communicator, timeout: float = 3) -> dict:
    """The next frame, a `batch` opened into the frames it carries."""
    waiting = _unread.setdefault(id(communicator), [])
    if not waiting:
        frame = await communicator.receive_json_from(timeout=timeout)
        waiting.extend(frame["frames"] if frame.get("kind") == "batch" else [frame])
    return waiting.pop(0)


async def until(communicator, kind: str, timeout: float = 3) -> dict:
    while True:
        frame = await next_frame(communicator, timeout)
        if frame.get("kind") == kind:
            return frame


async def gather(communicator, *kinds: str, timeout: float = 3) -> dict[str, dict]:
    """The first frame of each kind, in whatever order they come."""
    found: dict[str, dict] = {}
    while set(kinds) - set(found):
        frame = await next_frame(communicator, timeout)
        if frame.get("kind") in kinds:
            found.setdefault(frame["kind"], frame)
    return found


async def connect(*sockets) -> list[dict]:
    hellos = []
    for socket in sockets:
        connected, _ = await socket.connect()
        assert connected
        hellos.append(await until(socket, "hello"))
    return hellos


def test_chat_fans_out_to_every_viewer_and_the_host_moderates(live_event, associate_a):
    key, token = viewers.viewer_token_new(event_id=live_event.pk)
    staff = _headers(associate_a)

    async def run():
        troll, ann, host = viewer_socket(live_event, token), viewer_socket(live_event), staff_socket(live_event, staff)
        hellos = await connect(troll, ann, host)
        assert [h["role"] for h in hellos] == ["viewer", "viewer", "staff"]
        assert hellos[0]["event"]["featured"][0]["title"] == "Blue Statement Coat"

        await troll.send_json_to({"type": "chat", "name": "Troll", "text": "<b>cheap</b> followers"})
        frames = await gather(troll, "ack", "chat")  # the chat frame may come before the ack
        ack = frames["ack"]
        for socket in (troll, ann, host):
            chat = frames["chat"] if socket is troll else await until(socket, "chat")
            assert chat["message"]["id"] == ack["id"]
            assert chat["message"]["text_html"] == "&lt;b&gt;cheap&lt;/b&gt; followers"

        await host.send_json_to({"type": "ban", "message_id": ack["id"]})
        for socket in (troll, ann, host):
            assert (await until(socket, "chat_hidden"))["ids"] == [ack["id"]]
        await troll.send_json_to({"type": "chat", "name": "Troll", "text": "still here"})
        refused = await until(troll, "error")
        assert refused["code"] == "viewer_banned"
        assert await ann.receive_nothing(timeout=0.3)  # nothing reached the others

        await ann.send_json_to({"type": "hide", "message_id": ack["id"]})  # viewers cannot moderate
        assert (await until(ann, "error"))["code"] == "forbidden"
        await host.send_json_to({"type": "slow_mode", "seconds": 15})
        assert (await until(ann, "slow_mode"))["seconds"] == 15
        await host.send_json_to({"type": "chat", "text": "Welcome, everyone"})
        answer = await until(ann, "chat")
        assert answer["message"]["staff"] is True
        for socket in (troll, ann, host):
            await socket.disconnect()

    run_async(run)
    assert LiveChatter.objects.get(viewer_key=key).banned_at is not None
    assert LiveMessage.objects.filter(hidden_at__isnull=True).count() == 1
    assert LiveEvent.objects.get(pk=live_event.pk).slow_mode_seconds == 15


def test_pins_reach_viewers_and_a_product_not_featured_is_refused(world_a, live_event, associate_a):
    scarf, _ = second_product(world_a)
    staff = _headers(associate_a)

    async def run():
        ann, host = viewer_socket(live_event), staff_socket(live_event, staff)
        await connect(ann, host)
        await host.send_json_to({"type": "pin", "product_id": scarf.pk})
        assert (await until(host, "error"))["code"] == "product_not_featured"
        await host.send_json_to({"type": "pin", "product_id": world_a["product"].pk})
        pinned = await until(ann, "pinned")
        assert pinned["product"]["product_id"] == world_a["product"].pk
        await ann.send_json_to({"type": "pin", "product_id": world_a["product"].pk})
        assert (await until(ann, "error"))["code"] == "forbidden"
        for socket in (ann, host):
            await socket.disconnect()

    run_async(run)


def test_sockets_without_a_valid_viewer_token_or_staff_login_are_closed(world_a, world_b, live_event, associate_b, host_actor):
    from omnipresence.live.tests.conftest import make_event

    other_event = make_event(world_a, host_actor)
    foreign_token = viewers.viewer_token_new(event_id=other_event.pk)[1]
    bruno = _headers(associate_b)

    async def run():
        codes = []
        for socket in (
            WebsocketCommunicator(application, f"/ws/live/atelier-a/{live_event.pk}/", headers=_headers()),
            viewer_socket(live_event, foreign_token),
            viewer_socket(live_event, "x" * 40),
            staff_socket(live_event, bruno),
            viewer_socket(live_event, slug="boutique-b"),
            viewer_socket(LiveEvent(pk=999999)),
        ):
            connected, code = await socket.connect()
            assert not connected
            codes.append(code)
        return codes

    assert run_async(run) == [4401, 4401, 4401, 4403, 4404, 4404]


def test_stock_changes_reach_every_viewer_with_one_read_per_change(world_a, live_event):
    variant = world_a["variants"][0]
    buyer = viewers.viewer_token_new(event_id=live_event.pk)[0]

    async def run():
        sockets = [viewer_socket(live_event) for _ in range(5)]
        await connect(*sockets)
        room = presence.room_if_any(live_event.pk)
        assert room.reads == 1  # five greetings, one read of the state
        await sync_to_async(shopping.reservation_place, thread_sensitive=False)(
            event=live_event, viewer_key=buyer, variant=variant, quantity=2)  # fmt: skip
        for socket in sockets:
            stock = await until(socket, "stock")
            variants = {v["id"]: v["available"] for v in stock["products"][0]["variants"]}
            assert variants[variant.pk] == 0
        assert room.reads == 2  # one read for the five sockets
        late = viewer_socket(live_event)  # the change made the cached greeting stale
        (hello,) = await connect(late)
        assert hello["event"]["featured"][0]["variants"][0]["available"] == 0
        for socket in [*sockets, late]:
            await socket.disconnect()

    run_async(run)


def test_the_viewer_count_is_stored_periodically_not_on_every_join(live_event, associate_a, settings, monkeypatch):
    settings.LIVE_PRESENCE_SECONDS = 0.5
    calls = []
    real = services.presence_record

    def counting(**kwargs):
        calls.append(kwargs["counts"])
        return real(**kwargs)

    monkeypatch.setattr(services, "presence_record", counting)  # a spy: the real function runs
    staff = _headers(associate_a)

    async def until_count(socket, now: int) -> dict:
        while True:
            frame = await until(socket, "viewers", timeout=5)
            if frame["now"] == now:
                return frame

    async def run():
        host = staff_socket(live_event, staff)
        await connect(host)
        started = time.monotonic()
        crowd = [viewer_socket(live_event) for _ in range(12)]
        await connect(*crowd)
        frame = await until_count(host, 12)
        assert frame["peak"] == 12  # staff are not counted
        periods = (time.monotonic() - started) / settings.LIVE_PRESENCE_SECONDS
        writes = len(calls)
        for socket in crowd[:4]:
            await socket.disconnect()
        assert (await until_count(host, 8))["peak"] == 12
        for socket in [*crowd[4:], host]:
            await socket.disconnect()
        return writes, periods

    writes, periods = run_async(run)
    # Thirteen sockets arrived: one write per period (and the first soon after the first socket),
    # not one per join.
    assert writes <= periods + 2 and writes < 12
    assert calls[-1] == {live_event.pk: 0}  # the last socket gone: this process counts nobody
    event = LiveEvent.objects.get(pk=live_event.pk)
    assert (event.viewers_now, event.viewers_peak) == (0, 12)
    assert LivePresence.objects.filter(event=live_event).count() == 1


async def raw_frame(communicator) -> dict:
    """The next frame as sent (a batch left whole), the periodic viewer count skipped."""
    while True:
        frame = await communicator.receive_json_from(timeout=3)
        if frame.get("kind") != "viewers":
            return frame


def test_a_socket_that_falls_behind_gets_its_frames_in_one_batch(live_event):
    async def run():
        ann = viewer_socket(live_event)
        await connect(ann)
        room = presence.room_if_any(live_event.pk)
        for n in range(3):  # three frames before her writer runs once
            room.broadcast({"kind": "chat_hidden", "ids": [n]})
        frame = await raw_frame(ann)
        assert frame["kind"] == "batch"
        assert [f for f in frame["frames"] if f["kind"] != "viewers"] == [
            {"kind": "chat_hidden", "ids": [n]} for n in range(3)]  # fmt: skip
        room.broadcast({"kind": "chat_hidden", "ids": [9]})  # caught up: a plain frame again
        assert await raw_frame(ann) == {"kind": "chat_hidden", "ids": [9]}
        await ann.disconnect()

    run_async(run)

