"""The page a shop's QR opens on her phone: /<slug>/visit/<location_code>/.

Logged in on the storefront, she lets the shop know she is here (one POST). Without her walk-in
consent the page shows the wording and records it only if she ticks the box. Logged out, a link
to log in that brings her back here."""

from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from omnipresence.accounts.session import portal_client
from omnipresence.clients.selectors import consent_allows
from omnipresence.clients.services import consent_record
from omnipresence.core.errors import DomainError, NotFound
from omnipresence.stores.access import boutique_by_slug
from omnipresence.stores.models import Location
from omnipresence.visits import services
from omnipresence.visits.models import Visit


def walk_in_wording(boutique) -> str:
    return _(
        "Yes: when I check in at a %(boutique)s shop, let my associate know I'm here and show her "
        "what I've saved, viewed and bought, so she can help me."
    ) % {"boutique": boutique.name}


@never_cache
@require_http_methods(["GET", "POST"])
def visit_shop(request, slug: str, location_code: str):
    try:
        boutique = boutique_by_slug(slug)
    except NotFound:
        raise Http404
    location = Location.objects.filter(
        boutique=boutique, code=location_code, is_active=True, sells_in_person=True
    ).first()
    if location is None:
        raise Http404
    client = portal_client(request, boutique)
    context = {
        "boutique": boutique,
        "location": location,
        "client": client,
        "wording": walk_in_wording(boutique),
    }
    if client is None:
        login = reverse("storefront:account_boutique", args=[slug])
        context["login_url"] = f"{login}?{urlencode({'next': request.path})}"
        return render(request, "visits/shop_checkin.html", context)
    context["consented"] = consent_allows(client=client, purpose="walk_in")
    if request.method == "POST":
        if not context["consented"]:
            if request.POST.get("consent") != "yes":
                context["error"] = _(
                    "Tick the box to let us recognise you, or just come in — that's fine too."
                )
                return render(request, "visits/shop_checkin.html", context, status=422)
            consent_record(
                actor_label="storefront", client=client, purpose="walk_in", granted=True, channel="shop",
                wording=context["wording"],
            )  # fmt: skip
            context["consented"] = True
        try:
            visit, new = services.visit_check_in(client=client, location=location, via=Visit.Via.CLIENT_SCAN)
        except DomainError as error:
            context["error"] = error.message
            return render(request, "visits/shop_checkin.html", context, status=error.status)
        context["visit"], context["checked_in"] = visit, True
    return render(request, "visits/shop_checkin.html", context)


@never_cache
@require_http_methods(["POST"])
def email_my_code(request, slug: str):
    """Email her check-in QR (a PNG attached, and the code as text) to keep on her phone."""
    import io

    import segno
    from django.contrib import messages
    from django.core.mail import EmailMessage
    from django.shortcuts import redirect
    from django.utils import translation

    from omnipresence.accounts.session import portal_account

    try:
        boutique = boutique_by_slug(slug)
    except DomainError:
        raise Http404
    account = portal_account(request)
    client = portal_client(request, boutique) if account else None
    if client is None:
        return redirect(f"{reverse('storefront:account_boutique', args=[slug])}?{urlencode({'next': request.path})}")
    url = services.checkin_url(client=client)
    png = io.BytesIO()
    segno.make(url, error="m").save(png, kind="png", scale=8, border=2)
    with translation.override(client.preferred_language or boutique.language):
        subject = _("Your check-in code for %(boutique)s") % {"boutique": boutique.name}
        body = _(
            "Show the attached code when you visit %(boutique)s, or give this code: %(code)s\n\n"
            "Your associate is told you are here only if you have agreed to be recognised when you "
            "walk in; you can change that in your account at any time."
        ) % {"boutique": boutique.name, "code": services.checkin_token(services.checkin_code_ensure(client=client))}
        mail = EmailMessage(subject=subject, body=body, to=[account.email])
        mail.attach("check-in.png", png.getvalue(), "image/png")
        mail.send()
        messages.success(request, _("We have emailed you your check-in code."))
    return redirect("storefront:account_boutique", slug=slug)
