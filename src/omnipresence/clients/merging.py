"""Merging two profiles of one person, and undoing it within 30 days.

A merge re-points the merged client's identities, consent events, timeline events and profile
views to the survivor, lets other apps re-point their rows (clients.hooks), adds her purchase
stats to the survivor's, and marks her `merged_into` — all in one transaction, with both client
rows locked in primary-key order. The MergeRecord lists exactly which ids moved, so an undo puts
back those rows (and only those) and the stats as they were.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from omnipresence.clients.errors import (
    ClientErased,
    ClientMerged,
    ConflictingIdentities,
    MergeTooOld,
    MergeUndone,
)
from omnipresence.clients.hooks import merge_handlers
from omnipresence.clients.models import (
    Client,
    ConsentEvent,
    Identity,
    MergeRecord,
    ProfileView,
    TimelineEvent,
)
from omnipresence.clients.selectors import CLIENTS_MERGE, verified_conflicts
from omnipresence.clients.tiers import tier_for
from omnipresence.core.errors import Conflict, InvalidInput, NotFound
from omnipresence.stores.access import Actor

log = logging.getLogger(__name__)

MERGE_UNDO_DAYS = 30
MOVED_TABLES = {
    "identities": Identity,
    "consent_events": ConsentEvent,
    "timeline_events": TimelineEvent,
    "profile_views": ProfileView,
}
CHUNK = 500  # ids per UPDATE … WHERE id IN (…): well under SQLite's variable limit


def _repoint(model, ids: list[int], *, source_id: int, target_id: int) -> None:
    for start in range(0, len(ids), CHUNK):
        model.objects.filter(pk__in=ids[start : start + CHUNK], client_id=source_id).update(
            client_id=target_id
        )


def _stats(client: Client) -> dict:
    return {
        "lifetime_spend": client.lifetime_spend, "orders_count": client.orders_count,
        "last_purchase_at": client.last_purchase_at.isoformat() if client.last_purchase_at else None,
    }  # fmt: skip


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _lock_pair(first_id: int, second_id: int) -> dict[int, Client]:
    rows = Client.objects.select_for_update().filter(pk__in=[first_id, second_id]).order_by("pk")
    return {client.pk: client for client in rows}


def _check_live(client: Client) -> None:
    if client.erased_at is not None:
        raise ClientErased()
    if client.merged_into_id is not None:
        raise ClientMerged(details={"client_id": client.pk, "survivor_id": client.merged_into_id})


def client_merge(*, actor: Actor, survivor: Client, merged: Client) -> MergeRecord:
    """Fold `merged` into `survivor` (managers). Refused with nothing changed when both have a
    verified identifier of the same kind (409 conflicting_identities; the attempt is logged).
    The survivor's profile fields are kept as they are; the merged client's stay on her row."""
    actor.require(CLIENTS_MERGE)
    if survivor.boutique_id != actor.boutique.pk or merged.boutique_id != actor.boutique.pk:
        raise NotFound("No such client.", code="client_not_found")
    if survivor.pk == merged.pk:
        raise InvalidInput("A client cannot be merged with herself.", code="same_client")
    with transaction.atomic():
        locked = _lock_pair(survivor.pk, merged.pk)
        keep, gone = locked[survivor.pk], locked[merged.pk]
        _check_live(keep)
        _check_live(gone)
        identities = list(Identity.objects.filter(client_id__in=[keep.pk, gone.pk]))
        conflicts = verified_conflicts(
            [i for i in identities if i.client_id == keep.pk],
            [i for i in identities if i.client_id == gone.pk],
        )
        if conflicts:
            log.warning(
                "merge refused in %s: clients %s and %s both have verified %s (by %s)",
                actor.boutique.slug, keep.pk, gone.pk, ", ".join(conflicts), actor.label,
            )  # fmt: skip
            raise ConflictingIdentities(details={"kinds": conflicts})
        moved: dict = {}
        for label, model in MOVED_TABLES.items():
            ids = list(model.objects.filter(client_id=gone.pk).order_by("pk").values_list("pk", flat=True))
            _repoint(model, ids, source_id=gone.pk, target_id=keep.pk)
            moved[label] = ids
        moved["hooks"] = {
            name: merge(survivor_id=keep.pk, merged_id=gone.pk)
            for name, (merge, _) in merge_handlers().items()
        }
        last = max((d for d in (keep.last_purchase_at, gone.last_purchase_at) if d is not None), default=None)
        spend = keep.lifetime_spend + gone.lifetime_spend
        moved["stats"] = {"survivor": _stats(keep), "merged": _stats(gone),
                          "last_purchase_at_after": last.isoformat() if last else None}  # fmt: skip
        now = timezone.now()
        Client.objects.filter(pk=keep.pk).update(
            lifetime_spend=F("lifetime_spend") + gone.lifetime_spend, orders_count=F("orders_count") + gone.orders_count,
            last_purchase_at=last, tier=tier_for(spend, actor.boutique.currency), updated_at=now,
        )  # fmt: skip
        Client.objects.filter(pk=gone.pk).update(
            merged_into=keep, lifetime_spend=0, orders_count=0, tier=Client.Tier.NEW, updated_at=now
        )
        record = MergeRecord.objects.create(
            boutique=actor.boutique,
            survivor=keep,
            merged=gone,
            moved=moved,
            actor_label=actor.label,
            created_at=now,
        )
        TimelineEvent.objects.create(
            boutique=actor.boutique, client=keep, kind=TimelineEvent.Kind.MERGE, occurred_at=now, ref_kind="merge",
            ref_id=record.pk, associate_id=actor.user_id,
            summary=f"Merged with {gone.display_name or f'client {gone.pk}'} (client {gone.pk})",
            data={"merged_id": gone.pk, "by": actor.label, **{k: len(v) for k, v in moved.items() if k in MOVED_TABLES}},
        )  # fmt: skip
    return record


def client_merge_undo(*, actor: Actor, record: MergeRecord) -> MergeRecord:
    """Put back exactly what the merge moved (rows since deleted stay deleted), within 30 days.
    Undo a later merge of the survivor first (409 survivor_merged)."""
    actor.require(CLIENTS_MERGE)
    if record.boutique_id != actor.boutique.pk:
        raise NotFound("No such merge.", code="merge_not_found")
    with transaction.atomic():
        locked = _lock_pair(record.survivor_id, record.merged_id)
        record = MergeRecord.objects.select_for_update().get(pk=record.pk)
        if record.undone_at is not None:
            raise MergeUndone()
        now = timezone.now()
        if now - record.created_at > timedelta(days=MERGE_UNDO_DAYS):
            raise MergeTooOld(details={"merged_at": record.created_at.isoformat()})
        keep, gone = locked[record.survivor_id], locked[record.merged_id]
        if keep.merged_into_id is not None:
            raise Conflict("The survivor has since been merged into another client: undo that first.",
                           code="survivor_merged", details={"survivor_id": keep.merged_into_id})  # fmt: skip
        if keep.erased_at is not None or gone.erased_at is not None:
            raise ClientErased()
        moved = record.moved
        for label, model in MOVED_TABLES.items():
            _repoint(model, moved.get(label, []), source_id=keep.pk, target_id=gone.pk)
        handlers = merge_handlers()
        for name in reversed(list(moved.get("hooks", {}))):
            if name in handlers:
                handlers[name][1](survivor_id=keep.pk, merged_id=gone.pk, moved=moved["hooks"][name])
        before = moved["stats"]
        taken = before["merged"]
        spend = max(keep.lifetime_spend - taken["lifetime_spend"], 0)
        # The survivor's last purchase goes back to hers unless she has bought since the merge.
        last = keep.last_purchase_at
        if last == _moment(before["last_purchase_at_after"]):
            last = _moment(before["survivor"]["last_purchase_at"])
        Client.objects.filter(pk=keep.pk).update(
            lifetime_spend=Greatest(F("lifetime_spend") - taken["lifetime_spend"], Value(0)),
            orders_count=Greatest(F("orders_count") - taken["orders_count"], Value(0)), last_purchase_at=last,
            tier=tier_for(spend, actor.boutique.currency), updated_at=now,
        )  # fmt: skip
        Client.objects.filter(pk=gone.pk).update(
            merged_into=None, lifetime_spend=taken["lifetime_spend"], orders_count=taken["orders_count"],
            last_purchase_at=_moment(taken["last_purchase_at"]), tier=tier_for(taken["lifetime_spend"],
                                                                                 actor.boutique.currency),
            updated_at=now,
        )  # fmt: skip
        MergeRecord.objects.filter(pk=record.pk).update(undone_at=now)
        TimelineEvent.objects.create(
            boutique=actor.boutique, client=keep, kind=TimelineEvent.Kind.MERGE_UNDONE, occurred_at=now,
            ref_kind="merge", ref_id=record.pk, associate_id=actor.user_id,
            summary=f"Merge with client {gone.pk} undone", data={"merged_id": gone.pk, "by": actor.label},
        )  # fmt: skip
    record.refresh_from_db()
    return record
