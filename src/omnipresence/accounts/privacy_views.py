"""Her privacy pages in one boutique: everything the boutique holds about her, her preferences,
her consents (each with the exact words she is shown, recorded only when she changes it), the
JSON download and erasure.

Every form carries her client id: a request for another client, or without a login, is refused
and written to the access log (`attempt_log`), never served.
"""

import json

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnipresence.accounts.client_link import hub_account_forget
from omnipresence.accounts.session import account_client, portal_account, portal_logout
from omnipresence.accounts.views import login_page, no_store
from omnipresence.clients import services as clients
from omnipresence.clients.attempts import attempt_log
from omnipresence.clients.models import Client, ConsentPurpose
from omnipresence.clients.selectors import consent_state
from omnipresence.core.errors import DomainError, Forbidden, InvalidInput, Unauthenticated
from omnipresence.storefront.bag import web_actor
from omnipresence.storefront.views import _boutique_or_404
from omnipresence.stores.models import Boutique

PORTAL_LABEL = "client (web account)"
ERASE_WORD = gettext_lazy("ERASE")
# Her words for each purpose (the staff's labels speak of "her").
CONSENT_TITLE = {
    ConsentPurpose.MARKETING_EMAIL: gettext_lazy("Marketing by email"),
    ConsentPurpose.MARKETING_SMS: gettext_lazy("Marketing by SMS"),
    ConsentPurpose.MARKETING_WHATSAPP: gettext_lazy("Marketing on WhatsApp"),
    ConsentPurpose.PERSONALIZATION: gettext_lazy("Personal recommendations"),
    ConsentPurpose.WALK_IN: gettext_lazy("Recognised when I walk in"),
    ConsentPurpose.HUB_SHARING: gettext_lazy("Shared with the hub's other boutiques"),
}
# The words beside each box: recorded as she saw them, in her language.
CONSENT_WORDING = {
    ConsentPurpose.MARKETING_EMAIL: gettext_lazy("Send me news of new arrivals and private sales by email."),
    ConsentPurpose.MARKETING_SMS: gettext_lazy("Send me news and offers by text message (SMS)."),
    ConsentPurpose.MARKETING_WHATSAPP: gettext_lazy("Send me news and offers on WhatsApp."),
    ConsentPurpose.PERSONALIZATION: gettext_lazy(
        "Use what I save, look at and buy here to recommend pieces to me, and show them to the team that looks after me."
    ),
    ConsentPurpose.WALK_IN: gettext_lazy("Let the shop team recognise me when I check in at the shop."),
    ConsentPurpose.HUB_SHARING: gettext_lazy("Share my profile with the other boutiques of the hub."),
}


def _privacy():
    from omnipresence.privacy import services  # written by the privacy app; imported when used

    return services


def _refuse(request, boutique: Boutique, *, action: str, account, client: Client | None, error: DomainError):
    """Log a refused export / erasure / change and answer 403 (nothing was done)."""
    target = request.POST.get("client", "")[:20] or (str(client.pk) if client else "")
    attempt_log(boutique=boutique, actor_label=f"portal:{account.email}" if account else "anonymous", action=action,
                target=f"client:{target}" if target else "", error=error)  # fmt: skip
    context = {"boutique": boutique, "accent_colour": boutique.brand_colour, "logged_in": account is not None}
    return no_store(render(request, "accounts/refused.html", context, status=403))


def _her(request, slug: str, action: str):
    """(boutique, account, client, None), or a response: the login form on a GET, a logged refusal
    on a POST without a login or naming another client."""
    boutique = _boutique_or_404(slug)
    account = portal_account(request)
    if account is None:
        if request.method == "GET":
            return boutique, None, None, login_page(request, boutique=boutique, next_path=request.path)
        return boutique, None, None, _refuse(request, boutique, action=action, account=None, client=None,
                                             error=Unauthenticated("Log in to do this."))  # fmt: skip
    client = account_client(account, boutique)
    if request.method == "POST" and (client is None or request.POST.get("client") != str(client.pk)):
        error = Forbidden("This request is for another client.", code="not_your_client")
        return boutique, account, client, _refuse(request, boutique, action=action, account=account, client=client,
                                                  error=error)  # fmt: skip
    return boutique, account, client, None


def _languages(boutique: Boutique) -> list[tuple[str, str]]:
    choices = [("", _("No preference"))]
    for code, name in [(boutique.language, boutique.language), *settings.LANGUAGES]:
        if code not in [c for c, _n in choices]:
            choices.append((code, str(name)))
    return choices


def _sizes_text(sizes: dict) -> str:
    return "\n".join(f"{category}: {size}" for category, size in sizes.items())


def _sizes_parse(text: str) -> dict:
    sizes = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        category, sep, size = line.partition(":")
        if not sep or not category.strip() or not size.strip():
            raise InvalidInput(_("Write one size per line, as “category: size”, e.g. “shoes: 38”."),
                                       code="invalid_sizes")  # fmt: skip
        sizes[category.strip()] = size.strip()
    return sizes


def _words(text: str) -> list[str]:
    return [word.strip() for word in text.split(",") if word.strip()]


def _privacy_page(request, boutique, account, client, *, error: str = "", form: dict | None = None, status=200):
    context = {"boutique": boutique, "accent_colour": boutique.brand_colour, "account": account, "client": client}
    if client is not None:
        state = consent_state(client)
        context |= {
            "export": _privacy().client_export(client=client),
            "consents": [{"purpose": p, "label": CONSENT_TITLE[p], "wording": CONSENT_WORDING[p],
                          "granted": state.get(p, False)} for p in ConsentPurpose.values],  # fmt: skip
            "form": form or {
                "display_name": client.display_name, "sizes": _sizes_text(client.sizes),
                "colours": ", ".join(client.colours), "brands": ", ".join(client.brands),
                "preferred_channel": client.preferred_channel, "preferred_language": client.preferred_language,
            },  # fmt: skip
            "channels": Client.PreferredChannel.choices,
            "languages": _languages(boutique),
            "error": error,
        }
    return no_store(render(request, "accounts/privacy.html", context, status=status))


@require_GET
def privacy(request, slug: str):
    boutique, account, client, refused = _her(request, slug, "view")
    return refused or _privacy_page(request, boutique, account, client)


@require_POST
def privacy_preferences(request, slug: str):
    boutique, account, client, refused = _her(request, slug, "update")
    if refused:
        return refused
    form = {name: request.POST.get(name, "")[:2000] for name in
            ("display_name", "sizes", "colours", "brands", "preferred_channel", "preferred_language")}  # fmt: skip
    if form["preferred_language"] not in [code for code, _name in _languages(boutique)]:
        form["preferred_language"] = client.preferred_language
    try:
        clients.client_update(
            actor=web_actor(boutique), client=client, display_name=form["display_name"],
            sizes=_sizes_parse(form["sizes"]), colours=_words(form["colours"]), brands=_words(form["brands"]),
            preferred_channel=form["preferred_channel"], preferred_language=form["preferred_language"],
        )  # fmt: skip
    except DomainError as error:
        return _privacy_page(request, boutique, account, client, error=error.message, form=form, status=422)
    messages.success(request, _("Your preferences are saved."))
    return redirect(reverse("storefront:account_privacy", args=[slug]) + "#preferences")


@require_POST
def privacy_consents(request, slug: str):
    """One box per purpose; only the purposes she changed are recorded, with the words shown."""
    boutique, account, client, refused = _her(request, slug, "consent")
    if refused:
        return refused
    ticked = set(request.POST.getlist("consent"))
    state = consent_state(client)
    changed = 0
    for purpose in ConsentPurpose.values:
        granted = purpose in ticked
        if granted != state.get(purpose, False):
            clients.consent_record(actor_label=PORTAL_LABEL, client=client, purpose=purpose, granted=granted,
                                   channel="web", wording=str(CONSENT_WORDING[purpose]))  # fmt: skip
            changed += 1
    if changed:
        messages.success(request, _("Your choices are saved."))
    else:
        messages.info(request, _("Nothing changed."))
    return redirect(reverse("storefront:account_privacy", args=[slug]) + "#consents")


@require_POST
def privacy_download(request, slug: str):
    boutique, account, client, refused = _her(request, slug, "export")
    if refused:
        return refused
    body = json.dumps(_privacy().client_export(client=client), indent=2, ensure_ascii=False, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{boutique.slug}-my-data-{day}.json"'
    return no_store(response)


@require_http_methods(["GET", "POST"])
def privacy_erase(request, slug: str):
    boutique, account, client, refused = _her(request, slug, "erase")
    if refused:
        return refused
    context = {"boutique": boutique, "accent_colour": boutique.brand_colour, "client": client, "word": ERASE_WORD}
    if request.method == "GET" or client is None:
        return no_store(render(request, "accounts/privacy_erase.html", context))
    typed = request.POST.get("word", "").strip()
    if typed.casefold() != str(ERASE_WORD).casefold() or request.POST.get("understood") != "yes":
        context["error"] = _("Type %(word)s and tick the box to confirm.") % {"word": ERASE_WORD}
        return no_store(render(request, "accounts/privacy_erase.html", context, status=422))
    email = account.email
    try:
        _privacy().client_erase(client=client, requested_by=email, via="portal")
    except DomainError as error:
        context["error"] = error.message
        return no_store(render(request, "accounts/privacy_erase.html", context, status=error.status))
    hub_account_forget(email, except_client_ids=[client.pk])  # if the erasure's handlers ran before others
    portal_logout(request)
    return redirect("storefront:account_privacy_erased", slug=slug)


@require_GET
def privacy_erased(request, slug: str):
    boutique = _boutique_or_404(slug)
    context = {"boutique": boutique, "accent_colour": boutique.brand_colour}
    return no_store(render(request, "accounts/privacy_erased.html", context))
