"""The web chat: visitor identity, merges, floods (inbox.webchat), its socket over the real ASGI
application with the in-memory layer (inbox.widget_consumer), and its pages (inbox.widget_views)."""

import asyncio
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client as HttpClient
from django.utils import timezone

from omnipresence.asgi import application
from omnipresence.clients import services as clients
from omnipresence.clients.models import Client, ConsentEvent, Identity, MergeRecord, TimelineEvent
from omnipresence.core.errors import InvalidInput
from omnipresence.inbox import realtime, services, webchat
from omnipresence.inbox.models import Conversation, Inbox, LocalDelivery, Message
from omnipresence.stores.access import actor_for_user
from omnipresence.stores.models import Boutique

pytestmark = pytest.mark.django_db(transaction=True)  # events go out on commit: real commits


@pytest.fixture(autouse=True)
def fresh_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()  # a new in-memory layer: no group left over from another test
    yield
    channel_layers.backends.clear()


@pytest.fixture
def chat(manager_actor) -> Inbox:
    return services.inbox_create(actor=manager_actor, kind="webchat", name="Web chat")


@pytest.fixture
def visitor() -> str:
    return webchat.visitor_id_new()


def say(inbox, visitor_id, text="Is the blue coat still there in an M?", message_uuid=None):
    return webchat.webchat_message_receive(inbox=inbox, visitor_id=visitor_id, text=text,
                                           message_uuid=message_uuid or str(uuid.uuid4()))  # fmt: skip


def session_client(inbox, visitor_id) -> Client:
    return Identity.objects.get(kind="web_session", value=webchat.visitor_session(visitor_id)).client


def run_async(function):
    """An async test body in a thread of its own (a browser test in the same worker may leave an
    event loop running in the main thread, where async_to_sync refuses)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(async_to_sync(function)).result()


HEADERS = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


def widget_socket(key, headers=HEADERS) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/chat/{key}/", headers=headers)


async def hello(communicator, visitor_id=None) -> dict:
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "hello", "visitor": visitor_id})
    frame = await communicator.receive_json_from(timeout=3)
    assert frame["kind"] == "hello"
    return frame


async def until(communicator, kind: str, timeout: float = 3) -> dict:
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame.get("kind") == kind:
            return frame


# --- identity and conversation ---------------------------------------------------------------------


def test_a_web_chat_inbox_gets_a_public_key_other_kinds_none(chat, sms, manager_actor):
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", chat.public_key)
    assert sms.public_key == ""
    other = services.inbox_create(actor=manager_actor, kind="webchat", name="Second site", address="lookbook")
    assert other.public_key != chat.public_key
    assert webchat.webchat_inbox(key=chat.public_key) == chat


def test_managers_create_a_web_chat_through_the_api_and_get_its_key(world_a, manager_a):
    http = HttpClient()
    http.force_login(manager_a)
    created = http.post("/api/v1/boutiques/atelier-a/inboxes", {"kind": "webchat", "name": "Lookbook site"},
                        content_type="application/json")  # fmt: skip
    assert created.status_code == 201
    key = created.json()["public_key"]
    assert key == Inbox.objects.get(kind="webchat").public_key and len(key) == 22
    listed = http.get("/api/v1/boutiques/atelier-a/inboxes").json()
    assert [(i["kind"], i["public_key"]) for i in listed] == [("webchat", key)]


def test_visitor_ids_are_128_random_bits_and_only_their_hash_is_stored(chat):
    ids = {webchat.visitor_id_new() for _ in range(50)}
    assert len(ids) == 50 and all(re.fullmatch(r"[0-9a-f]{32}", v) for v in ids)
    visitor_id = ids.pop()
    message, created = say(chat, visitor_id)
    session = webchat.visitor_session(visitor_id)
    assert created and message.conversation.contact == session != visitor_id
    assert not Identity.objects.filter(value=visitor_id).exists()
    with pytest.raises(InvalidInput) as error:
        webchat.visitor_session("not-a-visitor")
    assert error.value.code == "invalid_visitor"


def test_her_first_message_makes_an_anonymous_client_and_a_conversation(chat, visitor):
    message, created = say(chat, visitor, text="Hello, do you ship to Paris?")
    assert created
    conversation = message.conversation
    client = session_client(chat, visitor)
    assert (conversation.inbox_id, conversation.client_id, conversation.status) == (chat.pk, client.pk, "open")
    assert client.display_name == "" and [i.kind for i in client.identities.all()] == ["web_session"]
    assert (message.direction, message.body, message.status) == ("in", "Hello, do you ship to Paris?", "received")
    assert ConsentEvent.objects.count() == 0  # chatting is not agreeing to marketing
    again, created = say(chat, visitor, text="And to Lyon?")
    assert created and again.conversation_id == conversation.pk and Client.objects.count() == 1


def test_a_resend_with_the_same_uuid_is_stored_once(chat, visitor):
    message_uuid = str(uuid.uuid4())
    first, created = say(chat, visitor, text="Hi!", message_uuid=message_uuid)
    second, created_again = say(chat, visitor, text="Hi!", message_uuid=message_uuid)
    assert (created, created_again, second.pk) == (True, False, first.pk)
    assert Message.objects.count() == 1 and Conversation.objects.get().unread == 1
    # Another visitor cannot name her message by reusing its uuid: ids are scoped by visitor.
    other, created_other = say(chat, webchat.visitor_id_new(), text="Hi!", message_uuid=message_uuid)
    assert created_other and other.pk != first.pk and other.conversation_id != first.conversation_id


def test_identify_with_a_new_email_adds_it_to_her_without_consent(chat, visitor):
    say(chat, visitor)
    client = webchat.webchat_identify(inbox=chat, visitor_id=visitor, email="  Ada@Example.com ")
    assert client == session_client(chat, visitor)
    assert sorted(client.identities.values_list("kind", "value")) == [
        ("email", "ada@example.com"), ("web_session", webchat.visitor_session(visitor)),
    ]  # fmt: skip
    assert Conversation.objects.get().client_id == client.pk and MergeRecord.objects.count() == 0
    assert ConsentEvent.objects.count() == 0
    assert webchat.webchat_history(inbox=chat, visitor_id=visitor)["identified"] is True


def test_identify_with_an_existing_clients_email_moves_the_conversation_and_merges(chat, visitor, world_a):
    boutique = world_a["boutique"]
    sibyl = clients.client_resolve(boutique=boutique, email="sibyl@example.com", name="Sibyl Vane")
    message, _ = say(chat, visitor)
    anonymous = message.conversation.client
    assert anonymous != sibyl

    client = webchat.webchat_identify(inbox=chat, visitor_id=visitor, email="SIBYL@example.com")

    assert client == sibyl
    conversation = Conversation.objects.get()
    assert conversation.client_id == sibyl.pk
    anonymous.refresh_from_db()
    assert anonymous.merged_into_id == sibyl.pk
    record = MergeRecord.objects.get()
    assert (record.survivor_id, record.merged_id) == (sibyl.pk, anonymous.pk)
    assert session_client(chat, visitor) == sibyl  # this browser is Sibyl's now
    assert ConsentEvent.objects.count() == 0
    # Her next message continues the same conversation, on Sibyl's profile.
    follow_up, _ = say(chat, visitor, text="It's me, Sibyl")
    assert follow_up.conversation_id == conversation.pk and Conversation.objects.count() == 1


def test_identify_keeps_apart_a_client_with_more_than_this_chat(chat, visitor, world_a):
    """The anonymous client has a verified email of her own (another person's profile, or a shared
    browser): never merged with a client who has a different verified email — only the
    conversation and the browser session move."""
    boutique = world_a["boutique"]
    sibyl = clients.client_resolve(boutique=boutique, email="sibyl@example.com", verified_kind="email")
    message, _ = say(chat, visitor)
    anonymous = message.conversation.client
    clients.client_identify(boutique=boutique, email="dorian@example.com", verified_kind="email",
                            handles={"web_session": webchat.visitor_session(visitor)})  # fmt: skip

    webchat.webchat_identify(inbox=chat, visitor_id=visitor, email="sibyl@example.com")

    anonymous.refresh_from_db()
    assert anonymous.merged_into_id is None and MergeRecord.objects.count() == 0
    assert list(anonymous.identities.values_list("kind", "value", "verified")) == [
        ("email", "dorian@example.com", True)
    ]
    assert Conversation.objects.get().client_id == sibyl.pk
    assert TimelineEvent.objects.get(ref_kind="message", ref_id=message.pk).client_id == sibyl.pk
    assert session_client(chat, visitor) == sibyl
    follow_up, _ = say(chat, visitor, text="Still me")
    assert follow_up.conversation.client_id == sibyl.pk and Conversation.objects.count() == 1


def test_identify_before_her_first_message_makes_her_known_from_the_start(chat, visitor):
    client = webchat.webchat_identify(inbox=chat, visitor_id=visitor, email="ada@example.com")
    message, _ = say(chat, visitor)
    assert message.conversation.client_id == client.pk and Client.objects.count() == 1
    assert webchat.webchat_history(inbox=chat, visitor_id=visitor)["identified"] is True


def test_history_makes_a_bounded_number_of_queries(chat, visitor, django_assert_max_num_queries):
    earlier = timezone.now() - timedelta(minutes=20)
    for index in range(12):
        services.inbound_receive(inbox=chat, sender=f"web_session:{webchat.visitor_session(visitor)}",
                                 body=f"m{index}", provider_message_id=f"q-{index}", received_at=earlier)  # fmt: skip
    with django_assert_max_num_queries(6):
        assert len(webchat.webchat_history(inbox=chat, visitor_id=visitor)["messages"]) == 12


def test_identify_with_a_phone_normalises_it_in_the_boutiques_country(chat, visitor, sibyl):
    say(chat, visitor)
    client = webchat.webchat_identify(inbox=chat, visitor_id=visitor, phone="07911 123456")
    assert client == sibyl and Conversation.objects.get().client_id == sibyl.pk


@pytest.mark.parametrize(
    ("given", "code"),
    [({"email": "ada@"}, "invalid_email"), ({"phone": "12"}, "invalid_phone"), ({}, "identifier_required"),
     ({"email": "a@example.com", "phone": "+447911123456"}, "identifier_required"),
     ({"email": ["a@example.com"]}, "identifier_required")],
)  # fmt: skip
def test_identify_with_a_malformed_identifier_changes_nothing(chat, visitor, given, code):
    say(chat, visitor)
    before = sorted(Identity.objects.values_list("kind", "value", "client_id"))
    with pytest.raises(InvalidInput) as error:
        webchat.webchat_identify(inbox=chat, visitor_id=visitor, **given)
    assert error.value.code == code
    assert sorted(Identity.objects.values_list("kind", "value", "client_id")) == before
    assert Client.objects.count() == 1 and MergeRecord.objects.count() == 0


def test_a_flood_is_refused_and_nothing_is_stored(chat, visitor):
    for index in range(10):
        say(chat, visitor, text=f"message {index}")
    with pytest.raises(webchat.RateLimited) as error:
        say(chat, visitor, text="one too many")
    assert (error.value.code, error.value.status, error.value.details) == (
        "rate_limited", 429, {"limit": 10, "seconds": 10},
    )  # fmt: skip
    assert Message.objects.count() == 10 and not Message.objects.filter(body="one too many").exists()
    # A resend of a message already stored is no new message: it is answered, not refused.
    first = Message.objects.order_by("pk").first()
    key = first.provider_message_id.rsplit(":", 1)[1]
    assert say(chat, visitor, text="message 0", message_uuid=key) == (first, False)
    # Another visitor is not slowed down by her.
    assert say(chat, webchat.visitor_id_new())[1] is True


def test_sixty_messages_in_ten_minutes_is_the_longer_limit(chat, visitor):
    session = webchat.visitor_session(visitor)
    earlier = timezone.now() - timedelta(minutes=5)
    for index in range(60):
        services.inbound_receive(inbox=chat, sender=f"web_session:{session}", body=f"m{index}",
                                 provider_message_id=f"old-{index}", received_at=earlier)  # fmt: skip
    with pytest.raises(webchat.RateLimited) as error:
        say(chat, visitor)
    assert error.value.details == {"limit": 60, "seconds": 600}
    assert Message.objects.count() == 60


def test_messages_over_4000_characters_are_refused(chat, visitor):
    with pytest.raises(InvalidInput) as error:
        say(chat, visitor, text="x" * 4001)
    assert error.value.code == "message_too_long" and Message.objects.count() == 0


def test_history_is_her_last_50_messages_in_order_with_read_marks(chat, visitor, associate_actor):
    earlier = timezone.now() - timedelta(minutes=20)  # outside the rate limit's windows
    for index in range(53):
        services.inbound_receive(inbox=chat, sender=f"web_session:{webchat.visitor_session(visitor)}",
                                 body=f"m{index}", provider_message_id=f"h-{index}",
                                 received_at=earlier + timedelta(seconds=index))  # fmt: skip
    conversation = Conversation.objects.get()
    services.conversation_read(actor=associate_actor, conversation=conversation)
    say(chat, visitor, text="and one more")
    history = webchat.webchat_history(inbox=chat, visitor_id=visitor)
    bodies = [m["body"] for m in history["messages"]]
    assert len(bodies) == 50 and bodies[0] == "m4" and bodies[-1] == "and one more"
    assert [m["seen"] for m in history["messages"][-2:]] == [True, False]
    assert history["conversation_id"] == conversation.pk and history["identified"] is False
    assert "purpose" not in history["messages"][0] and "author_id" not in history["messages"][0]
    # Someone else's visitor id sees nothing of hers.
    assert webchat.webchat_history(inbox=chat, visitor_id=webchat.visitor_id_new())["messages"] == []


@pytest.mark.postgres_only
def test_a_burst_from_many_sockets_cannot_slip_past_the_limit(chat, visitor):
    from omnipresence.orders.tests.test_concurrency import run_clients

    def send(index):
        try:
            return say(chat, visitor, text=f"burst {index}")[1]
        except webchat.RateLimited:
            return "limited"

    results, escaped = run_clients(16, send)
    assert escaped == []
    assert results.count(True) == 10 and results.count("limited") == 6
    assert Message.objects.count() == 10 and Conversation.objects.count() == 1 and Client.objects.count() == 1


# --- the socket ------------------------------------------------------------------------------------


def test_unknown_or_switched_off_key_is_closed(chat):
    async def run():
        codes = []
        for key in ("no-such-key-00000000", "short", chat.public_key):
            communicator = widget_socket(key)
            connected, code = await communicator.connect()
            codes.append((connected, code))
            await communicator.disconnect()
        return codes

    Inbox.objects.filter(pk=chat.pk).update(active=False)
    assert run_async(run) == [(False, 4404), (False, 4404), (False, 4404)]


def test_a_socket_from_another_sites_page_is_refused(chat):
    """The embed frames our own page, so only our origin needs the socket (asgi.py's
    AllowedHostsOriginValidator)."""

    async def run():
        communicator = widget_socket(chat.public_key, headers=[(b"origin", b"https://evil.example"),
                                                               (b"host", b"testserver")])  # fmt: skip
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected

    assert run_async(run) is False


def test_first_message_over_the_socket_makes_the_client_and_a_resend_is_stored_once(chat):
    message_uuid = str(uuid.uuid4())

    async def run():
        communicator = widget_socket(chat.public_key)
        greeting = await hello(communicator)
        await communicator.send_json_to({"type": "message", "text": "Do you have it in a 38?", "uuid": message_uuid})
        first = await until(communicator, "ack")
        await communicator.send_json_to({"type": "message", "text": "Do you have it in a 38?", "uuid": message_uuid})
        second = await until(communicator, "ack")
        echoed = await communicator.receive_nothing(timeout=0.2)
        await communicator.disconnect()
        return greeting, first, second, echoed

    greeting, first, second, _ = run_async(run)
    assert re.fullmatch(r"[0-9a-f]{32}", greeting["visitor"])
    assert (greeting["conversation_id"], greeting["messages"], greeting["identified"]) == (None, [], False)
    message = Message.objects.get()
    assert (first["uuid"], first["created"], first["message"]["id"]) == (message_uuid, True, message.pk)
    assert (second["created"], second["message"]["id"]) == (False, message.pk)
    assert first["message"]["body"] == "Do you have it in a 38?" and first["message"]["seen"] is False
    assert message.conversation.contact == webchat.visitor_session(greeting["visitor"])
    assert session_client(chat, greeting["visitor"]).display_name == ""


def test_a_returning_visitor_gets_her_history_and_hears_the_associate_live(chat, visitor, associate_actor):
    associate_actor.user.first_name = "Alice"
    associate_actor.user.save(update_fields=["first_name"])
    message, _ = say(chat, visitor, text="<b>hi</b><script>alert(1)</script>")
    conversation = message.conversation

    async def run():
        communicator = widget_socket(chat.public_key)
        greeting = await hello(communicator, visitor)
        answer = await sync_to_async(services.message_send)(actor=associate_actor, conversation=conversation,
                                                            body="Yes, one M left!")  # fmt: skip
        heard = await until(communicator, "message")
        status = await until(communicator, "message_status")
        await sync_to_async(services.conversation_read)(actor=associate_actor, conversation=conversation)
        read = await until(communicator, "read")
        await communicator.disconnect()
        return greeting, answer, heard, status, read

    greeting, answer, heard, status, read = run_async(run)
    assert greeting["visitor"] == visitor and greeting["conversation_id"] == conversation.pk
    assert [m["body"] for m in greeting["messages"]] == ["<b>hi</b><script>alert(1)</script>"]  # data, not HTML
    assert heard["message"]["id"] == answer.pk and heard["message"]["direction"] == "out"
    assert heard["message"]["body"] == "Yes, one M left!" and "author_id" not in heard["message"]
    assert heard["message"]["author"] == "Alice"  # her first name, not her login name
    assert greeting["messages"][0]["author"] == ""  # not the hash of her visitor id
    assert (status["message_id"], status["status"]) == (answer.pk, "sent")
    assert read == {"kind": "read", "conversation_id": conversation.pk}
    # The local provider "delivered" it to her web session: the outbox went through.
    assert LocalDelivery.objects.get().to == conversation.contact


def test_her_typing_reaches_the_team_and_the_associates_typing_reaches_her(chat, visitor, world_a):
    message, _ = say(chat, visitor)
    conversation = message.conversation

    async def run():
        layer = get_channel_layer()
        team = await layer.new_channel()
        await layer.group_add(realtime.team_group(world_a["boutique"].pk), team)
        communicator = widget_socket(chat.public_key)
        await hello(communicator, visitor)
        await communicator.send_json_to({"type": "typing"})
        await communicator.send_json_to({"type": "typing"})  # within 2 s: not passed on again
        first = await asyncio.wait_for(layer.receive(team), 3)
        try:
            second = await asyncio.wait_for(layer.receive(team), 0.3)
        except TimeoutError:
            second = None
        await layer.group_send(realtime.conversation_group(conversation.pk), {
            "type": "inbox.event", "event": {"kind": "typing", "conversation_id": conversation.pk, "who": "associate"},
        })  # fmt: skip
        heard = await until(communicator, "typing")
        await layer.group_send(realtime.conversation_group(conversation.pk), {
            "type": "inbox.event", "event": {"kind": "conversation", "conversation": {"id": conversation.pk}},
        })  # fmt: skip
        internal = await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        return first, second, heard, internal

    first, second, heard, internal = run_async(run)
    assert first["event"] == {"kind": "typing", "who": "client", "conversation_id": conversation.pk}
    assert second is None
    assert heard["who"] == "associate"
    assert internal is True  # events other than the client's kinds are not forwarded


def test_identify_over_the_socket(chat, visitor, world_a):
    sibyl = clients.client_resolve(boutique=world_a["boutique"], email="sibyl@example.com")
    say(chat, visitor)

    async def run():
        communicator = widget_socket(chat.public_key)
        await hello(communicator, visitor)
        await communicator.send_json_to({"type": "identify", "email": "sibyl@"})
        bad = await communicator.receive_json_from(timeout=3)
        await communicator.send_json_to({"type": "identify", "email": "sibyl@example.com"})
        good = await communicator.receive_json_from(timeout=3)
        await communicator.disconnect()
        return bad, good

    bad, good = run_async(run)
    assert (bad["kind"], bad["code"]) == ("error", "invalid_email")
    assert good == {"kind": "identified", "channel": "email"}  # the same answer whoever owns the email
    assert Conversation.objects.get().client_id == sibyl.pk


def test_bad_frames_get_error_frames_and_the_socket_stays_open(chat):
    async def run():
        communicator = widget_socket(chat.public_key)
        connected, _ = await communicator.connect()
        assert connected
        answers = []
        await communicator.send_json_to({"type": "message", "text": "hi", "uuid": str(uuid.uuid4())})
        answers.append(await communicator.receive_json_from(timeout=3))
        for frame in ("not json", "[1, 2]", '{"type": 7}', '{"type": "dance"}', "x" * 20000):
            await communicator.send_to(text_data=frame)
            answers.append(await communicator.receive_json_from(timeout=3))
        await communicator.send_to(bytes_data=b"\x00\x01")
        answers.append(await communicator.receive_json_from(timeout=3))
        greeting = await hello_again(communicator, "not-a-valid-id")
        for frame in (
            {"type": "message", "text": "no uuid"},
            {"type": "message", "text": "", "uuid": str(uuid.uuid4())},
            {"type": "message", "text": ["a"], "uuid": str(uuid.uuid4())},
            {"type": "hello", "visitor": None},
        ):
            await communicator.send_json_to(frame)
            answers.append(await communicator.receive_json_from(timeout=3))
        await communicator.send_json_to({"type": "message", "text": "finally", "uuid": str(uuid.uuid4())})
        ack = await until(communicator, "ack")
        await communicator.disconnect()
        return answers, greeting, ack

    answers, greeting, ack = run_async(run)
    assert [(a["kind"], a["code"]) for a in answers] == [
        ("error", "hello_first"), ("error", "invalid_frame"), ("error", "invalid_frame"), ("error", "invalid_frame"),
        ("error", "unknown_type"), ("error", "invalid_frame"), ("error", "invalid_frame"),
        ("error", "invalid_message_id"), ("error", "empty_message"), ("error", "empty_message"),
        ("error", "already_said_hello"),
    ]  # fmt: skip
    assert re.fullmatch(r"[0-9a-f]{32}", greeting["visitor"])  # a malformed id gets a new one
    assert ack["message"]["body"] == "finally" and Message.objects.count() == 1


async def hello_again(communicator, visitor_id) -> dict:
    await communicator.send_json_to({"type": "hello", "visitor": visitor_id})
    return await until(communicator, "hello")


def test_a_flood_over_the_socket_is_answered_rate_limited_and_not_stored(chat):
    async def run():
        communicator = widget_socket(chat.public_key)
        await hello(communicator)
        frames = []
        for index in range(12):
            await communicator.send_json_to({"type": "message", "text": f"spam {index}", "uuid": str(uuid.uuid4())})
            frame = await communicator.receive_json_from(timeout=3)
            while frame["kind"] == "message":  # her own message, heard back from the conversation
                frame = await communicator.receive_json_from(timeout=3)
            frames.append(frame)
        await communicator.disconnect()
        return frames

    frames = run_async(run)
    assert [f["kind"] for f in frames[:10]] == ["ack"] * 10
    assert [(f["kind"], f["code"]) for f in frames[10:]] == [("error", "rate_limited")] * 2
    assert frames[10]["uuid"] and Message.objects.count() == 10


# --- the pages -------------------------------------------------------------------------------------


def test_the_widget_page_can_be_framed_and_renders_escaped(chat, world_a):
    Boutique.objects.filter(pk=world_a["boutique"].pk).update(name="A</title><b>x</b>")
    response = HttpClient().get(f"/chat/{chat.public_key}/")
    assert response.status_code == 200 and response["Content-Type"] == "text/html; charset=utf-8"
    assert "X-Frame-Options" not in response
    html = response.content.decode()
    assert "A&lt;/title&gt;&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert 'role="log"' in html and 'aria-live="polite"' in html and '<label for="chat-text"' in html
    assert f'"socket": "/ws/chat/{chat.public_key}/"' in html
    # The widget draws every text with textContent, never as HTML.
    from django.contrib.staticfiles import finders

    script = open(finders.find("inbox/widget.js")).read()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "textContent" in script


def test_the_embed_script_and_the_frame_headers(chat, world_a):
    Boutique.objects.filter(pk=world_a["boutique"].pk).update(name="Shop</script><script>x")
    response = HttpClient().get(f"/chat/{chat.public_key}/embed.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["X-Frame-Options"] == "DENY"  # only the widget page is exempt
    assert response["X-Content-Type-Options"] == "nosniff"
    script = response.content.decode()
    assert f'"path": "/chat/{chat.public_key}/"' in script
    assert "</script>" not in script and "Shop\\u003C/script\\u003E" in script
    assert "innerHTML" not in script
    assert HttpClient().post(f"/chat/{chat.public_key}/embed.js").status_code == 405
    assert HttpClient().get("/api/v1/boutiques/atelier-a/inboxes")["X-Frame-Options"] == "DENY"


def test_unknown_or_switched_off_keys_are_404(chat):
    http = HttpClient()
    for path in ("/chat/no-such-key-00000000/", "/chat/no-such-key-00000000/embed.js"):
        assert http.get(path).status_code == 404
    Inbox.objects.filter(pk=chat.pk).update(active=False)
    assert http.get(f"/chat/{chat.public_key}/").status_code == 404
    assert http.get(f"/chat/{chat.public_key}/embed.js").status_code == 404


def test_the_storefront_shows_the_launcher_only_with_an_active_web_chat(world_a, manager_a):
    http = HttpClient()
    assert "embed.js" not in http.get("/atelier-a/").content.decode()
    chat = services.inbox_create(actor=actor_for_user(manager_a, world_a["boutique"]), kind="webchat", name="Chat")
    page = http.get("/atelier-a/").content.decode()
    assert f'<script src="/chat/{chat.public_key}/embed.js" async></script>' in page
    Inbox.objects.filter(pk=chat.pk).update(active=False)
    assert "embed.js" not in http.get("/atelier-a/").content.decode()


def test_the_demo_gives_each_boutique_a_web_chat(world_a, manager_a):
    from omnipresence.inbox.demo import seed_inbox

    seed_inbox(world_a["boutique"], log=lambda *_: None)
    chat = Inbox.objects.get(boutique=world_a["boutique"], kind="webchat")
    assert chat.active and len(chat.public_key) == 22 and chat.team_location == world_a["shop"]


def test_only_an_unverified_web_session_is_ever_handed_to_another_client(world_a, sibyl):
    boutique = world_a["boutique"]
    other = clients.client_resolve(boutique=boutique, handles={"web_session": "a" * 32}, verified_kind="web_session")
    with pytest.raises(InvalidInput) as error:
        clients.identity_transfer(boutique=boutique, kind="phone", value="+447911123456", to_client=other,
                                  actor_label="test")  # fmt: skip
    assert error.value.code == "invalid_identity_kind"
    moved = clients.identity_transfer(boutique=boutique, kind="web_session", value="a" * 32, to_client=sibyl,
                                      actor_label="test")  # fmt: skip
    assert moved is False and Identity.objects.get(kind="web_session").client_id == other.pk
