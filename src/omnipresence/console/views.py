"""Console pages for associates: stock lookup, holds for clients (place, extend, release).

Every page is /console/<slug>/… behind `@staff_view`, which hands over the Actor; ids from the
URL become objects only through accessors (`access_variant`, `access_hold`, `access_location`),
and every write goes through the inventory services.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from omnipresence.catalog.selectors import access_variant, variant_get
from omnipresence.console.access import staff_view
from omnipresence.console.forms import ExtendForm, HoldForm
from omnipresence.console.selectors import memberships_for
from omnipresence.core.errors import DomainError, NotFound
from omnipresence.core.templatetags.omni import local_time
from omnipresence.inventory import services as inventory
from omnipresence.inventory.selectors import access_hold, availability_for_variants, hold_list
from omnipresence.search.selectors import SearchFilters, search_products
from omnipresence.stores.access import Actor
from omnipresence.stores.selectors import access_location, location_list

LOOKUP_LIMIT = 20
HOLDS_PER_PAGE = 20


def _share_boutique(holds, actor: Actor) -> list:
    """Times are shown in each location's zone, which may be the boutique's: give every location
    the boutique already loaded instead of one query per hold."""
    holds = list(holds)
    for hold in holds:
        hold.location.boutique = actor.boutique
    return holds


@login_required
@require_GET
def chooser(request):
    memberships = list(memberships_for(request.user))
    if len(memberships) == 1:
        return redirect("console:dashboard", slug=memberships[0].boutique.slug)
    return render(request, "console/chooser.html", {"memberships": memberships})


def _holds_context(request, actor: Actor, locations) -> dict:
    """The active holds, filtered by ?shop= (a location code) and ?client= (name or contact)."""
    shop_code = request.GET.get("shop", "").strip()[:40]
    client = request.GET.get("client", "").strip()[:120]
    location = next((loc for loc in locations if loc.code == shop_code), None)
    if shop_code and location is None:
        raise NotFound(
            _("There is no location “%(code)s” here.") % {"code": shop_code}, code="location_not_found"
        )
    holds = hold_list(actor=actor, location=location, client=client or None).order_by("expires_at", "-id")
    paginator = Paginator(holds, HOLDS_PER_PAGE)
    page = paginator.get_page(request.GET.get("hpage"))
    _share_boutique(page.object_list, actor)
    return {"holds_page": page, "hold_filters": {"shop": shop_code, "client": client}}


@staff_view
@require_GET
def dashboard(request, actor: Actor):
    """Look a piece up (an exact SKU or barcode jumps to it) and see every active hold."""
    query = request.GET.get("q", "").strip()[:200]
    locations = list(location_list(boutique=actor.boutique))
    products = []
    if query:
        try:
            variant = variant_get(boutique=actor.boutique, variant_ref=query)
        except NotFound:
            variant = None
        if variant is not None:
            return redirect("console:variant", slug=actor.boutique.slug, variant_id=variant.pk)
        result = search_products(
            query=query, filters=SearchFilters(boutique=actor.boutique), page_size=LOOKUP_LIMIT
        )
        variants = [v for hit in result.hits for v in hit.variants]
        stock = availability_for_variants(boutique=actor.boutique, variants=variants)
        products = [
            {"product": hit.product, "variants": [stock[v.pk] for v in hit.variants], "count": result.count}
            for hit in result.hits
        ]
    context = {
        "actor": actor,
        "boutique": actor.boutique,
        "query": query,
        "products": products,
        "locations": locations,
        **_holds_context(request, actor, locations),
    }
    return render(request, "console/dashboard.html", context)


def _variant_context(actor: Actor, variant, locations) -> dict:
    stock = availability_for_variants(boutique=actor.boutique, variants=[variant])[variant.pk]
    holds = _share_boutique(hold_list(actor=actor, variant=variant).order_by("expires_at", "-id")[:50], actor)
    return {"actor": actor, "boutique": actor.boutique, "variant": variant, "stock": stock,
            "holds": list(holds), "locations": locations}  # fmt: skip


def _default_location(actor: Actor, locations) -> str:
    home = actor.membership.home_location_id if actor.membership else None
    return next((loc.code for loc in locations if loc.pk == home), locations[0].code if locations else "")


@staff_view
@require_http_methods(["GET", "POST"])
def variant_detail(request, actor: Actor, variant_id: int):
    """Stock of one variant at every location, its holds, and the form to hold it for a client."""
    variant = access_variant(actor, variant_id)
    locations = list(location_list(boutique=actor.boutique))
    status = 200
    error = None
    if request.method == "POST":
        form = HoldForm(request.POST, locations=locations)
        if form.is_valid():
            data = form.cleaned_data
            try:
                hold = inventory.hold_place(
                    actor=actor,
                    location=access_location(actor, data["location"]),
                    variant=variant,
                    quantity=data["quantity"],
                    client_name=data["client_name"],
                    client_contact=data["client_contact"],
                    note=data["note"],
                    ttl_minutes=data["ttl_minutes"],
                )
            except DomainError as failure:
                error, status = failure, failure.status
            else:
                messages.success(request, _("%(qty)s × %(sku)s held for %(client)s at %(place)s until %(until)s.") % {
                    "qty": hold.quantity, "sku": variant.sku, "client": hold.client_name,
                    "place": hold.location.name, "until": local_time(hold.expires_at, hold.location),
                })  # fmt: skip
                return redirect("console:variant", slug=actor.boutique.slug, variant_id=variant.pk)
        else:
            status = 400
    else:
        form = HoldForm(locations=locations, initial={"location": _default_location(actor, locations)})
    context = {**_variant_context(actor, variant, locations), "form": form, "error": error}
    return render(request, "console/variant.html", context, status=status)


def _back_to(request, actor: Actor, hold) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
        and target.startswith(f"/console/{actor.boutique.slug}/")
    ):
        return target
    return reverse("console:variant", kwargs={"slug": actor.boutique.slug, "variant_id": hold.variant_id})


@staff_view
@require_http_methods(["GET", "POST"])
def hold_release(request, actor: Actor, hold_id: int):
    """Release asks first: a GET shows what will be given back, the POST does it."""
    hold = access_hold(actor, hold_id)
    back = _back_to(request, actor, hold)
    error, status = None, 200
    if request.method == "POST":
        try:
            inventory.hold_release(actor=actor, hold=hold, reason="released in the console")
        except DomainError as failure:
            error, status = failure, failure.status
        else:
            messages.success(request, _("Hold for %(client)s released: %(qty)s × %(sku)s is available again.") % {
                "client": hold.client_name or _("a client"), "qty": hold.quantity, "sku": hold.variant.sku})  # fmt: skip
            return redirect(back)
    context = {"actor": actor, "boutique": actor.boutique, "hold": hold, "back": back, "error": error}
    return render(request, "console/hold_release.html", context, status=status)


@staff_view
@require_http_methods(["GET", "POST"])
def hold_extend(request, actor: Actor, hold_id: int):
    hold = access_hold(actor, hold_id)
    back = _back_to(request, actor, hold)
    error, status = None, 200
    if request.method == "POST":
        form = ExtendForm(request.POST)
        if form.is_valid():
            try:
                hold = inventory.hold_extend(
                    actor=actor, hold=hold, ttl_minutes=form.cleaned_data["ttl_minutes"]
                )
            except DomainError as failure:
                error, status = failure, failure.status
            else:
                messages.success(request, _("Hold for %(client)s now lasts until %(until)s.") % {
                    "client": hold.client_name or _("a client"),
                    "until": local_time(hold.expires_at, hold.location)})  # fmt: skip
                return redirect(back)
        else:
            status = 400
    else:
        form = ExtendForm()
    context = {
        "actor": actor,
        "boutique": actor.boutique,
        "hold": hold,
        "form": form,
        "back": back,
        "error": error,
    }
    return render(request, "console/hold_extend.html", context, status=status)
