"""Realtime events of the inbox, sent through the channel layer only after the transaction that
made them commits (a rolled-back message is never announced).

Groups:
- `team_group(boutique_id)`: every staff inbox socket of the boutique (the conversation list,
  open threads): new messages, status changes, assignment, typing, read.
- `conversation_group(conversation_id)`: the client's side of one conversation (the web chat
  widget): messages, the associate typing, read receipts. Nothing internal goes there.

Every event is `{"type": "inbox.event", "event": {"kind": ..., ...}}`; consumers forward
`event` as JSON. Kinds: `message`, `message_status`, `conversation`, `typing`, `read`.
"""

import logging

from django.db import transaction

from omnipresence.core.events import group_send_now

log = logging.getLogger(__name__)


def team_group(boutique_id: int) -> str:
    return f"inbox.b.{boutique_id}"


def conversation_group(conversation_id: int) -> str:
    return f"inbox.c.{conversation_id}"


def send_now(group: str, event: dict) -> None:
    """Send one event to a group at once (callers are already after commit, or outside a
    transaction). A channel layer that is down loses the live event, never the message: the
    page reloads the thread from the database."""
    try:
        group_send_now(group, {"type": "inbox.event", "event": event})
    except Exception:  # Redis down or full: the data is safe in the database
        log.warning("inbox realtime: could not send %s to %s", event.get("kind"), group, exc_info=True)


def emit(groups: list[str], event: dict) -> None:
    """Send `event` to `groups` after the current transaction commits (at once outside one)."""

    def send():
        for group in groups:
            send_now(group, event)

    transaction.on_commit(send)


def message_data(message, *, for_client: bool = False) -> dict:
    """A message as the sockets and the API's thread show it."""
    data = {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "direction": message.direction,
        "body": message.body,
        "payload": message.payload or {},
        "author": message.author_label,
        "status": message.status,
        "created_at": message.created_at.isoformat(),
        "attachments": [
            {"id": a.pk, "url": a.url, "content_type": a.content_type,
             "width": a.width, "height": a.height}
            for a in message.attachments.all()
        ] if message.pk else [],
    }  # fmt: skip
    if not for_client:
        data["purpose"] = message.purpose
        data["author_id"] = message.author_id
        data["error"] = message.error if message.status == "failed" else ""
    return data


def conversation_data(conversation) -> dict:
    return {
        "id": conversation.pk,
        "status": conversation.status,
        "assignee_id": conversation.assignee_id,
        "unread": conversation.unread,
        "client_id": conversation.client_id,
        "inbox_id": conversation.inbox_id,
        "waiting_since": conversation.waiting_since.isoformat() if conversation.waiting_since else None,
        "last_message_at": conversation.last_message_at.isoformat() if conversation.last_message_at else None,
    }


def message_created(message) -> None:
    """A new message in or out: to the team, and to the client's widget."""
    conversation = message.conversation
    emit([team_group(conversation.boutique_id)], {"kind": "message", "message": message_data(message)})
    emit(
        [conversation_group(conversation.pk)],
        {"kind": "message", "message": message_data(message, for_client=True)},
    )


def message_updated(message) -> None:
    """A message's content changed after it was shown (her photos fetched from the provider): the
    pages draw it again in place."""
    conversation = message.conversation
    emit([team_group(conversation.boutique_id)], {"kind": "message_updated", "message": message_data(message)})


def message_status(message) -> None:
    """Queued → sent → delivered → read (or failed)."""
    event = {"kind": "message_status", "conversation_id": message.conversation_id, "message_id": message.pk,
             "status": message.status}  # fmt: skip
    emit([team_group(message.boutique_id)], {**event, "error": message.error if message.status == "failed" else ""})
    emit([conversation_group(message.conversation_id)], event)  # her widget: the status, not our provider's words


def conversation_changed(conversation) -> None:
    """Status, assignee, unread or waiting time changed: the team's lists update."""
    emit([team_group(conversation.boutique_id)], {"kind": "conversation", "conversation": conversation_data(conversation)})
