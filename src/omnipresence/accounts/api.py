"""API of the accounts app: what a client keeps on the storefront, for the boutique's staff."""

from datetime import datetime

from ninja import Router, Schema

from omnipresence.accounts.selectors import wishlist_for
from omnipresence.clients.attempts import logged_attempts
from omnipresence.clients.selectors import access_client
from omnipresence.core.api import AUTH, ERRORS, ID, SLUG, request_actor

router = Router(tags=["accounts"])


class WishlistItemOut(Schema):
    product_id: int
    handle: str
    title: str
    sku: str | None
    saved_at: datetime


@router.get(
    "/boutiques/{slug}/clients/{client_id}/wishlist", response={200: list[WishlistItemOut], **ERRORS}, auth=AUTH
)
@logged_attempts("wishlist", target_kwarg="client_id")
def client_wishlist(request, slug: SLUG, client_id: ID):
    """The pieces she saved on the storefront, newest first (clients.view)."""
    client = access_client(request_actor(request, slug), client_id)
    return [
        {"product_id": item.product_id, "handle": item.product.handle, "title": item.product.title,
         "sku": item.variant.sku if item.variant_id else None, "saved_at": item.created_at}
        for item in wishlist_for(client)
    ]  # fmt: skip
