"""The audit of client data, for managers: who opened which client's profile (ProfileView) and which
requests about client data were refused (AccessAttempt). Newest first, in keyset pages by id."""

from dataclasses import dataclass

from django.db.models import QuerySet

from omnipresence.clients.models import AccessAttempt, ProfileView
from omnipresence.core.errors import InvalidInput
from omnipresence.stores.access import Actor

CLIENTS_AUDIT = "clients.audit"
MAX_AUDIT_PAGE = 200


@dataclass(frozen=True)
class AuditPage:
    rows: list
    next_before_id: int | None


def _page(queryset: QuerySet, *, before_id: int | None, limit: int) -> AuditPage:
    if not 1 <= limit <= MAX_AUDIT_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_AUDIT_PAGE}.", code="invalid_page")
    if before_id is not None:
        queryset = queryset.filter(pk__lt=before_id)
    rows = list(queryset.order_by("-pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(rows=rows, next_before_id=rows[-1].pk if more else None)


def profile_views_page(actor: Actor, *, staff_username: str = "", client_id: int | None = None,
                       before_id: int | None = None, limit: int = 50) -> AuditPage:  # fmt: skip
    actor.require(CLIENTS_AUDIT)
    queryset = ProfileView.objects.filter(boutique=actor.boutique).select_related("staff_user", "client")
    if staff_username:
        queryset = queryset.filter(staff_user__username=staff_username)
    if client_id is not None:
        queryset = queryset.filter(client_id=client_id)
    return _page(queryset, before_id=before_id, limit=limit)


def access_attempts_page(actor: Actor, *, action: str = "", before_id: int | None = None,
                         limit: int = 50) -> AuditPage:  # fmt: skip
    actor.require(CLIENTS_AUDIT)
    queryset = AccessAttempt.objects.filter(boutique=actor.boutique).select_related("staff_user")
    if action:
        queryset = queryset.filter(action=action)
    return _page(queryset, before_id=before_id, limit=limit)
