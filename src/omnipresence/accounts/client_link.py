"""What the accounts app does when clients are merged, exported or erased (registered from
AccountsConfig.ready through clients.hooks).

A merge moves the merged client's wishlist and product views to the survivor, except products the
survivor already has (the unique keys): those rows stay with the merged client, so an undo that
moves back exactly what moved restores both as they were. An erasure deletes her wishlist, product
views and login links, and her hub account once no other boutique has a live client with her
email.
"""

from omnipresence.accounts.models import HubAccount, MagicLink, ProductView, WishlistItem
from omnipresence.clients.hooks import on_merge, on_privacy
from omnipresence.clients.models import Client, Identity


def _moved(model, *, survivor_id: int, merged_id: int) -> list[int]:
    taken = model.objects.filter(client_id=survivor_id).values_list("product_id", flat=True)
    ids = list(
        model.objects.filter(client_id=merged_id).exclude(product_id__in=list(taken)).values_list("pk", flat=True)
    )
    model.objects.filter(pk__in=ids).update(client_id=survivor_id)
    return ids


def accounts_merge(*, survivor_id: int, merged_id: int, **_) -> dict:
    return {
        "wishlist": _moved(WishlistItem, survivor_id=survivor_id, merged_id=merged_id),
        "product_view": _moved(ProductView, survivor_id=survivor_id, merged_id=merged_id),
    }


def accounts_merge_undo(*, survivor_id: int, merged_id: int, moved: dict, **_) -> None:
    WishlistItem.objects.filter(pk__in=moved.get("wishlist", []), client_id=survivor_id).update(client_id=merged_id)
    ProductView.objects.filter(pk__in=moved.get("product_view", []), client_id=survivor_id).update(
        client_id=merged_id
    )


def _her_clients(client: Client) -> list[int]:
    """Her client and the clients merged into her (their rows are hers too)."""
    ids, frontier = [client.pk], [client.pk]
    for _ in range(10):
        frontier = list(Client.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True))
        frontier = [pk for pk in frontier if pk not in ids]
        if not frontier:
            break
        ids += frontier
    return ids


def _emails(client_ids: list[int]) -> list[str]:
    return sorted(
        set(Identity.objects.filter(client_id__in=client_ids, kind=Identity.Kind.EMAIL).values_list("value", flat=True))
    )


def accounts_export(*, client: Client) -> dict:
    ids = _her_clients(client)
    wishlist = WishlistItem.objects.filter(client_id__in=ids).select_related("product", "variant")
    views = ProductView.objects.filter(client_id__in=ids).select_related("product")
    accounts = HubAccount.objects.filter(email__in=_emails(ids))
    return {
        "wishlist": [
            {"product": item.product.title, "handle": item.product.handle,
             "sku": item.variant.sku if item.variant_id else "", "saved_at": item.created_at.isoformat()}
            for item in wishlist
        ],  # fmt: skip
        "product_views": [
            {"product": view.product.title, "handle": view.product.handle, "views": view.views,
             "last_viewed_at": view.viewed_at.isoformat()}
            for view in views
        ],  # fmt: skip
        "hub_account": [
            {"email": a.email, "created_at": a.created_at.isoformat(),
             "last_login_at": a.last_login_at.isoformat() if a.last_login_at else None}
            for a in accounts
        ],  # fmt: skip
    }


def account_still_needed(email: str, *, except_client_ids: list[int]) -> bool:
    """Whether another live client somewhere in the hub holds this email."""
    return Client.objects.filter(
        identities__kind=Identity.Kind.EMAIL, identities__value=email, merged_into__isnull=True,
        erased_at__isnull=True,
    ).exclude(pk__in=except_client_ids).exists()  # fmt: skip


def hub_account_forget(email: str, *, except_client_ids: list[int]) -> dict:
    """Delete her login links, and her hub account unless another boutique still knows her."""
    links, _ = MagicLink.objects.filter(email=email).delete()
    accounts = 0
    if not account_still_needed(email, except_client_ids=except_client_ids):
        accounts, _ = HubAccount.objects.filter(email=email).delete()
    return {"magic_link": links, "hub_account": accounts}


def accounts_erase(*, client: Client) -> dict:
    ids = _her_clients(client)
    emails = _emails(ids)
    wishlist, _ = WishlistItem.objects.filter(client_id__in=ids).delete()
    views, _ = ProductView.objects.filter(client_id__in=ids).delete()
    changed = {"wishlist": wishlist, "product_view": views, "magic_link": 0, "hub_account": 0}
    for email in emails:
        for table, rows in hub_account_forget(email, except_client_ids=ids).items():
            changed[table] += rows
    return changed


def register() -> None:
    on_merge("accounts", merge=accounts_merge, undo=accounts_merge_undo)
    on_privacy("accounts", export=accounts_export, erase=accounts_erase)
