"""API of privacy requests: a manager exports a client's data for her, or erases it at her request
(permission clients.privacy; token scope privacy:write). Refusals are logged."""

from datetime import datetime
from typing import Literal

from django.http import JsonResponse
from ninja import Router, Schema

from omnipresence.clients.attempts import logged_attempts
from omnipresence.clients.selectors import access_client
from omnipresence.core.api import AUTH, ERRORS, ID, SLUG, Input, request_actor
from omnipresence.privacy.models import ErasureRecord
from omnipresence.privacy.services import client_erase, client_export

router = Router(tags=["privacy"])
PRIVACY = "clients.privacy"


class ErasureOut(Schema):
    id: int
    client_id: int
    requested_by: str
    via: str
    counts: dict[str, int]
    created_at: datetime


def _erasure_out(r: ErasureRecord) -> dict:
    return {"id": r.pk, "client_id": r.client_id, "requested_by": r.requested_by, "via": r.via, "counts": r.counts,
            "created_at": r.created_at}  # fmt: skip


@router.get("/boutiques/{slug}/clients/{client_id}/export", response={200: dict, **ERRORS}, auth=AUTH)
@logged_attempts("export", target_kwarg="client_id")
def export(request, slug: SLUG, client_id: ID):
    """Everything the boutique holds about her, as a JSON download (managers)."""
    actor = request_actor(request, slug)
    actor.require(PRIVACY)
    client = access_client(actor, client_id)
    response = JsonResponse(client_export(client=client), json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="client-{client.pk}.json"'
    return response


class EraseIn(Input):
    confirm: Literal["ERASE"]


@router.post("/boutiques/{slug}/clients/{client_id}/erase", response={201: ErasureOut, **ERRORS}, auth=AUTH)
@logged_attempts("erase", target_kwarg="client_id")
def erase(request, slug: SLUG, client_id: ID, payload: EraseIn):
    """Erase her personal data everywhere at her request, keeping the accounting (managers; send
    `{"confirm": "ERASE"}`). Cannot be undone."""
    actor = request_actor(request, slug)
    actor.require(PRIVACY)
    client = access_client(actor, client_id)
    record = client_erase(client=client, requested_by=actor.label, via="api" if actor.token else "staff")
    return 201, _erasure_out(record)


@router.get("/boutiques/{slug}/erasures", response={200: list[ErasureOut], **ERRORS}, auth=AUTH)
def erasures(request, slug: SLUG):
    actor = request_actor(request, slug)
    actor.require(PRIVACY)
    return [_erasure_out(r) for r in ErasureRecord.objects.filter(boutique=actor.boutique)[:200]]
