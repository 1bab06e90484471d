"""Races on the inbox, with real threads (on PostgreSQL in CI): one provider message posted by many
webhook deliveries at once is stored once; many workers delivering one outbox row send it once."""

import threading
import time

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
    Message.objects.filter(pk=answer.pk).update(status="queued", provider_message_id="")
    item = OutboxItem.objects.get(message=answer)
    monkeypatch.setattr(LocalAdapter, "send", counting)

    results, escaped = run_clients(WORKERS, lambda i: services.outbox_deliver(item.pk))

    assert escaped == []
    assert results.count("sent") == 1 and set(results) == {"sent", "skipped"}
    assert calls == [f"msg-{answer.pk}"]  # the provider was called by one worker only
    assert LocalDelivery.objects.count() == 1


@pytest.mark.parametrize("receipt_first", [True, False])
def test_a_receipt_racing_the_sends_own_answer_leaves_one_delivered_message(sms, associate_actor, monkeypatch,
                                                                            receipt_first):  # fmt: skip
    """The provider's receipt (naming the message by its reference) and the send's own answer land
    at the same moment, in separate connections: whichever writes first, the message ends up with
    the provider's id and the receipt's status, its outbox row done, and the provider called once."""
    from omnipresence.inbox.status import message_status_update

    message, _ = services.inbound_receive(inbox=sms, sender="+447911123456", body="Hi", provider_message_id="SM-b")
    answer = services.message_send(actor=associate_actor, conversation=message.conversation, body="Hello!")
    OutboxItem.objects.filter(message=answer).update(done_at=None, attempts=0, next_attempt_at=timezone.now())
    Message.objects.filter(pk=answer.pk).update(status="queued", provider_message_id="", sent_at=None)
    item = OutboxItem.objects.get(message=answer)
    accepted = threading.Event()
    calls = []

    def provider_took_it(self, **kwargs):
        calls.append(kwargs["idempotency_key"])
        accepted.set()  # the provider has it; its receipt is on the way while the answer travels back
        if not receipt_first:
            return "PROVIDER-1"
        time.sleep(0.2)
        return "PROVIDER-1"

    monkeypatch.setattr(LocalAdapter, "send", provider_took_it)

    def work(index: int):
        if index == 0:
            return services.outbox_deliver(item.pk)
        assert accepted.wait(timeout=30)
        if not receipt_first:
            time.sleep(0.01)
        return message_status_update(boutique_id=sms.boutique_id, provider_message_id="PROVIDER-1", status="delivered",
                                     inbox_id=sms.pk, reference=f"msg-{answer.pk}") is not None  # fmt: skip

    results, escaped = run_clients(2, work)
    assert escaped == []
    assert results[0] == "sent" and results[1] is True
    answer.refresh_from_db()
    assert (answer.status, answer.provider_message_id) == ("delivered", "PROVIDER-1")
    assert OutboxItem.objects.get(pk=item.pk).done_at is not None
    assert calls == [f"msg-{answer.pk}"]
    assert services.outbox_sweep() == {}
