"""API of walk-ins: check a client in (by id or her check-in token), today's visits, "I'm on it"."""

from datetime import datetime
from typing import Annotated

from ninja import Router, Schema, Status
from pydantic import Field, model_validator

from omnipresence.clients.attempts import attempt_log, logged_attempts
from omnipresence.clients.selectors import access_client
from omnipresence.core.api import AUTH, ERRORS, ID, SLUG, Input, Num, Text, request_actor
from omnipresence.core.errors import DomainError, Forbidden
from omnipresence.stores.selectors import access_location
from omnipresence.visits import selectors, services
from omnipresence.visits.models import Visit

router = Router(tags=["visits"])


class CheckInIn(Input):
    client_id: Num(1, 2**62) | None = None
    token: Text(64, min_length=1) | None = None
    location_code: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]

    @model_validator(mode="after")
    def one_way(self):
        if (self.client_id is None) == (self.token is None):
            raise ValueError("Send either client_id or token, not both.")
        return self


class VisitOut(Schema):
    id: int
    client_id: int
    client_name: str
    location_code: str
    location_name: str
    via: str
    created_at: datetime
    last_check_in_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None


class CheckInOut(VisitOut):
    new: bool


def _visit_out(visit: Visit) -> dict:
    return {
        "id": visit.pk, "client_id": visit.client_id, "client_name": visit.client.display_name,
        "location_code": visit.location.code, "location_name": visit.location.name, "via": visit.via,
        "created_at": visit.created_at, "last_check_in_at": visit.last_check_in_at,
        "acknowledged_by": visit.acknowledged_by.get_username() if visit.acknowledged_by else None,
        "acknowledged_at": visit.acknowledged_at,
    }  # fmt: skip


@router.post("/boutiques/{slug}/check-ins", response={200: CheckInOut, 201: CheckInOut, **ERRORS}, auth=AUTH)
def check_in(request, slug: SLUG, payload: CheckInIn):
    """She is in a shop: 201 with a new visit (her associates are alerted), 200 when she checked in
    there in the last 30 minutes (the same visit, no new alert). Needs her walk-in consent
    (403 consent_required otherwise)."""
    actor = request_actor(request, slug)
    target = f"client:{payload.client_id}" if payload.client_id else "checkin:token"
    try:
        actor.require("clients.edit")
        if payload.client_id is not None:
            client = access_client(actor, payload.client_id)
        else:
            client = services.client_by_checkin_token(boutique=actor.boutique, token=payload.token)
        target = f"client:{client.pk}"
        location = access_location(actor, payload.location_code)
        visit, new = services.visit_check_in(
            client=client, location=location, via=Visit.Via.API, checked_in_by=actor.user
        )
    except DomainError as error:
        attempt_log(boutique=actor.boutique, actor=actor, action="visit_check_in", target=target, error=error)
        raise
    visit = selectors.access_visit(actor, visit.pk)
    return Status(201 if new else 200, {**_visit_out(visit), "new": new})


@router.get("/boutiques/{slug}/visits", response={200: list[VisitOut], **ERRORS}, auth=AUTH)
def visits_today(request, slug: SLUG):
    """Today's visits (the boutique's time zone), newest first."""
    actor = request_actor(request, slug)
    return [_visit_out(visit) for visit in selectors.visits_today(actor=actor)]


@router.post("/boutiques/{slug}/visits/{visit_id}/acknowledge", response={200: VisitOut, **ERRORS}, auth=AUTH)
@logged_attempts("visit_acknowledge", target_kwarg="visit_id")
def visit_acknowledge(request, slug: SLUG, visit_id: ID):
    """ "I'm on it": the signed-in associate takes her (409 visit_taken if someone else has)."""
    actor = request_actor(request, slug)
    if actor.user_id is None:
        raise Forbidden("Only an associate can look after a client.", code="staff_only")
    visit = services.visit_acknowledge(actor=actor, visit=selectors.access_visit(actor, visit_id))
    return _visit_out(selectors.access_visit(actor, visit.pk))
