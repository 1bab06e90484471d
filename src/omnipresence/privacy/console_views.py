"""A manager's privacy actions on a client's profile: download her data for her, erase it at her
request (a confirm page where the manager types ERASE)."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from omnipresence.clients.selectors import access_client
from omnipresence.console.access import staff_view
from omnipresence.core.errors import InvalidInput
from omnipresence.privacy.services import client_erase, client_export
from omnipresence.stores.access import Actor

PRIVACY = "clients.privacy"


@staff_view
@require_GET
def client_export_download(request, actor: Actor, client_id: int):
    actor.require(PRIVACY)
    client = access_client(actor, client_id)
    response = JsonResponse(client_export(client=client), json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="client-{client.pk}.json"'
    return response


@staff_view
@require_http_methods(["GET", "POST"])
def client_erase_page(request, actor: Actor, client_id: int):
    actor.require(PRIVACY)
    client = access_client(actor, client_id)
    context = {"actor": actor, "boutique": actor.boutique, "client": client}
    if request.method == "POST":
        if request.POST.get("confirm", "").strip() != "ERASE":
            context["error"] = InvalidInput(_("Type ERASE to confirm."), code="confirm_required")
            return render(request, "privacy/console_erase.html", context, status=422)
        client_erase(client=client, requested_by=actor.label, via="staff")
        messages.success(request, _("Her personal data has been erased. Her orders stay in the accounts."))
        return redirect("console:clients", slug=actor.boutique.slug)
    return render(request, "privacy/console_erase.html", context)
