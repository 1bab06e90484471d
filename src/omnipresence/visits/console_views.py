"""Console pages of walk-in recognition: today's visits with each client's context and the shops'
QR codes, the page her QR opens on the associate's phone (confirm the shop, record the visit),
"I'm on it", and a printable QR per shop."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnipresence.clients.attempts import attempt_log
from omnipresence.clients.selectors import consent_allows
from omnipresence.console.access import render_error, staff_view
from omnipresence.core.errors import DomainError
from omnipresence.stores.access import Actor
from omnipresence.stores.selectors import access_location
from omnipresence.visits import selectors, services
from omnipresence.visits.errors import ConsentRequired
from omnipresence.visits.models import Visit


@staff_view
@require_GET
def visits_index(request, actor: Actor):
    visits = selectors.visits_today(actor=actor)
    rows = [{"visit": visit, "context": selectors.walk_in_context(visit.client)} for visit in visits]
    shops = [
        {"location": loc, "url": selectors.shop_url(loc), "svg": selectors.shop_qr_svg(loc)}
        for loc in selectors.checkin_locations(boutique=actor.boutique)
    ]
    context = {"actor": actor, "boutique": actor.boutique, "rows": rows, "shops": shops}
    return render(request, "visits/console_index.html", context)


def _refused(request, actor: Actor, error: DomainError, target: str):
    attempt_log(boutique=actor.boutique, actor=actor, action="visit_check_in", target=target, error=error)
    return render_error(request, error)


@staff_view
@require_http_methods(["GET", "POST"])
def visit_scan(request, actor: Actor, token: str):
    """Her QR, scanned with the associate's camera: who she is, which shop, record the visit."""
    actor.require("clients.edit")
    try:
        client = services.client_by_checkin_token(boutique=actor.boutique, token=token)
    except DomainError as error:
        return _refused(request, actor, error, "checkin:" + token[:20])
    target = f"client:{client.pk}"
    if not consent_allows(client=client, purpose="walk_in"):
        return _refused(request, actor, ConsentRequired(), target)
    shops = selectors.checkin_locations(boutique=actor.boutique)
    home = actor.membership.home_location_id if actor.membership else None
    chosen = home if any(s.pk == home for s in shops) else (shops[0].pk if shops else None)
    if request.method == "POST":
        try:
            location = access_location(actor, request.POST.get("location", "")[:40])
            visit, new = services.visit_check_in(
                client=client, location=location, via=Visit.Via.ASSOCIATE_SCAN, checked_in_by=actor.user
            )
        except DomainError as error:
            return _refused(request, actor, error, target)
        if new:
            messages.success(request, _("%(name)s is checked in at %(shop)s.") % {
                "name": client.display_name or _("The client"), "shop": location.name})  # fmt: skip
        else:
            messages.success(request, _("%(name)s was already checked in at %(shop)s.") % {
                "name": client.display_name or _("The client"), "shop": location.name})  # fmt: skip
        return redirect(reverse("console:client_profile", args=[actor.boutique.slug, client.pk]))
    context = {"actor": actor, "boutique": actor.boutique, "client": client, "shops": shops, "chosen": chosen,
               "token": token}  # fmt: skip
    return render(request, "visits/console_scan.html", context)


@staff_view
@require_POST
def visit_acknowledge(request, actor: Actor, visit_id: int):
    """ "I'm on it" from the toast (fetch: JSON) or the visits page (a form: back to the page)."""
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        visit = services.visit_acknowledge(actor=actor, visit=selectors.access_visit(actor, visit_id))
    except DomainError as error:
        if wants_json:
            return JsonResponse(error.as_dict(), status=error.status)
        if error.status == 409:
            messages.error(request, error.message)
            return redirect(reverse("console:visits", args=[actor.boutique.slug]))
        raise
    if wants_json:
        return JsonResponse({"visit_id": visit.pk, "acknowledged_by": actor.label,
                             "acknowledged_at": visit.acknowledged_at.isoformat()})  # fmt: skip
    messages.success(request, _("She is yours — go and say hello."))
    return redirect(reverse("console:visits", args=[actor.boutique.slug]))


@staff_view
@require_GET
def visit_shop_qr(request, actor: Actor, code: str):
    """One shop's check-in QR, alone on the page, to print and put by the till."""
    location = access_location(actor, code)
    context = {"actor": actor, "boutique": actor.boutique, "location": location,
               "url": selectors.shop_url(location), "svg": selectors.shop_qr_svg(location)}  # fmt: skip
    return render(request, "visits/console_shop_qr.html", context)
