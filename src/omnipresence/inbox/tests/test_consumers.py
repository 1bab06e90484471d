"""The staff inbox socket (ws/console/<slug>/inbox/) over the real ASGI application, in-memory layer."""

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client as HttpClient

from omnipresence.asgi import application
from omnipresence.conftest import make_staff
from omnipresence.inbox import consumers, realtime, services
from omnipresence.inbox.models import AgentStatus, Conversation, Message
from omnipresence.inbox.tests.conftest import post_inbound
from omnipresence.stores.access import actor_for_user
from omnipresence.stores.models import StaffMember

pytestmark = pytest.mark.django_db(transaction=True)  # events go out on commit: real commits


@pytest.fixture(autouse=True)
def fresh_layer():
    channel_layers.backends.clear()  # a new in-memory layer: no group left over from another test
    yield
    channel_layers.backends.clear()


def run_async(function):
    """An async test body in a thread of its own (a browser test in the same worker may leave an
    event loop running in the main thread, where async_to_sync refuses)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(async_to_sync(function)).result()


def _headers(user) -> list:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if user is not None:
        http = HttpClient()
        http.force_login(user)
        headers.append((b"cookie", f"sessionid={http.cookies['sessionid'].value}".encode()))
    return headers


def _socket(headers: list, slug="atelier-a") -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/console/{slug}/inbox/", headers=headers)


async def _frames(communicator, seconds: float = 0.3) -> list[dict]:
    """Every frame until `seconds` pass without one (receive_nothing waits without ending the
    application, which a receive that times out does)."""
    frames = []
    while not await communicator.receive_nothing(timeout=seconds):
        frames.append(await communicator.receive_json_from())
    return frames


async def _until(communicator, kind: str, timeout: float = 3) -> tuple[dict, list[dict]]:
    """The first frame of `kind` and the frames before it."""
    before = []
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame.get("kind") == kind:
            return frame, before
        before.append(frame)


def _kinds(frames) -> list[str]:
    return [f["kind"] for f in frames]


def test_anonymous_other_boutique_and_unknown_boutique_are_closed(world_a, world_b, associate_a, associate_b):
    attempts = [(_headers(None), "atelier-a"), (_headers(associate_b), "atelier-a"),
                (_headers(associate_a), "no-such-shop")]  # fmt: skip

    async def run():
        codes = []
        for headers, slug in attempts:
            communicator = _socket(headers, slug)
            codes.append(await communicator.connect())
        return codes

    assert run_async(run) == [(False, 4401), (False, 4403), (False, 4404)]
    assert not AgentStatus.objects.filter(user=associate_b).exists()  # refused: not seen as an agent


def test_connect_records_her_heartbeat(world_a, associate_a):
    alice_headers = _headers(associate_a)

    async def run():
        communicator = _socket(alice_headers)
        assert (await communicator.connect())[0]
        await communicator.disconnect()

    run_async(run)
    agent = AgentStatus.objects.get(user=associate_a)
    assert agent.boutique_id == world_a["boutique"].pk and agent.last_seen_at is not None


def test_message_event_only_after_commit(world_a, associate_a, sms, sibyl):
    def rolled_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            services.inbound_receive(
                inbox=sms, sender="+447911123456", body="never sent", provider_message_id="rb-1"
            )
            raise RuntimeError("the request failed after the message was written")

    alice_headers = _headers(associate_a)

    async def run():
        communicator = _socket(alice_headers)
        assert (await communicator.connect())[0]
        await _frames(communicator)  # whatever connecting announced
        await sync_to_async(rolled_back)()
        nothing = await _frames(communicator, 0.5)
        response = await sync_to_async(post_inbound)(sms, {"from": "+447911123456", "text": "Is the blue coat in M?",
                                                           "id": "wa-1"})  # fmt: skip
        message, _ = await _until(communicator, "message")
        rest = await _frames(communicator)
        await communicator.disconnect()
        return nothing, response, message, rest

    nothing, response, message, rest = run_async(run)
    assert nothing == []
    assert response.status_code == 200 and response.json()["result"] == "stored"
    stored = Message.objects.get()
    assert stored.body == "Is the blue coat in M?"
    assert message["message"]["id"] == stored.pk and message["message"]["body"] == "Is the blue coat in M?"
    assert (
        message["message"]["direction"] == "in"
        and message["message"]["conversation_id"] == stored.conversation_id
    )
    conversation_events = [f for f in rest if f["kind"] == "conversation"]
    assert conversation_events and conversation_events[-1]["conversation"]["unread"] == 1
    assert all(f["message"]["id"] == stored.pk for f in rest if f["kind"] == "message")


def test_events_of_another_boutique_never_reach_her(world_a, world_b, associate_a, associate_b, sms):
    boutique_b_inbox = services.inbox_create(
        actor=actor_for_user(make_staff(world_b, "bea", "manager"), world_b["boutique"]),
        kind="sms", name="B SMS", address="+33612345678",
    )  # fmt: skip

    alice_headers = _headers(associate_a)

    async def run():
        communicator = _socket(alice_headers)
        assert (await communicator.connect())[0]
        await _frames(communicator)
        await sync_to_async(post_inbound)(
            boutique_b_inbox, {"from": "+33611111111", "text": "Bonjour", "id": "b-1"}
        )
        frames = await _frames(communicator, 0.5)
        await communicator.disconnect()
        return frames

    assert run_async(run) == []
    assert Message.objects.get().boutique_id == world_b["boutique"].pk


def test_typing_goes_to_team_and_client_once_a_second_per_conversation(monkeypatch, world_a, associate_a, manager_a,
                                                                       sms, sibyl):  # fmt: skip
    monkeypatch.setattr(consumers, "TYPING_INTERVAL", 0.4)
    first, _ = services.inbound_receive(
        inbox=sms, sender="+447911123456", body="Hello", provider_message_id="t-1"
    )
    second, _ = services.inbound_receive(
        inbox=sms, sender="+447911123457", body="Hi", provider_message_id="t-2"
    )
    conversation_id, other_id = first.conversation_id, second.conversation_id

    alice_headers = _headers(associate_a)
    maria_headers = _headers(manager_a)

    async def run():
        layer = get_channel_layer()
        widget = await layer.new_channel()  # stands for the client's web chat widget
        await layer.group_add(realtime.conversation_group(conversation_id), widget)
        alice, maria = _socket(alice_headers), _socket(maria_headers)
        assert (await alice.connect())[0] and (await maria.connect())[0]
        await _frames(alice), await _frames(maria)
        for _ in range(3):  # she types fast: one event
            await alice.send_json_to({"type": "typing", "conversation_id": conversation_id})
        await alice.send_json_to({"type": "typing", "conversation_id": other_id})  # another thread: its own
        team_burst = await _frames(maria)
        client_burst = []
        while True:
            try:
                client_burst.append(await asyncio.wait_for(layer.receive(widget), 0.2))
            except TimeoutError:
                break
        await asyncio.sleep(0.45)
        await alice.send_json_to({"type": "typing", "conversation_id": conversation_id})  # still typing later
        later = await _frames(maria)
        own = await _frames(alice)
        await alice.disconnect(), await maria.disconnect()
        return team_burst, client_burst, later, own

    team_burst, client_burst, later, own = run_async(run)
    typing = {"kind": "typing", "who": "associate", "user_id": associate_a.pk}
    assert team_burst == [
        {**typing, "conversation_id": conversation_id},
        {**typing, "conversation_id": other_id},
    ]
    assert client_burst == [{"type": "inbox.event",
                             "event": {"kind": "typing", "conversation_id": conversation_id, "who": "associate"}}]  # fmt: skip
    assert later == [{**typing, "conversation_id": conversation_id}]
    # Her own socket hears her too (her screen ignores its own user_id), the same three events.
    assert own == team_burst + later


def test_typing_in_another_boutiques_conversation_is_refused(
    world_a, world_b, associate_a, associate_b, manager_a
):
    b_manager = actor_for_user(make_staff(world_b, "bea", "manager"), world_b["boutique"])
    inbox_b = services.inbox_create(actor=b_manager, kind="sms", name="B SMS", address="+33612345678")
    theirs, _ = services.inbound_receive(
        inbox=inbox_b, sender="+33611111111", body="Bonjour", provider_message_id="b"
    )

    alice_headers = _headers(associate_a)
    maria_headers = _headers(manager_a)

    async def run():
        layer = get_channel_layer()
        widget = await layer.new_channel()
        await layer.group_add(realtime.conversation_group(theirs.conversation_id), widget)
        alice, maria = _socket(alice_headers), _socket(maria_headers)
        assert (await alice.connect())[0] and (await maria.connect())[0]
        await _frames(alice), await _frames(maria)
        await alice.send_json_to({"type": "typing", "conversation_id": theirs.conversation_id})
        answer = await alice.receive_json_from(timeout=3)
        team = await _frames(maria)
        try:
            client = await asyncio.wait_for(layer.receive(widget), 0.3)
        except TimeoutError:
            client = None
        await alice.disconnect(), await maria.disconnect()
        return answer, team, client

    answer, team, client = run_async(run)
    assert answer["kind"] == "error" and answer["code"] == "conversation_not_found"
    assert team == [] and client is None


def test_read_zeroes_unread_and_tells_the_team(world_a, world_b, associate_a, manager_a, sms, sibyl):
    for i in range(2):
        services.inbound_receive(
            inbox=sms, sender="+447911123456", body=f"Hello {i}", provider_message_id=f"r-{i}"
        )
    conversation = Conversation.objects.get()
    assert conversation.unread == 2
    b_manager = actor_for_user(make_staff(world_b, "bea", "manager"), world_b["boutique"])
    inbox_b = services.inbox_create(actor=b_manager, kind="sms", name="B SMS", address="+33612345678")
    theirs, _ = services.inbound_receive(
        inbox=inbox_b, sender="+33611111111", body="Bonjour", provider_message_id="b"
    )

    alice_headers = _headers(associate_a)
    maria_headers = _headers(manager_a)

    async def run():
        alice, maria = _socket(alice_headers), _socket(maria_headers)
        assert (await alice.connect())[0] and (await maria.connect())[0]
        await _frames(alice), await _frames(maria)
        await alice.send_json_to({"type": "read", "conversation_id": conversation.pk})
        seen, _ = await _until(maria, "conversation")
        await _frames(alice)
        await alice.send_json_to({"type": "read", "conversation_id": theirs.conversation_id})
        refused = await alice.receive_json_from(timeout=3)
        await alice.disconnect(), await maria.disconnect()
        return seen, refused

    seen, refused = run_async(run)
    assert seen["conversation"]["id"] == conversation.pk and seen["conversation"]["unread"] == 0
    assert Conversation.objects.get(pk=conversation.pk).unread == 0
    assert refused["kind"] == "error" and refused["code"] == "conversation_not_found"
    assert Conversation.objects.get(pk=theirs.conversation_id).unread == 1  # nothing changed over there


def test_bad_frames_get_error_frames_and_the_socket_stays_open(world_a, associate_a):
    alice_headers = _headers(associate_a)

    async def run():
        communicator = _socket(alice_headers)
        assert (await communicator.connect())[0]
        await _frames(communicator)
        answers = []
        for frame in ["not json", "[1, 2]", "42", json.dumps({"type": "dance"}), json.dumps({"no": "type"}),
                      json.dumps({"type": "typing", "conversation_id": "5"}),
                      json.dumps({"type": "typing", "conversation_id": True}),
                      json.dumps({"type": "read"}), json.dumps({"type": "read", "conversation_id": -3}),
                      json.dumps({"type": "read", "conversation_id": 10**30}),
                      json.dumps({"type": "read", "conversation_id": 99999}),
                      json.dumps({"type": "typing", "x": "y" * 5000})]:  # fmt: skip
            await communicator.send_to(text_data=frame)
            answers.append(await communicator.receive_json_from(timeout=3))
        await communicator.send_to(bytes_data=b"\x00\x01")
        answers.append(await communicator.receive_json_from(timeout=3))
        await communicator.send_json_to({"type": "ping"})
        pong = await communicator.receive_json_from(timeout=3)
        await communicator.disconnect()
        return answers, pong

    answers, pong = run_async(run)
    assert [a["kind"] for a in answers] == ["error"] * 13
    assert [a["code"] for a in answers] == [
        "invalid_json", "invalid_frame", "invalid_frame", "unknown_type", "unknown_type",
        "invalid_conversation_id", "invalid_conversation_id", "invalid_conversation_id", "invalid_conversation_id",
        "invalid_conversation_id", "conversation_not_found", "frame_too_large", "invalid_frame",
    ]  # fmt: skip
    assert all(isinstance(a["message"], str) and a["message"] for a in answers)
    assert pong == {"kind": "pong"}


def test_ping_is_her_heartbeat_and_ends_when_she_leaves_the_staff(monkeypatch, world_a, associate_a):
    monkeypatch.setattr(consumers, "PING_INTERVAL", 0)

    alice_headers = _headers(associate_a)

    async def run():
        communicator = _socket(alice_headers)
        assert (await communicator.connect())[0]
        await _frames(communicator)
        first = await sync_to_async(lambda: AgentStatus.objects.get(user=associate_a).last_seen_at)()
        await asyncio.sleep(0.01)
        await communicator.send_json_to({"type": "ping"})
        pong, _ = await _until(communicator, "pong")
        second = await sync_to_async(lambda: AgentStatus.objects.get(user=associate_a).last_seen_at)()
        await sync_to_async(lambda: StaffMember.objects.filter(user=associate_a).update(is_active=False))()
        await communicator.send_json_to({"type": "ping"})
        closed = await communicator.receive_output(timeout=3)
        return first, pong, second, closed

    first, pong, second, closed = run_async(run)
    assert pong == {"kind": "pong"} and second > first
    assert closed == {"type": "websocket.close", "code": 4403}
