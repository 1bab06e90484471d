"""Races on the inbox, with real threads (on PostgreSQL in CI): one provider message posted by many
webhook deliveries at once is stored once; many workers delivering one outbox row send it once."""

import pytest
from django.utils import timezone

from omnipresence.inbox import services
from omnipresence.inbox.adapters import LocalAdapter
from omnipresence.inbox.models import LocalDelivery, Message, OutboxItem
from omnipresence.orders.tests.test_concurrency import run_clients

pytestmark = pytest.mark.django_db(transaction=True)
WORKERS = 12


def test_one_message_delivered_by_many_webhooks_is_stored_once(sms):
    results, escaped = run_clients(
        WORKERS,
        lambda i: services.inbound_receive(inbox=sms, sender="+447911123456", body="Is it in a 38?",
                                           provider_message_id="SM-race")[0].pk,
    )  # fmt: skip
    assert escaped == []
    message = Message.objects.get()
    assert set(results) == {message.pk}
    assert message.conversation.unread == 1


def test_many_workers_deliver_one_outbox_row_once(sms, associate_actor, monkeypatch):
    message, _ = services.inbound_receive(inbox=sms, sender="+447911123456", body="Hi", provider_message_id="SM-a")
    calls = []
    real_send = LocalAdapter.send

    def counting(self, **kwargs):
        calls.append(kwargs["idempotency_key"])
        return real_send(self, **kwargs)

    # Sent at once after commit; then put back in the queue as if that worker had died mid-send.
    answer = services.message_send(actor=associate_actor, conversation=message.conversation, body="Hello!")
    OutboxItem.objects.filter(message=answer).update(done_at=None, attempts=0, next_attempt_at=timezone.now())
    Message.objects.filter(pk=answer.pk).update(status="queued")
    item = OutboxItem.objects.get(message=answer)
    monkeypatch.setattr(LocalAdapter, "send", counting)

    results, escaped = run_clients(WORKERS, lambda i: services.outbox_deliver(item.pk))

    assert escaped == []
    assert results.count("sent") == 1 and set(results) == {"sent", "skipped"}
    assert calls == [f"msg-{answer.pk}"]  # the provider was called by one worker only
    assert LocalDelivery.objects.count() == 1
