"""The web chat: a visitor on the storefront (or any site that embeds the widget) writes to the
boutique; her first message makes an anonymous client and a conversation in the web chat inbox,
and leaving an email or a phone number makes her known. The widget's socket is
inbox.widget_consumer; the pages are inbox.widget_views.

Who she is: the widget keeps a random visitor id (128 bits, made here) in the browser. It is a
bearer secret — whoever holds it reads that conversation — so it is never stored: her client's
`web_session` identity, and the conversation's `contact`, hold its hash (`visitor_session`).

Floods: at most 10 messages in 10 s and 60 in 10 minutes per visitor, counted from the stored
messages (so every process agrees) under a per-visitor lock (PostgreSQL advisory lock; SQLite's
IMMEDIATE transactions serialise writers anyway), so a burst from many sockets cannot slip past.
"""

import hashlib
import re
import secrets
import uuid
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from omnipresence.clients.errors import ConflictingIdentities
from omnipresence.clients.models import Client, Identity, TimelineEvent
from omnipresence.clients.selectors import client_by_identity
from omnipresence.clients.services import client_identify, client_merge, identity_normalise, identity_transfer
from omnipresence.core.errors import DomainError, InvalidInput
from omnipresence.inbox import realtime, services
from omnipresence.inbox.conversation_ops import conversation_move
from omnipresence.inbox.errors import InboxNotFound
from omnipresence.inbox.models import Conversation, Inbox, Message
from omnipresence.stores.access import system_actor

VISITOR_RE = re.compile(r"^[0-9a-f]{32}$")
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,32}$")
HISTORY = 50
# (messages, seconds): a person typing fast stays well inside both; a script does not.
RATE_LIMITS = ((10, 10), (60, 600))
SESSION_KIND = Identity.Kind.WEB_SESSION
# What a client made by the web chat may have and still be "only this chat" (safe to fold into the
# client she says she is).
ANONYMOUS_TIMELINE = (TimelineEvent.Kind.CREATED, TimelineEvent.Kind.MESSAGE)


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    default_message = "Too many messages at once: wait a few seconds and send it again."


def visitor_id_new() -> str:
    """A new visitor id for a browser (128 random bits, hex)."""
    return secrets.token_hex(16)


def visitor_valid(visitor_id) -> bool:
    return isinstance(visitor_id, str) and bool(VISITOR_RE.match(visitor_id))


def visitor_session(visitor_id: str) -> str:
    """What the database keeps for a visitor id: its hash (the `web_session` identity's value and
    the conversation's contact). The id itself stays in her browser."""
    if not visitor_valid(visitor_id):
        raise InvalidInput(_("This chat session is not valid: reload the page."), code="invalid_visitor")
    return hashlib.sha256(f"webchat:{visitor_id}".encode()).hexdigest()[:32]


def webchat_inbox(*, key) -> Inbox:
    """The active web chat inbox with this public key (InboxNotFound otherwise)."""
    inbox = None
    if isinstance(key, str) and KEY_RE.match(key):
        inbox = (
            Inbox.objects.select_related("boutique")
            .filter(kind=Inbox.Kind.WEBCHAT, public_key=key, active=True)
            .first()
        )
    if inbox is None:
        raise InboxNotFound(_("There is no such chat."))
    return inbox


def webchat_key_for(*, boutique) -> str:
    """The public key of the boutique's active web chat ("" when it has none): the storefront adds
    the launcher with it."""
    key = (
        Inbox.objects.filter(boutique=boutique, kind=Inbox.Kind.WEBCHAT, active=True)
        .exclude(public_key="")
        .order_by("pk")
        .values_list("public_key", flat=True)
        .first()
    )
    return key or ""


# --- reads ---------------------------------------------------------------------------------------


def visitor_conversation(*, inbox: Inbox, session: str) -> Conversation | None:
    """Her latest conversation in this inbox (any status: a resolved thread still shows until she
    writes again, which opens a new one). A conversation merged into another is not hers here."""
    return (
        Conversation.objects.filter(inbox=inbox, contact=session, merged_into__isnull=True)
        .order_by("-pk")
        .first()
    )


def widget_message(message: Message, *, seen: bool = False) -> dict:
    """A message as the widget shows it: the client's data (realtime.message_data) with the
    associate's first name as author (never her login name; "" for the team or the system — the
    widget shows the boutique), and for her own messages whether the boutique has read them."""
    data = realtime.message_data(message, for_client=True)
    if message.direction == Message.Direction.INBOUND:
        data["author"] = ""
        data["seen"] = seen
    else:
        data["author"] = (message.author.first_name if message.author_id else "")[:60]
    return data


def widget_message_by_id(*, message_id, conversation_id) -> dict | None:
    """A message announced on the conversation's group, drawn for the widget (None if it is gone)."""
    message = (
        Message.objects.select_related("author").prefetch_related("attachments")
        .filter(pk=message_id, conversation_id=conversation_id).first()
    )  # fmt: skip
    return widget_message(message) if message is not None else None


def webchat_history(*, inbox: Inbox, visitor_id: str) -> dict:
    """What the widget shows on connect: her conversation's last 50 messages (reading order), and
    whether she has left an email or phone number. Six queries, however long the thread."""
    session = visitor_session(visitor_id)
    conversation = visitor_conversation(inbox=inbox, session=session)
    messages: list[Message] = []
    if conversation is not None:
        messages = list(
            Message.objects.filter(conversation=conversation)
            .select_related("author")
            .prefetch_related("attachments")
            .order_by("-pk")[:HISTORY]
        )
        messages.reverse()
    # `unread` counts her messages staff have not read: the last ones.
    unread = conversation.unread if conversation is not None else 0
    inbound = [m for m in messages if m.direction == Message.Direction.INBOUND]
    unseen = {m.pk for m in inbound[len(inbound) - unread :]} if unread else set()
    client = client_by_identity(boutique=inbox.boutique, kind=SESSION_KIND, value=session)
    identified = (
        client is not None and client.identities.filter(kind__in=["email", "phone", "whatsapp"]).exists()
    )
    return {
        "conversation_id": conversation.pk if conversation is not None else None,
        "messages": [widget_message(m, seen=m.pk not in unseen) for m in messages],
        "identified": identified,
    }


# --- writes --------------------------------------------------------------------------------------


def _lock_visitor(inbox: Inbox, session: str) -> None:
    """Serialise one visitor's writes until the transaction ends (rate count, first conversation)."""
    if connection.vendor == "postgresql":
        number = int.from_bytes(
            hashlib.sha256(f"{inbox.pk}:{session}".encode()).digest()[:8], "big", signed=True
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number])


def _rate_check(inbox: Inbox, session: str) -> None:
    now = timezone.now()
    longest = max(seconds for _, seconds in RATE_LIMITS)
    counts = Message.objects.filter(
        boutique_id=inbox.boutique_id, conversation__inbox=inbox, conversation__contact=session,
        direction=Message.Direction.INBOUND, created_at__gte=now - timedelta(seconds=longest),
    ).aggregate(**{
        f"in_{seconds}": Count("pk", filter=Q(created_at__gte=now - timedelta(seconds=seconds)))
        for _, seconds in RATE_LIMITS
    })  # fmt: skip
    for limit, seconds in RATE_LIMITS:
        if counts[f"in_{seconds}"] >= limit:
            raise RateLimited(
                _("Too many messages at once: wait a little and send it again."),
                details={"limit": limit, "seconds": seconds},
            )


def _message_key(inbox: Inbox, session: str, message_uuid) -> str:
    try:
        text = str(uuid.UUID(str(message_uuid))) if isinstance(message_uuid, str) else ""
    except ValueError:
        text = ""
    if not text:
        raise InvalidInput(_("The message has no valid id."), code="invalid_message_id")
    # Scoped by visitor: one visitor's ids can never name another's message.
    return f"webchat:{inbox.pk}:{session}:{text}"


def webchat_message_receive(*, inbox: Inbox, visitor_id: str, text, message_uuid) -> tuple[Message, bool]:
    """Her message: (message, created). The widget names each message with a uuid it made, so a
    resend after a lost connection is the first message (created False), never a second one.
    Over the rate limit: 429 rate_limited and nothing stored."""
    session = visitor_session(visitor_id)
    key = _message_key(inbox, session, message_uuid)
    if isinstance(text, str) and len(text) > services.MAX_BODY:
        raise InvalidInput(_("Write at most 4,000 characters."), code="message_too_long")
    with transaction.atomic():
        _lock_visitor(inbox, session)
        seen = Message.objects.filter(boutique_id=inbox.boutique_id, direction=Message.Direction.INBOUND,
                                      provider_message_id=key).first()  # fmt: skip
        if seen is not None:
            return seen, False
        _rate_check(inbox, session)
        return services.inbound_receive(inbox=inbox, sender=f"web_session:{session}", body=text,
                                        provider_message_id=key)  # fmt: skip


def _only_this_chat(client: Client, inbox: Inbox, session: str) -> bool:
    """Whether the client the widget made has nothing but this visitor's chat: no name, no other
    identifier, no purchase, no other conversation, nothing on her timeline but messages."""
    if client.display_name or client.orders_count or client.lifetime_spend or client.notes or client.tags:
        return False
    if client.primary_associate_id or client.secondary_associate_id:
        return False
    if client.identities.exclude(kind=SESSION_KIND).exists():
        return False
    if Conversation.objects.filter(client=client).exclude(inbox=inbox, contact=session).exists():
        return False
    return not TimelineEvent.objects.filter(client=client).exclude(kind__in=ANONYMOUS_TIMELINE).exists()


def webchat_identify(*, inbox: Inbox, visitor_id: str, email="", phone="") -> Client:
    """She left an email or a phone number ("so we can answer when you've left"). Unknown to the
    boutique: it is added to her client. Another client's: her conversation moves to that client,
    and the anonymous client is merged into her when it holds nothing but this chat; otherwise (or
    when their verified identifiers conflict) the two stay apart and only the conversation and this
    browser's session move. No consent is recorded: chatting is not agreeing to marketing.

    The answer does not say which case it was (nobody learns whether an email is a client's)."""
    session = visitor_session(visitor_id)
    given = [(kind, value) for kind, value in (("email", email), ("phone", phone)) if value]
    if len(given) != 1 or not all(isinstance(value, str) for _, value in given):
        raise InvalidInput(_("Give an email address or a phone number."), code="identifier_required")
    kind, raw = given[0]
    boutique = inbox.boutique
    value = identity_normalise(kind=kind, value=raw, country=boutique.country)
    with transaction.atomic():
        _lock_visitor(inbox, session)
        anonymous = client_by_identity(boutique=boutique, kind=SESSION_KIND, value=session)
        target, _created = client_identify(
            boutique=boutique, handles={SESSION_KIND: session}, channel="chat", actor_label="webchat",
            **{kind: value},
        )  # fmt: skip
        if anonymous is None or anonymous.pk == target.pk:
            return target  # the identifier is hers now (or was already)
        moved = list(
            Conversation.objects.filter(inbox=inbox, contact=session, client=anonymous).values_list(
                "pk", flat=True
            )
        )
        merged = False
        actor = system_actor(boutique)
        if _only_this_chat(anonymous, inbox, session):
            try:
                # The merge moves her session, conversations and timeline, and can be undone.
                client_merge(actor=actor, survivor=target, merged=anonymous)
                merged = True
            except ConflictingIdentities:
                merged = False
        if merged:
            for conversation in Conversation.objects.filter(pk__in=moved):
                realtime.conversation_changed(conversation)
        else:
            for conversation in Conversation.objects.filter(pk__in=moved).select_related("inbox"):
                # Her messages' timeline events follow the conversation (and the team is told).
                conversation_move(actor=actor, conversation=conversation, client=target)
            identity_transfer(boutique=boutique, kind=SESSION_KIND, value=session, to_client=target,
                              actor_label="webchat")  # fmt: skip
    return target
