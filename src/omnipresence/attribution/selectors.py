"""Reading credits: one report per period, scoped to the actor (her own unless `attribution.view_all`)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models import Count, Sum
from django.utils import timezone

from omnipresence.attribution.models import Credit
from omnipresence.attribution.services import MANAGE
from omnipresence.core.errors import InvalidInput, NotFound
from omnipresence.stores.access import Actor

PERIODS = (7, 30, 90)


def period_bounds(boutique, days: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The last `days` days, whole days in the boutique's time zone, today included."""
    zone = ZoneInfo(boutique.timezone)
    today = (now or timezone.now()).astimezone(zone).date()
    start = datetime.combine(today - timedelta(days=days - 1), datetime.min.time(), tzinfo=zone)
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return start, end


def month_bounds(boutique, now: datetime | None = None) -> tuple[datetime, datetime]:
    zone = ZoneInfo(boutique.timezone)
    today = (now or timezone.now()).astimezone(zone).date()
    start = datetime(today.year, today.month, 1, tzinfo=zone)
    end = datetime(today.year + today.month // 12, today.month % 12 + 1, 1, tzinfo=zone)
    return start, end


def _associate_scope(actor: Actor, associate_id: int | None) -> int | None | str:
    """The associate whose credits the actor may read: "all", or one user id."""
    if actor.can(MANAGE):
        if associate_id is None:
            return "all"
        if not actor.boutique.staff.filter(user_id=associate_id).exists():
            raise NotFound("No such associate in this boutique.", code="associate_not_found")
        return associate_id
    if actor.user_id is None:
        actor.require(MANAGE)
    if associate_id is not None and associate_id != actor.user_id:
        actor.require(MANAGE)
    return actor.user_id


def attribution_report(*, actor: Actor, since: datetime, until: datetime, associate_id: int | None = None,
                       latest: int = 10) -> dict:  # fmt: skip
    """Totals, by via and by channel, per associate (managers: everyone plus unassisted)."""
    if since >= until:
        raise InvalidInput("since must be before until.", code="invalid_period")
    scope = _associate_scope(actor, associate_id)
    credits = Credit.objects.filter(boutique=actor.boutique, voided=False, occurred_at__gte=since,
                                    occurred_at__lt=until)  # fmt: skip
    if scope != "all":
        credits = credits.filter(associate_id=scope)

    def totals(qs) -> dict:
        row = qs.aggregate(total=Sum("amount"), orders=Count("id"))
        return {"total": row["total"] or 0, "orders": row["orders"]}

    def grouped(field) -> list[dict]:
        return [
            {"key": r[field], "total": r["total"] or 0, "orders": r["orders"]}
            for r in credits.values(field)
            .annotate(total=Sum("amount"), orders=Count("id"))
            .order_by("-total", field)
        ]

    per_associate = []
    if scope == "all":
        rows = (
            credits.values("associate_id")
            .annotate(total=Sum("amount"), orders=Count("id"))
            .order_by("-total")
        )
        names = {
            u.pk: u.get_full_name() or u.get_username()
            for u in get_user_model().objects.filter(
                pk__in=[r["associate_id"] for r in rows if r["associate_id"]]
            )
        }
        per_associate = [
            {"associate_id": r["associate_id"], "name": names.get(r["associate_id"], ""),
             "total": r["total"] or 0, "orders": r["orders"]}
            for r in rows
        ]  # fmt: skip
    recent = list(credits.select_related("associate", "order").order_by("-occurred_at", "-id")[:latest])
    return {
        "since": since, "until": until, "currency": actor.boutique.currency, "all": scope == "all",
        **totals(credits), "by_via": grouped("via"), "by_channel": grouped("channel"),
        "per_associate": per_associate, "latest": recent,
    }  # fmt: skip
