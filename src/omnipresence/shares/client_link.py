"""Lookbooks and the one client record: a merge re-points her lookbooks (undo puts them back);
her data export lists them with her questions; an erasure withdraws them and blanks every free
text (titles, the associate's notes, her questions), keeping the rows — which pieces were sent,
when, how often opened — because orders credited to a lookbook (source_ref share:<id>) point at
them for sales accounting."""

from django.utils import timezone

from omnipresence.clients.hooks import on_merge, on_privacy


def _merge(*, survivor_id: int, merged_id: int, **_) -> dict:
    from omnipresence.shares.models import Share

    moved = list(Share.objects.filter(client_id=merged_id).values_list("pk", flat=True))
    Share.objects.filter(pk__in=moved).update(client_id=survivor_id)
    return {"share": moved}


def _undo(*, survivor_id: int, merged_id: int, moved: dict, **_) -> None:
    from omnipresence.shares.models import Share

    Share.objects.filter(pk__in=moved.get("share", []), client_id=survivor_id).update(client_id=merged_id)


def _export(*, client, **_) -> list[dict]:
    from omnipresence.shares.models import Share

    out = []
    shares = (
        Share.objects.filter(client_id=client.pk, boutique_id=client.boutique_id)
        .prefetch_related("items__product", "items__variant", "actions__item__product", "actions__variant")
        .order_by("created_at", "id")
    )
    for share in shares:
        out.append({
            "id": share.pk, "title": share.title, "note": share.note, "created_at": share.created_at.isoformat(),
            "expires_at": share.expires_at.isoformat(), "views": share.views,
            "first_viewed_at": share.first_viewed_at.isoformat() if share.first_viewed_at else None,
            "last_viewed_at": share.last_viewed_at.isoformat() if share.last_viewed_at else None,
            "revoked_at": share.revoked_at.isoformat() if share.revoked_at else None,
            "items": [{"product": i.product.title, "sku": i.variant.sku if i.variant else "", "note": i.note}
                      for i in share.items.all()],
            "actions": [{"kind": a.kind, "product": a.item.product.title, "sku": a.variant.sku if a.variant else "",
                         "text": a.text, "at": a.created_at.isoformat()} for a in share.actions.all()],
        })  # fmt: skip
    return out


def _erase(*, client, **_) -> dict:
    from omnipresence.shares.models import Share, ShareAction, ShareItem

    mine = Share.objects.filter(client_id=client.pk, boutique_id=client.boutique_id)
    ids = list(mine.values_list("pk", flat=True))
    mine.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    shares = mine.update(title="", note="")
    items = ShareItem.objects.filter(share_id__in=ids).exclude(note="").update(note="")
    actions = ShareAction.objects.filter(share_id__in=ids).exclude(text="").update(text="")
    return {"shares.share": shares, "shares.shareitem": items, "shares.shareaction": actions}


def register() -> None:
    on_merge("shares", merge=_merge, undo=_undo)
    on_privacy("shares", export=_export, erase=_erase)
