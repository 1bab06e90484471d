"""Routing and capacity: her own associate when she is online and free, else the team (least busy
or round robin), nobody online → unassigned and "leave a message" once, claims, transfers, the
waiting time against the first-response target, the sweep, and refusals that change nothing."""

import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import Client as HttpClient
from django.utils import timezone

from omnipresence.clients.models import TimelineEvent
from omnipresence.conftest import make_staff
from omnipresence.core import hooks
from omnipresence.core.errors import Forbidden, InvalidInput
from omnipresence.inbox import realtime, routing, services
from omnipresence.inbox.errors import AlreadyClaimed, AtCapacity
from omnipresence.inbox.models import AgentStatus, Conversation, Inbox, Message
from omnipresence.stores import services as stores
from omnipresence.stores.access import actor_for_user

BASE = "/api/v1/boutiques/atelier-a"


def staff(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def actor_of(world, user):
    return actor_for_user(user, world["boutique"])


def set_status(world, user, status="online", capacity=None):
    return routing.agent_status_set(actor=actor_of(world, user), status=status, capacity=capacity)


def arrive(inbox, sender: str, body: str = "Hello", **kwargs) -> Conversation:
    message, _ = services.inbound_receive(inbox=inbox, sender=sender, body=body, **kwargs)
    return Conversation.objects.get(pk=message.conversation_id)


def give(world, user, inbox, count: int, start: int = 0) -> None:
    """`count` open conversations already hers (assigned by a manager, as the shop floor does)."""
    for i in range(count):
        conversation = arrive(inbox, f"+4479110{start + i:05d}")
        Conversation.objects.filter(pk=conversation.pk).update(assignee=user)


def away_messages(conversation=None):
    queryset = Message.objects.filter(direction="out", payload__auto="away")
    return queryset.filter(conversation=conversation) if conversation is not None else queryset


@pytest.fixture
def team(world_a):
    return {name: make_staff(world_a, name) for name in ("bea", "carl", "dan")}


def test_her_own_associate_gets_it_when_she_is_online(world_a, sms, sibyl, associate_a, team):
    set_status(world_a, associate_a)
    set_status(world_a, team["bea"])
    conversation = arrive(sms, "+447911123456", "Is the coat in a 38?")
    assert conversation.assignee_id == associate_a.pk and conversation.assigned_at is not None
    assert AgentStatus.objects.get(user=associate_a).last_assigned_at == conversation.assigned_at
    assert not away_messages().exists()


@pytest.mark.parametrize("why", ["away", "stale", "at_capacity"])
def test_when_her_associate_cannot_take_it_the_least_busy_of_the_team_does(world_a, sms, sibyl, associate_a, team,
                                                                           why):  # fmt: skip
    set_status(world_a, associate_a, capacity=1)
    for name in ("bea", "carl"):
        set_status(world_a, team[name])
    give(world_a, team["bea"], sms, 1)
    if why == "away":
        set_status(world_a, associate_a, "away")
    elif why == "stale":  # her phone closed 3 minutes ago: no heartbeat since
        AgentStatus.objects.filter(user=associate_a).update(last_seen_at=timezone.now() - timedelta(minutes=3))
    else:
        give(world_a, associate_a, sms, 1, start=50)
    conversation = arrive(sms, "+447911123456")
    assert conversation.assignee_id == team["carl"].pk  # bea has one open already, carl none


def test_away_keeps_her_conversations(world_a, sms, sibyl, associate_a, team):
    set_status(world_a, associate_a)
    set_status(world_a, team["bea"])
    conversation = arrive(sms, "+447911123456")
    set_status(world_a, associate_a, "away")
    again = arrive(sms, "+447911123456", "Still there?")
    assert again.pk == conversation.pk and again.assignee_id == associate_a.pk
    assert not away_messages().exists()  # bea is online in the team


def test_least_busy_ties_go_to_the_longest_without_a_new_conversation(world_a, sms, team):
    for name in ("bea", "carl", "dan"):
        set_status(world_a, team[name])
    assignees = [arrive(sms, f"+44791120000{i}").assignee_id for i in range(4)]
    bea, carl, dan = (team[n].pk for n in ("bea", "carl", "dan"))
    assert assignees == [bea, carl, dan, bea]
    Conversation.objects.filter(assignee_id=carl).update(status="resolved")  # carl is free again
    assert arrive(sms, "+447911200009").assignee_id == carl


def test_round_robin_rotates_whatever_the_load(world_a, sms, team):
    Inbox.objects.filter(pk=sms.pk).update(routing="round_robin")
    sms.refresh_from_db()
    for name in ("bea", "carl", "dan"):
        set_status(world_a, team[name], capacity=10)
    give(world_a, team["bea"], sms, 3)  # assigned by hand: no rotation recorded
    assignees = [arrive(sms, f"+44791120000{i}").assignee_id for i in range(5)]
    bea, carl, dan = (team[n].pk for n in ("bea", "carl", "dan"))
    assert assignees == [bea, carl, dan, bea, carl]


def test_the_team_is_the_inbox_shop(world_a, manager_actor, team):
    chelsea = stores.staff_add(boutique=world_a["boutique"], username="chloe", role="associate",
                               home_location=world_a["shop2"]).user  # fmt: skip
    inbox = services.inbox_create(actor=manager_actor, kind="sms", name="Chelsea", address="+447700900009",
                                  team_location=world_a["shop2"])  # fmt: skip
    set_status(world_a, team["bea"])
    set_status(world_a, chelsea)
    assert arrive(inbox, "+447911200001").assignee_id == chelsea.pk
    set_status(world_a, chelsea, "away")
    nobody = arrive(inbox, "+447911200002")
    assert nobody.assignee_id is None  # bea is online, but she is Soho's team
    assert away_messages(nobody).get().payload["reason"] == "nobody_online"


def test_nobody_online_leaves_it_waiting_and_says_leave_a_message_once(world_a, sms, associate_a, team,
                                                                       django_capture_on_commit_callbacks):  # fmt: skip
    set_status(world_a, associate_a, "away")
    with django_capture_on_commit_callbacks(execute=True):
        conversation = arrive(sms, "+447911200001", "Hello?")
    assert conversation.assignee_id is None
    reply = away_messages(conversation).get()
    assert reply.body == routing.AWAY_BUSY and reply.author_id is None and reply.author_label == "system"
    assert reply.status == "sent" and reply.purpose == "service"  # delivered by the local provider
    conversation.refresh_from_db()
    assert conversation.waiting_since is not None and conversation.first_response_at is None  # not an answer

    arrive(sms, "+447911200001", "Anyone?")
    assert away_messages(conversation).count() == 1  # no spam
    Message.objects.filter(pk=reply.pk).update(created_at=timezone.now() - timedelta(hours=13))
    arrive(sms, "+447911200001", "Next day")
    assert away_messages(conversation).count() == 2


def test_the_inbox_own_away_message_and_no_reply_to_late_deliveries(world_a, sms, associate_a):
    Inbox.objects.filter(pk=sms.pk).update(away_message="We are on the shop floor: back in 10 minutes!")
    sms.refresh_from_db()
    set_status(world_a, associate_a, "offline")
    late = arrive(sms, "+447911200001", received_at=timezone.now() - timedelta(hours=2))
    assert not away_messages(late).exists()  # a webhook retried two hours later gets no "right now"
    now = arrive(sms, "+447911200002")
    assert away_messages(now).get().body == "We are on the shop floor: back in 10 minutes!"


def test_a_closed_shop_says_so_even_with_someone_online(world_a, manager_actor, team):
    stores.opening_hours_set(actor=world_a["actor"], location=world_a["shop2"], periods=[])  # closed every day
    inbox = services.inbox_create(actor=manager_actor, kind="whatsapp", name="Chelsea", address="+447700900009",
                                  team_location=world_a["shop2"])  # fmt: skip
    set_status(world_a, team["bea"])
    conversation = arrive(inbox, "+447911200001")
    reply = away_messages(conversation).get()
    assert (reply.body, reply.payload["reason"]) == (routing.AWAY_CLOSED, "closed")


def test_without_presence_her_associate_gets_it_and_no_auto_reply(world_a, sms, sibyl, associate_a):
    """A boutique whose staff never opened the live inbox keeps the first rule: her associate."""
    conversation = arrive(sms, "+447911123456")
    assert conversation.assignee_id == associate_a.pk
    assert not AgentStatus.objects.exists() and not away_messages().exists()


def test_two_claims_one_wins(world_a, sms, team):
    conversation = arrive(sms, "+447911200001")
    first = staff(team["bea"]).post(f"{BASE}/conversations/{conversation.pk}/claim")
    second = staff(team["carl"]).post(f"{BASE}/conversations/{conversation.pk}/claim")
    assert first.status_code == 200 and first.json()["assignee"] == "bea"
    assert (second.status_code, second.json()["code"]) == (409, "already_claimed")
    assert Conversation.objects.get(pk=conversation.pk).assignee_id == team["bea"].pk
    again = staff(team["bea"]).post(f"{BASE}/conversations/{conversation.pk}/claim")
    assert again.status_code == 200  # her own already: nothing changes


def test_a_claim_respects_her_capacity_and_managers_may_exceed_theirs(world_a, sms, team, manager_a):
    set_status(world_a, team["bea"], capacity=1)
    set_status(world_a, manager_a, capacity=1)
    give(world_a, team["bea"], sms, 1)
    give(world_a, manager_a, sms, 1, start=10)
    conversation = arrive(sms, "+447911200001")
    Conversation.objects.filter(pk=conversation.pk).update(assignee=None)
    with pytest.raises(AtCapacity):
        routing.conversation_claim(actor=actor_of(world_a, team["bea"]), conversation=conversation)
    assert Conversation.objects.get(pk=conversation.pk).assignee_id is None
    routing.conversation_claim(actor=actor_of(world_a, manager_a), conversation=conversation)
    assert Conversation.objects.get(pk=conversation.pk).assignee_id == manager_a.pk
    with pytest.raises(AlreadyClaimed):
        routing.conversation_claim(actor=actor_of(world_a, team["carl"]), conversation=conversation)


def test_transfer_at_capacity_is_refused_for_an_associate_and_allowed_for_a_manager(
    world_a, sms, team, manager_a, django_capture_on_commit_callbacks
):
    bea, carl = team["bea"], team["carl"]
    set_status(world_a, bea)
    conversation = arrive(sms, "+447911200001")
    assert conversation.assignee_id == bea.pk
    set_status(world_a, carl, "away", capacity=1)
    give(world_a, carl, sms, 1, start=10)
    url = f"{BASE}/conversations/{conversation.pk}/transfer"
    body = json.dumps({"to_user_id": carl.pk, "note": "He knows her sizes"})
    refused = staff(bea).post(url, body, content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (409, "at_capacity")
    assert Conversation.objects.get(pk=conversation.pk).assignee_id == bea.pk
    assert not TimelineEvent.objects.filter(data__event="transfer").exists()
    not_hers = staff(team["dan"]).post(url, body, content_type="application/json")
    assert not_hers.status_code == 403

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(realtime.team_group(world_a["boutique"].pk), channel)
    outbound_before = Message.objects.filter(direction="out").count()
    with django_capture_on_commit_callbacks(execute=True):
        moved = staff(manager_a).post(url, body, content_type="application/json")
    assert moved.status_code == 200 and moved.json()["assignee"] == "carl"
    event = async_to_sync(layer.receive)(channel)["event"]
    assert event["kind"] == "conversation" and event["conversation"]["assignee_id"] == carl.pk
    note = TimelineEvent.objects.get(data__event="transfer")
    assert (note.kind, note.client_id, note.associate_id) == ("note", conversation.client_id, manager_a.pk)
    assert note.data | {} == {"event": "transfer", "conversation_id": conversation.pk, "from": "bea", "to": "carl",
                              "by": "maria", "note": "He knows her sizes", "over_capacity": True}  # fmt: skip
    assert Message.objects.filter(direction="out").count() == outbound_before  # nothing went to her


def test_waiting_time_and_overdue_in_the_api(world_a, sms, associate_a):
    conversation = arrive(sms, "+447911200001", received_at=timezone.now() - timedelta(seconds=45))
    http = staff(associate_a)
    shown = http.get(f"{BASE}/conversations/{conversation.pk}").json()
    assert 45 <= shown["waiting_seconds"] < 60 and shown["overdue"] is True  # target: 30 s
    Inbox.objects.filter(pk=sms.pk).update(first_response_target=120)
    listed = http.get(f"{BASE}/conversations").json()[0]
    assert 45 <= listed["waiting_seconds"] < 60 and listed["overdue"] is False
    services.message_send(actor=actor_of(world_a, associate_a), conversation=conversation, body="Hello!")
    answered = http.get(f"{BASE}/conversations/{conversation.pk}").json()
    assert (answered["waiting_seconds"], answered["overdue"]) == (None, False)


def test_the_sweep_routes_what_waited_when_someone_comes_online(world_a, sms, associate_a, team,
                                                                django_capture_on_commit_callbacks):  # fmt: skip
    set_status(world_a, associate_a, "away")
    older = arrive(sms, "+447911200001", received_at=timezone.now() - timedelta(minutes=5))
    newer = arrive(sms, "+447911200002")
    assert older.assignee_id is None and newer.assignee_id is None
    with django_capture_on_commit_callbacks(execute=False):  # not routed at once: the sweep does it
        set_status(world_a, team["bea"], capacity=1)
    assert hooks._sweeps["inbox_routing"] is routing.routing_sweep  # run every minute with the others
    assert routing.routing_sweep() == {"routed": 1, "waiting": 1}
    assert Conversation.objects.get(pk=older.pk).assignee_id == team["bea"].pk  # the longest waiting first
    # Carl's first heartbeat (the staff inbox opening) routes the other one at once.
    with django_capture_on_commit_callbacks(execute=True):
        routing.agent_seen(boutique_id=world_a["boutique"].pk, user_id=team["carl"].pk)
    assert Conversation.objects.get(pk=newer.pk).assignee_id == team["carl"].pk
    assert routing.routing_sweep() == {"routed": 0, "waiting": 0}


def test_heartbeats_make_her_online_and_away_stays_away(world_a, associate_a, associate_b, team):
    boutique_id = world_a["boutique"].pk
    first = routing.agent_seen(boutique_id=boutique_id, user_id=associate_a.pk)
    assert first.status == "online" and routing.agent_online(first)
    AgentStatus.objects.filter(pk=first.pk).update(last_seen_at=timezone.now() - timedelta(minutes=5))
    assert not routing.agent_online(AgentStatus.objects.get(pk=first.pk))  # a closed phone drops out
    assert routing.agent_online(routing.agent_seen(boutique_id=boutique_id, user_id=associate_a.pk))
    set_status(world_a, team["bea"], "away")
    assert routing.agent_seen(boutique_id=boutique_id, user_id=team["bea"].pk).status == "away"
    assert routing.agent_seen(boutique_id=boutique_id, user_id=associate_b.pk) is None  # not her boutique
    assert not AgentStatus.objects.filter(user=associate_b).exists()


def test_the_agents_board(world_a, sms, associate_a, manager_a, team):
    set_status(world_a, associate_a, capacity=4)
    give(world_a, associate_a, sms, 2)
    routing.agent_status_set(actor=actor_of(world_a, manager_a), status="away", capacity=3, user=team["bea"])
    board = {row["username"]: row for row in staff(associate_a).get(f"{BASE}/inbox/agents").json()}
    assert set(board) == {"alice", "maria", "bea", "carl", "dan"}
    assert {k: board["alice"][k] for k in ("status", "online", "capacity", "open", "home_location")} == {
        "status": "online", "online": True, "capacity": 4, "open": 2, "home_location": "soho",
    }  # fmt: skip
    # A manager's "away" does not make her seen; a status nobody set reads as offline.
    assert (board["bea"]["status"], board["bea"]["online"], board["bea"]["capacity"]) == ("away", False, 3)
    assert (board["carl"]["status"], board["carl"]["capacity"]) == ("offline", 8)
    me = staff(team["carl"]).put(f"{BASE}/inbox/agents/me", json.dumps({"status": "online", "capacity": 5}),
                                 content_type="application/json")  # fmt: skip
    assert me.status_code == 200 and (me.json()["online"], me.json()["capacity"]) == (True, 5)
    other = staff(manager_a).put(f"{BASE}/inbox/agents/{team['carl'].pk}", json.dumps({"status": "offline"}),
                                 content_type="application/json")  # fmt: skip
    assert other.status_code == 200 and (other.json()["status"], other.json()["capacity"]) == ("offline", 5)


def _agents_snapshot():
    return sorted(AgentStatus.objects.values_list("user_id", "status", "capacity", "last_seen_at"))


@pytest.mark.parametrize(
    "body",
    [{"status": "busy"}, {"status": "online", "capacity": 0}, {"status": "online", "capacity": 500},
     {"status": "online", "capacity": True}, {"status": "online", "capacity": "5"}, {"capacity": 3}],
)  # fmt: skip
def test_bad_presence_is_refused_and_changes_nothing(world_a, associate_a, body):
    set_status(world_a, associate_a, capacity=4)
    before = _agents_snapshot()
    response = staff(associate_a).put(f"{BASE}/inbox/agents/me", json.dumps(body), content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")
    assert _agents_snapshot() == before


def test_bad_presence_in_the_service_has_its_codes(world_a, associate_a, associate_b, team):
    actor = actor_of(world_a, associate_a)
    set_status(world_a, associate_a, capacity=4)
    before = _agents_snapshot()
    for kwargs, code in (({"status": "busy"}, "invalid_agent_status"), ({"status": "online", "capacity": 0},
                         "invalid_capacity"), ({"status": "online", "capacity": 51}, "invalid_capacity"),
                         ({"status": "online", "capacity": True}, "invalid_capacity")):  # fmt: skip
        with pytest.raises(InvalidInput) as refused:
            routing.agent_status_set(actor=actor, **kwargs)
        assert refused.value.code == code
    with pytest.raises(Forbidden):  # another associate's status: managers only
        routing.agent_status_set(actor=actor, status="away", user=team["bea"])
    manager = actor_for_user(make_staff(world_a, "mona", "manager"), world_a["boutique"])
    with pytest.raises(InvalidInput) as other_boutique:
        routing.agent_status_set(actor=manager, status="away", user=associate_b)
    assert other_boutique.value.code == "invalid_agent"
    assert _agents_snapshot() == before


def test_another_boutiques_people_and_conversations_are_refused(world_a, sms, manager_a, associate_b, team):
    set_status(world_a, team["bea"])
    conversation = arrive(sms, "+447911200001")
    before = _agents_snapshot(), list(Conversation.objects.values_list("pk", "assignee_id"))
    http = staff(manager_a)
    not_here = http.put(f"{BASE}/inbox/agents/{associate_b.pk}", json.dumps({"status": "online"}),
                        content_type="application/json")  # fmt: skip
    assert (not_here.status_code, not_here.json()["code"]) == (404, "associate_not_found")
    transfer = http.post(f"{BASE}/conversations/{conversation.pk}/transfer", json.dumps({"to_user_id": associate_b.pk}),
                         content_type="application/json")  # fmt: skip
    assert (transfer.status_code, transfer.json()["code"]) == (422, "invalid_assignee")
    foreign = staff(associate_b).post(f"/api/v1/boutiques/boutique-b/conversations/{conversation.pk}/claim")
    assert (foreign.status_code, foreign.json()["code"]) == (404, "conversation_not_found")
    cross = staff(associate_b).post(f"{BASE}/conversations/{conversation.pk}/claim")
    assert cross.status_code == 403
    assert (_agents_snapshot(), list(Conversation.objects.values_list("pk", "assignee_id"))) == before
    assert not TimelineEvent.objects.filter(data__event="transfer").exists()


def test_routing_a_new_conversation_costs_a_bounded_number_of_queries(world_a, sms, team,
                                                                      django_assert_max_num_queries):  # fmt: skip
    for name in ("bea", "carl", "dan"):
        set_status(world_a, team[name])
    arrive(sms, "+447911200001")  # the client exists now: the next message is the hot path
    conversation = Conversation.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(status="resolved")
    with django_assert_max_num_queries(40):
        assert arrive(sms, "+447911200001", "Again").assignee_id is not None


def test_resolving_one_frees_her_place_and_the_longest_waiting_is_routed_at_once(
    world_a, sms, associate_a, team, django_capture_on_commit_callbacks
):
    set_status(world_a, associate_a, "away")  # her own clients go to the team
    set_status(world_a, team["bea"], capacity=1)
    first = arrive(sms, "+447911200011")
    assert first.assignee_id == team["bea"].pk
    waiting = arrive(sms, "+447911200012", received_at=timezone.now() - timedelta(minutes=2))
    later = arrive(sms, "+447911200013")
    assert waiting.assignee_id is None and later.assignee_id is None  # she is at her limit of 1
    bea = actor_of(world_a, team["bea"])
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_update(actor=bea, conversation=first, status="resolved")
    assert Conversation.objects.get(pk=waiting.pk).assignee_id == team["bea"].pk  # no sweep needed
    assert Conversation.objects.get(pk=later.pk).assignee_id is None  # one place freed, one routed
    with django_capture_on_commit_callbacks(execute=True):  # a tag changes nothing for capacity
        services.conversation_update(actor=bea, conversation=Conversation.objects.get(pk=waiting.pk), tags=["vip"])
    assert Conversation.objects.get(pk=later.pk).assignee_id is None
    with django_capture_on_commit_callbacks(execute=True):  # handing one back frees the place too
        services.conversation_update(actor=bea, conversation=Conversation.objects.get(pk=waiting.pk), assignee=None)
    hers = Conversation.objects.filter(assignee=team["bea"], status__in=routing.ACTIVE)
    assert hers.count() == 1  # her place was filled again at once, with the longest waiting
