"""Before, during and after: the pull list (holds owned by the appointment), no-shows, completion
with its follow-up task, reminders on her channel, and merges and erasure."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from omnipresence.appointments import invitations, services
from omnipresence.appointments.models import Appointment, PullItem
from omnipresence.appointments.tests.conftest import API, next_day, post, staff_http
from omnipresence.clienteling.models import Task
from omnipresence.clients import services as clients
from omnipresence.clients.models import Client, TimelineEvent
from omnipresence.inventory.models import Hold, Stock
from omnipresence.stores.access import actor_for_user


@pytest.fixture
def booked(calendar, ada, associate_a):
    appointment, _ = services.appointment_book(appointment_type=calendar["styling"], client=ada, via="staff",
                                               starts_at=next_day(3, "15:00"), associate_id=associate_a.pk)  # fmt: skip
    return appointment


def _past(appointment: Appointment, minutes_ago: int = 5) -> Appointment:
    """Move a booked appointment into the past, as if its time had come."""
    shift = appointment.starts_at - (timezone.now() - timedelta(minutes=minutes_ago))
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=appointment.starts_at - shift, ends_at=appointment.ends_at - shift,
        cap_ends_at=appointment.cap_ends_at - shift, blocked_from=appointment.blocked_from - shift,
        blocked_until=appointment.blocked_until - shift,
    )  # fmt: skip
    appointment.refresh_from_db()
    return appointment


def test_the_pull_list_holds_items_until_the_end_plus_the_buffer(booked, world_a, associate_a):
    http = staff_http(associate_a)
    sku = world_a["variants"][1].sku
    added = post(http, f"{API}/atelier-a/appointments/{booked.pk}/pull-list", {"sku": sku})
    assert added.status_code == 201, added.content
    (item,) = added.json()["pull_list"]
    hold = Hold.objects.get(pk=item["hold_id"])
    assert (hold.owner_ref, hold.kind, hold.status, hold.quantity) == (f"appointment:{booked.pk}", "client", "active", 1)
    assert hold.expires_at == booked.blocked_until
    assert Stock.objects.get(location=world_a["shop"], variant=world_a["variants"][1]).held == 1
    # Another boutique's SKU, a silly quantity, more than the shop has: clear 4xx, nothing held.
    assert post(http, f"{API}/atelier-a/appointments/{booked.pk}/pull-list", {"sku": "NOPE-1"}).json()["code"] == "variant_not_found"
    short = post(http, f"{API}/atelier-a/appointments/{booked.pk}/pull-list", {"sku": sku, "quantity": 5})
    assert (short.status_code, short.json()["code"]) == (409, "insufficient_stock")
    assert Hold.objects.filter(owner_ref=f"appointment:{booked.pk}").count() == 1
    removed = http.delete(f"{API}/atelier-a/appointments/{booked.pk}/pull-list/{item['id']}")
    assert removed.status_code == 200 and removed.json()["pull_list"] == []
    hold.refresh_from_db()
    assert hold.status == "released"
    assert Stock.objects.get(location=world_a["shop"], variant=world_a["variants"][1]).held == 0


def test_moving_the_appointment_moves_the_holds_and_cancelling_releases_them(booked, world_a, associate_a):
    actor = actor_for_user(associate_a, world_a["boutique"])
    item = services.pull_item_add(actor=actor, appointment=booked, variant=world_a["variants"][0])
    later = booked.starts_at + timedelta(days=1)
    moved = services.appointment_reschedule(actor=actor, appointment=booked, starts_at=later)
    item.hold.refresh_from_db()
    assert item.hold.expires_at == moved.blocked_until == later + timedelta(minutes=60)
    services.appointment_cancel(actor=actor, appointment=moved, reason="She is ill")
    item.hold.refresh_from_db()
    assert item.hold.status == "released" and PullItem.objects.get(pk=item.pk).removed_at is not None
    event = TimelineEvent.objects.get(ref_kind="appointment_cancel", ref_id=booked.pk)
    assert event.data["reason"] == "She is ill" and event.client_id == booked.client_id


def test_no_show_only_once_it_has_started(booked, associate_a, ada):
    http = staff_http(associate_a)
    early = post(http, f"{API}/atelier-a/appointments/{booked.pk}/no-show")
    assert (early.status_code, early.json()["code"]) == (409, "appointment_not_started")
    _past(booked)
    marked = post(http, f"{API}/atelier-a/appointments/{booked.pk}/no-show")
    assert marked.status_code == 200 and marked.json()["status"] == "no_show"
    assert TimelineEvent.objects.filter(client=ada, ref_kind="appointment_no_show", ref_id=booked.pk).count() == 1
    again = post(http, f"{API}/atelier-a/appointments/{booked.pk}/no-show")
    assert (again.status_code, again.json()["code"]) == (409, "appointment_not_active")


def test_completing_it_makes_a_follow_up_task_for_her_associate(booked, associate_a, ada, manager_a):
    _past(booked, minutes_ago=70)
    done = post(staff_http(manager_a), f"{API}/atelier-a/appointments/{booked.pk}/complete", {"note": "Loved the coat"})
    assert done.status_code == 200 and done.json()["status"] == "completed"
    task = Task.objects.get(client=ada)
    assert (task.assignee_id, task.status, task.note) == (associate_a.pk, "open", "Loved the coat")
    assert "In-store styling" in task.reason or "in-store styling" in task.reason
    assert timedelta(hours=23) < task.due_at - timezone.now() <= timedelta(days=1)
    assert TimelineEvent.objects.filter(client=ada, ref_kind="appointment_done").count() == 1
    assert post(staff_http(manager_a), f"{API}/atelier-a/appointments/{booked.pk}/complete").status_code == 409
    assert Task.objects.filter(client=ada).count() == 1


def test_reminders_go_once_each_by_email(calendar, ada, django_capture_on_commit_callbacks):
    start = next_day(0, "10:00", weeks_ahead=2)
    with django_capture_on_commit_callbacks(execute=True):
        appointment, _ = services.appointment_book(appointment_type=calendar["video"], client=ada, starts_at=start,
                                                   via="staff", now=start - timedelta(days=5))  # fmt: skip
    assert len(mail.outbox) == 1  # the invitation
    assert invitations.reminders_sweep(now=start - timedelta(hours=30)) == {"inbox": 0, "email": 0, "none": 0}
    assert invitations.reminders_sweep(now=start - timedelta(hours=23))["email"] == 1
    assert invitations.reminders_sweep(now=start - timedelta(hours=22))["email"] == 0
    assert "Tomorrow" in mail.outbox[-1].subject and mail.outbox[-1].attachments == []
    assert invitations.reminders_sweep(now=start - timedelta(minutes=50))["email"] == 1
    assert invitations.reminders_sweep(now=start - timedelta(minutes=40))["email"] == 0
    assert len(mail.outbox) == 3 and "In an hour" in mail.outbox[-1].subject
    appointment.refresh_from_db()
    assert appointment.reminded == ["24h", "1h"]


def test_a_reminder_that_could_not_be_sent_goes_at_the_next_sweep(calendar, ada, monkeypatch,
                                                                   django_capture_on_commit_callbacks):  # fmt: skip
    start = next_day(0, "10:00", weeks_ahead=2)
    with django_capture_on_commit_callbacks(execute=True):
        appointment, _ = services.appointment_book(appointment_type=calendar["video"], client=ada, starts_at=start,
                                                   via="staff", now=start - timedelta(days=5))  # fmt: skip
    real = invitations._send_email

    def smtp_down(appointment_id, kind):
        raise ConnectionRefusedError("the mail server is down")

    monkeypatch.setattr(invitations, "_send_email", smtp_down)
    assert invitations.reminders_sweep(now=start - timedelta(hours=23)) == {"inbox": 0, "email": 0, "none": 0,
                                                                            "failed": 1}  # fmt: skip
    appointment.refresh_from_db()
    assert appointment.reminded == []  # handed back, not lost
    monkeypatch.setattr(invitations, "_send_email", real)
    assert invitations.reminders_sweep(now=start - timedelta(hours=22))["email"] == 1
    assert "Tomorrow" in mail.outbox[-1].subject
    appointment.refresh_from_db()
    assert appointment.reminded == ["24h"]


def test_a_reminder_goes_through_her_sms_conversation(calendar, world_a, manager_actor):
    from omnipresence.inbox import services as inbox
    from omnipresence.inbox.models import Message

    sms = inbox.inbox_create(actor=manager_actor, kind="sms", name="Shop SMS", address="+447700900001")
    message, _ = inbox.inbound_receive(inbox=sms, sender="+447911123456", body="Can I book a call?")
    her = message.conversation.client
    Client.objects.filter(pk=her.pk).update(preferred_channel="sms")
    start = next_day(1, "11:00", weeks_ahead=2)
    services.appointment_book(appointment_type=calendar["video"], client=Client.objects.get(pk=her.pk),
                              starts_at=start, via="staff", now=start - timedelta(days=3))  # fmt: skip
    assert invitations.reminders_sweep(now=start - timedelta(hours=20)) == {"inbox": 1, "email": 0, "none": 0}
    sent = Message.objects.filter(conversation=message.conversation, direction="out").get()
    assert sent.purpose == "service" and "tomorrow" in sent.body


def test_merge_moves_her_appointments_and_erasure_wipes_her_words(booked, world_a, ada):
    other = clients.client_resolve(boutique=world_a["boutique"], email="ada.l@example.com", name="Ada L")
    moved = services.appointments_merge(survivor_id=other.pk, merged_id=ada.pk)
    assert moved == {"appointment": [booked.pk]} and Appointment.objects.get().client_id == other.pk
    services.appointments_merge_undo(survivor_id=other.pk, merged_id=ada.pk, moved=moved)
    Appointment.objects.filter(pk=booked.pk).update(wishes="Size 38, the blue coat")
    assert services.appointments_export(client=ada)[0]["wishes"] == "Size 38, the blue coat"
    services.appointments_erase(client=ada)
    booked.refresh_from_db()
    assert (booked.wishes, booked.status, booked.cancelled_by_label) == ("", "cancelled", "erasure")
