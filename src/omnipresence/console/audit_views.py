"""The client-data audit in the console (managers): who opened which profile, refused requests."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from omnipresence.clients.audit import access_attempts_page, profile_views_page
from omnipresence.console.access import staff_view
from omnipresence.stores.access import Actor

AUDIT_PAGE_SIZE = 50
MAX_CURSOR = 2**62


def _cursor(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and 0 < int(value) < MAX_CURSOR else None


@require_GET
@staff_view
def audit_page(request, actor: Actor):
    staff = request.GET.get("staff", "").strip()[:150]
    views = profile_views_page(actor, staff_username=staff, before_id=_cursor(request.GET.get("views_before")),
                               limit=AUDIT_PAGE_SIZE)  # fmt: skip
    attempts = access_attempts_page(actor, before_id=_cursor(request.GET.get("attempts_before")),
                                    limit=AUDIT_PAGE_SIZE)  # fmt: skip
    return render(request, "console/audit.html", {
        "actor": actor, "boutique": actor.boutique, "views": views, "attempts": attempts, "staff": staff,
    })  # fmt: skip
