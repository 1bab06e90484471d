"""The client's account pages: magic-link login at /account/, the boutiques she deals with, her
account in one boutique (orders, holds, pay links, wishlist) and the wishlist's Save button.

Asking for a login link always gets the same answer. The link's page shows a "Log in" button and
only its POST logs in, so a mail scanner that opens links logs nobody in. Pages are `no-store`.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnipresence.accounts import selectors, services
from omnipresence.accounts.session import (
    account_client,
    portal_account,
    portal_client,
    portal_login,
    portal_logout,
)
from omnipresence.core.errors import DomainError, InvalidInput
from omnipresence.payments.pay_links import pay_link_path
from omnipresence.storefront.cart_views import order_token
from omnipresence.storefront.views import _boutique_or_404, _product_or_404
from omnipresence.stores.models import Boutique


def no_store(response):
    response["Cache-Control"] = "no-store"
    return response


def login_page(request, *, boutique: Boutique | None, next_path: str, email: str = "", error: str = "",
               status: int = 200, template: str = "accounts/login.html", extra: dict | None = None):  # fmt: skip
    """The "your email" form; `next_path` is where she lands once the link is used."""
    context = {
        "boutique": boutique, "accent_colour": boutique.brand_colour if boutique else None,
        "next_path": services.safe_next(next_path), "email": email, "error": error, **(extra or {}),
    }  # fmt: skip
    return no_store(render(request, template, context, status=status))


# ---------- The hub account ----------


@require_GET
def hub_account(request):
    account = portal_account(request)
    if account is None:
        return login_page(request, boutique=None,
                          next_path=services.safe_next(request.GET.get("next"), reverse("storefront:account_hub")))  # fmt: skip
    context = {"account": account, "relationships": selectors.account_boutiques(account)}
    return no_store(render(request, "accounts/hub.html", context))


@require_POST
def login_request(request):
    """Send a login link. Whether or not she has an account, the answer is the same page."""
    email = request.POST.get("email", "").strip()[:254]
    next_path = request.POST.get("next", "")
    boutique = Boutique.objects.filter(slug=request.POST.get("boutique", "")[:60]).first()
    try:
        services.magic_link_request(email=email, next_path=next_path, boutique=boutique)
    except InvalidInput:
        return login_page(request, boutique=boutique, next_path=next_path, email=email, status=422,
                          error=_("Enter your email address, e.g. name@example.com."))  # fmt: skip
    except services.LinkThrottled:
        return login_page(request, boutique=boutique, next_path=next_path, email=email, status=429,
                          error=_("We have sent %(count)s login links to this address in the last hour. Use the "
                                  "latest one, or try again in an hour.") % {"count": services.LINKS_PER_HOUR})  # fmt: skip
    context = {"boutique": boutique, "accent_colour": boutique.brand_colour if boutique else None, "email": email,
               "minutes": services.LINK_MINUTES}  # fmt: skip
    return no_store(render(request, "accounts/sent.html", context))


@require_http_methods(["GET", "POST"])
def login_link(request, token: str):
    try:
        link = services.magic_link_find(token)
    except services.LinkInvalid as error:
        response = login_page(request, boutique=None, next_path="", email=(error.details or {}).get("email", ""),
                              status=410, template="accounts/link_invalid.html")  # fmt: skip
        response["Referrer-Policy"] = "same-origin"
        return response
    if request.method == "GET":
        context = {"boutique": link.boutique, "accent_colour": link.boutique.brand_colour if link.boutique else None,
                   "link": link}  # fmt: skip
        response = no_store(render(request, "accounts/link.html", context))
        # The token must not leak to other sites; "no-referrer" would also make the browser send
        # "Origin: null" with the Log in form, which CSRF protection refuses.
        response["Referrer-Policy"] = "same-origin"
        return response
    try:
        account, link = services.magic_link_use(token)
    except services.LinkInvalid as error:
        return login_page(request, boutique=None, next_path="", email=(error.details or {}).get("email", ""),
                          status=410, template="accounts/link_invalid.html")  # fmt: skip
    portal_login(request, account)
    return redirect(services.safe_next(link.next_path, reverse("storefront:account_hub")))


@require_POST
def logout(request):
    portal_logout(request)
    messages.success(request, _("You are logged out."))
    return redirect(services.safe_next(request.POST.get("next"), reverse("storefront:hub")))


# ---------- Her account in one boutique ----------


def _account_login(request, boutique: Boutique, next_path: str = ""):
    return login_page(request, boutique=boutique, next_path=services.safe_next(next_path, request.path))


@require_GET
def boutique_account(request, slug: str):
    boutique = _boutique_or_404(slug)
    account = portal_account(request)
    if account is None:
        return _account_login(request, boutique, request.GET.get("next", ""))
    client = account_client(account, boutique)
    context = {"boutique": boutique, "accent_colour": boutique.brand_colour, "account": account, "client": client}
    if client is not None:
        context |= {
            "orders": [{"order": o, "token": order_token(o.pk)} for o in selectors.client_orders(client)],
            "holds": selectors.client_open_holds(client),
            "pay_links": [{"link": link, "path": pay_link_path(link)}
                          for link in selectors.client_open_pay_links(client)],  # fmt: skip
            "wishlist": selectors.wishlist_entries(client),
        }
    return no_store(render(request, "accounts/boutique.html", context))


@require_http_methods(["GET", "POST"])
def wishlist(request, slug: str):
    """GET: her wishlist. POST: the Save button of a product page (add or remove)."""
    boutique = _boutique_or_404(slug)
    account = portal_account(request)
    if request.method == "GET":
        if account is None:
            return _account_login(request, boutique)
        client = account_client(account, boutique)
        context = {"boutique": boutique, "accent_colour": boutique.brand_colour, "account": account, "client": client,
                   "wishlist": selectors.wishlist_entries(client) if client else []}  # fmt: skip
        return no_store(render(request, "accounts/wishlist.html", context))
    product = _product_or_404(boutique, request.POST.get("product", "")[:200])
    back = services.safe_next(request.POST.get("next"), reverse("storefront:product", args=[slug, product.handle]))
    if account is None:
        messages.info(request, _("Log in to save pieces to your wishlist."))
        return redirect(reverse("storefront:account_boutique", args=[slug]) + "?" + urlencode({"next": back}))
    adding = request.POST.get("action") != "remove"
    try:
        if adding:
            client = portal_client(request, boutique, create=True)
            if client is None:
                messages.error(request, _("We could not save it to your wishlist. Please contact the boutique."))
                return redirect(back)
            services.wishlist_add(client=client, product=product)
            messages.success(request, _("%(title)s is saved to your wishlist.") % {"title": product.title})
        else:
            client = portal_client(request, boutique)
            if client is not None:
                services.wishlist_remove(client=client, product=product)
            messages.success(request, _("%(title)s is no longer on your wishlist.") % {"title": product.title})
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(back)
