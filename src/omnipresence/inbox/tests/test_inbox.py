"""The inbox's core: inbound messages resolved to her client and stored once, answers through the
outbox (retries, no double send), consent and the WhatsApp window, STOP, and the walls."""

import json
import time
from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from omnipresence.clients import services as clients
from omnipresence.clients.models import AccessAttempt, Client, TimelineEvent
from omnipresence.clients.selectors import consent_allows
from omnipresence.inbox import services
from omnipresence.inbox.adapters import LocalAdapter
from omnipresence.inbox.errors import ProviderFailed, WindowClosed
from omnipresence.inbox.models import Conversation, LocalDelivery, Message, OutboxItem
from omnipresence.inbox.tests.conftest import post_inbound

BASE = "/api/v1/boutiques/atelier-a"


def staff(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def test_an_sms_finds_her_and_her_associate_and_a_replay_is_stored_once(sms, sibyl, associate_a):
    event = {"from": "07911 123456", "text": "Is the blue coat in a 38?", "id": "SM-1", "name": "Sibyl"}
    first = post_inbound(sms, event)
    again = post_inbound(sms, event)
    assert first.status_code == 200 and first.json()["result"] == "stored"
    assert again.json() == {**first.json(), "result": "duplicate"}
    conversation = Conversation.objects.get()
    assert (conversation.client_id, conversation.contact, conversation.assignee_id) == (
        sibyl.pk, "+447911123456", associate_a.pk
    )  # fmt: skip
    assert (conversation.unread, conversation.status) == (1, "open") and conversation.waiting_since
    assert Message.objects.count() == 1
    event_row = TimelineEvent.objects.get(client=sibyl, kind="message")
    assert "blue coat" in event_row.summary and event_row.data["direction"] == "in"


def test_an_unknown_sender_becomes_a_new_client(sms, world_a):
    post_inbound(sms, {"from": "+447911123457", "text": "Hello", "id": "SM-2", "name": "Dorian Gray"})
    client = Client.objects.get(display_name="Dorian Gray")
    assert client.identities.get().value == "+447911123457"


@pytest.mark.parametrize(
    "signature, at, code",
    [("t=1,v1=deadbeef", None, 401), ("", None, 401), (None, -3600, 401)],
)
def test_bad_or_old_signatures_store_nothing(sms, signature, at, code):
    at = int(time.time()) + at if at is not None else None  # an hour old (ids stay the same for every worker)
    response = post_inbound(sms, {"from": "+447911123457", "text": "Hi", "id": "SM-3"}, signature=signature, at=at)
    assert response.status_code == code and response.json()["code"] == "invalid_signature"
    assert not Message.objects.exists() and not Client.objects.exists()


def test_bad_events_are_clear_errors(sms):
    bad_phone = post_inbound(sms, {"from": "12", "text": "Hi", "id": "SM-4"})
    no_text = post_inbound(sms, {"from": "+447911123457", "id": "SM-5"})
    empty = post_inbound(sms, {"from": "+447911123457", "text": "   ", "id": "SM-6"})
    assert (bad_phone.status_code, bad_phone.json()["code"]) == (422, "invalid_phone")
    assert (no_text.status_code, no_text.json()["code"]) == (422, "invalid_event")
    assert (empty.status_code, empty.json()["code"]) == (422, "empty_message")
    assert not Message.objects.exists()


def test_an_answer_goes_out_once_and_is_on_her_timeline(sms, sibyl, associate_a, django_capture_on_commit_callbacks):
    post_inbound(sms, {"from": "+447911123456", "text": "Is it in a 38?", "id": "SM-7"})
    conversation = Conversation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        sent = staff(associate_a).post(f"{BASE}/conversations/{conversation.pk}/messages",
                                       {"body": "Yes — shall I put it aside?"}, content_type="application/json")  # fmt: skip
    assert sent.status_code == 201, sent.content
    assert sent.json()["status"] == "queued" and sent.json()["author"] == "alice"
    assert Message.objects.get(pk=sent.json()["id"]).status == "sent"  # delivered after commit
    delivery = LocalDelivery.objects.get()
    assert (delivery.to, delivery.body) == ("+447911123456", "Yes — shall I put it aside?")
    conversation.refresh_from_db()
    assert (conversation.status, conversation.unread, conversation.waiting_since) == ("pending", 0, None)
    assert conversation.first_response_at is not None
    out = TimelineEvent.objects.get(client=sibyl, kind="message", data__direction="out")
    assert out.associate_id == associate_a.pk
    thread = staff(associate_a).get(f"{BASE}/conversations/{conversation.pk}").json()
    assert [m["direction"] for m in thread["messages"]] == ["in", "out"]


def test_marketing_needs_her_consent_and_stop_withdraws_it(sms, sibyl, associate_a):
    """Deliveries happen after commit (not inside the test's transaction): the outbox shows them."""
    post_inbound(sms, {"from": "+447911123456", "text": "Hi", "id": "SM-8"})
    conversation = Conversation.objects.get()
    http = staff(associate_a)
    url = f"{BASE}/conversations/{conversation.pk}/messages"
    refused = http.post(url, {"body": "New arrivals!", "purpose": "marketing"}, content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (409, "consent_required")
    assert AccessAttempt.objects.filter(action="message", code="consent_required").exists()
    assert not OutboxItem.objects.exists()

    clients.consent_record(actor_label="test", client=sibyl, purpose="marketing_sms", granted=True, channel="shop",
                           wording="May we text you about new arrivals?")  # fmt: skip
    allowed = http.post(url, {"body": "New arrivals!", "purpose": "marketing"}, content_type="application/json")
    assert allowed.status_code == 201

    post_inbound(sms, {"from": "+447911123456", "text": "STOP", "id": "SM-9"})
    assert not consent_allows(client=sibyl, purpose="marketing_sms")
    assert Message.objects.filter(body=services.STOP_REPLY, purpose="service", outbox__isnull=False).count() == 1
    again = http.post(url, {"body": "Last chance!", "purpose": "marketing"}, content_type="application/json")
    assert again.json()["code"] == "consent_required"
    service = http.post(url, {"body": "Your coat is ready to collect."}, content_type="application/json")
    assert service.status_code == 201


def test_whatsapp_free_text_only_within_24_hours(whatsapp, sibyl, associate_actor):
    message, _ = services.inbound_receive(inbox=whatsapp, sender="+447911123456", body="Hello", provider_message_id="wamid.1",
                                          received_at=timezone.now() - timedelta(hours=25))  # fmt: skip
    conversation = message.conversation
    conversation.refresh_from_db()
    with pytest.raises(WindowClosed):
        services.message_send(actor=associate_actor, conversation=conversation, body="Still there?")
    services.inbound_receive(inbox=whatsapp, sender="+447911123456", body="Yes!", provider_message_id="wamid.2")
    conversation.refresh_from_db()
    assert services.message_send(actor=associate_actor, conversation=conversation, body="Lovely").status == "queued"


def test_a_failing_provider_is_retried_with_backoff_and_sends_once(sms, sibyl, associate_actor, monkeypatch,
                                                                   django_capture_on_commit_callbacks):  # fmt: skip
    services.inbound_receive(inbox=sms, sender="+447911123456", body="Hi", provider_message_id="SM-10")
    conversation = Conversation.objects.get()
    real_send = LocalAdapter.send

    def down(self, **kwargs):
        raise ProviderFailed("503 from the provider")

    monkeypatch.setattr(LocalAdapter, "send", down)
    with django_capture_on_commit_callbacks(execute=True):
        message = services.message_send(actor=associate_actor, conversation=conversation, body="Ready tomorrow")
    item = OutboxItem.objects.get(message=message)
    assert (item.attempts, item.done_at, item.last_error) == (1, None, "503 from the provider")
    assert item.next_attempt_at > timezone.now() + timedelta(seconds=20)
    assert services.outbox_sweep() == {}  # not due yet

    # The provider is back, and a worker "crashes" after the provider took the message but before
    # the outbox row was written: the retry uses the same key, so one delivery.
    monkeypatch.setattr(LocalAdapter, "send", real_send)
    LocalAdapter().send(inbox=sms, to=conversation.contact, body="Ready tomorrow", payload={},
                        idempotency_key=f"msg-{message.pk}")  # fmt: skip
    OutboxItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert services.outbox_sweep() == {"sent": 1}
    assert services.outbox_deliver(item.pk) == "skipped"
    assert LocalDelivery.objects.filter(idempotency_key=f"msg-{message.pk}").count() == 1
    message.refresh_from_db()
    assert message.status == "sent" and message.provider_message_id.startswith("local-")


def test_the_outbox_gives_up_after_its_attempts(sms, sibyl, associate_actor, monkeypatch):
    services.inbound_receive(inbox=sms, sender="+447911123456", body="Hi", provider_message_id="SM-11")
    conversation = Conversation.objects.get()
    monkeypatch.setattr(LocalAdapter, "send", lambda self, **kw: (_ for _ in ()).throw(ProviderFailed("down")))
    message = services.message_send(actor=associate_actor, conversation=conversation, body="Hello?")
    item = OutboxItem.objects.get(message=message)
    for _ in range(services.MAX_ATTEMPTS):
        OutboxItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        services.outbox_deliver(item.pk)
    message.refresh_from_db()
    item.refresh_from_db()
    assert (message.status, item.attempts, item.given_up_at is not None) == ("failed", services.MAX_ATTEMPTS, True)


def test_conversations_are_walled_off_and_updates_are_checked(sms, sibyl, associate_a, associate_b, manager_a):
    services.inbound_receive(inbox=sms, sender="+447911123456", body="Hi", provider_message_id="SM-12")
    conversation = Conversation.objects.get()
    other = staff(associate_b).get(f"/api/v1/boutiques/boutique-b/conversations/{conversation.pk}")
    assert (other.status_code, other.json()["code"]) == (404, "conversation_not_found")
    cross = staff(associate_b).get(f"{BASE}/conversations/{conversation.pk}")
    assert cross.status_code == 403
    patch = staff(associate_a).patch(f"{BASE}/conversations/{conversation.pk}", json.dumps({"assignee": "maria"}),
                                     content_type="application/json")  # fmt: skip
    assert (patch.status_code, patch.json()["code"]) == (403, "forbidden")
    snooze = staff(associate_a).patch(f"{BASE}/conversations/{conversation.pk}", json.dumps({"status": "snoozed"}),
                                      content_type="application/json")  # fmt: skip
    assert (snooze.status_code, snooze.json()["code"]) == (422, "invalid_snooze")
    moved = staff(manager_a).patch(f"{BASE}/conversations/{conversation.pk}",
                                   json.dumps({"assignee": "alice", "tags": ["coat", "vip"], "status": "resolved"}),
                                   content_type="application/json")  # fmt: skip
    assert moved.status_code == 200
    assert (moved.json()["assignee"], moved.json()["tags"], moved.json()["status"]) == ("alice", ["coat", "vip"],
                                                                                         "resolved")  # fmt: skip
    listed = staff(associate_a).get(f"{BASE}/conversations?status=active").json()
    assert listed == []


def test_a_merge_moves_her_conversations_and_undo_puts_them_back(sms, sibyl, world_a, manager_actor):
    twin = clients.client_resolve(boutique=world_a["boutique"], phone="+447911123458", name="Sibyl Vane")
    services.inbound_receive(inbox=sms, sender="+447911123458", body="It's me again", provider_message_id="SM-13")
    record = clients.client_merge(actor=manager_actor, survivor=sibyl, merged=twin)
    assert Conversation.objects.get().client_id == sibyl.pk
    clients.client_merge_undo(actor=manager_actor, record=record)
    assert Conversation.objects.get().client_id == twin.pk


def test_privacy_export_and_erase(sms, sibyl, associate_actor, django_capture_on_commit_callbacks):
    services.inbound_receive(inbox=sms, sender="+447911123456", body="My address is 1 Rose Lane",
                             provider_message_id="SM-14")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        services.message_send(actor=associate_actor, conversation=Conversation.objects.get(), body="Thanks Sibyl")
    exported = services.privacy_export(client=sibyl)
    assert [m["body"] for m in exported[0]["messages"]] == ["My address is 1 Rose Lane", "Thanks Sibyl"]
    counts = services.privacy_erase(client=sibyl)
    assert counts["inbox_message"] == 2 and counts["inbox_localdelivery"] == 1
    assert not Message.objects.exclude(body="").exists()
    assert Conversation.objects.get().contact == ""


def test_managers_set_up_inboxes(world_a, manager_a, associate_a):
    made = staff(manager_a).post(f"{BASE}/inboxes", {"kind": "email", "name": "Hello", "address": "hello@a.example",
                                                     "provider": "email", "team_location": "soho"},
                                 content_type="application/json")  # fmt: skip
    assert made.status_code == 201, made.content
    twice = staff(manager_a).post(f"{BASE}/inboxes", {"kind": "email", "name": "Again", "address": "hello@a.example"},
                                  content_type="application/json")  # fmt: skip
    assert (twice.status_code, twice.json()["code"]) == (409, "inbox_exists")
    refused = staff(associate_a).post(f"{BASE}/inboxes", {"kind": "sms", "name": "Mine"},
                                      content_type="application/json")  # fmt: skip
    assert refused.status_code == 403
    assert [i["name"] for i in staff(associate_a).get(f"{BASE}/inboxes").json()] == ["Hello"]


def test_email_answers_go_through_the_mail_backend(world_a, manager_actor, associate_actor, mailoutbox):
    inbox = services.inbox_create(actor=manager_actor, kind="email", name="Atelier A", address="hello@a.example",
                                  provider="email")  # fmt: skip
    message, _ = services.inbound_receive(inbox=inbox, sender="Sibyl@Example.com", body="Do you ship to Paris?",
                                          provider_message_id="<abc@example.com>")  # fmt: skip
    services.message_send(actor=associate_actor, conversation=message.conversation, body="We do!")
    services.outbox_sweep()
    assert [m.to for m in mailoutbox] == [["sibyl@example.com"]]
    assert mailoutbox[0].extra_headers["Message-ID"].startswith("<msg-")
