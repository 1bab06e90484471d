"""The client's lookbook page: /<slug>/s/<token>/ — no login, the token is the key. An unknown
token (or another boutique's) is a 404; an expired or withdrawn lookbook a 410 that says only
that. Each piece can be asked about, held at a shop, or put in her bag (post / redirect / get)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from omnipresence.core.errors import DomainError, InsufficientStock
from omnipresence.shares import services
from omnipresence.shares.errors import ShareClosed
from omnipresence.shares.selectors import share_page_items
from omnipresence.storefront import bag as bags
from omnipresence.storefront.views import _boutique_or_404
from omnipresence.stores.models import StaffMember


def _no_store(response):
    # The token must not leak to other sites, and the page is hers alone.
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _share_or_404(slug: str, token: str):
    boutique = _boutique_or_404(slug)
    try:
        return services.share_by_token(boutique=boutique, token=token)
    except DomainError:
        raise Http404(_("No such lookbook."))


def _closed(request, share, state: str):
    context = {"boutique": share.boutique, "accent_colour": share.boutique.brand_colour, "state": state}
    return _no_store(render(request, "shares/closed.html", context, status=410))


def _page(request, share, *, error: DomainError | None = None, error_item: int | None = None, status: int = 200):
    boutique = share.boutique
    associate = share.associate
    context = {
        "boutique": boutique, "accent_colour": boutique.brand_colour, "share": share,
        "items": share_page_items(share=share), "token": services.share_token(share),
        "associate_name": (associate.get_full_name() or associate.get_username()) if associate else "",
        "error": error, "error_item": error_item,
    }  # fmt: skip
    return _no_store(render(request, "shares/share.html", context, status=status))


@require_GET
def share_page(request, slug: str, token: str):
    share = _share_or_404(slug, token)
    state = services.share_state(share)
    if state != "active":
        return _closed(request, share, state)
    if not _staff_preview(request, share):
        services.share_viewed(share=share)
    return _page(request, share)


def _staff_preview(request, share) -> bool:
    """The boutique's own staff checking the link before sending it: not her open."""
    user = request.user
    return user.is_authenticated and StaffMember.objects.filter(boutique=share.boutique, user=user,
                                                                is_active=True).exists()  # fmt: skip


def _item_id(request) -> int | None:
    raw = request.POST.get("item", "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def _back(share, item_id) -> str:
    url = reverse("storefront:share", args=[share.boutique.slug, services.share_token(share)])
    return url + (f"#item-{item_id}" if item_id else "")


def _refused(request, share, error: DomainError, item_id):
    if isinstance(error, ShareClosed):
        return _closed(request, share, services.share_state(share))
    status = error.status if error.status in (404, 409, 410) else 422
    return _page(request, share, error=error, error_item=item_id, status=status)


@require_POST
def share_ask(request, slug: str, token: str):
    share = _share_or_404(slug, token)
    item_id = _item_id(request)
    try:
        services.share_ask(share=share, item_id=item_id, text=request.POST.get("text", "")[:2000])
    except DomainError as error:
        return _refused(request, share, error, item_id)
    name = share.associate.get_full_name() or share.associate.get_username() if share.associate else ""
    messages.success(request, _("Your question has been sent to %(who)s.") % {"who": name} if name
                     else _("Your question has been sent to the boutique."))  # fmt: skip
    return redirect(_back(share, item_id))


@require_POST
def share_hold(request, slug: str, token: str):
    share = _share_or_404(slug, token)
    item_id = _item_id(request)
    sku, _sep, code = request.POST.get("place", "").partition("@")
    try:
        hold = services.share_hold(share=share, item_id=item_id, variant_sku=sku[:64], location_code=code[:40])
    except InsufficientStock:
        error = InsufficientStock(_("Sorry, this size is no longer in stock at that shop: nothing has been held."))
        return _refused(request, share, error, item_id)
    except DomainError as error:
        return _refused(request, share, error, item_id)
    messages.success(request, _("%(piece)s (%(size)s) is held for you at %(shop)s.") % {
        "piece": hold.variant.product.title, "size": hold.variant.label, "shop": hold.location.name})  # fmt: skip
    return redirect(_back(share, item_id))


@require_POST
def share_buy(request, slug: str, token: str):
    share = _share_or_404(slug, token)
    item_id = _item_id(request)
    boutique = share.boutique
    try:
        cart = services.share_buy(share=share, item_id=item_id, variant_sku=request.POST.get("sku", "")[:64],
                                  cart=bags.session_cart(request, boutique))  # fmt: skip
    except DomainError as error:
        return _refused(request, share, error, item_id)
    bags.session_cart_keep(request, boutique, cart)
    messages.success(request, _("It is in your bag."))
    return redirect("storefront:cart", slug=boutique.slug)
