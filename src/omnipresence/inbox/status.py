"""Delivery and read receipts from the providers. An outbound message only moves forward:
queued → sent → delivered → read, and to failed from any state before read. A receipt that arrives
late (delivered after read) or twice changes nothing; one for an id we do not know (another system
on the same number, a message erased since) is ignored."""

from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from omnipresence.core.errors import InvalidInput
from omnipresence.inbox import realtime
from omnipresence.inbox.models import Message

S = Message.Status
# The states a message may be in for each receipt to move it.
MOVES_FROM = {
    S.SENT: (S.QUEUED,),
    S.DELIVERED: (S.QUEUED, S.SENT),
    S.READ: (S.QUEUED, S.SENT, S.DELIVERED),
    S.FAILED: (S.QUEUED, S.SENT, S.DELIVERED),
}


def message_status_update(*, boutique_id: int, provider_message_id: str, status: str,
                          error: str = "") -> Message | None:  # fmt: skip
    """Move our message with this provider id forward to `status` (a conditional update, so racing
    receipts cannot move it back): the message when it moved, else None."""
    if status not in MOVES_FROM:
        raise InvalidInput(f"A receipt's status is one of {', '.join(MOVES_FROM)}.", code="invalid_status")
    provider_message_id = (provider_message_id or "").strip()[:200]
    if not provider_message_id:
        return None
    mine = Message.objects.filter(boutique_id=boutique_id, direction=Message.Direction.OUTBOUND,
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
