"""API tokens in the console (owners): list, create — the key is shown once — and revoke."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from omnipresence.console.access import staff_view
from omnipresence.core.errors import DomainError, InvalidInput
from omnipresence.stores.access import ALL_SCOPES, Actor
from omnipresence.stores.selectors import token_list
from omnipresence.stores.services import api_token_create, api_token_revoke


def _context(actor: Actor, **extra) -> dict:
    return {"actor": actor, "boutique": actor.boutique, "tokens": token_list(actor=actor),
            "all_scopes": ALL_SCOPES, **extra}  # fmt: skip


@require_http_methods(["GET", "POST"])
@staff_view
def tokens_page(request, actor: Actor):
    actor.require("tokens.manage")
    if request.method == "GET":
        return render(request, "console/tokens.html", _context(actor, chosen=list(ALL_SCOPES)))
    name = request.POST.get("name", "").strip()
    scopes = request.POST.getlist("scopes")
    days = request.POST.get("valid_days", "").strip()
    try:
        if not scopes:
            raise InvalidInput("Choose at least one scope.", code="invalid_scope")
        if days and (not days.isdigit() or not 1 <= int(days) <= 3650):
            raise InvalidInput("Validity is a number of days between 1 and 3650.", code="invalid_expiry")
        token, key = api_token_create(
            boutique=actor.boutique, name=name, scopes=scopes, created_by=actor.user,
            valid_days=int(days) if days else None,
        )  # fmt: skip
    except DomainError as error:
        context = _context(actor, error=error, name=name, chosen=scopes, valid_days=days)
        return render(request, "console/tokens.html", context, status=error.status)
    return render(request, "console/tokens.html", _context(actor, created=token, key=key, chosen=list(ALL_SCOPES)))


@require_POST
@staff_view
def token_revoke(request, actor: Actor, token_id: int):
    api_token_revoke(actor=actor, token_id=token_id)
    return redirect("console:tokens", slug=actor.boutique.slug)
