"""Reshaping conversations: merge two threads of one client into one, or move a thread that was
filed under the wrong client (a shared family phone, a mistyped email) to the right one.

Both run in one transaction with the rows locked in id order, leave a note on the timelines, and
announce the change after commit. Nothing crosses a boutique; a merge never joins two clients'
threads (merge the clients instead — that moves their conversations together).
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from omnipresence.clients.models import Client, Identity, TimelineEvent
from omnipresence.clients.services import timeline_add
from omnipresence.core.errors import Conflict, InvalidInput
from omnipresence.inbox import realtime
from omnipresence.inbox.models import Attachment, Conversation, Message
from omnipresence.inbox.services import IDENTITY_KIND
from omnipresence.stores.access import Actor


def _locked(*conversations: Conversation) -> list[Conversation]:
    ids = sorted(c.pk for c in conversations)
    rows = {c.pk: c for c in Conversation.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    return [rows[c.pk] for c in conversations]


def conversation_merge(*, actor: Actor, conversation: Conversation, into: Conversation) -> Conversation:
    """Move every message of `conversation` into `into` (her other thread, which stays the one
    answered from); `conversation` is resolved and points at `into`. Same client only."""
    actor.require("clients.edit")
    if conversation.pk == into.pk:
        raise InvalidInput(_("Choose another conversation to merge with."), code="same_conversation")
    if conversation.boutique_id != actor.boutique.pk or into.boutique_id != actor.boutique.pk:
        raise InvalidInput(_("That conversation belongs to another boutique."), code="wrong_boutique")
    with transaction.atomic():
        source, target = _locked(conversation, into)
        if source.client_id != target.client_id:
            raise Conflict(
                _("These conversations are with two different clients: merge the clients, or move the "
                  "conversation to her first."), code="different_clients",
            )  # fmt: skip
        if source.merged_into_id:
            raise Conflict(_("That conversation was already merged."), code="already_merged")
        moved = Message.objects.filter(conversation=source).update(conversation=target)
        Attachment.objects.filter(conversation=source).update(conversation=target)
        now = timezone.now()
        waiting = min((t for t in (source.waiting_since, target.waiting_since) if t), default=None)
        latest = max((t for t in (source.last_message_at, target.last_message_at) if t), default=None)
        inbound = max((t for t in (source.last_inbound_at, target.last_inbound_at) if t), default=None)
        Conversation.objects.filter(pk=target.pk).update(
            unread=F("unread") + source.unread, waiting_since=waiting, last_message_at=latest, last_inbound_at=inbound,
            tags=sorted(set(target.tags) | set(source.tags)),
            status=Conversation.Status.OPEN if target.status == Conversation.Status.RESOLVED and waiting else target.status,
        )  # fmt: skip
        Conversation.objects.filter(pk=source.pk).update(
            merged_into=target, status=Conversation.Status.RESOLVED, unread=0, waiting_since=None, snoozed_until=None
        )
        timeline_add(
            client_id=target.client_id, kind="message", occurred_at=now, associate_id=actor.user_id,
            summary=f"{actor.label} merged the {source.inbox.get_kind_display()} conversation into the "
                    f"{target.inbox.get_kind_display()} one ({moved} messages)",
            data={"conversation_id": target.pk, "merged": source.pk},
        )  # fmt: skip
        target.refresh_from_db()
        source.refresh_from_db()
        realtime.conversation_changed(target)
        realtime.conversation_changed(source)
    return target


def conversation_move(*, actor: Actor, conversation: Conversation, client: Client) -> Conversation:
    """File the conversation under `client` (of this boutique, live): its messages' timeline
    events follow, and so does the address she writes from (her identity), so her next message
    lands with the right client too. Refused when that address is a verified identifier of the
    first client — then the first client really is the one who owns it: merge them instead."""
    actor.require("clients.edit")
    if client.boutique_id != actor.boutique.pk:
        raise InvalidInput(_("That client belongs to another boutique."), code="wrong_boutique")
    if not client.is_live:
        raise Conflict(_("That client was merged or erased."), code="client_not_live")
    with transaction.atomic():
        (locked,) = _locked(conversation)
        if locked.client_id == client.pk:
            raise InvalidInput(_("The conversation is already with her."), code="same_client")
        old_client_id = locked.client_id
        kind = IDENTITY_KIND.get(locked.inbox.kind)
        identity = None
        if kind and locked.contact:
            identity = Identity.objects.select_for_update().filter(
                boutique=actor.boutique, kind=kind, value=locked.contact
            ).first()  # fmt: skip
        if identity is not None and identity.client_id == old_client_id:
            if identity.verified:
                raise Conflict(
                    _("That address is a verified identifier of the other client: merge the two clients instead."),
                    code="verified_identity",
                )  # fmt: skip
            Identity.objects.filter(pk=identity.pk).update(client=client)
        message_ids = list(Message.objects.filter(conversation=locked).values_list("pk", flat=True))
        TimelineEvent.objects.filter(client_id=old_client_id, ref_kind="message", ref_id__in=message_ids).update(
            client=client
        )
        Conversation.objects.filter(pk=locked.pk).update(client=client)
        now = timezone.now()
        for client_id, text in (
            (old_client_id, f"{actor.label} moved a {locked.inbox.get_kind_display()} conversation to another client"),
            (client.pk, f"{actor.label} moved a {locked.inbox.get_kind_display()} conversation to her"),
        ):
            timeline_add(client_id=client_id, kind="message", occurred_at=now, summary=text,
                         associate_id=actor.user_id, data={"conversation_id": locked.pk, "moved": True})  # fmt: skip
        locked.refresh_from_db()
        realtime.conversation_changed(locked)
    return locked
