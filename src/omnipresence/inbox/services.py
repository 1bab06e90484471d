"""The inbox's writes: a message comes in (resolved to her client, stored once), an associate
answers (consent and the WhatsApp window checked, queued in the outbox), the outbox delivers with
retries, and conversations are assigned, read, snoozed and resolved.

Order of work for an outbound message: the message and its outbox row are committed first; the
provider is called after commit with no lock held, keyed by the message id; the result is written
back with a conditional update. A crash between the provider's answer and that write leaves the
row due again: the retry uses the same key, so the provider (the local one, WhatsApp, Twilio) sees
one message.
"""

import logging
import re
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from omnipresence.clients.models import Client, ConsentPurpose
from omnipresence.clients.selectors import consent_allows
from omnipresence.clients.services import client_identify, consent_record, identity_normalise, timeline_add
from omnipresence.core.errors import Conflict, Forbidden, InvalidInput
from omnipresence.inbox import realtime, routing
from omnipresence.inbox.adapters import adapter_for, reply_context
from omnipresence.inbox.errors import (
    ConsentRequired,
    EmptyMessage,
    MessageNotFound,
    NotFailed,
    ProviderFailed,
    StillSending,
    WindowClosed,
)
from omnipresence.inbox.models import Conversation, Inbox, LocalDelivery, Message, OutboxItem
from omnipresence.inbox.providers.whatsapp import template_clean
from omnipresence.stores.access import Actor
from omnipresence.stores.models import StaffMember

log = logging.getLogger(__name__)

MAX_BODY = 4000
MAX_INBOUND_BODY = 20000
# A sender writing more than this many messages in a minute to one conversation is a script or a
# loop (an auto-responder answering ours): what comes beyond is still stored (nothing she wrote is
# lost), but quietly — no alert, no routing, no away reply, no timeline entry each — and the thread
# is tagged "flood" once. Webhooks keep answering 2xx: a refusal would only make providers retry.
FLOOD_MESSAGES, FLOOD_SECONDS = 30, 60
FLOOD_TAG = "flood"
WHATSAPP_WINDOW = timedelta(hours=24)
MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=2)
SWEEP_BATCH = 200

# The identity an address is in each channel, and the marketing consent each channel needs.
IDENTITY_KIND = {
    Inbox.Kind.EMAIL: "email", Inbox.Kind.SMS: "phone", Inbox.Kind.WHATSAPP: "whatsapp",
    Inbox.Kind.INSTAGRAM: "instagram", Inbox.Kind.MESSENGER: "facebook",
}  # fmt: skip
MARKETING_PURPOSE = {
    Inbox.Kind.EMAIL: ConsentPurpose.MARKETING_EMAIL, Inbox.Kind.SMS: ConsentPurpose.MARKETING_SMS,
    Inbox.Kind.WHATSAPP: ConsentPurpose.MARKETING_WHATSAPP,
}  # fmt: skip
CONSENT_CHANNEL = {
    Inbox.Kind.EMAIL: "email", Inbox.Kind.SMS: "sms", Inbox.Kind.WHATSAPP: "whatsapp",
    Inbox.Kind.INSTAGRAM: "social", Inbox.Kind.MESSENGER: "social", Inbox.Kind.WEBCHAT: "chat",
    Inbox.Kind.SOCIAL: "social",
}  # fmt: skip
# A social inbox's sender is "<network>:<handle>": her handle on that network identifies her.
SOCIAL_NETWORKS = ("instagram", "facebook", "x")
# A whole message that is one of these withdraws marketing consent for that channel.
STOP_WORDS = frozenset({
    "stop", "stopall", "unsubscribe", "cancel", "end", "quit",  # English (carriers' list)
    "arret", "arrêt", "desabonner", "désabonner", "desinscrire", "désinscrire",  # French
    "staak", "kanselleer", "uitteken",  # Afrikaans
    "baja", "abmelden", "stopp",  # Spanish, German
})  # fmt: skip
STOP_REPLY = "You will get no more marketing messages from us here. Questions are still welcome."


class ReplyWindow(NamedTuple):
    free: timedelta  # free text this long after her last message
    human_agent: timedelta | None  # beyond it, an associate's answer tagged HUMAN_AGENT (Meta)
    template: bool  # beyond it, an approved template (WhatsApp)


# Reply windows per channel (the providers refuse anything else): WhatsApp 24 h, then only an
# approved template; Messenger and Instagram 24 h, then 7 days with the HUMAN_AGENT tag.
REPLY_WINDOWS = {
    Inbox.Kind.WHATSAPP: ReplyWindow(free=WHATSAPP_WINDOW, human_agent=None, template=True),
    Inbox.Kind.MESSENGER: ReplyWindow(free=timedelta(hours=24), human_agent=timedelta(days=7), template=False),
    Inbox.Kind.INSTAGRAM: ReplyWindow(free=timedelta(hours=24), human_agent=timedelta(days=7), template=False),
}


def inbox_create(*, actor: Actor, kind: str, name: str, address: str = "", provider: str = "local",
                 team_location=None, config: dict | None = None) -> Inbox:  # fmt: skip
    """A way in for clients (managers). `address` is the number, email or page it answers on;
    `config` the provider's settings, checked by its adapter (400 invalid_config)."""
    from omnipresence.core.validation import clean_text, same_boutique
    from omnipresence.inbox.adapters import ADAPTERS, config_clean

    actor.require("inbox.manage")
    if kind not in Inbox.Kind.values:
        raise InvalidInput(f"kind is one of {', '.join(Inbox.Kind.values)}.", code="invalid_inbox_kind")
    if provider not in ADAPTERS:
        raise InvalidInput(f"provider is one of {', '.join(ADAPTERS)}.", code="invalid_provider")
    name = clean_text(name, "name", 80)
    if not name:
        raise InvalidInput("Give the inbox a name.", code="invalid_name")
    address = clean_text(address, "address", 254)
    if team_location is not None:
        same_boutique(actor, team_location)
    config = config_clean(provider=provider, kind=kind, config=config if config is not None else {})
    try:
        with transaction.atomic():
            # The web chat's key is public (it is in the embed snippet); 128 random bits, unguessable.
            public_key = secrets.token_urlsafe(16) if kind == Inbox.Kind.WEBCHAT else ""
            return Inbox.objects.create(boutique=actor.boutique, kind=kind, name=name, address=address,
                                        provider=provider, team_location=team_location,
                                        public_key=public_key, config=config)  # fmt: skip
    except IntegrityError:
        raise Conflict("This boutique already has an inbox on that address.", code="inbox_exists")


def _clean_body(body, limit: int, *, allow_empty: bool = False) -> str:
    text = body.replace("\x00", "").strip() if isinstance(body, str) else ""
    if (not text and not allow_empty) or len(text) > limit:
        raise EmptyMessage(f"Write a message of 1 to {limit} characters.")
    return text


def _contact(inbox: Inbox, sender: str) -> tuple[str, str]:
    """(identity kind, normalised address) of the sender in this inbox's channel."""
    kind = IDENTITY_KIND.get(inbox.kind)
    if inbox.kind == Inbox.Kind.SOCIAL:  # a mention: "<network>:<handle>"
        kind, _sep, sender = sender.partition(":") if isinstance(sender, str) else ("", "", "")
        if kind not in SOCIAL_NETWORKS:
            raise InvalidInput("A mention's sender is <network>:<handle>.", code="invalid_handle")
    if kind is None and isinstance(sender, str) and sender.startswith("web_session:"):
        # web chat: the widget's visitor id (inbox.webchat), her client's `web_session` identity
        kind, sender = "web_session", sender.removeprefix("web_session:")
    elif kind is None:  # web chat: she gives an email or a phone number
        kind = "email" if isinstance(sender, str) and "@" in sender else "phone"
    return kind, identity_normalise(kind=kind, value=sender, country=inbox.boutique.country)


def _identify(inbox: Inbox, kind: str, contact: str, name: str) -> Client:
    identifiers = {"email": {"email": contact}, "phone": {"phone": contact}, "whatsapp": {"whatsapp": contact}}
    if kind in identifiers:
        args = identifiers[kind]
    else:
        args = {"handles": {kind: contact}}
    client, _created = client_identify(
        boutique=inbox.boutique, name=name, channel=CONSENT_CHANNEL.get(inbox.kind, "chat"),
        actor_label=f"inbox:{inbox.kind}", **args,
    )  # fmt: skip
    return client


def inbound_receive(*, inbox: Inbox, sender: str, body: str, provider_message_id: str = "", name: str = "",
                    received_at: datetime | None = None, payload: dict | None = None,
                    continues: Conversation | None = None) -> tuple[Message, bool]:  # fmt: skip
    """Store a message from a client: (message, created). The same provider message id twice is
    the first message (created False); the sender becomes her client by the resolution rule.
    `continues`: the thread the message names (an email's References) — taken only when it is this
    inbox's and this client's; otherwise her latest unresolved conversation, else a new one."""
    text = _clean_body(body, MAX_INBOUND_BODY)
    provider_message_id = (provider_message_id or "").strip()[:200]
    if provider_message_id:
        seen = Message.objects.filter(boutique_id=inbox.boutique_id, direction=Message.Direction.INBOUND,
                                      provider_message_id=provider_message_id).first()  # fmt: skip
        if seen is not None:
            return seen, False
    if not inbox.active:
        raise InvalidInput("This inbox is switched off.", code="inbox_inactive")
    kind, contact = _contact(inbox, sender)
    client = _identify(inbox, kind, contact, (name or "").strip()[:120])
    at = received_at or timezone.now()
    try:
        with transaction.atomic():
            conversation = None
            if continues is not None:
                conversation = Conversation.objects.select_for_update().filter(
                    pk=continues.merged_into_id or continues.pk, boutique_id=inbox.boutique_id, inbox=inbox,
                    client=client,
                ).first()  # fmt: skip
            if conversation is None:
                conversation = (
                    Conversation.objects.select_for_update()
                    .filter(inbox=inbox, contact=contact, client=client)
                    .exclude(status=Conversation.Status.RESOLVED)
                    .order_by("-pk").first()
                )  # fmt: skip
            if conversation is None:
                conversation = Conversation.objects.create(
                    boutique_id=inbox.boutique_id, inbox=inbox, client=client, contact=contact, created_at=at,
                )  # fmt: skip
            flood = _flooding(conversation, at)
            message = Message.objects.create(
                boutique_id=inbox.boutique_id, conversation=conversation, direction=Message.Direction.INBOUND,
                # a web chat visitor's contact is a hash: nothing to show, the pages say "Web visitor"
                author_label=client.display_name or ("" if inbox.kind == Inbox.Kind.WEBCHAT else contact),
                body=text, payload={**(payload or {}), **({"flood": True} if flood else {})},
                provider_message_id=provider_message_id, status=Message.Status.RECEIVED, created_at=at,
            )  # fmt: skip
            if flood:
                _flood_mark(conversation, at)
                return message, True
            Conversation.objects.filter(pk=conversation.pk).update(
                unread=F("unread") + 1, last_message_at=at, last_inbound_at=at,
                waiting_since=conversation.waiting_since or at, status=Conversation.Status.OPEN,
                snoozed_until=None,
            )  # fmt: skip
            if conversation.assignee_id is None:  # her associate, else the team (inbox.routing)
                routing.conversation_route(conversation)
            timeline_add(
                client_id=client.pk, kind="mention" if (payload or {}).get("mention") else "message",
                occurred_at=at, ref_kind="message", ref_id=message.pk,
                summary=f"{inbox.get_kind_display()}: {text[:120]}",
                data={"conversation_id": conversation.pk, "direction": "in", "inbox": inbox.kind},
            )  # fmt: skip
            conversation.refresh_from_db()
            realtime.message_created(message)
            realtime.conversation_changed(conversation)
            if text.lower().strip(" .!") in STOP_WORDS:
                _withdraw_marketing(inbox, conversation, client, text)
            else:  # closed, or nobody online: "leave a message" (once per 12 h)
                routing.away_reply(conversation, at=at)
    except IntegrityError:
        if not provider_message_id:
            raise
        return Message.objects.get(boutique_id=inbox.boutique_id, direction=Message.Direction.INBOUND,
                                   provider_message_id=provider_message_id), False  # fmt: skip
    return message, True


def _flooding(conversation: Conversation, at: datetime) -> bool:
    if conversation.pk is None or conversation.created_at >= at:
        return False
    recent = Message.objects.filter(
        conversation=conversation, direction=Message.Direction.INBOUND,
        created_at__gt=at - timedelta(seconds=FLOOD_SECONDS), created_at__lte=at,
    )  # fmt: skip
    return recent[: FLOOD_MESSAGES].count() >= FLOOD_MESSAGES


def _flood_mark(conversation: Conversation, at: datetime) -> None:
    """The thread keeps its place in the list (last message time) and says it is flooding, once."""
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=at, last_inbound_at=at)
    if FLOOD_TAG not in (conversation.tags or []):
        Conversation.objects.filter(pk=conversation.pk).update(tags=sorted({*(conversation.tags or []), FLOOD_TAG}))
        conversation.refresh_from_db()
        realtime.conversation_changed(conversation)


def _withdraw_marketing(inbox: Inbox, conversation: Conversation, client: Client, text: str) -> None:
    purpose = MARKETING_PURPOSE.get(inbox.kind)
    if purpose is None:
        return
    consent_record(actor_label=f"inbox:{inbox.kind}", client=client, purpose=purpose, granted=False,
                   channel=CONSENT_CHANNEL[inbox.kind], wording=f'She replied "{text[:40]}"')  # fmt: skip
    _queue(conversation, body=STOP_REPLY, purpose=Message.Purpose.SERVICE, author=None, author_label="system")


def _queue(conversation: Conversation, *, body: str, purpose: str, author, author_label: str,
           payload: dict | None = None, attachments=()) -> Message:  # fmt: skip
    from omnipresence.inbox.models import Attachment

    now = timezone.now()
    message = Message.objects.create(
        boutique_id=conversation.boutique_id, conversation=conversation, direction=Message.Direction.OUTBOUND,
        purpose=purpose, author=author, author_label=author_label, body=body, payload=payload or {},
        status=Message.Status.QUEUED, created_at=now,
    )  # fmt: skip
    if attachments:
        claimed = Attachment.objects.filter(pk__in=[a.pk for a in attachments], message__isnull=True).update(
            message=message
        )
        if claimed != len(attachments):  # sent with another message meanwhile
            raise Conflict("One of the files was just sent with another message.", code="attachment_taken")
    item = OutboxItem.objects.create(boutique_id=conversation.boutique_id, message=message, next_attempt_at=now)
    realtime.message_created(message)
    transaction.on_commit(lambda: outbox_deliver(item.pk))
    return message


def _reply_window(conversation: Conversation, payload: dict, now: datetime) -> dict:
    """The payload this channel's reply window lets through (REPLY_WINDOWS), or WindowClosed."""
    window = REPLY_WINDOWS.get(conversation.inbox.kind)
    if payload.get("template"):
        if window is None or not window.template:
            raise InvalidInput("Templates are sent on WhatsApp inboxes only.", code="template_not_supported")
        return {**payload, "template": template_clean(payload["template"])}
    if window is None:
        return payload
    age = now - conversation.last_inbound_at if conversation.last_inbound_at else None
    if age is not None and age <= window.free:
        return payload
    if window.human_agent is None:
        raise WindowClosed()
    if age is not None and age <= window.human_agent:
        return {**payload, "tag": "HUMAN_AGENT"}
    raise WindowClosed("Messenger and Instagram take an associate's answer only within 7 days of her last message.")


def _consent_check(conversation: Conversation, purpose: str) -> None:
    """Marketing needs her consent for this channel (the one check, `consent_allows`); service is allowed."""
    if purpose != Message.Purpose.MARKETING:
        return
    consent = MARKETING_PURPOSE.get(conversation.inbox.kind)
    if consent is None or not consent_allows(client=conversation.client, purpose=consent):
        raise ConsentRequired()


def message_send(*, actor: Actor, conversation: Conversation, body: str, purpose: str = "service",
                 payload: dict | None = None, attachment_ids: list[int] | None = None) -> Message:  # fmt: skip
    """An associate's answer, queued for delivery. Marketing needs her consent for this channel
    (the one check, `consent_allows`); on WhatsApp, free text only within 24 h of her last message.
    `payload` is a card made by inbox.rich (never the caller's raw JSON) or a WhatsApp template
    {"template": {name, language, variables}} (allowed outside the window); `attachment_ids` are
    this conversation's uploads (inbox.attachments) — with either, the words may be empty."""
    from omnipresence.inbox.attachments import attachments_claim

    actor.require("clients.edit")
    attachments = attachments_claim(conversation=conversation, ids=attachment_ids) if attachment_ids else []
    text = _clean_body(body, MAX_BODY, allow_empty=bool(payload or attachments))
    if purpose not in Message.Purpose.values:
        raise InvalidInput(f"purpose is {' or '.join(Message.Purpose.values)}.", code="invalid_purpose")
    inbox = conversation.inbox
    _consent_check(conversation, purpose)
    now = timezone.now()
    payload = reply_context(conversation=conversation, payload=_reply_window(conversation, payload or {}, now))
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        payload = dict(payload or {})
        if attachments:
            payload["attachments"] = [
                {"id": a.pk, "url": a.url, "content_type": a.content_type}
                for a in attachments
            ]
        message = _queue(locked, body=text, purpose=purpose, author=actor.user, author_label=actor.label,
                         payload=payload, attachments=attachments)  # fmt: skip
        changes = {"last_message_at": now, "waiting_since": None, "unread": 0}
        if locked.first_response_at is None and locked.last_inbound_at is not None:
            changes["first_response_at"] = now
        if locked.status == Conversation.Status.OPEN:
            changes["status"] = Conversation.Status.PENDING
        Conversation.objects.filter(pk=locked.pk).update(**changes)
        locked.refresh_from_db()
        realtime.conversation_changed(locked)
        timeline_add(
            client_id=locked.client_id, kind="message", occurred_at=now, ref_kind="message", ref_id=message.pk,
            summary=f"{inbox.get_kind_display()} ({actor.label}): {text[:120]}", associate_id=actor.user_id,
            data={"conversation_id": locked.pk, "direction": "out", "inbox": inbox.kind, "purpose": purpose},
        )  # fmt: skip
    return message


def send_key(message: Message) -> str:
    """The key and reference a message goes out with: `msg-<id>`, and `msg-<id>-r<n>` once the
    associate sent it again (a fresh key, so a provider that remembers keys sends it anew)."""
    resends = (message.payload or {}).get("resends") or 0
    return f"msg-{message.pk}-r{resends}" if resends else f"msg-{message.pk}"


def message_resend(*, actor: Actor, conversation: Conversation, message_id) -> Message:
    """Send again a message of ours that failed (the provider refused it, or gave no sure answer):
    the checks of a new answer (her consent for marketing, the channel's reply window) on the
    same message, queued again with a fresh key. Nothing changes when it is not failed (409
    not_failed) — a message still on its way is never sent twice by a double tap."""
    actor.require("clients.edit")
    try:
        pk = int(message_id)
    except (TypeError, ValueError):
        raise MessageNotFound()
    message = Message.objects.filter(pk=pk, conversation=conversation, direction=Message.Direction.OUTBOUND).first()
    if message is None:
        raise MessageNotFound()
    if message.status != Message.Status.FAILED:
        raise NotFailed()
    _consent_check(conversation, message.purpose)
    now = timezone.now()
    payload = {key: value for key, value in (message.payload or {}).items() if key != "tag"}
    payload = _reply_window(conversation, payload, now)
    payload["resends"] = int(payload.get("resends") or 0) + 1
    with transaction.atomic():
        if not Message.objects.filter(pk=message.pk, status=Message.Status.FAILED).update(
            status=Message.Status.QUEUED, error="", provider_message_id="", sent_at=None, payload=payload
        ):  # fmt: skip
            raise NotFailed()
        # Its outbox row must be at rest (done or given up): a receipt can fail a message while a
        # worker is still sending it, and a second sending beside that one could be lost or doubled.
        restart = {"attempts": 0, "next_attempt_at": now, "last_error": "", "done_at": None, "given_up_at": None}
        rows = OutboxItem.objects.filter(message_id=message.pk)
        if not rows.filter(Q(done_at__isnull=False) | Q(given_up_at__isnull=False)).update(**restart):
            if rows.exists():
                raise StillSending()
            OutboxItem.objects.create(boutique_id=message.boutique_id, message_id=message.pk, **restart)
        item = rows.get()
        message.refresh_from_db()
        realtime.message_status(message)
        transaction.on_commit(lambda: outbox_deliver(item.pk))
    log.info("inbox: message %s sent again by %s", message.pk, actor.label)
    return message


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def outbox_deliver(item_id: int) -> str:
    """Hand one queued message to its provider: "sent", "retry", "failed" or "skipped" (done, not
    due, or being sent by another worker — a lease claimed with a conditional update)."""
    now = timezone.now()
    claimed = OutboxItem.objects.filter(
        pk=item_id, done_at__isnull=True, given_up_at__isnull=True, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
    if not claimed:
        return "skipped"
    item = OutboxItem.objects.select_related("message__conversation__inbox__boutique").get(pk=item_id)
    message = item.message
    conversation = message.conversation
    if message.status != Message.Status.QUEUED or message.provider_message_id:
        # A receipt named it while its answer was lost (a dropped connection, a worker that died
        # mid-send): the provider has it, and sending again would double it.
        OutboxItem.objects.filter(pk=item.pk, done_at__isnull=True).update(done_at=timezone.now(), last_error="")
        return "skipped"
    from omnipresence.inbox.rich import outbound_text

    try:
        provider_id = adapter_for(conversation.inbox).send(
            inbox=conversation.inbox, to=conversation.contact, payload=message.payload,
            body=outbound_text(message, conversation.inbox.boutique),
            idempotency_key=send_key(message),
        )  # fmt: skip
    except ProviderFailed as error:
        give_up = item.attempts >= MAX_ATTEMPTS or error.permanent
        wait = _backoff(item.attempts)
        if error.unknown:  # it may have gone: give the provider's receipt time to say so first
            wait = max(wait, timedelta(seconds=settings.INBOX_RECEIPT_WAIT))
        OutboxItem.objects.filter(pk=item.pk, done_at__isnull=True).update(
            last_error=str(error)[:300], next_attempt_at=timezone.now() + wait,
            given_up_at=timezone.now() if give_up else None,
        )  # fmt: skip
        if give_up and Message.objects.filter(pk=message.pk, status=Message.Status.QUEUED).update(
            status=Message.Status.FAILED, error=str(error)[:300]
        ):  # fmt: skip
            message.status, message.error = Message.Status.FAILED, str(error)[:300]
            realtime.message_status(message)
        log.warning("outbox: message %s not sent (attempt %s): %s", message.pk, item.attempts, error)
        return "failed" if give_up else "retry"
    done = timezone.now()
    with transaction.atomic():
        OutboxItem.objects.filter(pk=item.pk).update(done_at=done, last_error="")
        marked = Message.objects.filter(pk=message.pk, status=Message.Status.QUEUED).update(
            status=Message.Status.SENT, sent_at=done, provider_message_id=provider_id[:200]
        )
        if marked:
            message.status = Message.Status.SENT
            realtime.message_status(message)
    return "sent"


def outbox_sweep() -> dict:
    """Deliver what is due (the sweeper thread and `omnipresence sweep` run it)."""
    due = list(
        OutboxItem.objects.filter(done_at__isnull=True, given_up_at__isnull=True, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at").values_list("pk", flat=True)[:SWEEP_BATCH]
    )  # fmt: skip
    results: dict[str, int] = {}
    for pk in due:
        outcome = outbox_deliver(pk)
        results[outcome] = results.get(outcome, 0) + 1
    return results


# --- conversations -----------------------------------------------------------------------------


def conversation_update(*, actor: Actor, conversation: Conversation, status: str | None = None,
                        assignee=..., tags: list[str] | None = None,
                        snoozed_until: datetime | None = None) -> Conversation:  # fmt: skip
    """Change status (snoozed needs a future `snoozed_until`), assignee (a user of this boutique's
    staff, or None) and tags. Assigning to someone else than oneself is for managers."""
    actor.require("clients.edit")
    changes: dict = {}
    if status is not None:
        if status not in Conversation.Status.values:
            raise InvalidInput(f"status is one of {', '.join(Conversation.Status.values)}.", code="invalid_status")
        if status == Conversation.Status.SNOOZED:
            if snoozed_until is None or snoozed_until.tzinfo is None or snoozed_until <= timezone.now():
                raise InvalidInput("Snooze until a future time (with its zone).", code="invalid_snooze")
            changes["snoozed_until"] = snoozed_until
        else:
            changes["snoozed_until"] = None
        changes["status"] = status
    if assignee is not ...:
        if assignee is not None:
            if not StaffMember.objects.filter(boutique=actor.boutique, user=assignee, is_active=True).exists():
                raise InvalidInput("Assign to a member of this boutique's staff.", code="invalid_assignee")
            if assignee.pk != actor.user_id and not actor.can("tasks.assign"):
                raise Forbidden("Only managers assign conversations to someone else.")
        changes["assignee"] = assignee
    if tags is not None:
        if not isinstance(tags, list) or len(tags) > 20 or any(
            not isinstance(t, str) or not re.fullmatch(r"[\w-]{1,40}", t) for t in tags
        ):
            raise InvalidInput("Tags are up to 20 words of letters, digits, - and _.", code="invalid_tags")
        changes["tags"] = sorted(set(tags))
    was_counted = conversation.assignee_id is not None and conversation.status in routing.ACTIVE
    if changes:
        Conversation.objects.filter(pk=conversation.pk).update(**changes)
    conversation.refresh_from_db()
    if changes:
        realtime.conversation_changed(conversation)
        still_counted = conversation.assignee_id is not None and conversation.status in routing.ACTIVE
        if was_counted and not still_counted:
            # Resolved, snoozed or unassigned: a place under her capacity is free now, so the longest
            # waiting conversation is routed after the commit, not at the next minute's sweep.
            routing.route_waiting_after_commit(conversation.boutique_id)
    return conversation


def conversation_read(*, actor: Actor, conversation: Conversation) -> None:
    actor.require("clients.view")
    Conversation.objects.filter(pk=conversation.pk).update(unread=0)
    conversation.unread = 0
    realtime.conversation_changed(conversation)
    # The web chat widget shows her messages as read (inbox.widget_consumer forwards `read`).
    read = {"kind": "read", "conversation_id": conversation.pk}
    realtime.emit([realtime.conversation_group(conversation.pk)], read)


def wake_snoozed() -> int:
    """Snoozed conversations whose time has come are open again."""
    return Conversation.objects.filter(status=Conversation.Status.SNOOZED, snoozed_until__lte=timezone.now()).update(
        status=Conversation.Status.OPEN, snoozed_until=None
    )


# --- merge and privacy hooks (registered in apps.py) -------------------------------------------


def merge_conversations(*, survivor_id: int, merged_id: int) -> dict:
    ids = list(Conversation.objects.filter(client_id=merged_id).values_list("pk", flat=True))
    Conversation.objects.filter(pk__in=ids).update(client_id=survivor_id)
    return {"conversation": ids}


def merge_conversations_undo(*, survivor_id: int, merged_id: int, moved: dict) -> None:
    Conversation.objects.filter(pk__in=moved.get("conversation", []), client_id=survivor_id).update(client_id=merged_id)


def privacy_export(*, client: Client) -> list:
    return [
        {
            "inbox": c.inbox.get_kind_display(), "contact": c.contact, "status": c.status,
            "started_at": c.created_at.isoformat(),
            "messages": [
                {"direction": m.direction, "at": m.created_at.isoformat(), "body": m.body, "status": m.status}
                for m in c.messages.order_by("created_at", "pk")
            ],
        }
        for c in Conversation.objects.filter(client=client).select_related("inbox").order_by("pk")
    ]  # fmt: skip


def privacy_erase(*, client: Client) -> dict:
    conversations = Conversation.objects.filter(client=client)
    messages = Message.objects.filter(conversation__in=conversations)
    keys = [f"msg-{pk}" for pk in messages.values_list("pk", flat=True)]
    deliveries, _ = LocalDelivery.objects.filter(idempotency_key__in=keys).delete()
    from omnipresence.inbox.models import Attachment

    files = list(Attachment.objects.filter(conversation__in=conversations))
    for attachment in files:  # her photos and videos go, file and row
        attachment.file.delete(save=False)
    Attachment.objects.filter(pk__in=[a.pk for a in files]).delete()
    changed = messages.update(body="", payload={}, author_label="", error="")
    conversations.update(contact="", subject="", tags=[])
    return {"inbox_message": changed, "inbox_localdelivery": deliveries, "inbox_conversation": conversations.count(),
            "inbox_attachment": len(files)}  # fmt: skip

