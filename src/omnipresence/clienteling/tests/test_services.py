"""Manual tasks, permissions, the hand-over, merges and privacy, and consent-gated outreach."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from omnipresence.clienteling import outreach, services
from omnipresence.clienteling.models import Task
from omnipresence.clienteling.selectors import access_task, task_list
from omnipresence.clients import services as clients
from omnipresence.clients.hooks import privacy_handlers
from omnipresence.clients.models import AccessAttempt, Client, TimelineEvent
from omnipresence.clients.selectors import BookFilters, client_book
from omnipresence.conftest import make_staff
from omnipresence.core.errors import DomainError, Forbidden, NotFound
from omnipresence.inventory import services as inventory
from omnipresence.stores.access import actor_for_user

pytestmark = pytest.mark.django_db


def test_manual_task_done_lands_on_her_timeline(alice_actor, client_a):
    task = services.task_create(actor=alice_actor, client=client_a, reason="Ask how the coat fits")
    assert task.assignee == alice_actor.user and task.kind == "manual"
    assert [t.pk for t in task_list(actor=alice_actor)] == [task.pk]
    services.task_done(actor=alice_actor, task=task, note="Loves it")
    task.refresh_from_db()
    assert (task.status, task.done_by_id) == ("done", alice_actor.user_id)
    event = TimelineEvent.objects.get(client=client_a, kind="task")
    assert event.summary == "Followed up: Ask how the coat fits — Loves it"
    assert event.associate_id == alice_actor.user_id
    with pytest.raises(DomainError) as raised:
        services.task_done(actor=alice_actor, task=task)
    assert raised.value.code == "task_closed"
    assert TimelineEvent.objects.filter(client=client_a, kind="task").count() == 1


def test_snooze_hides_and_dismiss_closes(alice_actor, client_a):
    task = services.task_create(actor=alice_actor, client=client_a, reason="Call")
    services.task_snooze(actor=alice_actor, task=task, until=timezone.now() + timedelta(days=2))
    assert list(task_list(actor=alice_actor)) == []
    with pytest.raises(DomainError) as raised:
        services.task_snooze(actor=alice_actor, task=task, until=timezone.now() - timedelta(days=1))
    assert raised.value.code == "invalid_snooze"
    services.task_dismiss(actor=alice_actor, task=task)
    assert Task.objects.get(pk=task.pk).status == "dismissed"
    assert not TimelineEvent.objects.filter(kind="task").exists()


def test_associates_cannot_assign_and_see_only_their_own(world_a, alice_actor, maria_actor, maria, client_a):
    with pytest.raises(Forbidden):
        services.task_create(actor=alice_actor, client=client_a, reason="For Maria", assignee=maria)
    theirs = services.task_create(actor=maria_actor, client=client_a, reason="Maria's own")
    with pytest.raises(NotFound):
        access_task(alice_actor, theirs.pk)
    with pytest.raises(Forbidden):
        services.task_assign(actor=alice_actor, task=theirs, assignee=alice_actor.user)
    with pytest.raises(Forbidden):
        list(task_list(actor=alice_actor, view="all"))
    # A team task for her home shop is hers to see.
    team = services.task_create(actor=maria_actor, client=client_a, reason="Team", team_location=world_a["shop"])
    assert [t.pk for t in task_list(actor=alice_actor, view="team")] == [team.pk]
    assert Task.objects.get(pk=theirs.pk).assignee == maria


def test_another_boutiques_user_client_or_location_is_refused(world_a, world_b, maria_actor, client_a):
    bruno = make_staff(world_b, "bruno")
    other = clients.client_resolve(boutique=world_b["boutique"], email="b@example.com", name="B")
    for kwargs, code in (({"client": client_a, "assignee": bruno}, "invalid_assignee"),
                         ({"client": other}, "client_not_found"),
                         ({"client": client_a, "team_location": world_b["shop"]}, "invalid_team")):  # fmt: skip
        with pytest.raises(DomainError) as raised:
            services.task_create(actor=maria_actor, reason="x", **kwargs)
        assert raised.value.code == code
    assert not Task.objects.exists()


def test_reassign_moves_clients_and_open_tasks_in_one_go(world_a, alice, alice_actor, maria_actor, client_a):
    bea = make_staff(world_a, "bea")
    second = clients.client_resolve(boutique=world_a["boutique"], email="z@example.com", name="Zoe")
    clients.client_update(actor=maria_actor, client=second, primary_associate=bea, secondary_associate=alice)
    open_task = services.task_create(actor=alice_actor, client=client_a, reason="Call")
    closed = services.task_create(actor=alice_actor, client=client_a, reason="Old")
    services.task_done(actor=alice_actor, task=closed)
    assert services.clients_reassign_preview(actor=maria_actor, from_user=alice) == {
        "primary": 1, "secondary": 1, "tasks": 1}
    counts = services.clients_reassign(actor=maria_actor, from_user=alice, to_user=bea)
    assert counts == {"clients": 2, "primary": 1, "secondary": 0, "tasks": 1}
    assert Client.objects.get(pk=client_a.pk).primary_associate == bea
    zoe = Client.objects.get(pk=second.pk)
    assert (zoe.primary_associate, zoe.secondary_associate) == (bea, None)  # not bea twice
    assert Task.objects.get(pk=open_task.pk).assignee == bea
    assert Task.objects.get(pk=closed.pk).assignee == alice  # history stays


def test_reassign_to_a_team_and_refusals_change_nothing(world_a, world_b, alice, alice_actor, maria_actor, client_a):
    task = services.task_create(actor=alice_actor, client=client_a, reason="Call")
    with pytest.raises(Forbidden):
        services.clients_reassign(actor=alice_actor, from_user=alice, to_location=world_a["shop2"])
    with pytest.raises(DomainError) as raised:
        services.clients_reassign(actor=maria_actor, from_user=alice, to_location=world_b["shop"])
    assert raised.value.code == "invalid_team"
    # A failure half-way rolls everything back.
    with mock.patch.object(Task.objects, "filter", side_effect=RuntimeError("boom")), pytest.raises(RuntimeError):
        services.clients_reassign(actor=maria_actor, from_user=alice, to_location=world_a["shop2"])
    assert Client.objects.get(pk=client_a.pk).primary_associate == alice
    counts = services.clients_reassign(actor=maria_actor, from_user=alice, to_location=world_a["shop2"])
    assert counts == {"clients": 1, "primary": 1, "secondary": 0, "tasks": 1}
    task.refresh_from_db()
    assert (task.assignee_id, task.team_location_id) == (None, world_a["shop2"].pk)
    assert Client.objects.get(pk=client_a.pk).primary_associate is None


def test_merge_moves_tasks_and_undo_puts_them_back(world_a, alice_actor, client_a):
    other = clients.client_resolve(boutique=world_a["boutique"], email="other@example.com", name="Ada Lovelace")
    task = services.task_create(actor=alice_actor, client=other, reason="Call")
    record = clients.client_merge(actor=world_a["actor"], survivor=client_a, merged=other)
    assert Task.objects.get(pk=task.pk).client_id == client_a.pk
    clients.client_merge_undo(actor=world_a["actor"], record=record)
    assert Task.objects.get(pk=task.pk).client_id == other.pk


def test_privacy_export_and_erase(alice_actor, client_a):
    services.task_create(actor=alice_actor, client=client_a, reason="Her husband's birthday is in May")
    export, erase = privacy_handlers()["clienteling"]
    [row] = export(client=client_a)
    assert (row["reason"], row["status"]) == ("Her husband's birthday is in May", "open")
    assert erase(client=client_a) == {"task": 1}
    assert not Task.objects.exists()


def test_book_filters_holds_pay_links_new_arrivals(world_a, alice_actor, client_a):
    other = clients.client_resolve(boutique=world_a["boutique"], email="o@example.com", name="Other")
    assert list(client_book(actor=alice_actor, filters=BookFilters(open_holds=True))) == []
    inventory.hold_place(actor=world_a["actor"], location=world_a["shop"], variant=world_a["variants"][0],
                         quantity=1, client_contact="ada@example.com", owner_ref="")  # fmt: skip
    assert [c.pk for c in client_book(actor=alice_actor, filters=BookFilters(open_holds=True))] == [client_a.pk]
    clients.client_update(actor=alice_actor, client=other, sizes={"coats": "L"}, colours=["Blue"])
    assert [c.pk for c in client_book(actor=alice_actor, filters=BookFilters(new_arrivals=True))] == [other.pk]
    assert list(client_book(actor=alice_actor, filters=BookFilters(unpaid_pay_links=True))) == []
    mine = client_book(actor=alice_actor, associate=alice_actor.user, filters=BookFilters(new_arrivals=True))
    assert list(mine) == []


# --- outreach ----------------------------------------------------------------------------------


def test_marketing_needs_consent_and_is_refused_after_withdrawal(world_a, alice_actor, client_a):
    def send():
        return outreach.client_message_send(actor=alice_actor, client=client_a, purpose="marketing",
                                            subject="New coats", body="In your size.")  # fmt: skip

    clients.consent_record(actor_label="alice", client=client_a, purpose="marketing_email", granted=True,
                           channel="shop", wording="Yes")  # fmt: skip
    assert send()["to"] == "ada@example.com"
    assert len(mail.outbox) == 1
    clients.consent_record(actor_label="alice", client=client_a, purpose="marketing_email", granted=False,
                           channel="shop", wording="No more")  # fmt: skip
    with pytest.raises(DomainError) as raised:
        send()
    assert (raised.value.code, raised.value.status) == ("consent_required", 409)
    assert len(mail.outbox) == 1
    attempt = AccessAttempt.objects.get(code="consent_required")
    assert (attempt.action, attempt.target) == ("message", f"client:{client_a.pk}")
    assert TimelineEvent.objects.filter(client=client_a, kind="message").count() == 1


def test_transactional_needs_no_consent_and_lands_on_her_timeline(alice_actor, client_a):
    outreach.client_message_send(actor=alice_actor, client=client_a, purpose="transactional",
                                 subject="Your hold", body="It is ready.")  # fmt: skip
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    event = TimelineEvent.objects.get(client=client_a, kind="message")
    assert (event.summary, event.associate_id) == ("Email sent: Your hold", alice_actor.user_id)


def test_no_email_and_other_channels(world_a, alice_actor):
    phone_only = clients.client_resolve(boutique=world_a["boutique"], phone="+447911123456", name="Phone")
    for kwargs, code in (({"client": phone_only}, "no_email"),
                         ({"client": phone_only, "channel": "sms"}, "channel_unavailable")):  # fmt: skip
        with pytest.raises(DomainError) as raised:
            outreach.client_message_send(actor=alice_actor, purpose="transactional", subject="Hi", body="Hello",
                                         **kwargs)  # fmt: skip
        assert raised.value.code == code
    assert mail.outbox == [] and not TimelineEvent.objects.filter(kind="message").exists()


def test_read_only_token_cannot_message(world_a, client_a):
    from omnipresence.stores.access import Actor

    reader = Actor(boutique=world_a["boutique"], permissions=frozenset({"clients.view"}))
    with pytest.raises(Forbidden):
        outreach.client_message_send(actor=reader, client=client_a, purpose="transactional", subject="a", body="b")
    assert mail.outbox == []


def test_actor_for_user_alice_sanity(world_a, alice):
    assert actor_for_user(alice, world_a["boutique"]).role == "associate"
