"""API of the client-data audit (managers, or a token with privacy:write)."""

from datetime import datetime
from typing import Annotated

from ninja import Query, Router, Schema

from omnipresence.clients.audit import MAX_AUDIT_PAGE, access_attempts_page, profile_views_page
from omnipresence.core.api import AUTH, ERRORS, SLUG, query_text, request_actor

router = Router(tags=["clients"])

LIMIT = Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE)]
BEFORE = Annotated[int | None, Query(ge=1, le=2**62)]


class ProfileViewOut(Schema):
    id: int
    client_id: int
    client_name: str
    staff: str
    viewed_at: datetime


class ProfileViewPageOut(Schema):
    items: list[ProfileViewOut]
    next_before_id: int | None


class AttemptOut(Schema):
    id: int
    actor: str
    action: str
    target: str
    code: str
    message: str
    created_at: datetime


class AttemptPageOut(Schema):
    items: list[AttemptOut]
    next_before_id: int | None


@router.get("/boutiques/{slug}/audit/profile-views", response={200: ProfileViewPageOut, **ERRORS}, auth=AUTH)
def profile_views(request, slug: SLUG, staff: query_text(150) = None, client_id: BEFORE = None,
                  before_id: BEFORE = None, limit: LIMIT = 50):  # fmt: skip
    """Who opened which client's profile, newest first."""
    actor = request_actor(request, slug)
    page = profile_views_page(actor, staff_username=staff or "", client_id=client_id, before_id=before_id,
                              limit=limit)  # fmt: skip
    return {
        "items": [
            {"id": v.pk, "client_id": v.client_id, "client_name": v.client.display_name,
             "staff": v.staff_user.get_username(), "viewed_at": v.viewed_at}
            for v in page.rows
        ],
        "next_before_id": page.next_before_id,
    }  # fmt: skip


@router.get("/boutiques/{slug}/audit/attempts", response={200: AttemptPageOut, **ERRORS}, auth=AUTH)
def attempts(request, slug: SLUG, action: query_text(40) = None, before_id: BEFORE = None, limit: LIMIT = 50):
    """Refused requests about client data (another boutique's client, a merge across verified
    identifiers, an unknown consent purpose, an export asked for by someone else…)."""
    actor = request_actor(request, slug)
    page = access_attempts_page(actor, action=action or "", before_id=before_id, limit=limit)
    return {
        "items": [
            {"id": a.pk, "actor": a.actor_label, "action": a.action, "target": a.target, "code": a.code,
             "message": a.message, "created_at": a.created_at}
            for a in page.rows
        ],
        "next_before_id": page.next_before_id,
    }  # fmt: skip
