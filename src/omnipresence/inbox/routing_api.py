"""API of routing: the team's presence board, one's own (or, for managers, an associate's) status
and capacity, claiming an unassigned conversation and transferring one."""

from datetime import datetime
from typing import Literal

from ninja import Field, Router, Schema

from omnipresence.clients.attempts import logged_attempts
from omnipresence.core.api import AUTH, ERRORS, ID, SLUG, Input, Num, Text, request_actor
from omnipresence.inbox import routing
from omnipresence.inbox.api import ConversationOut, _conversation_out
from omnipresence.inbox.selectors import access_conversation

router = Router(tags=["inbox routing"])

AgentStatusName = Literal["online", "away", "offline"]


class AgentOut(Schema):
    user_id: int
    username: str
    name: str
    role: str
    home_location: str | None = Field(None, description="Her shop's code: the team she answers for")
    status: str
    online: bool = Field(description="Online and seen by the staff inbox within the last 2 minutes")
    capacity: int = Field(description="Open conversations she takes at most")
    open: int = Field(description="Her open and pending conversations")
    last_seen_at: datetime | None
    last_assigned_at: datetime | None


def _agent_out(row: routing.AgentRow) -> dict:
    user = row.member.user
    return {
        "user_id": user.pk, "username": user.get_username(), "name": user.get_full_name() or user.get_username(),
        "role": row.member.role, "home_location": row.member.home_location.code if row.member.home_location else None,
        "status": row.status, "online": row.online, "capacity": row.capacity, "open": row.open,
        "last_seen_at": row.last_seen_at, "last_assigned_at": row.last_assigned_at,
    }  # fmt: skip


def _agent_of(actor, user_id: int) -> dict:
    return next(_agent_out(row) for row in routing.agent_list(actor=actor) if row.member.user_id == user_id)


@router.get("/boutiques/{slug}/inbox/agents", response={200: list[AgentOut], **ERRORS}, auth=AUTH)
def agents(request, slug: SLUG):
    """Every active staff member: status, online, capacity and open load."""
    actor = request_actor(request, slug)
    return [_agent_out(row) for row in routing.agent_list(actor=actor)]


class AgentIn(Input):
    status: AgentStatusName
    capacity: Num(1, routing.MAX_CAPACITY) | None = Field(None, description="Unchanged when left out")


@router.put("/boutiques/{slug}/inbox/agents/me", response={200: AgentOut, **ERRORS}, auth=AUTH)
def agent_me(request, slug: SLUG, payload: AgentIn):
    """Her own presence: online (routed to), away (keeps her conversations, gets no new ones) or
    offline; and her capacity."""
    actor = request_actor(request, slug)
    agent = routing.agent_status_set(actor=actor, status=payload.status, capacity=payload.capacity)
    return _agent_of(actor, agent.user_id)


@router.put("/boutiques/{slug}/inbox/agents/{user_id}", response={200: AgentOut, **ERRORS}, auth=AUTH)
def agent_set(request, slug: SLUG, user_id: ID, payload: AgentIn):
    """An associate's status and capacity (managers; token scope inbox:write)."""
    actor = request_actor(request, slug)
    user = routing.access_agent(actor, user_id)
    routing.agent_status_set(actor=actor, status=payload.status, capacity=payload.capacity, user=user)
    return _agent_of(actor, user.pk)


@router.post("/boutiques/{slug}/conversations/{conversation_id}/claim", response={200: ConversationOut, **ERRORS},
             auth=AUTH)  # fmt: skip
def conversation_claim(request, slug: SLUG, conversation_id: ID):
    """Take an unassigned conversation. Someone was faster: 409 already_claimed; at her capacity:
    409 at_capacity (managers may go beyond it)."""
    actor = request_actor(request, slug)
    routing.conversation_claim(actor=actor, conversation=access_conversation(actor, conversation_id))
    return _conversation_out(access_conversation(actor, conversation_id))


class TransferIn(Input):
    to_user_id: Num(1, 2**62)
    note: Text(500) = ""


@router.post("/boutiques/{slug}/conversations/{conversation_id}/transfer",
             response={200: ConversationOut, **ERRORS}, auth=AUTH)  # fmt: skip
@logged_attempts("conversation_transfer", target_kwarg="conversation_id")
def conversation_transfer(request, slug: SLUG, conversation_id: ID, payload: TransferIn):
    """Hand it to another staff member (her own conversation; managers: any). She is at capacity:
    409 at_capacity, unless a manager transfers. The note goes on the client's timeline, not to her."""
    actor = request_actor(request, slug)
    conversation = access_conversation(actor, conversation_id)
    to_user = routing.staff_user(actor, payload.to_user_id)  # None (not her staff): 422 invalid_assignee
    routing.conversation_transfer(actor=actor, conversation=conversation, to_user=to_user, note=payload.note)
    return _conversation_out(access_conversation(actor, conversation_id))
