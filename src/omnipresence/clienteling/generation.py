"""Automatic tasks, made by the periodic sweep (and `tasks_generate` on demand): a follow-up N
days after a paid purchase, a hold for her that expires within 24 h, a pay link sent more than
24 h ago and still unpaid, a birthday in the next 7 days (once a year), a new arrival in her size
and colour (once per product). Each is one row per (client, kind, source): a second run, or two
sweeps at once, make nothing twice — the unique constraint decides, the loser skips."""

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from omnipresence.clienteling import matching
from omnipresence.clienteling.models import Task
from omnipresence.clients.models import TimelineEvent
from omnipresence.clients.selectors import live_clients
from omnipresence.inventory.models import Hold
from omnipresence.orders.models import OrderLine
from omnipresence.payments.models import PayLink
from omnipresence.stores.models import Boutique

log = logging.getLogger(__name__)

BIRTHDAY_DAYS = 7
HOLD_HOURS = 24
PAY_LINK_HOURS = 24
FOLLOW_UP_WINDOW_DAYS = 7  # a purchase older than N + this is not followed up any more


def follow_up_days() -> int:
    days = getattr(settings, "CLIENTELING_FOLLOW_UP_DAYS", 7)
    return days if isinstance(days, int) and not isinstance(days, bool) and 1 <= days <= 365 else 7


def _owners(boutique: Boutique, client_ids) -> dict[int, int | None]:
    """Her primary associate, else her secondary, else nobody (a manager sees it unassigned)."""
    rows = live_clients(boutique=boutique).filter(pk__in=set(client_ids))
    return {pk: primary or secondary for pk, primary, secondary in
            rows.values_list("pk", "primary_associate_id", "secondary_associate_id")}  # fmt: skip


def _plan_follow_ups(boutique: Boutique, now: datetime) -> list[dict]:
    days = follow_up_days()
    paid = TimelineEvent.objects.filter(
        boutique=boutique, kind=TimelineEvent.Kind.ORDER_PAID, ref_kind="order",
        occurred_at__lte=now - timedelta(days=days), occurred_at__gt=now - timedelta(days=days + FOLLOW_UP_WINDOW_DAYS),
    ).values_list("client_id", "ref_id", "occurred_at")  # fmt: skip
    paid = list(paid[:5000])
    titles: dict[int, str] = {}
    for order_id, title in OrderLine.objects.filter(order_id__in=[r[1] for r in paid]).order_by("total", "pk") \
            .values_list("order_id", "title"):  # fmt: skip
        titles[order_id] = title  # the dearest line wins (ordered by total)
    plans = []
    for client_id, order_id, paid_at in paid:
        ago = (now - paid_at).days
        what = titles.get(order_id, f"order {order_id}")
        plans.append({"client_id": client_id, "kind": Task.Kind.FOLLOW_UP, "ref_kind": "order", "ref_id": order_id,
                      "reason": f"Bought {what} {ago} days ago — ask how it fits", "due_at": now})  # fmt: skip
    return plans


def _plan_holds(boutique: Boutique, now: datetime) -> list[dict]:
    found = matching.hold_clients(boutique=boutique, expiring_before=now + timedelta(hours=HOLD_HOURS))
    holds = {h.pk: h for h in Hold.objects.filter(pk__in=found).select_related("variant__product", "location")}
    zone = ZoneInfo(boutique.timezone)
    plans = []
    for hold_id, client_id in found.items():
        hold = holds[hold_id]
        when = hold.expires_at.astimezone(zone).strftime("%a %d %b %H:%M")
        plans.append({"client_id": client_id, "kind": Task.Kind.HOLD_EXPIRING, "ref_kind": "hold", "ref_id": hold_id,
                      "reason": f"{hold.variant.product.title} ({hold.variant.label}) put aside for her at "
                                f"{hold.location.name} until {when} — ask whether she is coming",
                      "due_at": hold.expires_at - timedelta(hours=2)})  # fmt: skip
    return plans


def _plan_pay_links(boutique: Boutique, now: datetime) -> list[dict]:
    found = matching.unpaid_pay_links(boutique=boutique, sent_before=now - timedelta(hours=PAY_LINK_HOURS))
    links = {p.pk: p for p in PayLink.objects.filter(pk__in=found).select_related("order")}
    plans = []
    for link_id, client_id in found.items():
        link = links[link_id]
        days = max(1, (now - link.created_at).days)
        plans.append({"client_id": client_id, "kind": Task.Kind.PAY_LINK_UNPAID, "ref_kind": "pay_link",
                      "ref_id": link_id, "due_at": now,
                      "reason": f"Pay link for order {link.order_id} sent {days} day{'s' if days > 1 else ''} ago "
                                "and not paid yet — check she received it"})  # fmt: skip
    return plans


def _plan_birthdays(boutique: Boutique, now: datetime) -> list[dict]:
    zone = ZoneInfo(boutique.timezone)
    today = now.astimezone(zone).date()
    days = {}
    for offset in range(BIRTHDAY_DAYS + 1):
        day = today + timedelta(days=offset)
        days.setdefault(day.strftime("%m-%d"), day)
        if day.month == 2 and day.day == 28:
            days.setdefault("02-29", day)  # born on 29 February: celebrated on the 28th
    plans = []
    for client_id, mmdd in live_clients(boutique=boutique).filter(birthday_mmdd__in=list(days)).values_list(
        "pk", "birthday_mmdd"
    ):
        day = days[mmdd]
        due = datetime(day.year, day.month, day.day, 9, tzinfo=zone) - timedelta(days=1)
        label = "today" if day == today else f"on {day:%A %d %B}"
        plans.append({"client_id": client_id, "kind": Task.Kind.BIRTHDAY, "ref_kind": "birthday", "ref_id": day.year,
                      "reason": f"Her birthday is {label} — send her a note", "due_at": max(due, now)})  # fmt: skip
    return plans


def _plan_new_arrivals(boutique: Boutique, now: datetime) -> list[dict]:
    plans = []
    for client_id, arrivals in matching.new_arrivals(boutique=boutique, now=now).items():
        for arrival in arrivals[:3]:  # the newest few: a list of twenty is not a task
            plans.append({"client_id": client_id, "kind": Task.Kind.NEW_ARRIVAL, "ref_kind": "product",
                          "ref_id": arrival.product_id, "due_at": now,
                          "reason": f"New in: {arrival.title} in {arrival.colour}, size {arrival.size} — "
                                    "her colour and size"})  # fmt: skip
    return plans


PLANNERS = (
    ("follow_up", _plan_follow_ups), ("hold_expiring", _plan_holds), ("pay_link_unpaid", _plan_pay_links),
    ("birthday", _plan_birthdays), ("new_arrival", _plan_new_arrivals),
)  # fmt: skip


def tasks_generate(boutique: Boutique, now: datetime | None = None) -> dict[str, int]:
    """Make the automatic tasks that are due; returns how many of each kind were made now."""
    now = now or timezone.now()
    counts = dict.fromkeys((name for name, _ in PLANNERS), 0)
    plans = [(name, plan) for name, planner in PLANNERS for plan in planner(boutique, now)]
    owners = _owners(boutique, {plan["client_id"] for _, plan in plans})
    existing = set(
        Task.objects.filter(boutique=boutique, client_id__in=owners, ref_id__isnull=False)
        .values_list("client_id", "kind", "ref_kind", "ref_id")
    )  # fmt: skip
    for name, plan in plans:
        client_id = plan["client_id"]
        if client_id not in owners:  # merged away or erased since
            continue
        if (client_id, plan["kind"], plan["ref_kind"], plan["ref_id"]) in existing:
            continue
        try:
            with transaction.atomic():
                Task.objects.create(
                    boutique=boutique, assignee_id=owners[client_id], created_by_label="automatic",
                    **{**plan, "reason": plan["reason"][:300]},
                )
        except IntegrityError:
            continue  # a concurrent sweep made it first
        existing.add((client_id, plan["kind"], plan["ref_kind"], plan["ref_id"]))
        counts[name] += 1
    return counts


def tasks_sweep() -> dict[str, int]:
    """Every boutique's automatic tasks (the sweeper thread and `omnipresence sweep` run it)."""
    totals: dict[str, int] = {}
    for boutique in Boutique.objects.order_by("pk"):
        try:
            for name, made in tasks_generate(boutique).items():
                totals[name] = totals.get(name, 0) + made
        except Exception:
            log.exception("task generation failed for %s", boutique.slug)
    return totals

