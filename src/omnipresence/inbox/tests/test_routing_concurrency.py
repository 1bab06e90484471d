"""Routing races with real threads on PostgreSQL (row locks are real there; SQLite serialises
writers): a burst of new conversations never puts anyone over her capacity, and a conversation
claimed by many associates at once goes to one of them."""

import pytest
from django.db.models import Count
from django.test import Client as HttpClient

from omnipresence.conftest import make_staff
from omnipresence.core.errors import DomainError
from omnipresence.inbox import routing, services
from omnipresence.inbox.models import AgentStatus, Conversation
from omnipresence.orders.tests.test_concurrency import run_clients
from omnipresence.stores.access import actor_for_user

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
BASE = "/api/v1/boutiques/atelier-a"


def online(world, user, capacity):
    routing.agent_status_set(actor=actor_for_user(user, world["boutique"]), status="online", capacity=capacity)


def test_a_burst_of_new_conversations_never_exceeds_capacity(world_a, sms):
    team = [make_staff(world_a, f"agent{i}") for i in range(3)]
    for user in team:
        online(world_a, user, 2)

    def arrive(index):
        message, _ = services.inbound_receive(inbox=sms, sender=f"+4479112000{index:02d}", body="Hello!",
                                              provider_message_id=f"SM-burst-{index}")  # fmt: skip
        return message.conversation_id

    results, escaped = run_clients(20, arrive)

    assert escaped == []
    assert len(set(results)) == 20
    loads = dict(Conversation.objects.exclude(assignee=None).values_list("assignee_id").annotate(n=Count("pk")))
    assert loads == {user.pk: 2 for user in team}  # exactly 6 assigned, nobody above 2
    assert Conversation.objects.filter(assignee=None).count() == 14
    assert routing.routing_sweep() == {"routed": 0}  # everyone is full: nothing more to give


def test_a_burst_spreads_over_the_team_when_there_is_room(world_a, sms):
    team = [make_staff(world_a, f"agent{i}") for i in range(4)]
    for user in team:
        online(world_a, user, 5)

    results, escaped = run_clients(
        12, lambda i: services.inbound_receive(inbox=sms, sender=f"+4479112{100 + i:05d}", body="Hi")[0].pk
    )

    assert escaped == [] and None not in results
    loads = sorted(Conversation.objects.values("assignee_id").annotate(n=Count("pk")).values_list("n", flat=True))
    assert sum(loads) == 12 and Conversation.objects.filter(assignee=None).count() == 0
    assert max(loads) <= 5
    assert set(AgentStatus.objects.exclude(last_assigned_at=None).values_list("user_id", flat=True)) <= {
        u.pk for u in team
    }


def test_many_associates_claim_one_conversation_and_one_wins(world_a, sms):
    people = [make_staff(world_a, f"claimer{i}") for i in range(10)]
    message, _ = services.inbound_receive(inbox=sms, sender="+447911200001", body="Anyone free?")
    conversation_id = message.conversation_id
    assert Conversation.objects.get(pk=conversation_id).assignee_id is None
    clients = []
    for user in people:
        http = HttpClient()
        http.force_login(user)
        clients.append(http)

    def claim(index):
        response = clients[index].post(f"{BASE}/conversations/{conversation_id}/claim")
        return response.status_code, response.json().get("code") or response.json().get("assignee")

    results, escaped = run_clients(10, claim)

    assert escaped == []
    winners = [r for r in results if r[0] == 200]
    assert len(winners) == 1
    assert sorted(r for r in results if r[0] != 200) == [(409, "already_claimed")] * 9
    winner = Conversation.objects.get(pk=conversation_id).assignee
    assert winners[0][1] == winner.get_username()


def test_one_associate_claiming_many_at_once_stays_within_her_capacity(world_a, sms):
    bea = make_staff(world_a, "bea")
    routing.agent_status_set(actor=actor_for_user(bea, world_a["boutique"]), status="away", capacity=3)
    ids = [
        services.inbound_receive(inbox=sms, sender=f"+4479112{200 + i:05d}", body="Hello")[0].conversation_id
        for i in range(8)
    ]
    actor = actor_for_user(bea, world_a["boutique"])

    def claim(index):
        try:
            routing.conversation_claim(actor=actor, conversation=Conversation.objects.get(pk=ids[index]))
            return "claimed"
        except DomainError as error:
            return error.code

    results, escaped = run_clients(8, claim)

    assert escaped == []
    assert sorted(results) == ["at_capacity"] * 5 + ["claimed"] * 3
    assert Conversation.objects.filter(assignee=bea).count() == 3
