"""The console's fulfilment queue: /console/<slug>/fulfilment/ — the orders a location must pick,
pack, get ready for collection, hand over or ship, oldest first, with the next steps on each card.

A step is a POST to /console/<slug>/fulfilment/<id>/<step>/: with htmx the card alone comes back
(and the tab counts, out of band), an error shown inside it with its HTTP status; without
JavaScript the page redirects back to the queue with a message. Every write goes through
`fulfilment.services`, every id through `access_fulfilment`.
"""

from datetime import timedelta
from urllib.parse import urlencode

from babel.dates import format_date
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from omnipresence.console.access import staff_view
from omnipresence.core.errors import DomainError, NotFound
from omnipresence.core.timeutil import format_local, local
from omnipresence.fulfilment import services
from omnipresence.fulfilment.codes import code_display
from omnipresence.fulfilment.models import Fulfilment
from omnipresence.fulfilment.selectors import access_fulfilment, fulfilment_counts, fulfilment_queue
from omnipresence.fulfilment.services import MAX_CODE_ATTEMPTS, OVERRIDE
from omnipresence.orders.models import Order
from omnipresence.stores.access import Actor
from omnipresence.stores.selectors import location_list

PER_PAGE = 30
ALL = "all"
OPEN = "open"
Status = Fulfilment.Status
STEPS = ("pick", "pack", "ready", "ship", "collect")
# The tabs, in the order work flows; "open" is everything still to do.
TABS = (OPEN, Status.TO_PICK, Status.PICKED, Status.PACKED, Status.READY, Status.SHIPPED, Status.COLLECTED)


def _filters(request, actor: Actor, locations: list) -> dict:
    """The location (code, or "all"; default the associate's home shop) and the status tab."""
    source = request.POST if request.method == "POST" else request.GET
    code = (source.get("location") or "").strip()[:40]
    if not code:
        home = actor.membership.home_location_id if actor.membership else None
        code = next((loc.code for loc in locations if loc.pk == home), ALL)
    location = None
    if code != ALL:
        location = next((loc for loc in locations if loc.code == code), None)
        if location is None:
            raise NotFound(
                _("There is no location “%(code)s” here.") % {"code": code}, code="location_not_found"
            )
    status = (source.get("status") or OPEN).strip()
    if status not in TABS:
        status = OPEN
    return {"location": location, "location_code": code, "status": status}


def _queue_url(actor: Actor, filters: dict) -> str:
    base = reverse("console:fulfilment:queue", kwargs={"slug": actor.boutique.slug})
    return f"{base}?{urlencode({'location': filters['location_code'], 'status': filters['status']})}"


def _tabs(actor: Actor, filters: dict) -> list[dict]:
    counts = fulfilment_counts(actor=actor, location=filters["location"])
    labels = {
        OPEN: _("Open"),
        Status.READY: _("Ready"),
        **{s: Status(s).label for s in TABS if s not in (OPEN, Status.READY)},
    }
    return [
        {"status": tab, "label": labels[tab], "current": tab == filters["status"],
         "count": sum(counts[s] for s in Fulfilment.OPEN) if tab == OPEN else counts[tab],
         "url": _queue_url(actor, {**filters, "status": tab})}
        for tab in TABS
    ]  # fmt: skip


def _decorate(fulfilments, actor: Actor) -> list[Fulfilment]:
    """What a card shows beyond the row: the steps it can take (the next one first), until when a
    ready pickup is kept, whether its code is locked."""
    fulfilments = list(fulfilments)
    before = (Status.TO_PICK, Status.PICKED, Status.PACKED)
    now = timezone.now()
    for f in fulfilments:
        moving = f.is_open and f.order.status == Order.Status.PLACED
        pickup = f.method == Fulfilment.Method.PICKUP
        f.can_pick = moving and f.status == Status.TO_PICK
        f.can_pack = moving and f.status in (Status.TO_PICK, Status.PICKED)
        f.can_ready = moving and pickup and f.status in before
        f.can_ship = moving and not pickup and f.status in before
        f.can_collect = moving and pickup and f.status == Status.READY
        f.primary = {Status.TO_PICK: "pick", Status.PICKED: "pack", Status.PACKED: "ready"}.get(f.status, "")
        f.code_locked = f.pickup_code_attempts >= MAX_CODE_ATTEMPTS
        f.just_in = now - f.created_at < timedelta(minutes=1)
        f.just_ready = f.ready_at is not None and now - f.ready_at < timedelta(minutes=1)
        tz, locale = f.location.tz_name, actor.boutique.locale
        f.keep_until = None
        if f.ready_at:
            keep_until = local(f.ready_at + timedelta(days=settings.PICKUP_HOLD_DAYS), tz)
            f.keep_until = format_date(keep_until.date(), "EEE d MMM", locale=locale)
        ended = f.shipped_at or f.collected_at or f.cancelled_at or f.released_at
        f.ended = format_local(ended, tz, locale, "short") if ended else ""
    return fulfilments


def _context(request, actor: Actor, filters: dict, locations: list) -> dict:
    queue = fulfilment_queue(
        actor=actor,
        location=filters["location"],
        status=None if filters["status"] == OPEN else filters["status"],
    )
    page = Paginator(queue, PER_PAGE).get_page(request.GET.get("page"))
    return {
        "actor": actor, "boutique": actor.boutique, "locations": locations, "filters": filters,
        "tabs": _tabs(actor, filters), "page": page, "fulfilments": _decorate(page.object_list, actor),
        "can_override": actor.can(OVERRIDE), "hold_days": settings.PICKUP_HOLD_DAYS,
        "queue_url": _queue_url(actor, filters),
    }  # fmt: skip


@staff_view
@require_GET
def queue(request, actor: Actor):
    locations = list(location_list(boutique=actor.boutique))
    filters = _filters(request, actor, locations)
    context = _context(request, actor, filters, locations)
    if request.htmx and request.htmx.target == "queue":
        return render(request, "fulfilment/_queue.html", context)
    return render(request, "fulfilment/queue.html", context)


def _run(actor: Actor, fulfilment: Fulfilment, step: str, post) -> tuple[Fulfilment, str]:
    """Do the step; returns the fulfilment after it and what to tell the associate."""
    order = {"order": fulfilment.order_id}
    if step == "pick":
        fulfilment = services.fulfilment_pick(actor=actor, fulfilment=fulfilment)
        return fulfilment, _("Order #%(order)s picked.") % order
    if step == "pack":
        fulfilment = services.fulfilment_pack(actor=actor, fulfilment=fulfilment)
        return fulfilment, _("Order #%(order)s packed.") % order
    if step == "ready":
        fulfilment, code = services.fulfilment_ready(actor=actor, fulfilment=fulfilment)
        if code is None:
            return fulfilment, _("Order #%(order)s was ready already.") % order
        if fulfilment.order.client_email:
            said = _("Order #%(order)s is ready: the client has been emailed her pickup code.")
            return fulfilment, said % order
        # No email to send it to: the associate gives it to the client (phone, SMS), this once.
        return fulfilment, _("Order #%(order)s is ready. Give the client her pickup code: %(code)s") % {
            **order, "code": code_display(code)}  # fmt: skip
    if step == "ship":
        fulfilment = services.fulfilment_ship(
            actor=actor, fulfilment=fulfilment, carrier=post.get("carrier", ""),
            tracking_code=post.get("tracking_code", ""),
        )  # fmt: skip
        return fulfilment, _("Order #%(order)s shipped.") % order
    fulfilment = services.fulfilment_collect(
        actor=actor, fulfilment=fulfilment, code=post.get("code", ""),
        manager_override=post.get("manager_override") == "on",
    )  # fmt: skip
    return fulfilment, _("Order #%(order)s collected: the pieces have left the stock.") % order


@staff_view
@require_POST
def step(request, actor: Actor, fulfilment_id: int, step: str):
    if step not in STEPS:
        raise NotFound(_("There is no step “%(step)s”.") % {"step": step[:20]}, code="not_found")
    fulfilment = access_fulfilment(actor, fulfilment_id)
    locations = list(location_list(boutique=actor.boutique))
    filters = _filters(request, actor, locations)
    error, status, flash = None, 200, ""
    try:
        fulfilment, flash = _run(actor, fulfilment, step, request.POST)
    except DomainError as failure:
        error, status = failure, failure.status
        fulfilment = access_fulfilment(actor, fulfilment_id)
    if request.htmx:
        context = {
            "actor": actor, "boutique": actor.boutique, "filters": filters, "f": _decorate([fulfilment], actor)[0],
            "can_override": actor.can(OVERRIDE), "flash": flash, "error": error, "error_for": fulfilment.pk,
            "step": step,
            "tabs": _tabs(actor, filters), "oob": True, "queue_url": _queue_url(actor, filters),
        }  # fmt: skip
        return render(request, "fulfilment/_step.html", context, status=status)
    if error is None:
        messages.success(request, flash)
        return redirect(_queue_url(actor, filters))
    # Without JavaScript the refusal is shown at the top of the page, where the reader lands.
    context = {**_context(request, actor, filters, locations), "error": error}
    return render(request, "fulfilment/queue.html", context, status=status)
