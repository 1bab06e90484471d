"""Who answers: associates' presence (online, away, offline; a capacity of open conversations),
routing of new conversations (her own associate, else the shop's team by least busy or round
robin), claims, transfers, the out-of-hours auto-reply and the sweep that routes what waited.

Capacity holds under concurrency: the chosen associate's AgentStatus row is locked and her open
load counted again under the lock before a conversation is given to her. On PostgreSQL a first
pass skips rows other routers hold (`SKIP LOCKED`: a burst spreads over the team instead of queueing
on one associate); when every candidate was held, a second pass waits for them, all locked at once
in primary-key order so two routers never deadlock. Locks are always taken conversation first,
then associate. SQLite runs IMMEDIATE transactions (writers are serialised), where
`select_for_update` is a no-op.

A boutique starts routing by presence the first time one of its staff is seen in the staff inbox
(`agent_seen`) or sets her status. Until then a new conversation goes to her own associate as
before, and there is no "nobody is free" auto-reply.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from omnipresence.clients.services import timeline_add
from omnipresence.core.errors import Forbidden, InvalidInput, NotFound
from omnipresence.inbox import realtime
from omnipresence.inbox.errors import AlreadyClaimed, AtCapacity
from omnipresence.inbox.models import AgentStatus, Conversation, Inbox, Message
from omnipresence.stores.access import Actor
from omnipresence.stores.models import StaffMember

AGENT_STALE = timedelta(minutes=2)  # no heartbeat for this long: she is not online (a closed phone)
MAX_CAPACITY = 50
AWAY_EVERY = timedelta(hours=12)  # the auto-reply at most once per conversation in this time
AWAY_FRESH = timedelta(minutes=15)  # older messages (a late webhook retry, an import) get no auto-reply
SWEEP_BATCH = 200
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
ACTIVE = (Conversation.Status.OPEN, Conversation.Status.PENDING)  # what counts against her capacity

AWAY_CLOSED = gettext_noop(
    "Thanks for your message. We are closed right now; leave your message and we will answer as soon as we are back."
)
AWAY_BUSY = gettext_noop(
    "Thanks for your message. Nobody is free right now; leave your message and we will answer as soon as we "
    "are back."
)


def _manages(actor: Actor) -> bool:
    """Managers (and tokens that may assign) set others' presence and may exceed a capacity."""
    return actor.can("inbox.manage") or actor.can("tasks.assign")


def _online_q(now: datetime) -> Q:
    return Q(status=AgentStatus.Status.ONLINE, last_seen_at__gte=now - AGENT_STALE)


def agent_online(agent: AgentStatus | None, *, now: datetime | None = None) -> bool:
    """Online and seen within AGENT_STALE; away and offline associates are not routed to."""
    now = now or timezone.now()
    return bool(
        agent is not None and agent.status == AgentStatus.Status.ONLINE and agent.last_seen_at is not None
        and agent.last_seen_at >= now - AGENT_STALE
    )  # fmt: skip


def _load_of(boutique_id: int, user_id: int) -> int:
    return Conversation.objects.filter(
        boutique_id=boutique_id, assignee_id=user_id, status__in=ACTIVE
    ).count()


def _loads(boutique_id: int, user_ids) -> dict[int, int]:
    rows = (
        Conversation.objects.filter(boutique_id=boutique_id, assignee_id__in=list(user_ids), status__in=ACTIVE)
        .order_by().values("assignee_id").annotate(n=Count("pk")).values_list("assignee_id", "n")
    )  # fmt: skip
    return dict(rows)


def _load_annotation():
    counted = (
        Conversation.objects.filter(boutique_id=OuterRef("boutique_id"), assignee_id=OuterRef("user_id"),
                                    status__in=ACTIVE)
        .order_by().values("assignee_id").annotate(n=Count("pk")).values("n")
    )  # fmt: skip
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def presence_in_use(boutique_id: int) -> bool:
    return AgentStatus.objects.filter(boutique_id=boutique_id, last_seen_at__isnull=False).exists()


# --- reads -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentRow:
    member: StaffMember
    status: str
    online: bool
    capacity: int
    open: int
    last_seen_at: datetime | None
    last_assigned_at: datetime | None


def agent_list(*, actor: Actor) -> list[AgentRow]:
    """Every active staff member of the boutique with her presence and open load (three queries)."""
    actor.require("clients.view")
    now = timezone.now()
    members = list(
        StaffMember.objects.filter(boutique=actor.boutique, is_active=True)
        .select_related("user", "home_location").order_by("user__username")
    )  # fmt: skip
    statuses = {s.user_id: s for s in AgentStatus.objects.filter(boutique=actor.boutique)}
    loads = _loads(actor.boutique.pk, [m.user_id for m in members])
    default_capacity = AgentStatus._meta.get_field("capacity").default
    rows = []
    for member in members:
        agent = statuses.get(member.user_id)
        rows.append(AgentRow(
            member=member, status=agent.status if agent else AgentStatus.Status.OFFLINE,
            online=agent_online(agent, now=now), capacity=agent.capacity if agent else default_capacity,
            open=loads.get(member.user_id, 0), last_seen_at=agent.last_seen_at if agent else None,
            last_assigned_at=agent.last_assigned_at if agent else None,
        ))  # fmt: skip
    return rows


def staff_user(actor: Actor, user_id: int):
    """The user with this id on the actor's boutique's active staff, else None."""
    member = StaffMember.objects.select_related("user").filter(boutique=actor.boutique, user_id=user_id,
                                                               is_active=True).first()  # fmt: skip
    return member.user if member else None


def access_agent(actor: Actor, user_id: int):
    """A user on the actor's boutique's active staff, by id (404 otherwise: another boutique's
    user is not found here)."""
    user = staff_user(actor, user_id)
    if user is None:
        raise NotFound(
            _("No associate %(id)s in this boutique.") % {"id": user_id}, code="associate_not_found"
        )
    return user


# --- presence ----------------------------------------------------------------------------------


def _agent_event(agent: AgentStatus) -> None:
    realtime.emit([realtime.team_group(agent.boutique_id)], {"kind": "agent", "agent": {
        "user_id": agent.user_id, "status": agent.status, "online": agent_online(agent), "capacity": agent.capacity,
    }})  # fmt: skip


def route_waiting_after_commit(boutique_id: int) -> None:
    """Route the boutique's waiting conversations once the current transaction commits (someone came
    online, raised her capacity, or resolved one)."""
    transaction.on_commit(lambda: routing_sweep(boutique_id=boutique_id, batch=MAX_CAPACITY))


def agent_status_set(*, actor: Actor, status: str, capacity: int | None = None, user=None) -> AgentStatus:
    """Set her own presence (or, for managers, another associate's): online, away (not routed to;
    she keeps her conversations) or offline; `capacity` 1..50 open conversations. Setting one's own
    status counts as being seen; a manager's change does not make anyone's closed phone online."""
    actor.require("clients.view")
    if status not in AgentStatus.Status.values:
        raise InvalidInput(_("status is one of %(values)s.") % {"values": ", ".join(AgentStatus.Status.values)},
                           code="invalid_agent_status")  # fmt: skip
    if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int)
                                 or not 1 <= capacity <= MAX_CAPACITY):  # fmt: skip
        raise InvalidInput(_("capacity is a whole number from 1 to %(max)s.") % {"max": MAX_CAPACITY},
                           code="invalid_capacity")  # fmt: skip
    if user is None:
        if actor.user is None:
            raise Forbidden(_("An API token has no presence of its own: name the associate."),
                            code="not_an_associate")  # fmt: skip
        user = actor.user
    own = user.pk == actor.user_id
    if not own and not _manages(actor):
        raise Forbidden(_("Only managers set another associate's status."))
    if not StaffMember.objects.filter(boutique=actor.boutique, user_id=user.pk, is_active=True).exists():
        raise InvalidInput(_("Choose a member of this boutique's staff."), code="invalid_agent")
    now = timezone.now()
    with transaction.atomic():
        agent, _created = AgentStatus.objects.select_for_update().get_or_create(
            boutique=actor.boutique, user_id=user.pk
        )
        was_online = agent_online(agent, now=now)
        old_capacity = agent.capacity
        agent.status = status
        if capacity is not None:
            agent.capacity = capacity
        if own:
            agent.last_seen_at = now
        agent.save(update_fields=["status", "capacity", "last_seen_at"])
        _agent_event(agent)
        if agent_online(agent, now=now) and (not was_online or agent.capacity > old_capacity):
            route_waiting_after_commit(actor.boutique.pk)
    return agent


def agent_seen(*, boutique_id: int, user_id: int) -> AgentStatus | None:
    """The staff inbox's heartbeat (on connect, then every ~30 s): she is still there. Her first
    heartbeat ever makes her online; away and offline stay as she set them. Coming back online
    (after AGENT_STALE without a heartbeat) routes the conversations that waited. None when she is
    not active staff of that boutique."""
    now = timezone.now()
    # The hot path, every 30 s per open inbox: one UPDATE while she stays online.
    if AgentStatus.objects.filter(Q(boutique_id=boutique_id, user_id=user_id) & _online_q(now)).update(
        last_seen_at=now
    ):
        return AgentStatus.objects.filter(boutique_id=boutique_id, user_id=user_id).first()
    if not StaffMember.objects.filter(boutique_id=boutique_id, user_id=user_id, is_active=True).exists():
        return None
    with transaction.atomic():
        agent, _created = AgentStatus.objects.select_for_update().get_or_create(
            boutique_id=boutique_id, user_id=user_id
        )
        if agent.last_seen_at is None and agent.status == AgentStatus.Status.OFFLINE:
            agent.status = AgentStatus.Status.ONLINE  # her first heartbeat ever (a manager's "away" stays)
        came_online = agent.status == AgentStatus.Status.ONLINE and not agent_online(agent, now=now)
        agent.last_seen_at = now
        agent.save(update_fields=["status", "last_seen_at"])
        if came_online:
            _agent_event(agent)
            route_waiting_after_commit(boutique_id)
    return agent


def _agent_locked(boutique_id: int, user_id: int) -> AgentStatus:
    agent, _created = AgentStatus.objects.select_for_update().get_or_create(
        boutique_id=boutique_id, user_id=user_id
    )
    return agent


# --- routing -----------------------------------------------------------------------------------


def _candidates(conversation: Conversation, now: datetime, *, user_ids=None, team_location_id=None) -> list:
    """Online associates of the boutique (of the team, or among `user_ids`) with spare capacity,
    each with `load` (her open conversations), before any lock."""
    staff = StaffMember.objects.filter(boutique_id=conversation.boutique_id, is_active=True)
    if team_location_id is not None:
        staff = staff.filter(home_location_id=team_location_id)
    queryset = AgentStatus.objects.filter(_online_q(now), boutique_id=conversation.boutique_id,
                                          user_id__in=staff.values("user_id"))  # fmt: skip
    if user_ids is not None:
        queryset = queryset.filter(user_id__in=user_ids)
    return list(queryset.annotate(load=_load_annotation()).filter(load__lt=F("capacity")))


def _longest_since(agent) -> tuple:
    # Never assigned comes first, then the oldest assignment.
    return (agent.last_assigned_at is not None, agent.last_assigned_at or NEVER)


def _rank(routing: str):
    if routing == Inbox.Routing.ROUND_ROBIN:
        return lambda agent: (*_longest_since(agent), agent.user_id)
    return lambda agent: (agent.load, *_longest_since(agent), agent.user_id)


def _give(conversation: Conversation, agent: AgentStatus, now: datetime) -> bool:
    given = Conversation.objects.filter(pk=conversation.pk, assignee__isnull=True).update(
        assignee_id=agent.user_id, assigned_at=now
    )
    if given:
        AgentStatus.objects.filter(pk=agent.pk).update(last_assigned_at=now)
        conversation.assignee_id, conversation.assigned_at = agent.user_id, now
    return bool(given)


def _give_first_free(conversation: Conversation, candidates: list, rank, now: datetime) -> int | None:
    """Give the conversation to the best candidate who, under her row lock, is still online and
    under capacity. Candidates' locks are released again when nobody takes it (savepoints)."""
    if not candidates:
        return None
    candidates = sorted(candidates, key=rank)
    if connection.features.has_select_for_update_skip_locked:
        savepoint = transaction.savepoint_create()
        skipped = False
        for candidate in candidates:
            agent = AgentStatus.objects.select_for_update(skip_locked=True).filter(pk=candidate.pk).first()
            if agent is None:
                skipped = True
                continue
            if (agent_online(agent, now=now) and _load_of(agent.boutique_id, agent.user_id) < agent.capacity
                    and _give(conversation, agent, now)):  # fmt: skip
                transaction.savepoint_commit(savepoint)
                return agent.user_id
        transaction.savepoint_rollback(savepoint)
        if not skipped:
            return None
    savepoint = transaction.savepoint_create()
    locked = list(
        AgentStatus.objects.select_for_update().filter(pk__in=[c.pk for c in candidates]).order_by("pk")
    )
    loads = _loads(conversation.boutique_id, [a.user_id for a in locked])
    for agent in locked:
        agent.load = loads.get(agent.user_id, 0)
    for agent in sorted(locked, key=rank):  # ranked again on the loads counted under the locks
        if agent_online(agent, now=now) and agent.load < agent.capacity and _give(conversation, agent, now):
            transaction.savepoint_commit(savepoint)
            return agent.user_id
    transaction.savepoint_rollback(savepoint)
    return None


def _own_associates(conversation: Conversation) -> list[int]:
    client = conversation.client
    return [uid for uid in (client.primary_associate_id, client.secondary_associate_id) if uid]


def conversation_route(conversation: Conversation) -> int | None:
    """Give an unassigned conversation to whoever should answer (called inside inbound_receive's
    transaction for a new conversation, and by the sweep): her own associate — primary, then
    secondary — when she is online and under capacity; else the inbox's team (the staff whose home
    is its `team_location`, or all the boutique's staff) by its rule: least busy (fewest open, then
    the longest since her last assignment, then user id) or round robin (the longest since her last
    assignment). Nobody eligible: it stays unassigned for the team (the sweep routes it later).
    Returns the assignee's user id or None."""
    if conversation.assignee_id is not None:
        return conversation.assignee_id
    now = timezone.now()
    own = _own_associates(conversation)
    with transaction.atomic():
        if not presence_in_use(conversation.boutique_id):
            # Before anyone uses presence: her own associate, as long as she is active staff.
            active = set(StaffMember.objects.filter(boutique_id=conversation.boutique_id, user_id__in=own,
                                                    is_active=True).values_list("user_id", flat=True))  # fmt: skip
            for user_id in own:
                if user_id in active:
                    updated = Conversation.objects.filter(pk=conversation.pk, assignee__isnull=True).update(
                        assignee_id=user_id, assigned_at=now
                    )
                    if updated:
                        conversation.assignee_id, conversation.assigned_at = user_id, now
                        return user_id
            return None
        if own:
            chosen = _give_first_free(conversation, _candidates(conversation, now, user_ids=own),
                                      _own_rank(own), now)  # fmt: skip
            if chosen:
                return chosen
        inbox = conversation.inbox
        return _give_first_free(conversation, _candidates(conversation, now, team_location_id=inbox.team_location_id),
                                _rank(inbox.routing), now)  # fmt: skip


def _own_rank(own: list[int]):
    return lambda agent: own.index(agent.user_id)


def routing_sweep(*, boutique_id: int | None = None, batch: int = SWEEP_BATCH) -> dict:
    """Route unassigned active conversations, the longest waiting first, in boutiques where
    someone is online with spare capacity (the periodic sweep; and at once when an associate
    comes online). Each conversation in its own short transaction."""
    now = timezone.now()
    free = (
        AgentStatus.objects.filter(_online_q(now))
        .annotate(load=_load_annotation())
        .filter(load__lt=F("capacity"))
    )
    if boutique_id is not None:
        free = free.filter(boutique_id=boutique_id)
    boutiques = set(free.values_list("boutique_id", flat=True))
    if not boutiques:
        return {"routed": 0}
    waiting = list(
        Conversation.objects.filter(boutique_id__in=boutiques, assignee__isnull=True, status__in=ACTIVE,
                                    merged_into__isnull=True)
        .order_by(F("waiting_since").asc(nulls_last=True), "created_at", "pk").values_list("pk", flat=True)[:batch]
    )  # fmt: skip
    routed = 0
    for pk in waiting:
        with transaction.atomic():
            conversation = (
                Conversation.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, assignee__isnull=True, status__in=ACTIVE).first()
            )  # fmt: skip
            if conversation is None:  # taken or being answered meanwhile
                continue
            if conversation_route(conversation):
                routed += 1
                realtime.conversation_changed(conversation)
    return {"routed": routed, "waiting": len(waiting) - routed}


# --- claims and transfers ----------------------------------------------------------------------


def conversation_claim(*, actor: Actor, conversation: Conversation) -> Conversation:
    """She takes an unassigned conversation. The first claim wins (a conditional update on an
    unassigned row); the others get 409 already_claimed. Her capacity counts (409 at_capacity);
    managers may take one beyond it. Claiming one's own conversation again changes nothing."""
    actor.require("clients.edit")
    if actor.user is None:
        raise Forbidden(
            _("An API token cannot take conversations: an associate does."), code="not_an_associate"
        )
    now = timezone.now()
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if locked.assignee_id == actor.user_id:
            return locked
        if locked.assignee_id is not None:
            raise AlreadyClaimed(_("Someone else has taken this conversation."))
        agent = _agent_locked(locked.boutique_id, actor.user_id)
        if (locked.status in ACTIVE and not _manages(actor)
                and _load_of(locked.boutique_id, actor.user_id) >= agent.capacity):  # fmt: skip
            raise AtCapacity(
                _("You already have %(n)s open conversations, your capacity.") % {"n": agent.capacity}
            )
        claimed = Conversation.objects.filter(pk=locked.pk, assignee__isnull=True).update(
            assignee_id=actor.user_id, assigned_at=now
        )
        if not claimed:
            raise AlreadyClaimed(_("Someone else has taken this conversation."))
        AgentStatus.objects.filter(pk=agent.pk).update(last_assigned_at=now)
        locked.refresh_from_db()
        realtime.conversation_changed(locked)
    return locked


def conversation_transfer(
    *, actor: Actor, conversation: Conversation, to_user, note: str = ""
) -> Conversation:
    """Hand a conversation to another active staff member of the boutique: its assignee does it
    for her own, managers for any. Refused (409 at_capacity) when she is at capacity, unless a
    manager decides. Recorded on the client's timeline, never sent to the client."""
    from omnipresence.core.validation import clean_text

    actor.require("clients.edit")
    note = clean_text(note, "note", 500)
    if to_user is None or not StaffMember.objects.filter(boutique=actor.boutique, user_id=to_user.pk,
                                                         is_active=True).exists():  # fmt: skip
        raise InvalidInput(_("Transfer to a member of this boutique's staff."), code="invalid_assignee")
    manager = _manages(actor)
    now = timezone.now()
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().select_related("inbox").get(pk=conversation.pk)
        if locked.assignee_id != actor.user_id and not manager:
            raise Forbidden(_("Only her assignee or a manager transfers a conversation."))
        if locked.assignee_id == to_user.pk:
            raise InvalidInput(_("She already has this conversation."), code="invalid_assignee")
        agent = _agent_locked(locked.boutique_id, to_user.pk)
        load = _load_of(locked.boutique_id, to_user.pk)
        if locked.status in ACTIVE and load >= agent.capacity and not manager:
            raise AtCapacity(_("%(name)s already has %(n)s open conversations, her capacity.")
                             % {"name": to_user.get_username(), "n": agent.capacity})  # fmt: skip
        previous = locked.assignee.get_username() if locked.assignee_id else None
        Conversation.objects.filter(pk=locked.pk).update(assignee_id=to_user.pk, assigned_at=now)
        AgentStatus.objects.filter(pk=agent.pk).update(last_assigned_at=now)
        locked.refresh_from_db()
        summary = _("%(inbox)s conversation transferred from %(from)s to %(to)s by %(by)s") % {
            "inbox": locked.inbox.get_kind_display(), "from": previous or _("the team"),
            "to": to_user.get_username(), "by": actor.label,
        }  # fmt: skip
        timeline_add(
            client_id=locked.client_id, kind="note", occurred_at=now, associate_id=actor.user_id,
            summary=f"{summary}: {note}" if note else summary,
            data={"event": "transfer", "conversation_id": locked.pk, "from": previous, "to": to_user.get_username(),
                  "by": actor.label, "note": note, "over_capacity": load >= agent.capacity},
        )  # fmt: skip
        realtime.conversation_changed(locked)
    return locked


# --- the auto-reply ----------------------------------------------------------------------------


def _someone_online(conversation: Conversation, now: datetime) -> bool:
    inbox = conversation.inbox
    team = Q(user_id__in=StaffMember.objects.filter(boutique_id=conversation.boutique_id, is_active=True,
                                                     **({"home_location_id": inbox.team_location_id}
                                                        if inbox.team_location_id else {})).values("user_id"))  # fmt: skip
    if conversation.assignee_id:
        team |= Q(user_id=conversation.assignee_id)
    return AgentStatus.objects.filter(team, _online_q(now), boutique_id=conversation.boutique_id).exists()


def away_reply(conversation: Conversation, *, at: datetime | None = None) -> Message | None:
    """After a message from her (inside inbound_receive's transaction): when the inbox's shop is
    closed, or nobody who could answer is online, tell her to leave her message — the inbox's
    `away_message`, or a default in the boutique's language — at most once per conversation in
    AWAY_EVERY. Public social mentions and late deliveries get none."""
    from omnipresence.inbox.services import _queue
    from omnipresence.stores.selectors import is_open

    now = timezone.now()
    at = at or now
    inbox = conversation.inbox
    if inbox.kind == Inbox.Kind.SOCIAL or now - at > AWAY_FRESH:
        return None
    reason = None
    if inbox.team_location_id is not None and not is_open(inbox.team_location, at=at):
        reason = "closed"
    elif presence_in_use(conversation.boutique_id) and not _someone_online(conversation, now):
        reason = "nobody_online"
    if reason is None:
        return None
    if Message.objects.filter(conversation=conversation, direction=Message.Direction.OUTBOUND, payload__auto="away",
                              created_at__gte=now - AWAY_EVERY).exists():  # fmt: skip
        return None
    body = inbox.away_message.strip()
    if not body:
        with translation.override(inbox.boutique.language or None):
            body = _(AWAY_CLOSED if reason == "closed" else AWAY_BUSY)
    return _queue(conversation, body=body, purpose=Message.Purpose.SERVICE, author=None, author_label="system",
                  payload={"auto": "away", "reason": reason})  # fmt: skip
