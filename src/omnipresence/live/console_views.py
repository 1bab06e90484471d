"""Console pages of live shopping, under /console/<slug>/live/ (namespace console): the events list
and the form to schedule one, and the host view of an event: go live and end, the stream's details,
the featured pieces (add by search or SKU, remove, pin), the chat with its moderation (hide, ban,
unban, slow mode, answer), the live stock and the sales, the replay once ended.

Permissions are the services' (the API's): `live.host` runs her own events, `live.manage` any,
`live.moderate` moderates every event's chat. Each action is a form posting here and redirecting
back; host.js sends hide and pin on the socket instead when it is open, and keeps stock, sales,
viewers and the chat current.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnipresence.catalog.selectors import access_product, access_variant
from omnipresence.console.access import staff_view
from omnipresence.core.errors import DomainError, InvalidInput
from omnipresence.core.money import format_money
from omnipresence.live import selectors, services
from omnipresence.live.models import LiveEvent
from omnipresence.orders.selectors import access_associate
from omnipresence.stores.access import Actor

STREAM_CHOICES = [("local", _("Demo test card (no camera)")), ("hls", _("HLS playlist (https)")),
                  ("embed", _("Embedded player (https)")), ("livekit", _("LiveKit room")), ("", _("Decide later"))]  # fmt: skip


def _host_url(event: LiveEvent) -> str:
    return reverse("console:live_host", args=[event.boutique.slug, event.pk])


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _local_moment(value: str, tz_name: str, field: str) -> datetime:
    """A datetime-local field ("2026-12-03T18:30") read in the shop's zone."""
    try:
        moment = datetime.fromisoformat((value or "").strip()[:16])
    except ValueError:
        raise InvalidInput(_("Give a date and a time for %(field)s.") % {"field": field}, code="invalid_schedule")
    if moment.tzinfo is not None:
        raise InvalidInput(_("Give a date and a time for %(field)s.") % {"field": field}, code="invalid_schedule")
    return moment.replace(tzinfo=ZoneInfo(tz_name))


def _duration(value: str) -> timedelta:
    if not (value or "").isdigit() or not 5 <= int(value) <= services.MAX_EVENT_HOURS * 60:
        raise InvalidInput(_("The event lasts from 5 minutes to 24 hours."), code="invalid_schedule")
    return timedelta(minutes=int(value))


def now_local(actor: Actor) -> str:
    """Now, in the shop's zone, as a datetime-local value (the create form's default)."""
    return timezone.now().astimezone(ZoneInfo(actor.boutique.timezone)).strftime("%Y-%m-%dT%H:%M")


def _list_context(actor: Actor, **extra) -> dict:
    events = list(selectors.event_list(actor=actor)[:200])
    return {"actor": actor, "boutique": actor.boutique, "events": events, "kinds": LiveEvent.Kind.choices,
            "streams": STREAM_CHOICES, "hosts": selectors.host_choices(boutique=actor.boutique),
            "can_create": actor.can(services.HOST) or actor.can(services.MANAGE),
            "can_choose_host": actor.can(services.MANAGE), "form": {}, "default_start": now_local(actor), **extra}  # fmt: skip


@staff_view
@require_http_methods(["GET", "POST"])
def live_events(request, actor: Actor):
    """The boutique's events, and the form to schedule one."""
    if request.method == "GET":
        return render(request, "live/console/events.html", _list_context(actor))
    form = request.POST
    try:
        tz_name = actor.boutique.timezone
        starts_at = _local_moment(form.get("starts_at", ""), tz_name, _("the start"))
        host = access_associate(actor, form["host"][:150]) if form.get("host") else None
        event = services.live_event_create(
            actor=actor, title=form.get("title", "")[:120], kind=form.get("kind", "launch")[:20],
            description=form.get("description", "")[:2000], starts_at=starts_at,
            ends_at=starts_at + _duration(form.get("duration", "")), host=host,
            stream_provider=form.get("stream_provider", "")[:10], stream_url=form.get("stream_url", "").strip()[:500],
        )  # fmt: skip
    except DomainError as error:
        context = _list_context(actor, error=error, form=form)
        return render(request, "live/console/events.html", context, status=error.status)
    messages.success(request, _("“%(title)s” is scheduled.") % {"title": event.title})
    return redirect(_host_url(event))


def _host_context(actor: Actor, event: LiveEvent, query: str = "") -> dict:
    may_run = actor.can(services.MANAGE) or (actor.can(services.HOST) and event.host_id == actor.user_id)
    featured = selectors.featured_data(event)
    featured_ids = {p["product_id"] for p in featured}
    results = [p for p in selectors.featurable_products(boutique=actor.boutique, query=query) if p.pk not in featured_ids]
    stream = None
    if may_run and event.stream_provider and event.status != LiveEvent.Status.ENDED:
        try:
            stream = services.host_stream(actor=actor, event=event)
        except DomainError as error:
            stream = {"error": error.message}
    replay = selectors.replay_data(event) if event.status == LiveEvent.Status.ENDED else None
    return {
        "actor": actor, "boutique": actor.boutique, "event": event, "featured": featured, "query": query,
        "results": results, "may_run": may_run, "may_moderate": actor.can(services.MODERATE), "stream": stream,
        "chat": selectors.staff_chat(event=event), "sales": selectors.event_sales(event), "replay": replay,
        "public_url": reverse("storefront:live_event", args=[actor.boutique.slug, event.pk]),
        "socket_url": f"/ws/live/{actor.boutique.slug}/{event.pk}/", "max_slow": services.MAX_SLOW_MODE,
        "max_per_viewer": services.MAX_PER_VIEWER,
    }  # fmt: skip


@staff_view
@require_GET
def live_host(request, actor: Actor, event_id: int):
    """The host view of one event (`?q=` searches products to feature)."""
    event = selectors.access_event(actor, event_id)
    return render(request, "live/console/host.html", _host_context(actor, event, request.GET.get("q", "")[:80]))


@staff_view
@require_GET
def live_sales(request, actor: Actor, event_id: int):
    """The sales so far, for host.js to refresh after a stock change."""
    sales = selectors.event_sales(selectors.access_event(actor, event_id))
    return JsonResponse({**sales, "total_display": format_money(sales["total"], sales["currency"], actor.boutique.language)})


def _act(request, actor: Actor, event_id: int, action, done: str):
    """Run one action on the event; back to the host view with a message (JSON for host.js)."""
    event = selectors.access_event(actor, event_id)
    try:
        action(event)
    except DomainError as error:
        if _wants_json(request):
            return JsonResponse(error.as_dict(), status=error.status)
        context = {**_host_context(actor, selectors.access_event(actor, event_id)), "error": error}
        return render(request, "live/console/host.html", context, status=error.status)
    if _wants_json(request):
        return JsonResponse({"ok": True})
    messages.success(request, done)
    return redirect(_host_url(event) + request.POST.get("anchor", "")[:40])


def _positive(raw, field: str) -> int:
    value = str(raw or "").strip()
    if not value.isdigit() or not 0 < int(value) < 2**62:
        raise InvalidInput(_("%(field)s is a positive whole number.") % {"field": field}, code=f"invalid_{field}")
    return int(value)


def _bounded(raw, field: str, low: int, high: int) -> int:
    value = str(raw or "").strip()
    if not value.isdigit() or not low <= int(value) <= high:
        raise InvalidInput(_("%(field)s is a whole number from %(low)s to %(high)s.") % {
            "field": field, "low": low, "high": high}, code=f"invalid_{field}")  # fmt: skip
    return int(value)


@staff_view
@require_POST
def live_start(request, actor: Actor, event_id: int):
    return _act(request, actor, event_id, lambda e: services.live_event_start(actor=actor, event=e), _("You are live."))


@staff_view
@require_POST
def live_end(request, actor: Actor, event_id: int):
    def end(event):
        services.live_event_end(actor=actor, event=event, replay_url=request.POST.get("replay_url", "").strip()[:500])

    return _act(request, actor, event_id, end, _("The event has ended."))


@staff_view
@require_POST
def live_replay(request, actor: Actor, event_id: int):
    def replay(event):
        services.live_replay_set(actor=actor, event=event, replay_url=request.POST.get("replay_url", "").strip()[:500])

    return _act(request, actor, event_id, replay, _("The replay is set."))


@staff_view
@require_POST
def live_moment(request, actor: Actor, event_id: int, pin_id: int):
    """Correct a piece's moment in the replay: minutes and seconds ("12:05") or seconds."""

    def moment(event):
        raw = request.POST.get("at", "").strip()[:12]
        minutes, sep, seconds = raw.partition(":")
        if sep and minutes.isdigit() and seconds.isdigit() and len(seconds) <= 2 and int(seconds) < 60:
            offset = int(minutes) * 60 + int(seconds)
        elif raw.isdigit():
            offset = int(raw)
        else:
            raise InvalidInput(_("Give the moment as minutes:seconds, e.g. 12:05."), code="invalid_offset")
        services.live_moment_set(actor=actor, event=event, pin_id=pin_id, offset_seconds=offset)

    return _act(request, actor, event_id, moment, _("The moment is corrected."))


@staff_view
@require_POST
def live_featured(request, actor: Actor, event_id: int):
    """Add a product (by id from the search, or by SKU), remove one, or change how many one viewer
    may reserve: the whole list goes to featured_set in its order."""

    def change(event):
        items = [(access_product(actor, p["product_id"]), p["max_per_viewer"]) for p in selectors.featured_data(event)]
        action = request.POST.get("action", "")
        if action == "add":
            if request.POST.get("sku", "").strip():
                product = access_variant(actor, request.POST["sku"].strip()[:64]).product
            else:
                product = access_product(actor, _positive(request.POST.get("product_id"), "product_id"))
            limit = _bounded(request.POST.get("max_per_viewer", "1"), "max_per_viewer", 1, services.MAX_PER_VIEWER)
            items.append((product, limit))
        elif action == "remove":
            product_id = _positive(request.POST.get("product_id"), "product_id")
            items = [(p, n) for p, n in items if p.pk != product_id]
        else:
            raise InvalidInput(_("Choose to add or remove a product."), code="invalid_action")
        services.featured_set(actor=actor, event=event, items=items)

    return _act(request, actor, event_id, change, _("The featured pieces are saved."))


@staff_view
@require_POST
def live_pin(request, actor: Actor, event_id: int):
    def pin(event):
        raw = request.POST.get("product_id", "")
        product = access_product(actor, _positive(raw, "product_id")) if raw else None
        services.product_pin(actor=actor, event=event, product=product)

    return _act(request, actor, event_id, pin, _("Pinned.") if request.POST.get("product_id") else _("Unpinned."))


@staff_view
@require_POST
def live_slow_mode(request, actor: Actor, event_id: int):
    def slow(event):
        seconds = _bounded(request.POST.get("seconds", ""), "seconds", 0, services.MAX_SLOW_MODE)
        services.slow_mode_set(actor=actor, event=event, seconds=seconds)

    return _act(request, actor, event_id, slow, _("Slow mode is saved."))


@staff_view
@require_POST
def live_message(request, actor: Actor, event_id: int):
    """The host (or a colleague) answers in the chat."""

    def post(event):
        services.chat_post_staff(actor=actor, event=event, text=request.POST.get("text", "")[:1000])

    return _act(request, actor, event_id, post, _("Sent."))


def _moderate(request, actor: Actor, event_id: int, message_id: int, service, done: str):
    def run(event):
        service(actor=actor, event=event, message=selectors.access_message(event, message_id))

    return _act(request, actor, event_id, run, done)


@staff_view
@require_POST
def live_hide(request, actor: Actor, event_id: int, message_id: int):
    return _moderate(request, actor, event_id, message_id, services.message_hide, _("The message is hidden."))


@staff_view
@require_POST
def live_ban(request, actor: Actor, event_id: int, message_id: int):
    return _moderate(request, actor, event_id, message_id, services.viewer_ban,
                     _("The viewer is banned from the chat; her messages are hidden."))  # fmt: skip


@staff_view
@require_POST
def live_unban(request, actor: Actor, event_id: int, message_id: int):
    return _moderate(request, actor, event_id, message_id, services.viewer_unban, _("The viewer may post again."))
