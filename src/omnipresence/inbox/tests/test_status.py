"""Delivery and read receipts (inbox.status): an outbound message moves forward only, failed from
any state before read, unknown ids and other boutiques' messages untouched, one live event per move,
and racing receipts never move it back (real threads, on PostgreSQL in CI)."""

import pytest

from omnipresence.core.errors import InvalidInput
from omnipresence.inbox import realtime, services
from omnipresence.inbox.models import Message
from omnipresence.inbox.status import message_status_update
from omnipresence.orders.tests.test_concurrency import run_clients


@pytest.fixture
def answer(sms, associate_actor):
    message, _ = services.inbound_receive(inbox=sms, sender="+447911123456", body="Hi", provider_message_id="SM-in")
    sent = services.message_send(actor=associate_actor, conversation=message.conversation, body="Hello!")
    Message.objects.filter(pk=sent.pk).update(provider_message_id="SM-out-1")
    return sent


@pytest.fixture
def events(monkeypatch):
    seen = []
    monkeypatch.setattr(realtime, "send_now", lambda group, event: seen.append((group, event)))
    return seen


def _status_after(answer, start: str, receipts: list[str]) -> str:
    Message.objects.filter(pk=answer.pk).update(status=start)
    for receipt in receipts:
        message_status_update(boutique_id=answer.boutique_id, provider_message_id="SM-out-1", status=receipt)
    answer.refresh_from_db()
    return answer.status


@pytest.mark.parametrize("start, receipts, end", [
    ("queued", ["sent"], "sent"),
    ("queued", ["delivered"], "delivered"),  # a receipt may overtake the outbox's own write
    ("sent", ["delivered", "read"], "read"),
    ("sent", ["read", "delivered"], "read"),
    ("delivered", ["sent"], "delivered"),
    ("read", ["failed"], "read"),
    ("queued", ["failed"], "failed"),
    ("sent", ["failed"], "failed"),
    ("delivered", ["failed"], "failed"),
    ("failed", ["delivered", "read"], "failed"),
])  # fmt: skip
def test_receipts_move_forward_only(answer, start, receipts, end):
    assert _status_after(answer, start, receipts) == end


def test_a_move_is_announced_once_and_records_failure_and_time(answer, events, django_capture_on_commit_callbacks):
    Message.objects.filter(pk=answer.pk).update(status="sent", sent_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        moved = message_status_update(boutique_id=answer.boutique_id, provider_message_id="SM-out-1",
                                      status="delivered")  # fmt: skip
        again = message_status_update(boutique_id=answer.boutique_id, provider_message_id="SM-out-1",
                                      status="delivered")  # fmt: skip
    assert moved.pk == answer.pk and moved.status == "delivered" and moved.sent_at is not None
    assert again is None
    kinds = [(group, event["kind"], event["status"]) for group, event in events]
    assert kinds == [(realtime.team_group(answer.boutique_id), "message_status", "delivered"),
                     (realtime.conversation_group(answer.conversation_id), "message_status", "delivered")]  # fmt: skip
    failed = message_status_update(boutique_id=answer.boutique_id, provider_message_id="SM-out-1", status="failed",
                                   error="Unreachable handset (30003)")  # fmt: skip
    assert (failed.status, failed.error) == ("failed", "Unreachable handset (30003)")


def test_unknown_ids_other_boutiques_and_inbound_messages_are_untouched(answer, world_b, events):
    assert message_status_update(boutique_id=answer.boutique_id, provider_message_id="SM-nope", status="read") is None
    assert message_status_update(boutique_id=world_b["boutique"].pk, provider_message_id="SM-out-1",
                                 status="read") is None  # fmt: skip
    assert message_status_update(boutique_id=answer.boutique_id, provider_message_id="SM-in", status="read") is None
    assert message_status_update(boutique_id=answer.boutique_id, provider_message_id="", status="read") is None
    assert list(Message.objects.order_by("pk").values_list("status", flat=True)) == ["received", "queued"]
    assert events == []


def test_a_status_that_is_not_a_receipt_is_refused(answer):
    with pytest.raises(InvalidInput):
        message_status_update(boutique_id=answer.boutique_id, provider_message_id="SM-out-1", status="received")


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_racing_receipts_never_move_a_message_back(sms, associate_actor):
    message, _ = services.inbound_receive(inbox=sms, sender="+447911123456", body="Hi", provider_message_id="SM-r")
    answers = []
    for i in range(5):
        sent = services.message_send(actor=associate_actor, conversation=message.conversation, body=f"Hello {i}")
        Message.objects.filter(pk=sent.pk).update(status="sent", provider_message_id=f"SM-race-{i}")
        answers.append(sent)
    order = ["delivered", "read", "sent", "delivered", "failed", "read"] * 2

    def receipt(i):
        status = order[i % len(order)]
        return [message_status_update(boutique_id=sms.boutique_id, provider_message_id=f"SM-race-{n}",
                                      status=status) is not None for n in range(5)]  # fmt: skip

    results, escaped = run_clients(12, receipt)
    assert escaped == []
    assert set(Message.objects.filter(pk__in=[a.pk for a in answers]).values_list("status", flat=True)) <= {
        "read", "failed"
    }  # fmt: skip
    # "read" and "failed" are each reached at most once per message: a receipt never moves it back.
    for n in range(5):
        assert sum(1 for moved in results if moved[n]) <= 2  # sent→delivered→read at most
