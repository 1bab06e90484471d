"""Delivery and read receipts from the providers. An outbound message only moves forward:
queued → sent → delivered → read, and to failed from any state before read. A receipt that arrives
late (delivered after read) or twice changes nothing; one for an id we do not know (another system
on the same number, a message erased since) is ignored — unless it carries our `msg-<id>` reference
for a message of that inbox still without a provider id: the provider took it but its answer was
lost (a dropped connection, a worker that died mid-send). That message gets the provider id, the
receipt's status, and its outbox row is done, so nothing sends it a second time."""

import re

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from omnipresence.core.errors import InvalidInput
from omnipresence.inbox import realtime
from omnipresence.inbox.models import Message, OutboxItem

S = Message.Status
# The states a message may be in for each receipt to move it.
MOVES_FROM = {
    S.SENT: (S.QUEUED,),
    S.DELIVERED: (S.QUEUED, S.SENT),
    S.READ: (S.QUEUED, S.SENT, S.DELIVERED),
    S.FAILED: (S.QUEUED, S.SENT, S.DELIVERED),
}
REFERENCE = re.compile(r"^msg-([1-9][0-9]{0,17})(-r[1-9][0-9]{0,5})?$")  # services.send_key


def message_status_update(*, boutique_id: int, provider_message_id: str, status: str, error: str = "",
                          inbox_id: int | None = None, reference: str = "") -> Message | None:  # fmt: skip
    """Move our message with this provider id forward to `status` (a conditional update, so racing
    receipts cannot move it back): the message when it moved, else None. With the inbox and the
    reference the provider handed back, a message whose answer was lost is found by it."""
    if status not in MOVES_FROM:
        raise InvalidInput(f"A receipt's status is one of {', '.join(MOVES_FROM)}.", code="invalid_status")
    provider_message_id = (provider_message_id or "").strip()[:200]
    if not provider_message_id:
        return None
    mine = Message.objects.filter(boutique_id=boutique_id, direction=Message.Direction.OUTBOUND,
                                  provider_message_id=provider_message_id)  # fmt: skip
    if inbox_id is not None and reference and not mine.exists():
        _claim_by_reference(boutique_id=boutique_id, inbox_id=inbox_id, reference=reference,
                            provider_message_id=provider_message_id)  # fmt: skip
    changes: dict = {"status": status}
    if status == S.FAILED:
        changes["error"] = (error or "failed")[:300]
    else:
        changes["sent_at"] = Coalesce(F("sent_at"), Value(timezone.now()))
    moved = None
    for pk in mine.values_list("pk", flat=True):
        if Message.objects.filter(pk=pk, status__in=MOVES_FROM[status]).update(**changes):
            moved = Message.objects.get(pk=pk)
            realtime.message_status(moved)
    return moved


def _claim_by_reference(*, boutique_id: int, inbox_id: int, reference: str, provider_message_id: str) -> None:
    """Give the provider id to the message the reference names, when it has none yet (this inbox's
    own outbound message only), and finish its outbox row: the provider has it."""
    from omnipresence.inbox.services import send_key

    reference = reference.strip()
    match = REFERENCE.match(reference)
    if match is None:
        return
    pk = int(match[1])
    waiting = Message.objects.filter(pk=pk, boutique_id=boutique_id, conversation__inbox_id=inbox_id,
                                     direction=Message.Direction.OUTBOUND, provider_message_id="")  # fmt: skip
    message = waiting.first()
    if message is None or send_key(message) != reference:  # a receipt for an earlier sending of it names nothing
        return
    resends = (message.payload or {}).get("resends")
    # Still that sending (not sent again meanwhile), still without a provider id: a conditional update.
    same = waiting.filter(payload__resends=resends) if resends else waiting.filter(payload__resends__isnull=True)
    with transaction.atomic():
        claimed = same.update(provider_message_id=provider_message_id)
        if claimed:
            OutboxItem.objects.filter(message_id=pk, done_at__isnull=True).update(done_at=timezone.now(), last_error="")
