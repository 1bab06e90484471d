"""What the storefront's product page and "Add to bag" ask of the account: whether the piece is
on her wishlist, and — with her personalization consent only — recording that she opened it or put
it in her bag. Called from storefront views; a logged-out visitor costs no query beyond the session."""

from omnipresence.accounts import services
from omnipresence.accounts.selectors import wishlisted
from omnipresence.accounts.session import portal_client


def product_page_context(request, boutique, product) -> dict:
    """`wishlist_saved` for the Save button. A full page load counts as a view (not the htmx
    swaps of the colour and size picker)."""
    client = portal_client(request, boutique)
    if client is not None and not getattr(request, "htmx", False):
        services.product_view_record(client=client, product=product)
    return {"wishlist_saved": wishlisted(client, product.pk)}


def bag_added(request, boutique, product, variant) -> None:
    services.cart_activity_record(client=portal_client(request, boutique), product=product, variant=variant)
