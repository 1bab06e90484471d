"""A video call now, from her conversation: the appointment starts this minute with the associate
asking (not the slot grid: at night, on a closed day), her room link goes in the chat in the same
transaction, and a busy associate, a closed reply window or a boutique without a video type leave
nothing behind. Concurrency on PostgreSQL: one associate, many calls at once, one appointment."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from omnipresence.appointments import room, services
from omnipresence.appointments.errors import SlotTaken
from omnipresence.appointments.models import Appointment
from omnipresence.clients.models import TimelineEvent
from omnipresence.core.errors import Conflict
from omnipresence.inbox import rich
from omnipresence.inbox import services as inbox
from omnipresence.inbox.errors import WindowClosed
from omnipresence.inbox.models import Conversation, LocalDelivery, Message
from omnipresence.orders.tests.test_concurrency import run_clients
from omnipresence.stores.access import actor_for_user


@pytest.fixture
def alice(world_a, associate_a):
    return actor_for_user(associate_a, world_a["boutique"])


@pytest.fixture
def chat(world_a, manager_actor, ada):
    sms = inbox.inbox_create(actor=manager_actor, kind="sms", name="Shop SMS", address="+447700900001")
    from omnipresence.clients.services import client_identify

    client_identify(boutique=world_a["boutique"], email="ada@example.com", phone="+447911123456", channel="shop",
                    actor_label="test")  # fmt: skip
    inbox.inbound_receive(inbox=sms, sender="+447911123456", body="Can I see it on video?", provider_message_id="SM-v1")
    return Conversation.objects.select_related("inbox", "client").get()


def test_a_call_now_starts_this_minute_with_the_associate_even_at_night(calendar, alice, ada, associate_a):
    night = datetime(2026, 12, 6, 3, 7, 42, tzinfo=UTC)  # a Sunday, 03:07 in London: no slot anywhere
    call = services.appointment_call_now(actor=alice, client=ada, now=night)
    assert (call.starts_at, call.associate_id, call.mode, call.client_id) == (
        night.replace(second=0), associate_a.pk, "video", ada.pk
    )  # fmt: skip
    assert call.appointment_type == calendar["video"] and call.cap_ends_at == call.starts_at + timedelta(minutes=45)
    assert call.video_room and call.status == "booked"
    event = TimelineEvent.objects.get(client=ada, ref_kind="appointment", ref_id=call.pk)
    assert event.summary.startswith("Video call from the chat") and event.data["via"] == "chat"
    # Her room opens at once (the window starts before the start) and closes at the cap.
    link = room.room_link(call, host=False)
    _pass, found = room.room_enter(boutique=call.boutique, room=link.room, token=link.token, now=night)
    assert found == call


def test_a_busy_associate_cannot_start_a_call(calendar, alice, ada, world_a, manager_actor):
    now = timezone.now()
    services.time_off_add(actor=manager_actor, associate=alice.user, starts_at=now - timedelta(minutes=5),
                          ends_at=now + timedelta(hours=1), note="Lunch")  # fmt: skip
    with pytest.raises(SlotTaken):
        services.appointment_call_now(actor=alice, client=ada, now=now)
    assert not Appointment.objects.exists()


def test_a_boutique_without_a_video_type_says_so(world_a, alice, ada):
    with pytest.raises(Conflict) as refused:
        services.appointment_call_now(actor=alice, client=ada)
    assert refused.value.code == "no_video_type"


def test_from_the_chat_her_room_link_goes_out_with_the_appointment(calendar, alice, chat, associate_a,
                                                                   django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        message = rich.send_video_call(actor=alice, conversation=chat, body="Here is our room:")
    call = Appointment.objects.get()
    assert message.payload["type"] == "video_call" and message.payload["appointment_id"] == call.pk
    assert message.payload["minutes"] == 45
    sent = LocalDelivery.objects.get()
    assert sent.body.startswith("Here is our room:\nJoin me on video now: ")
    assert message.payload["url"] in sent.body and f"/room/{room.room_key(call)}/" in message.payload["url"]


def test_a_closed_reply_window_leaves_no_appointment(calendar, world_a, manager_actor, alice, ada):
    whatsapp = inbox.inbox_create(actor=manager_actor, kind="whatsapp", name="WhatsApp", address="+447700900002")
    from omnipresence.clients.services import client_identify

    client_identify(boutique=world_a["boutique"], email="ada@example.com", phone="+447911123456", channel="shop",
                    actor_label="test")  # fmt: skip
    inbox.inbound_receive(inbox=whatsapp, sender="+447911123456", body="Hi", provider_message_id="wamid.v1",
                          received_at=timezone.now() - timedelta(hours=30))  # fmt: skip
    conversation = Conversation.objects.select_related("inbox", "client").get()
    with pytest.raises(WindowClosed):
        rich.send_video_call(actor=alice, conversation=conversation)
    assert not Appointment.objects.exists() and not Message.objects.filter(direction="out").exists()


def test_the_api_sends_a_video_call_card(calendar, chat, associate_a):
    http = HttpClient()
    http.force_login(associate_a)
    sent = http.post(f"/api/v1/boutiques/atelier-a/conversations/{chat.pk}/cards", {"kind": "video_call"},
                     content_type="application/json")  # fmt: skip
    assert sent.status_code == 201, sent.content
    assert sent.json()["payload"]["type"] == "video_call"
    busy = http.post(f"/api/v1/boutiques/atelier-a/conversations/{chat.pk}/cards", {"kind": "video_call"},
                     content_type="application/json")  # fmt: skip
    assert (busy.status_code, busy.json()["code"]) == (409, "slot_taken")  # she is in that call now
    assert Appointment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_many_calls_at_once_for_one_associate_make_one_appointment(calendar, alice, ada):
    results, escaped = run_clients(8, lambda i: _call(alice, ada))
    assert escaped == []
    assert sorted(results) == ["booked"] + ["slot_taken"] * 7
    assert Appointment.objects.filter(associate=alice.user).count() == 1


def _call(actor, client) -> str:
    try:
        services.appointment_call_now(actor=actor, client=client)
    except SlotTaken:
        return "slot_taken"
    return "booked"
