"""The WhatsApp Cloud API adapter against a local fake of the Graph API: the subscription handshake,
signed webhooks stored once, answers in the Cloud API's format through the outbox (retries,
failures), receipts moving forward only, templates outside the 24-hour window."""

import json
import time
from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from omnipresence.clients.models import Client
from omnipresence.core.errors import InvalidInput
from omnipresence.inbox import realtime, services
from omnipresence.inbox.errors import WindowClosed
from omnipresence.inbox.models import Conversation, Inbox, Message, OutboxItem
from omnipresence.inbox.tests.fake_providers import graph_error, hub_signature, providers_running

BASE = "/api/v1/boutiques/atelier-a"
NUMBER_ID = "106540352242922"
TOKEN = "EAAGwa-system-user-token"
SECRET = "wa-app-secret"
VERIFY = "verify-me-please"
CONFIG = {"phone_number_id": NUMBER_ID, "access_token": TOKEN, "app_secret": SECRET, "verify_token": VERIFY}


@pytest.fixture
def fake(settings):
    yield from providers_running(settings)


@pytest.fixture
def wa(manager_actor, fake):
    fake.whatsapp_numbers[NUMBER_ID] = TOKEN
    return services.inbox_create(actor=manager_actor, kind="whatsapp", name="WhatsApp", address="+447700900010",
                                 provider="whatsapp_cloud", config=CONFIG)  # fmt: skip


def staff(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def text_message(wamid: str, body: str, *, sender="447911123456", at: int | None = None) -> dict:
    return {"from": sender, "id": wamid, "timestamp": str(at or int(time.time())), "type": "text",
            "text": {"body": body}}  # fmt: skip


def event(*, messages=(), statuses=(), contacts=(), number_id=NUMBER_ID) -> dict:
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "447700900010", "phone_number_id": number_id}}  # fmt: skip
    if messages:
        value["messages"] = list(messages)
        value["contacts"] = list(contacts) or [{"profile": {"name": "Sibyl Vane"}, "wa_id": "447911123456"}]
    if statuses:
        value["statuses"] = list(statuses)
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}]}  # fmt: skip


def status(wamid: str, state: str, **extra) -> dict:
    return {"id": wamid, "status": state, "timestamp": str(int(time.time())), "recipient_id": "447911123456",
            **extra}  # fmt: skip


def post(inbox_id: int, body, *, signature: str | None = None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    header = hub_signature(SECRET, raw) if signature is None else signature
    return HttpClient().post(f"/api/v1/webhooks/whatsapp/{inbox_id}", raw, content_type="application/json",
                             headers={"X-Hub-Signature-256": header})  # fmt: skip


def due_now(message: Message) -> None:
    """The backoff has passed (the sweep would deliver it now)."""
    OutboxItem.objects.filter(message=message).update(next_attempt_at=timezone.now())


# --- the handshake -------------------------------------------------------------------------------


def test_the_handshake_answers_the_challenge_only_with_the_verify_token(wa):
    url = f"/api/v1/webhooks/whatsapp/{wa.pk}"
    right = HttpClient().get(url, {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"})
    wrong = HttpClient().get(url, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"})
    not_subscribe = HttpClient().get(url, {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY, "hub.challenge": "1"})
    unknown = HttpClient().get(f"/api/v1/webhooks/whatsapp/{wa.pk + 999}",
                               {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1"})  # fmt: skip
    assert (right.status_code, right.content, right["Content-Type"]) == (200, b"1158201444", "text/plain; charset=utf-8")
    for refused in (wrong, not_subscribe, unknown):
        assert (refused.status_code, refused.json()["code"]) == (403, "verification_failed")


# --- inbound -------------------------------------------------------------------------------------


def test_a_signed_message_is_stored_once_on_her_record(wa, sibyl, associate_a):
    at = int(time.time()) - 60
    body = event(messages=[text_message("wamid.HBgM1", "Is the blue coat in a 38?", at=at)])
    first = post(wa.pk, body)
    again = post(wa.pk, body)  # Meta delivers again when our answer was slow
    assert first.status_code == 200, first.content
    assert (first.json()["stored"], first.json()["duplicate"]) == (1, 0)
    assert (again.json()["stored"], again.json()["duplicate"]) == (0, 1)
    message = Message.objects.get()
    assert (message.body, message.provider_message_id, message.direction) == (
        "Is the blue coat in a 38?", "wamid.HBgM1", "in"
    )  # fmt: skip
    conversation = message.conversation
    assert (conversation.client_id, conversation.contact, conversation.inbox_id) == (sibyl.pk, "+447911123456", wa.pk)
    assert conversation.assignee_id == associate_a.pk
    assert conversation.last_inbound_at.timestamp() == at  # her time, which opens the 24-hour window


def test_an_unknown_number_becomes_a_client_named_by_her_profile(wa):
    post(wa.pk, event(messages=[text_message("wamid.new", "Hello", sender="447911123499")],
                      contacts=[{"profile": {"name": "Dorian Gray"}, "wa_id": "447911123499"}]))  # fmt: skip
    client = Client.objects.get(display_name="Dorian Gray")
    assert [(i.kind, i.value) for i in client.identities.all()] == [("whatsapp", "+447911123499")]


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, hub_signature("another-secret", b"{}"), "garbage"])
def test_a_missing_or_wrong_signature_is_401_and_stores_nothing(wa, signature):
    response = post(wa.pk, event(messages=[text_message("wamid.x", "Hi")]), signature=signature)
    assert (response.status_code, response.json()["code"]) == (401, "invalid_signature")
    assert not Message.objects.exists() and not Client.objects.exists()


def test_a_tampered_body_fails_its_signature(wa):
    signed = json.dumps(event(messages=[text_message("wamid.x", "Hi")])).encode()
    tampered = signed.replace(b"Hi", b"Yo")
    response = post(wa.pk, tampered, signature=hub_signature(SECRET, signed))
    assert response.status_code == 401 and not Message.objects.exists()


def test_an_unknown_inbox_or_another_providers_inbox_is_401(wa, sms):
    body = event(messages=[text_message("wamid.x", "Hi")])
    assert post(wa.pk + 999, body).json()["code"] == "invalid_signature"
    assert post(sms.pk, body).status_code == 401  # a local-provider inbox takes no Meta webhooks
    assert not Message.objects.exists()


def test_a_body_that_is_not_a_json_object_is_400(wa):
    not_json = post(wa.pk, b"{not json")
    a_list = post(wa.pk, b"[1, 2]")
    assert (not_json.status_code, not_json.json()["code"]) == (400, "malformed_request")
    assert (a_list.status_code, a_list.json()["code"]) == (400, "invalid_event")
    assert not Message.objects.exists()


def test_what_is_not_a_message_for_this_number_is_ignored(wa):
    other_number = post(wa.pk, event(messages=[text_message("wamid.o", "Hi")], number_id="999"))
    template_news = post(wa.pk, {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "message_template_status_update", "value": {"event": "APPROVED"}}]}]})  # fmt: skip
    reaction = post(wa.pk, event(messages=[{"from": "447911123456", "id": "wamid.r", "timestamp": "1",
                                            "type": "reaction", "reaction": {"emoji": "👍"}}]))  # fmt: skip
    assert [r.status_code for r in (other_number, template_news, reaction)] == [200, 200, 200]
    assert other_number.json()["ignored"] == 1 and reaction.json()["ignored"] == 1
    assert not Message.objects.exists()


def test_a_photo_without_caption_keeps_its_media_id(wa):
    photo = {"from": "447911123456", "id": "wamid.p", "timestamp": str(int(time.time())), "type": "image",
             "image": {"id": "1479537139650973", "mime_type": "image/jpeg", "sha256": "abc"}}  # fmt: skip
    post(wa.pk, event(messages=[photo]))
    message = Message.objects.get()
    assert message.body == "[image]"
    assert message.payload["media"] == [{"type": "image", "id": "1479537139650973", "mime_type": "image/jpeg"}]


def test_one_unreadable_message_does_not_lose_the_others(wa):
    response = post(wa.pk, event(messages=[text_message("wamid.bad", "Hi", sender="12"),
                                           text_message("wamid.good", "Hello")]))  # fmt: skip
    assert response.status_code == 200
    assert (response.json()["stored"], response.json()["errors"]) == (1, [{"id": "wamid.bad", "code": "invalid_phone"}])
    assert list(Message.objects.values_list("provider_message_id", flat=True)) == ["wamid.good"]


# --- outbound ------------------------------------------------------------------------------------


def _conversation(wa, *, hours_ago: float = 1) -> Conversation:
    at = int(time.time() - hours_ago * 3600)
    post(wa.pk, event(messages=[text_message(f"wamid.in-{at}", "Is it in a 38?", at=at)]))
    return Conversation.objects.get(inbox=wa)


def test_an_answer_reaches_the_cloud_api_in_its_format(wa, sibyl, associate_a, fake,
                                                       django_capture_on_commit_callbacks):  # fmt: skip
    conversation = _conversation(wa)
    with django_capture_on_commit_callbacks(execute=True):
        sent = staff(associate_a).post(f"{BASE}/conversations/{conversation.pk}/messages",
                                       {"body": "Yes — shall I put it aside?"}, content_type="application/json")  # fmt: skip
    assert sent.status_code == 201, sent.content
    [request] = fake.requests
    assert (request.method, request.path) == ("POST", f"/v21.0/{NUMBER_ID}/messages")
    assert request.header("Authorization") == f"Bearer {TOKEN}"
    assert request.header("Content-Type") == "application/json"
    message = Message.objects.get(pk=sent.json()["id"])
    assert request.json() == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "447911123456",
                              "type": "text", "text": {"body": "Yes — shall I put it aside?"},
                              "biz_opaque_callback_data": f"msg-{message.pk}"}  # fmt: skip
    assert (message.status, message.provider_message_id) == ("sent", fake.sent[0]["id"])


def test_a_provider_500_is_retried_and_she_gets_one_message(wa, sibyl, associate_actor, fake,
                                                            django_capture_on_commit_callbacks):  # fmt: skip
    conversation = _conversation(wa)
    fake.fail_next(1)
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="It is.")
    item = OutboxItem.objects.get(message=answer)
    answer.refresh_from_db()
    assert (answer.status, item.attempts, item.done_at) == ("queued", 1, None)
    assert "WhatsApp answered 500" in item.last_error and item.next_attempt_at > timezone.now()

    assert services.outbox_deliver(item.pk) == "skipped"  # not due yet: the backoff holds
    due_now(answer)
    assert services.outbox_deliver(item.pk) == "sent"
    answer.refresh_from_db()
    assert [r.status for r in fake.requests] == [500, 200]
    assert len(fake.sent) == 1 and answer.provider_message_id == fake.sent[0]["id"] and answer.status == "sent"


@pytest.mark.parametrize("kind", ["drop", "hang"])
def test_a_dropped_or_hanging_connection_is_retried(wa, sibyl, associate_actor, fake, kind,
                                                    django_capture_on_commit_callbacks):  # fmt: skip
    conversation = _conversation(wa)
    fake.fail_next(1, kind=kind)
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="It is.")
    item = OutboxItem.objects.get(message=answer)
    assert item.attempts == 1 and item.last_error.startswith("WhatsApp: ") and item.given_up_at is None
    due_now(answer)
    assert services.outbox_deliver(item.pk) == "sent"
    assert len(fake.sent) == 1


def test_throttling_is_retried_though_graph_answers_400(wa, sibyl, associate_actor, fake,
                                                        django_capture_on_commit_callbacks):  # fmt: skip
    """Graph sends rate limits as HTTP 400 with a code (WhatsApp's 130429): not a final refusal."""
    conversation = _conversation(wa)
    fake.answer_next_with(graph_error(400, "(#130429) Rate limit hit", 130429))
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="It is.")
    item = OutboxItem.objects.get(message=answer)
    assert (item.attempts, item.given_up_at) == (1, None) and "code 130429" in item.last_error
    due_now(answer)
    assert services.outbox_deliver(item.pk) == "sent" and len(fake.sent) == 1


class WorkerDied(BaseException):
    """The process went away (a deploy, a crash) between the provider's acceptance and our write."""


def test_an_answer_lost_after_whatsapp_sent_it_is_named_by_its_status_and_not_sent_again(
        wa, sibyl, associate_actor, fake, settings, django_capture_on_commit_callbacks):  # fmt: skip
    """The Cloud API takes no idempotency key. The message carries `msg-<id>` as
    biz_opaque_callback_data; when the answer is lost the outbox waits for the status that hands it
    back, which gives the message its wamid, and the retry then sends nothing."""
    conversation = _conversation(wa)
    fake.fail_next(1, kind="drop", after_processing=True)
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="It is.")
    item = OutboxItem.objects.get(message=answer)
    answer.refresh_from_db()
    assert (answer.status, answer.provider_message_id, item.done_at) == ("queued", "", None)
    # Its outcome is unknown: no quick retry, the receipt gets its time first.
    assert item.next_attempt_at >= before + timedelta(seconds=settings.INBOX_RECEIPT_WAIT)
    sent = fake.sent[0]
    assert sent["biz_opaque_callback_data"] == f"msg-{answer.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        response = post(wa.pk, event(statuses=[status(sent["id"], "sent",
                                                      biz_opaque_callback_data=f"msg-{answer.pk}")]))  # fmt: skip
    assert (response.status_code, response.json()["statuses"]) == (200, 1)
    answer.refresh_from_db()
    item.refresh_from_db()
    assert (answer.status, answer.provider_message_id) == ("sent", sent["id"]) and item.done_at is not None
    due_now(answer)
    assert services.outbox_deliver(item.pk) == "skipped" and services.outbox_sweep() == {}
    assert len(fake.sent) == 1
    post(wa.pk, event(statuses=[status(sent["id"], "delivered")]))  # and on by its wamid as usual
    answer.refresh_from_db()
    assert answer.status == "delivered"


def test_a_worker_that_died_mid_send_does_not_send_it_again(wa, sibyl, associate_actor, fake, monkeypatch):
    """The provider took the message, then the worker died before writing it down: the claim's
    lease runs out while the "sent" status names the message, so the next sweep sends nothing."""
    conversation = _conversation(wa)
    answer = services.message_send(actor=associate_actor, conversation=conversation, body="It is.")  # no commit hook
    item = OutboxItem.objects.get(message=answer)
    real = services.adapter_for

    class DiesAfterSending:
        def __init__(self, inbox):
            self.adapter = real(inbox)

        def send(self, **kwargs):
            self.adapter.send(**kwargs)
            raise WorkerDied()

    monkeypatch.setattr(services, "adapter_for", DiesAfterSending)
    with pytest.raises(WorkerDied):
        services.outbox_deliver(item.pk)
    monkeypatch.setattr(services, "adapter_for", real)
    assert services.outbox_deliver(item.pk) == "skipped"  # the lease: nobody else sends it meanwhile
    post(wa.pk, event(statuses=[status(fake.sent[0]["id"], "sent", biz_opaque_callback_data=f"msg-{answer.pk}")]))
    due_now(answer)  # the lease is over
    assert services.outbox_sweep() == {}
    answer.refresh_from_db()
    assert (answer.status, answer.provider_message_id, len(fake.sent)) == ("sent", fake.sent[0]["id"], 1)


def test_a_status_that_arrives_before_the_answer_leaves_one_sent_message(wa, sibyl, associate_actor, fake,
                                                                        monkeypatch):  # fmt: skip
    """WhatsApp's webhook can beat its own HTTP answer: the status names the message first, and the
    outbox's write after it finds the message sent and keeps it as it is."""
    conversation = _conversation(wa)
    answer = services.message_send(actor=associate_actor, conversation=conversation, body="It is.")
    real = services.adapter_for

    class StatusFirst:
        def __init__(self, inbox):
            self.adapter = real(inbox)

        def send(self, **kwargs):
            wamid = self.adapter.send(**kwargs)
            post(wa.pk, event(statuses=[status(wamid, "delivered", biz_opaque_callback_data=kwargs["idempotency_key"])]))
            return wamid

    monkeypatch.setattr(services, "adapter_for", StatusFirst)
    assert services.outbox_deliver(OutboxItem.objects.get(message=answer).pk) == "sent"
    answer.refresh_from_db()
    assert (answer.status, answer.provider_message_id, len(fake.sent)) == ("delivered", fake.sent[0]["id"], 1)
    assert OutboxItem.objects.get(message=answer).done_at is not None


def test_with_no_status_after_the_wait_the_message_goes_again(wa, sibyl, associate_actor, fake,
                                                              django_capture_on_commit_callbacks):  # fmt: skip
    """What is left (docs/inbox.md): when WhatsApp took the message and no status names it within
    the wait (the webhook not subscribed, or down), the retry sends a second copy; a late status for
    the first copy then changes nothing."""
    conversation = _conversation(wa)
    fake.fail_next(1, kind="drop", after_processing=True)
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="It is.")
    item = OutboxItem.objects.get(message=answer)
    assert services.outbox_deliver(item.pk) == "skipped"  # not due: waiting for the receipt
    due_now(answer)
    assert services.outbox_deliver(item.pk) == "sent"
    first, second = fake.sent
    assert [first["body"], second["body"]] == ["It is.", "It is."]
    late = post(wa.pk, event(statuses=[status(first["id"], "delivered", biz_opaque_callback_data=f"msg-{answer.pk}")]))
    answer.refresh_from_db()
    assert (late.json()["ignored"], answer.provider_message_id, answer.status) == (1, second["id"], "sent")


def test_a_reference_names_only_this_inboxs_own_unsent_message(wa, sibyl, associate_actor, fake, manager_actor,
                                                               django_capture_on_commit_callbacks):  # fmt: skip
    """A reference is trusted only for an outbound message of the inbox whose signed webhook
    carries it, and only while that message has no provider id."""
    conversation = _conversation(wa)
    answer = services.message_send(actor=associate_actor, conversation=conversation, body="It is.")  # queued
    other = services.inbox_create(actor=manager_actor, kind="whatsapp", name="Second", address="+447700900011",
                                  provider="whatsapp_cloud", config={**CONFIG, "phone_number_id": "999"})  # fmt: skip
    inbound = Message.objects.filter(direction="in").first()
    for inbox_id, reference in ((other.pk, f"msg-{answer.pk}"), (wa.pk, f"msg-{inbound.pk}"), (wa.pk, "msg-x"),
                                (wa.pk, f"msg-{answer.pk + 1000}")):  # fmt: skip
        number = "999" if inbox_id == other.pk else NUMBER_ID
        response = post(inbox_id, event(statuses=[status("wamid.stranger", "sent", biz_opaque_callback_data=reference)],
                                        number_id=number))  # fmt: skip
        assert (response.status_code, response.json()["ignored"]) == (200, 1), reference
    answer.refresh_from_db()
    inbound.refresh_from_db()
    assert (answer.status, answer.provider_message_id) == ("queued", "")
    assert inbound.provider_message_id != "wamid.stranger"
    assert OutboxItem.objects.get(message=answer).done_at is None


def test_a_refused_connection_is_retried_soon_it_cannot_have_been_sent(wa, sibyl, associate_actor, settings,
                                                                       django_capture_on_commit_callbacks):  # fmt: skip
    import socket

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    settings.WHATSAPP_GRAPH_BASE = f"http://127.0.0.1:{closed.getsockname()[1]}"  # nothing listens
    closed.close()
    conversation = _conversation(wa)
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="It is.")
    item = OutboxItem.objects.get(message=answer)
    assert "URLError" in item.last_error and item.given_up_at is None
    assert item.next_attempt_at < before + timedelta(seconds=settings.INBOX_RECEIPT_WAIT)  # the usual 30 s backoff


def test_a_refusal_fails_at_once_with_whatsapps_words(wa, sibyl, associate_actor, fake,
                                                       django_capture_on_commit_callbacks):  # fmt: skip
    conversation = _conversation(wa)
    Inbox.objects.filter(pk=wa.pk).update(config={**CONFIG, "access_token": "revoked"})
    conversation = Conversation.objects.select_related("inbox").get(pk=conversation.pk)
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="It is.")
    answer.refresh_from_db()
    item = OutboxItem.objects.get(message=answer)
    assert answer.status == "failed" and "Invalid OAuth access token" in answer.error and "code 190" in answer.error
    assert item.attempts == 1 and item.given_up_at is not None  # no pointless retries for an hour
    assert fake.sent == []


# --- receipts ------------------------------------------------------------------------------------


def test_receipts_move_her_message_forward_only(wa, sibyl, associate_actor, fake, monkeypatch,
                                                django_capture_on_commit_callbacks):  # fmt: skip
    conversation = _conversation(wa)
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="It is.")
    wamid = fake.sent[0]["id"]
    events = []
    monkeypatch.setattr(realtime, "send_now", lambda group, event: events.append((group, event)))

    def receipt(state: str, **extra) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            response = post(wa.pk, event(statuses=[status(wamid, state, **extra)]))
        assert response.status_code == 200
        answer.refresh_from_db()
        return answer.status

    assert receipt("delivered") == "delivered"
    assert receipt("sent") == "delivered"  # late: never backwards
    assert receipt("read") == "read"
    assert receipt("failed", errors=[{"code": 131047, "title": "Re-engagement message"}]) == "read"
    assert [e["status"] for _group, e in events if e["kind"] == "message_status"] == ["delivered", "delivered", "read", "read"]
    groups = {group for group, e in events}
    assert groups == {realtime.team_group(wa.boutique_id), realtime.conversation_group(conversation.pk)}


def test_a_failed_receipt_records_why(wa, sibyl, associate_actor, fake, django_capture_on_commit_callbacks):
    conversation = _conversation(wa)
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="It is.")
    post(wa.pk, event(statuses=[status(fake.sent[0]["id"], "failed",
                                       errors=[{"code": 131047, "title": "Re-engagement message"}])]))  # fmt: skip
    answer.refresh_from_db()
    assert (answer.status, answer.error) == ("failed", "Re-engagement message (131047)")


def test_a_receipt_for_an_unknown_message_is_accepted_and_changes_nothing(wa):
    response = post(wa.pk, event(statuses=[status("wamid.not-ours", "read")]))
    assert response.status_code == 200 and response.json()["ignored"] == 1 and response.json()["statuses"] == 0
    assert not Message.objects.exists()


# --- the window and templates --------------------------------------------------------------------


def test_outside_the_window_free_text_is_refused_and_a_template_goes(wa, sibyl, associate_a, fake,
                                                                     django_capture_on_commit_callbacks):  # fmt: skip
    conversation = _conversation(wa, hours_ago=25)
    http = staff(associate_a)
    free = http.post(f"{BASE}/conversations/{conversation.pk}/messages", {"body": "Your coat is in!"},
                     content_type="application/json")  # fmt: skip
    assert (free.status_code, free.json()["code"]) == (409, "window_closed")
    with django_capture_on_commit_callbacks(execute=True):
        template = http.post(f"{BASE}/conversations/{conversation.pk}/templates",
                             {"name": "order_ready", "language": "en_GB", "variables": ["Sibyl", "Soho"]},
                             content_type="application/json")  # fmt: skip
    assert template.status_code == 201, template.content
    assert template.json()["body"] == "[order_ready] Sibyl · Soho"
    assert template.json()["payload"]["template"] == {"name": "order_ready", "language": "en_GB",
                                                      "variables": ["Sibyl", "Soho"]}  # fmt: skip
    assert fake.requests[-1].json() == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "447911123456", "type": "template",
        "template": {"name": "order_ready", "language": {"code": "en_GB"},
                     "components": [{"type": "body", "parameters": [{"type": "text", "text": "Sibyl"},
                                                                    {"type": "text", "text": "Soho"}]}]},
        "biz_opaque_callback_data": f"msg-{template.json()['id']}",
    }  # fmt: skip
    assert Message.objects.get(pk=template.json()["id"]).status == "sent"
    assert Message.objects.filter(direction="out").count() == 1  # the refused text left nothing behind


def test_templates_are_checked_and_only_for_whatsapp(wa, sms, sibyl, associate_a, associate_actor):
    services.inbound_receive(inbox=sms, sender="+447911123456", body="Hi", provider_message_id="SM-t")
    on_sms = staff(associate_a).post(f"{BASE}/conversations/{Conversation.objects.get().pk}/templates",
                                     {"name": "order_ready", "language": "en"}, content_type="application/json")  # fmt: skip
    assert (on_sms.status_code, on_sms.json()["code"]) == (422, "template_not_supported")
    bad_name = staff(associate_a).post(f"{BASE}/conversations/{Conversation.objects.get().pk}/templates",
                                       {"name": "Order Ready!", "language": "en"}, content_type="application/json")  # fmt: skip
    assert bad_name.status_code == 422
    conversation = _conversation(wa, hours_ago=30)
    with pytest.raises(InvalidInput) as refused:
        services.message_send(actor=associate_actor, conversation=conversation, body="x",
                              payload={"template": {"name": "x", "language": "en", "variables": [""]}})  # fmt: skip
    assert refused.value.code == "invalid_template"
    assert Message.objects.filter(direction="out").count() == 0


def test_the_window_is_24_hours_of_her_time(wa, sibyl, associate_actor):
    conversation = _conversation(wa, hours_ago=23.9)
    services.message_send(actor=associate_actor, conversation=conversation, body="Still open")
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - timedelta(hours=24, seconds=5))
    conversation.refresh_from_db()
    with pytest.raises(WindowClosed):
        services.message_send(actor=associate_actor, conversation=conversation, body="Too late")


# --- config --------------------------------------------------------------------------------------


def test_an_inbox_needs_the_providers_config(world_a, manager_a, fake):
    http = staff(manager_a)
    url = f"{BASE}/inboxes"
    missing = http.post(url, {"kind": "whatsapp", "name": "WA", "provider": "whatsapp_cloud",
                              "config": {"phone_number_id": NUMBER_ID, "access_token": TOKEN}},
                        content_type="application/json")  # fmt: skip
    wrong_kind = http.post(url, {"kind": "sms", "name": "WA", "provider": "whatsapp_cloud", "config": CONFIG},
                           content_type="application/json")  # fmt: skip
    assert (missing.status_code, missing.json()["code"]) == (400, "invalid_config")
    assert missing.json()["details"] == {"missing": ["app_secret", "verify_token"]}
    assert (wrong_kind.status_code, wrong_kind.json()["code"]) == (400, "provider_kind_mismatch")
    assert not Inbox.objects.exists()
    made = http.post(url, {"kind": "whatsapp", "name": "WA", "provider": "whatsapp_cloud", "config": CONFIG},
                     content_type="application/json")  # fmt: skip
    assert made.status_code == 201 and "config" not in made.json()  # secrets never come back
    assert Inbox.objects.get().config == CONFIG


def test_a_photo_goes_as_a_whatsapp_photo_with_her_associates_words(wa, sibyl, associate_a, fake, settings,
                                                                    django_capture_on_commit_callbacks):  # fmt: skip
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.SITE_URL = "https://shop.example"
    conversation = _conversation(wa)
    http = staff(associate_a)
    shots = []
    for colour in ((20, 40, 140), (140, 40, 20)):
        raw = io.BytesIO()
        Image.new("RGB", (64, 48), colour).save(raw, "JPEG")
        upload = http.post(f"{BASE}/conversations/{conversation.pk}/attachments",
                           {"file": SimpleUploadedFile("rail.jpg", raw.getvalue(), content_type="image/jpeg")})  # fmt: skip
        assert upload.status_code == 201, upload.content
        shots.append(upload.json())
    with django_capture_on_commit_callbacks(execute=True):
        sent = http.post(f"{BASE}/conversations/{conversation.pk}/messages",
                         {"body": "On the rail now", "attachment_ids": [s["id"] for s in shots]},
                         content_type="application/json")  # fmt: skip
    assert sent.status_code == 201, sent.content
    [request] = fake.requests[-1:]
    first, second = (f"https://shop.example{s['url']}" for s in shots)
    assert request.json() == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "447911123456",
                              "type": "image", "image": {"link": first, "caption": f"On the rail now\n{second}"},
                              "biz_opaque_callback_data": f"msg-{sent.json()['id']}"}  # fmt: skip
    assert Message.objects.get(pk=sent.json()["id"]).status == "sent"
    # WhatsApp fetches the photo from its capability URL: it is there, without a login.
    assert HttpClient().get(shots[0]["url"]).status_code == 200


def test_a_caption_too_long_for_whatsapp_goes_as_a_text_with_the_link(settings):
    from omnipresence.inbox.providers.whatsapp import MAX_CAPTION, _native_media

    payload = {"attachments": [{"url": "/inbox/media/abc.jpg", "content_type": "image/jpeg"}]}
    link = f"{settings.SITE_URL}/inbox/media/abc.jpg"
    assert _native_media(payload, f"Hello\n{link}") == ("image", link, "Hello")
    assert _native_media(payload, "x" * (MAX_CAPTION + 1) + f"\n{link}") is None
    assert _native_media({"attachments": [{"url": "/inbox/media/a.pdf", "content_type": "application/pdf"}]}, "") is None
