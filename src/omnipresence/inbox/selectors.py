"""Reads of the inbox, always through the actor's boutique."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from omnipresence.inbox.errors import ConversationNotFound, InboxNotFound
from omnipresence.inbox.models import Conversation, Inbox, Message
from omnipresence.stores.access import Actor

MAX_MESSAGES_PAGE = 200


def access_inbox(actor: Actor, inbox_id: int) -> Inbox:
    actor.require("clients.view")
    inbox = Inbox.objects.select_related("boutique").filter(boutique=actor.boutique, pk=inbox_id).first()
    if inbox is None:
        raise InboxNotFound(f"No inbox {inbox_id}.")
    return inbox


def access_conversation(actor: Actor, conversation_id: int) -> Conversation:
    actor.require("clients.view")
    conversation = (
        Conversation.objects.select_related("inbox__boutique", "client", "assignee")
        .filter(boutique=actor.boutique, pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise ConversationNotFound(f"No conversation {conversation_id}.")
    return conversation


def conversation_waiting(conversation: Conversation, *, now: datetime | None = None) -> dict:
    """How long she has waited for an answer: `waiting_seconds` (None once answered, snoozed or
    resolved) and `overdue` (longer than the inbox's first-response target). No query when the
    inbox is loaded with the conversation."""
    waiting = conversation.waiting_since
    if waiting is None or conversation.status in (Conversation.Status.SNOOZED, Conversation.Status.RESOLVED):
        return {"waiting_seconds": None, "overdue": False}
    seconds = max(int(((now or timezone.now()) - waiting).total_seconds()), 0)
    return {"waiting_seconds": seconds, "overdue": seconds > conversation.inbox.first_response_target}


def inbox_list(*, actor: Actor) -> QuerySet[Inbox]:
    actor.require("clients.view")
    return Inbox.objects.filter(boutique=actor.boutique)


def conversation_list(*, actor: Actor, status: str | None = None, mine: bool = False,
                      client_id: int | None = None) -> QuerySet[Conversation]:  # fmt: skip
    """Newest activity first; `status` one of Conversation.Status or "active" (all but resolved)."""
    actor.require("clients.view")
    queryset = Conversation.objects.filter(boutique=actor.boutique).select_related("inbox", "client", "assignee")
    if status == "active":
        queryset = queryset.exclude(status=Conversation.Status.RESOLVED)
    elif status:
        queryset = queryset.filter(status=status)
    if mine:
        queryset = queryset.filter(assignee_id=actor.user_id)
    if client_id is not None:
        queryset = queryset.filter(client_id=client_id)
    return queryset.order_by("-last_message_at", "-pk")


@dataclass(frozen=True)
class MessagePage:
    messages: list[Message]  # oldest first, as a thread reads
    next_before_id: int | None


def messages_page(*, conversation: Conversation, before_id: int | None = None, limit: int = 50) -> MessagePage:
    """The latest `limit` messages (before `before_id`), in reading order; one query."""
    queryset = Message.objects.filter(conversation=conversation).select_related("author")
    if before_id is not None:
        queryset = queryset.filter(pk__lt=before_id)
    rows = list(queryset.order_by("-pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return MessagePage(messages=list(reversed(rows)), next_before_id=rows[-1].pk if more and rows else None)
