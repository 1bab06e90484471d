"""API of the inbox: inboxes, conversations, messages, and the local provider's webhook."""

from datetime import datetime
from typing import Annotated, Literal

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from omnipresence.clients.attempts import logged_attempts
from omnipresence.core.api import AUTH, ERRORS, ID, PUBLIC_ERRORS, SLUG, ErrorOut, Input, Text, request_actor
from omnipresence.inbox import services
from omnipresence.inbox.models import Conversation, Inbox, Message
from omnipresence.inbox.selectors import (
    MAX_MESSAGES_PAGE,
    access_conversation,
    conversation_list,
    conversation_waiting,
    inbox_list,
    messages_page,
)
from omnipresence.inbox.webhooks import local_webhook

router = Router(tags=["inbox"])

StatusName = Literal["open", "pending", "snoozed", "resolved"]


class InboxOut(Schema):
    id: int
    kind: str
    provider: str
    name: str
    address: str
    active: bool
    public_key: str  # web chat: the key in the embed snippet (public by design)


class MessageOut(Schema):
    id: int
    direction: str
    purpose: str
    author: str
    body: str
    payload: dict
    status: str
    error: str
    created_at: datetime
    sent_at: datetime | None


class ConversationOut(Schema):
    id: int
    inbox: InboxOut
    client_id: int
    client_name: str
    contact: str
    status: str
    assignee: str | None
    tags: list[str]
    unread: int
    last_message_at: datetime | None
    waiting_since: datetime | None
    first_response_at: datetime | None
    snoozed_until: datetime | None
    waiting_seconds: int | None = Field(None, description="Since her oldest unanswered message; None once answered")
    overdue: bool = Field(False, description="Waiting longer than the inbox's first-response target")


class ThreadOut(ConversationOut):
    messages: list[MessageOut]
    next_before_id: int | None


def _inbox_out(i: Inbox) -> dict:
    return {"id": i.pk, "kind": i.kind, "provider": i.provider, "name": i.name, "address": i.address,
            "active": i.active, "public_key": i.public_key}  # fmt: skip


def _message_out(m: Message) -> dict:
    return {"id": m.pk, "direction": m.direction, "purpose": m.purpose, "author": m.author_label, "body": m.body,
            "payload": m.payload, "status": m.status, "error": m.error, "created_at": m.created_at,
            "sent_at": m.sent_at}  # fmt: skip


def _conversation_out(c: Conversation) -> dict:
    return {
        "id": c.pk, "inbox": _inbox_out(c.inbox), "client_id": c.client_id, "client_name": c.client.display_name,
        "contact": c.contact, "status": c.status,
        "assignee": c.assignee.get_username() if c.assignee_id else None, "tags": c.tags, "unread": c.unread,
        "last_message_at": c.last_message_at, "waiting_since": c.waiting_since,
        "first_response_at": c.first_response_at, "snoozed_until": c.snoozed_until, **conversation_waiting(c),
    }  # fmt: skip


@router.get("/boutiques/{slug}/inboxes", response={200: list[InboxOut], **ERRORS}, auth=AUTH)
def inboxes(request, slug: SLUG):
    actor = request_actor(request, slug)
    return [_inbox_out(i) for i in inbox_list(actor=actor)]


class InboxIn(Input):
    kind: Literal["webchat", "whatsapp", "sms", "email", "instagram", "messenger", "social"]
    name: Text(80, min_length=1)
    address: Text(254) = ""
    provider: Literal["local", "email", "whatsapp_cloud", "twilio", "meta"] = "local"
    team_location: Text(40) | None = Field(None, description="A shop's code")
    config: dict[Text(40), Text(1000)] = Field(default_factory=dict, max_length=20,
                                               description="The provider's settings (docs/inbox.md, Channels)")


@router.post("/boutiques/{slug}/inboxes", response={201: InboxOut, **ERRORS}, auth=AUTH)
def inbox_create(request, slug: SLUG, payload: InboxIn):
    """A way in for clients (managers; token scope inbox:write)."""
    from omnipresence.stores.selectors import access_location

    actor = request_actor(request, slug)
    team = access_location(actor, payload.team_location) if payload.team_location else None
    inbox = services.inbox_create(actor=actor, kind=payload.kind, name=payload.name, address=payload.address,
                                  provider=payload.provider, team_location=team, config=payload.config)  # fmt: skip
    return Status(201, _inbox_out(inbox))


@router.get("/boutiques/{slug}/conversations", response={200: list[ConversationOut], **ERRORS}, auth=AUTH)
def conversations(request, slug: SLUG, status: StatusName | Literal["active"] | None = None, mine: bool = False,
                  client_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50):  # fmt: skip
    """Newest activity first. `status=active`: everything not resolved."""
    actor = request_actor(request, slug)
    rows = conversation_list(actor=actor, status=status, mine=mine, client_id=client_id)[:limit]
    return [_conversation_out(c) for c in rows]


@router.get("/boutiques/{slug}/conversations/{conversation_id}", response={200: ThreadOut, **ERRORS}, auth=AUTH)
@logged_attempts("conversation", target_kwarg="conversation_id")
def conversation_detail(request, slug: SLUG, conversation_id: ID,
                        before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
                        limit: Annotated[int, Query(ge=1, le=MAX_MESSAGES_PAGE)] = 50):  # fmt: skip
    """The thread: the latest messages in reading order; `before_id` for older ones."""
    actor = request_actor(request, slug)
    conversation = access_conversation(actor, conversation_id)
    page = messages_page(conversation=conversation, before_id=before_id, limit=limit)
    return {**_conversation_out(conversation), "messages": [_message_out(m) for m in page.messages],
            "next_before_id": page.next_before_id}  # fmt: skip


class MessageIn(Input):
    body: Text(4000) = ""
    purpose: Literal["service", "marketing"] = "service"
    attachment_ids: list[int] = Field(default_factory=list, max_length=10,
                                      description="Uploads of this conversation (POST …/attachments)")


@router.post("/boutiques/{slug}/conversations/{conversation_id}/messages",
             response={201: MessageOut, **ERRORS}, auth=AUTH)  # fmt: skip
@logged_attempts("message", target_kwarg="conversation_id")
def message_send(request, slug: SLUG, conversation_id: ID, payload: MessageIn):
    """Answer her: queued, then delivered by the channel's provider (status follows). Marketing
    needs her consent in this channel (409 consent_required); WhatsApp free text only within 24 h of
    her last message (409 window_closed)."""
    actor = request_actor(request, slug)
    conversation = access_conversation(actor, conversation_id)
    message = services.message_send(actor=actor, conversation=conversation, body=payload.body,
                                    purpose=payload.purpose, attachment_ids=payload.attachment_ids)  # fmt: skip
    message.refresh_from_db()
    return Status(201, _message_out(message))


@router.post("/boutiques/{slug}/conversations/{conversation_id}/messages/{message_id}/resend",
             response={200: MessageOut, **ERRORS}, auth=AUTH)  # fmt: skip
def message_resend(request, slug: SLUG, conversation_id: ID, message_id: ID):
    """Send again one of our messages that failed (`status` failed, its `error` says why): the
    checks of a new answer apply again (409 consent_required, window_closed); 409 not_failed when
    it is not failed — a message still on its way is never sent twice — and still_sending while a
    worker is still handing it over."""
    actor = request_actor(request, slug)
    conversation = access_conversation(actor, conversation_id)
    message = services.message_resend(actor=actor, conversation=conversation, message_id=message_id)
    message.refresh_from_db()
    return Status(200, _message_out(message))


class ConversationPatchIn(Input):
    status: StatusName | None = None
    snoozed_until: datetime | None = None
    assignee: Text(150) | None = Field(None, description="Username; empty: nobody")
    tags: list[Text(40, min_length=1)] | None = Field(None, max_length=20)


@router.patch("/boutiques/{slug}/conversations/{conversation_id}", response={200: ConversationOut, **ERRORS},
              auth=AUTH)  # fmt: skip
@logged_attempts("conversation_update", target_kwarg="conversation_id")
def conversation_update(request, slug: SLUG, conversation_id: ID, payload: ConversationPatchIn):
    from omnipresence.clients.selectors import access_associate

    actor = request_actor(request, slug)
    conversation = access_conversation(actor, conversation_id)
    sent = payload.model_dump(exclude_unset=True)
    assignee = ...
    if "assignee" in sent:
        assignee = access_associate(actor, sent["assignee"]) if sent["assignee"] else None
    services.conversation_update(actor=actor, conversation=conversation, status=sent.get("status"),
                                 assignee=assignee, tags=sent.get("tags"),
                                 snoozed_until=sent.get("snoozed_until"))  # fmt: skip
    return _conversation_out(access_conversation(actor, conversation_id))


@router.post("/boutiques/{slug}/conversations/{conversation_id}/read", response={204: None, **ERRORS}, auth=AUTH)
def conversation_read(request, slug: SLUG, conversation_id: ID):
    actor = request_actor(request, slug)
    services.conversation_read(actor=actor, conversation=access_conversation(actor, conversation_id))
    return Status(204, None)


class WebhookOut(Schema):
    result: str
    message_id: int
    conversation_id: int


@router.post("/webhooks/inbox/local/{inbox_id}", response={200: WebhookOut, 401: ErrorOut, **PUBLIC_ERRORS})
def local_inbound(request, inbox_id: ID):
    """A message from a client through the local provider, signed with the inbox's key
    (`X-Omni-Signature: t=…,v1=…`). The same message id twice is stored once (`duplicate`)."""
    if len(request.body) > 256 * 1024:
        return HttpResponse(status=413)
    return local_webhook(inbox_id=inbox_id, body=request.body, headers=request.headers)
