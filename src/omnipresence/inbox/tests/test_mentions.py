"""Public mentions from any network through the signed mentions webhook: a conversation her
associate can answer (through the local provider), the mention on her timeline, stored once."""

import json

import pytest
from django.test import Client as HttpClient

from omnipresence.clients import services as clients
from omnipresence.clients.models import Client, TimelineEvent
from omnipresence.inbox import services
from omnipresence.inbox.models import Conversation, LocalDelivery, Message
from omnipresence.inbox.webhooks import local_sign


@pytest.fixture
def social(manager_actor):
    return services.inbox_create(actor=manager_actor, kind="social", name="Mentions", address="mentions")


def mention(**overrides) -> dict:
    return {"network": "x", "handle": "@SibylVane", "text": "Just found my dream coat at @atelier_a 💙",
            "id": "1851234567890123456", "url": "https://x.com/sibylvane/status/1851234567890123456", **overrides}  # fmt: skip


def post(inbox, event, *, signature: str | None = None, inbox_id=None):
    raw = event if isinstance(event, bytes) else json.dumps(event).encode()
    header = local_sign(inbox, raw) if signature is None else signature
    return HttpClient().post(f"/api/v1/webhooks/mentions/{inbox_id or inbox.pk}", raw,
                             content_type="application/json", headers={"X-Omni-Signature": header})  # fmt: skip


def test_a_mention_is_a_conversation_and_a_timeline_event_once(social, world_a):
    first, again = post(social, mention()), post(social, mention())
    assert first.status_code == 200, first.content
    assert (first.json()["result"], again.json()["result"]) == ("stored", "duplicate")
    message = Message.objects.get()
    assert (message.body, message.provider_message_id) == ("Just found my dream coat at @atelier_a 💙",
                                                          "x:1851234567890123456")  # fmt: skip
    assert message.payload == {"mention": {"network": "x", "url": "https://x.com/sibylvane/status/1851234567890123456",
                                           "id": "1851234567890123456"}}  # fmt: skip
    conversation = message.conversation
    assert (conversation.contact, conversation.status, conversation.unread) == ("sibylvane", "open", 1)
    client = conversation.client
    assert [(i.kind, i.value) for i in client.identities.all()] == [("x", "sibylvane")]
    [event] = TimelineEvent.objects.filter(client=client, ref_kind="message", ref_id=message.pk)
    assert event.kind == "mention" and event.data["conversation_id"] == conversation.pk


def test_a_mention_by_a_known_client_lands_on_her_record(social, world_a):
    sibyl = clients.client_resolve(boutique=world_a["boutique"], handles={"instagram": "sibylvane"}, name="Sibyl")
    post(social, mention(network="instagram", handle="sibylvane", id="C0ffee", url="https://instagram.com/p/C0ffee"))
    assert Conversation.objects.get().client_id == sibyl.pk
    assert Client.objects.count() == 1


def test_the_associate_answers_a_mention_through_the_local_provider(social, associate_actor,
                                                                     django_capture_on_commit_callbacks):  # fmt: skip
    post(social, mention())
    conversation = Conversation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="Thank you Sibyl!")
    delivery = LocalDelivery.objects.get()
    assert (delivery.to, delivery.body) == ("sibylvane", "Thank you Sibyl!")
    answer.refresh_from_db()
    assert answer.status == "sent"


@pytest.mark.parametrize("event, code", [
    ({"network": "tiktok", "handle": "a", "text": "hi", "id": "1"}, "invalid_event"),
    ({"network": "x", "handle": "a", "text": "hi"}, "invalid_event"),
    ({"network": "x", "handle": "a", "text": "hi", "id": "1", "url": "javascript:alert(1)"}, "invalid_event"),
    (b"not json", "malformed_request"),
])  # fmt: skip
def test_bad_mentions_are_400_and_store_nothing(social, event, code):
    response = post(social, event)
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert not Message.objects.exists() and not Client.objects.exists()


def test_a_bad_handle_is_422(social):
    response = post(social, mention(handle="Sibyl Vane!"))
    assert (response.status_code, response.json()["code"]) == (422, "invalid_handle")


def test_unsigned_or_misdirected_mentions_are_401(social, sms):
    assert post(social, mention(), signature="").status_code == 401
    assert post(social, mention(), signature="t=1,v1=00").status_code == 401
    assert post(social, mention(), inbox_id=social.pk + 999).status_code == 401
    assert post(sms, mention()).status_code == 401  # not a social inbox
    assert not Message.objects.exists()
