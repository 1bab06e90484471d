"""Send again: a message of ours that failed goes out once more on the associate's word, with the
checks of a new answer and a fresh key; a message still on its way is never sent twice."""

from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from omnipresence.clients.services import consent_record
from omnipresence.inbox import services
from omnipresence.inbox.adapters import LocalAdapter
from omnipresence.inbox.errors import (
    ConsentRequired,
    MessageNotFound,
    NotFailed,
    ProviderFailed,
    WindowClosed,
)
from omnipresence.inbox.models import Conversation, LocalDelivery, Message, OutboxItem
from omnipresence.inbox.status import message_status_update

BASE = "/api/v1/boutiques/atelier-a"


def _refused(monkeypatch):
    def refuse(self, **kwargs):
        raise ProviderFailed("The number is not reachable (code 21614)", permanent=True)

    monkeypatch.setattr(LocalAdapter, "send", refuse)


@pytest.fixture
def conversation(sms, sibyl):
    services.inbound_receive(inbox=sms, sender="+447911123456", body="Is it in a 38?", provider_message_id="SM-r1")
    return Conversation.objects.select_related("inbox", "client").get()


def test_a_failed_message_is_sent_again_once_with_a_fresh_key(conversation, associate_a, monkeypatch,
                                                              django_capture_on_commit_callbacks):  # fmt: skip
    real = LocalAdapter.send
    _refused(monkeypatch)
    http = HttpClient()
    http.force_login(associate_a)
    with django_capture_on_commit_callbacks(execute=True):
        sent = http.post(f"{BASE}/conversations/{conversation.pk}/messages", {"body": "Yes, in a 38."},
                         content_type="application/json")  # fmt: skip
    message = Message.objects.get(pk=sent.json()["id"])
    assert (message.status, message.error) == ("failed", "The number is not reachable (code 21614)")
    thread = http.get(f"{BASE}/conversations/{conversation.pk}").json()
    assert [m["error"] for m in thread["messages"] if m["direction"] == "out"] == [message.error]

    monkeypatch.setattr(LocalAdapter, "send", real)  # the number works again
    url = f"{BASE}/conversations/{conversation.pk}/messages/{message.pk}/resend"
    with django_capture_on_commit_callbacks(execute=True):
        again = http.post(url)
    assert again.status_code == 200, again.content
    assert again.json()["status"] == "queued" and again.json()["error"] == ""  # its status follows on the socket
    message.refresh_from_db()
    assert (message.status, message.payload["resends"]) == ("sent", 1)
    assert list(LocalDelivery.objects.values_list("idempotency_key", flat=True)) == [f"msg-{message.pk}-r1"]
    twice = http.post(url)  # a double tap: it is on its way (sent), not failed
    assert (twice.status_code, twice.json()["code"]) == (409, "not_failed")
    assert LocalDelivery.objects.count() == 1 and Message.objects.filter(direction="out").count() == 1


def test_only_our_failed_message_of_this_conversation_is_sent_again(conversation, associate_actor, sms,
                                                                     monkeypatch):  # fmt: skip
    queued = services.message_send(actor=associate_actor, conversation=conversation, body="On its way")
    with pytest.raises(NotFailed):
        services.message_resend(actor=associate_actor, conversation=conversation, message_id=queued.pk)
    hers = Message.objects.get(direction="in")
    services.inbound_receive(inbox=sms, sender="+447911123499", body="Other", provider_message_id="SM-r2")
    other = Conversation.objects.exclude(pk=conversation.pk).get()
    Message.objects.filter(pk=queued.pk).update(status="failed")
    for message_id, where in ((hers.pk, conversation), (queued.pk, other), ("x", conversation), (10**12, conversation)):
        with pytest.raises(MessageNotFound):
            services.message_resend(actor=associate_actor, conversation=where, message_id=message_id)
    assert OutboxItem.objects.get(message=queued).attempts == 0  # nothing was queued again


def test_sending_again_checks_her_consent_and_the_window_again(whatsapp, sibyl, associate_actor, manager_actor,
                                                               monkeypatch):  # fmt: skip
    consent_record(actor_label="test", client=sibyl, purpose="marketing_whatsapp", granted=True, channel="whatsapp",
                   wording="Yes to news")  # fmt: skip
    services.inbound_receive(inbox=whatsapp, sender="+447911123456", body="Hi", provider_message_id="wamid.r1")
    conversation = Conversation.objects.select_related("inbox", "client").get()
    news = services.message_send(actor=associate_actor, conversation=conversation, body="New coats!",
                                 purpose="marketing")  # fmt: skip
    answer = services.message_send(actor=associate_actor, conversation=conversation, body="Yes")
    Message.objects.filter(pk__in=[news.pk, answer.pk]).update(status="failed", error="refused")
    consent_record(actor_label="test", client=sibyl, purpose="marketing_whatsapp", granted=False, channel="whatsapp",
                   wording="She replied STOP")  # fmt: skip
    with pytest.raises(ConsentRequired):
        services.message_resend(actor=associate_actor, conversation=conversation, message_id=news.pk)
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - timedelta(hours=25))
    conversation.refresh_from_db()
    with pytest.raises(WindowClosed):
        services.message_resend(actor=associate_actor, conversation=conversation, message_id=answer.pk)
    assert set(Message.objects.filter(direction="out").values_list("status", flat=True)) == {"failed"}


def test_a_receipt_for_the_earlier_sending_does_not_name_the_new_one(conversation, associate_actor, sms,
                                                                     monkeypatch):  # fmt: skip
    message = services.message_send(actor=associate_actor, conversation=conversation, body="Yes")
    Message.objects.filter(pk=message.pk).update(status="failed", error="no answer")  # the outbox gave up
    OutboxItem.objects.filter(message=message).update(attempts=8, given_up_at=timezone.now())
    services.message_resend(actor=associate_actor, conversation=conversation, message_id=message.pk)
    stale = message_status_update(boutique_id=sms.boutique_id, provider_message_id="SM-first", status="failed",
                                  inbox_id=sms.pk, reference=f"msg-{message.pk}")  # fmt: skip
    current = message_status_update(boutique_id=sms.boutique_id, provider_message_id="SM-second", status="sent",
                                    inbox_id=sms.pk, reference=f"msg-{message.pk}-r1")  # fmt: skip
    message.refresh_from_db()
    assert stale is None and current is not None
    assert (message.status, message.provider_message_id) == ("sent", "SM-second")


def test_a_message_failed_by_a_receipt_while_a_worker_still_sends_it_waits(conversation, associate_actor, sms):
    """A receipt can fail a message while its outbox row is still leased to a worker: sending it
    again beside that worker could double or lose it, so it is refused until the row is at rest."""
    from omnipresence.inbox.errors import StillSending

    message = services.message_send(actor=associate_actor, conversation=conversation, body="Yes")  # queued
    OutboxItem.objects.filter(message=message).update(attempts=1, next_attempt_at=timezone.now() + timedelta(minutes=2))
    Message.objects.filter(pk=message.pk).update(status="failed", error="undelivered", provider_message_id="SM-x")
    with pytest.raises(StillSending):
        services.message_resend(actor=associate_actor, conversation=conversation, message_id=message.pk)
    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == ("failed", "SM-x")  # nothing half-changed
    OutboxItem.objects.filter(message=message).update(done_at=timezone.now())  # the worker finished
    assert services.message_resend(actor=associate_actor, conversation=conversation,
                                   message_id=message.pk).status == "queued"  # fmt: skip
