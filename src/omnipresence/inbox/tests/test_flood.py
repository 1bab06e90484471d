"""A sender flooding one conversation (a script, an auto-responder answering ours): beyond 30
messages a minute everything is still stored, but quietly — no alert, no routing, no away reply, no
timeline entry each — and the thread is tagged "flood" once; a minute later she is heard as usual."""

from datetime import timedelta

from django.utils import timezone

from omnipresence.clients.models import TimelineEvent
from omnipresence.inbox import realtime, services
from omnipresence.inbox.models import Conversation, Message


def test_a_flood_is_stored_quietly_and_tagged_once(sms, monkeypatch):
    sent = []
    monkeypatch.setattr(realtime, "emit", lambda groups, event: sent.append(event["kind"]))
    start = timezone.now() - timedelta(seconds=50)
    for i in range(services.FLOOD_MESSAGES):
        services.inbound_receive(inbox=sms, sender="+447911123456", body=f"hello {i}",
                                 received_at=start + timedelta(seconds=i))  # fmt: skip
    conversation = Conversation.objects.get()
    assert conversation.tags == [] and sent.count("message") >= services.FLOOD_MESSAGES  # each announced
    timeline = TimelineEvent.objects.filter(kind="message").count()
    sent.clear()

    for i in range(20):  # 20 more in the same minute
        message, created = services.inbound_receive(inbox=sms, sender="+447911123456", body=f"again {i}",
                                                    received_at=start + timedelta(seconds=31 + i / 10))  # fmt: skip
        assert created and message.payload == {"flood": True}
    conversation.refresh_from_db()
    assert Message.objects.filter(conversation=conversation).count() == services.FLOOD_MESSAGES + 20  # nothing lost
    assert conversation.tags == ["flood"]
    assert sent == ["conversation"]  # one event: the tag; no alert per message
    assert TimelineEvent.objects.filter(kind="message").count() == timeline
    assert conversation.unread == services.FLOOD_MESSAGES

    later = start + timedelta(seconds=31 + services.FLOOD_SECONDS + 1)
    message, _ = services.inbound_receive(inbox=sms, sender="+447911123456", body="Sorry, my phone", received_at=later)
    assert message.payload == {} and "message" in sent
    assert TimelineEvent.objects.filter(kind="message").count() == timeline + 1


def test_others_writing_at_the_same_time_are_heard(sms):
    start = timezone.now() - timedelta(seconds=30)
    for i in range(services.FLOOD_MESSAGES + 5):
        services.inbound_receive(inbox=sms, sender="+447911123456", body=f"spam {i}",
                                 received_at=start + timedelta(seconds=i / 2))  # fmt: skip
    message, _ = services.inbound_receive(inbox=sms, sender="+447911123457", body="Is the coat in?")
    assert message.payload == {}
    assert Conversation.objects.get(pk=message.conversation_id).tags == []
