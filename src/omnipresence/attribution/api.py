"""API of the attribution app: credited sales per associate, and the attribution windows."""

from datetime import datetime, timedelta

from django.utils import timezone
from ninja import Router, Schema

from omnipresence.attribution import selectors, services
from omnipresence.core.api import AUTH, ERRORS, SLUG, Input, Moment, request_actor

router = Router(tags=["attribution"])


class GroupOut(Schema):
    key: str
    total: int
    orders: int


class AssociateOut(Schema):
    associate_id: int | None
    name: str
    total: int
    orders: int


class CreditOut(Schema):
    order_id: int
    associate_id: int | None
    via: str
    ref: str
    amount: int
    currency: str
    channel: str
    occurred_at: datetime


class ReportOut(Schema):
    since: datetime
    until: datetime
    currency: str
    total: int
    orders: int
    by_via: list[GroupOut]
    by_channel: list[GroupOut]
    per_associate: list[AssociateOut]
    latest: list[CreditOut]


class SettingsOut(Schema):
    windows: dict[str, int]


class SettingsIn(Input):
    windows: dict[str, int]


@router.get("/boutiques/{slug}/attribution", response={200: ReportOut, **ERRORS}, auth=AUTH)
def attribution_report(request, slug: SLUG, since: Moment | None = None, until: Moment | None = None,
                       associate: int | None = None):  # fmt: skip
    """Credited sales in [since, until) (default: the last 30 days): the caller's own, or — with
    `attribution.view_all` — every associate's plus unassisted (`associate` narrows to one)."""
    actor = request_actor(request, slug)
    until = until or timezone.now()
    since = since or until - timedelta(days=30)
    report = selectors.attribution_report(actor=actor, since=since, until=until, associate_id=associate)
    report["latest"] = [
        {"order_id": c.order_id, "associate_id": c.associate_id, "via": c.via, "ref": c.ref, "amount": c.amount,
         "currency": c.currency, "channel": c.channel, "occurred_at": c.occurred_at}
        for c in report["latest"]
    ]  # fmt: skip
    return report


@router.get("/boutiques/{slug}/attribution/settings", response={200: SettingsOut, **ERRORS}, auth=AUTH)
def attribution_settings(request, slug: SLUG):
    actor = request_actor(request, slug)
    actor.require(services.MANAGE)
    return {"windows": services.windows_of(actor.boutique)}


@router.patch("/boutiques/{slug}/attribution/settings", response={200: SettingsOut, **ERRORS}, auth=AUTH)
def attribution_settings_update(request, slug: SLUG, payload: SettingsIn):
    """Change some windows: whole days 0–90 per via; unknown keys are refused."""
    actor = request_actor(request, slug)
    return {"windows": services.attribution_settings_set(actor=actor, windows=payload.windows)}
