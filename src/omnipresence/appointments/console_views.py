"""Console pages of appointments: the calendar (a day or a week, by associate and shop), booking
for a client in a free slot, and one appointment's page with its pull list and what an associate
does with it (move, cancel, no-show, complete, meeting link, open the room). Ids become objects
through the accessors and writes go through the services, so the pages refuse what the API does;
what a service refuses is shown on the page (role="alert"), nothing changed."""

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnipresence.appointments import room, selectors, services
from omnipresence.appointments.errors import RoomNotOpen
from omnipresence.appointments.models import Appointment, AppointmentType
from omnipresence.catalog.models import Product
from omnipresence.catalog.selectors import access_variant
from omnipresence.clients.selectors import CLIENTS_VIEW, access_client, client_search
from omnipresence.console.access import staff_view
from omnipresence.core.errors import DomainError, InvalidInput, NotFound
from omnipresence.inventory.selectors import availability_for_variants
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Location
from omnipresence.stores.selectors import access_location

VIEWS = ("day", "week")
MAX_QUANTITY = 20
SEARCH_RESULTS = 10


# --- small parsing helpers: bad input is an InvalidInput (4xx), never a 500 ------------------


def _day(value: str, default: date) -> date:
    if not value:
        return default
    try:
        parsed = date.fromisoformat(value[:10]) if len(value) == 10 else None
    except ValueError:
        parsed = None
    if parsed is None or not 2000 <= parsed.year <= 2100:
        raise InvalidInput(_("“%(value)s” is not a day (YYYY-MM-DD).") % {"value": value[:20]}, code="invalid_day")
    return parsed


def _int(value: str, field: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise InvalidInput(_("Choose %(field)s from the list.") % {"field": field}, code="invalid_input")
    return int(value)


def _shop(actor: Actor, code: str) -> Location | None:
    if not code:
        return None
    location = access_location(actor, code[:40])
    if location.kind != Location.Kind.SHOP:
        raise InvalidInput(_("%(name)s is not a shop.") % {"name": location.name}, code="not_a_shop")
    return location


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value[:40])
    except ValueError:
        moment = None
    if moment is None or timezone.is_naive(moment) or not 2000 <= moment.year <= 2100:
        raise InvalidInput(_("Choose a time from the list."), code="invalid_datetime")
    return moment


def _local_day(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)


def _locale(actor: Actor) -> str:
    return (actor.boutique.language or "en").replace("-", "_")


def _clock(moment: datetime, zone: str, locale: str) -> str:
    return format_time(moment.astimezone(ZoneInfo(zone)), "short", locale=locale)


def _day_label(day: date, locale: str) -> str:
    return format_date(day, "EEEE d MMMM", locale=locale)


def _own_or_manage(actor: Actor, appointment: Appointment) -> bool:
    return appointment.associate_id == actor.user_id or actor.can(selectors.MANAGE)


# --- the calendar ----------------------------------------------------------------------------


@dataclass
class CalendarQuery:
    view: str
    day: date
    shop: Location | None
    associate: str  # "me", "all" or a user id
    associate_id: int | None
    cancelled: bool

    def params(self, **changes) -> str:
        values = {"view": self.view, "day": self.day.isoformat(), "shop": self.shop.code if self.shop else "",
                  "associate": self.associate, "cancelled": "1" if self.cancelled else ""}  # fmt: skip
        values.update(changes)
        return "?" + urlencode({k: v for k, v in values.items() if v})


def _calendar_query(request, actor: Actor, today: date) -> CalendarQuery:
    view = request.GET.get("view", "day")
    if view not in VIEWS:
        raise InvalidInput(_("The view is a day or a week."), code="invalid_view")
    day = _day(request.GET.get("day", ""), today)
    shop = _shop(actor, request.GET.get("shop", ""))
    associate = request.GET.get("associate", "me")[:20] or "me"
    if associate == "me":
        associate_id = actor.user_id
    elif associate == "all":
        associate_id = None
    else:
        associate_id = selectors.access_associate(actor, _int(associate, _("an associate"))).pk
    return CalendarQuery(view=view, day=day, shop=shop, associate=associate, associate_id=associate_id,
                         cancelled=request.GET.get("cancelled") == "1")  # fmt: skip


def _row(actor: Actor, appointment: Appointment, locale: str) -> dict:
    zone = appointment.location.tz_name
    return {"appointment": appointment, "can_open": _own_or_manage(actor, appointment),
            "starts": _clock(appointment.starts_at, zone, locale), "ends": _clock(appointment.ends_at, zone, locale)}  # fmt: skip


@staff_view
@require_GET
def appointments_calendar(request, actor: Actor):
    """A day (or a week, Monday first) of appointments: hers by default, a colleague's or everyone's
    (read-only unless hers or a manager's), at one shop or all; times in each shop's zone."""
    actor.require(selectors.VIEW)
    locale = _locale(actor)
    base_zone = ZoneInfo(actor.boutique.timezone)
    today = timezone.now().astimezone(base_zone).date()
    context = {"actor": actor, "boutique": actor.boutique, "today": today.isoformat(),
               "shops": list(Location.objects.filter(boutique=actor.boutique, kind=Location.Kind.SHOP, is_active=True)),
               "associates": selectors.calendar_associates(actor=actor),
               "can_book": actor.can(CLIENTS_VIEW)}  # fmt: skip
    try:
        query = _calendar_query(request, actor, today)
    except DomainError as error:
        return render(request, "appointments/console/calendar.html", {**context, "error": error}, status=error.status)
    zone = ZoneInfo(query.shop.tz_name) if query.shop else base_zone
    first = query.day - timedelta(days=query.day.weekday()) if query.view == "week" else query.day
    days = [first + timedelta(days=n) for n in range(7 if query.view == "week" else 1)]
    start, end = _local_day(days[0], zone)[0], _local_day(days[-1], zone)[1]
    location_id = query.shop.pk if query.shop else None
    found = selectors.calendar_appointments(actor=actor, start=start, end=end, associate_id=query.associate_id,
                                            location_id=location_id, include_cancelled=query.cancelled)  # fmt: skip
    by_day: dict[date, list] = {d: [] for d in days}
    for appointment in found:
        by_day.setdefault(appointment.starts_at.astimezone(zone).date(), []).append(_row(actor, appointment, locale))
    upcoming = None
    if not found:
        upcoming = selectors.next_booked(actor=actor, after=end, associate_id=query.associate_id,
                                         location_id=location_id)  # fmt: skip
    step = timedelta(days=7 if query.view == "week" else 1)
    context.update({
        "query": query, "count": len(found),
        "days": [{"day": d, "label": _day_label(d, locale), "rows": by_day[d], "is_today": d == today} for d in days],
        "title": _day_label(days[0], locale) if query.view == "day" else _("Week of %(day)s") % {
            "day": format_date(days[0], "d MMMM y", locale=locale)},
        "prev": query.params(day=(query.day - step).isoformat()), "next": query.params(day=(query.day + step).isoformat()),
        "today_url": query.params(day=today.isoformat()), "as_day": query.params(view="day"),
        "as_week": query.params(view="week"),
        "toggle_cancelled": query.params(cancelled="" if query.cancelled else "1"),
        "upcoming": upcoming, "upcoming_url": query.params(view="day", day=upcoming.starts_at.astimezone(zone).date()
                                                            .isoformat()) if upcoming else "",
        "upcoming_label": _day_label(upcoming.starts_at.astimezone(zone).date(), locale) if upcoming else "",
    })  # fmt: skip
    return render(request, "appointments/console/calendar.html", context)


# --- booking for a client --------------------------------------------------------------------


def _booking_context(actor: Actor, source) -> dict:
    """What the booking form shows from its parameters (GET) or its submission (POST)."""
    locale = _locale(actor)
    query = source.get("q", "").strip()[:120]
    client_ref = source.get("client", "")
    client = access_client(actor, _int(client_ref, _("a client"))) if client_ref else None
    types = list(selectors.type_list(boutique=actor.boutique))
    type_ref = source.get("type", "")
    chosen = selectors.access_type(actor, _int(type_ref, _("an appointment type"))) if type_ref else None
    if chosen is not None and not chosen.is_active:
        raise InvalidInput(_("This appointment type is not offered any more."), code="slot_unavailable")
    eligible = selectors.eligible_associates(chosen) if chosen else []
    associate_ref = source.get("associate", "")
    if associate_ref in ("", "me"):
        associate_id = actor.user_id if actor.user_id in eligible else None
    elif associate_ref == "any":
        associate_id = None
    else:
        associate_id = _int(associate_ref, _("an associate"))
        if associate_id not in eligible:
            raise NotFound(_("That associate does not take these appointments."), code="associate_not_found")
    slots = []
    day = None
    if chosen is not None:
        zone = ZoneInfo(chosen.location.tz_name)
        day = _day(source.get("day", ""), timezone.now().astimezone(zone).date())
        start, end = _local_day(day, zone)
        slots = [{"value": s.starts_at.isoformat(), "label": _clock(s.starts_at, chosen.location.tz_name, locale)}
                 for s in selectors.slots_for(chosen, start=start, end=end, associate_id=associate_id)]  # fmt: skip
    names = {u.pk: u for u in selectors.calendar_associates(actor=actor)}
    return {
        "actor": actor, "boutique": actor.boutique, "q": query, "client": client, "types": types, "chosen": chosen,
        "day": day.isoformat() if day else "", "slots": slots, "associate_id": associate_id,
        "associate_choice": "any" if associate_id is None else str(associate_id),
        "eligible": [names[a] for a in eligible if a in names],
        "results": list(client_search(actor, query)[:SEARCH_RESULTS]) if query and client is None else [],
        "key": source.get("key", "")[:80] or secrets.token_urlsafe(16),
    }  # fmt: skip


@staff_view
@require_http_methods(["GET", "POST"])
def appointment_new(request, actor: Actor):
    """Book for a client: find her, choose the type and the day, then a free slot."""
    actor.require(selectors.VIEW)
    actor.require(CLIENTS_VIEW)
    source = request.POST if request.method == "POST" else request.GET
    try:
        context = _booking_context(actor, source)
    except DomainError as error:
        return render(request, "appointments/console/new.html", {"actor": actor, "boutique": actor.boutique,
                                                                 "error": error, "types": []}, status=error.status)  # fmt: skip
    if request.method == "GET":
        return render(request, "appointments/console/new.html", context)
    try:
        if context["client"] is None or context["chosen"] is None:
            raise InvalidInput(_("Choose the client and the appointment type."), code="invalid_input")
        appointment, _created = services.appointment_book(
            actor=actor, appointment_type=context["chosen"], client=context["client"],
            starts_at=_moment(request.POST.get("starts_at", "")), via="staff", associate_id=context["associate_id"],
            idempotency_key=context["key"], wishes=request.POST.get("wishes", "")[:2000],
        )  # fmt: skip
    except DomainError as error:
        return render(request, "appointments/console/new.html", {**context, "error": error}, status=error.status)
    messages.success(request, _("Booked."))
    return redirect(reverse("console:appointment", args=[actor.boutique.slug, appointment.pk]))


# --- one appointment -------------------------------------------------------------------------


def _mine(actor: Actor, appointment_id: int) -> Appointment:
    """Her associate's or a manager's (403 not_your_appointment otherwise), as the API's actions."""
    appointment = selectors.access_appointment(actor, appointment_id)
    services.host_check(actor=actor, appointment=appointment)
    return appointment


def _wished(actor: Actor, appointment: Appointment) -> list[dict]:
    """The products she asked to see, with what is available now, here and everywhere."""
    ids = [i for i in appointment.wish_product_ids if isinstance(i, int)]
    if not ids:
        return []
    products = list(Product.objects.filter(boutique=actor.boutique, pk__in=ids).prefetch_related("variants"))
    variants = [v for p in products for v in p.variants.all()]
    stock = availability_for_variants(boutique=actor.boutique, variants=variants) if variants else {}
    rows = []
    for product in products:
        lines = []
        for variant in product.variants.all():
            entry = stock.get(variant.pk)
            here = next((la.available for la in entry.locations if la.location.pk == appointment.location_id), 0) \
                if entry else 0
            lines.append({"variant": variant, "here": here, "total": entry.total if entry else 0})
        rows.append({"product": product, "variants": lines})
    return rows


def _slots_to_move(actor: Actor, appointment: Appointment, day_value: str, locale: str) -> tuple[str, list[dict]]:
    zone = ZoneInfo(appointment.location.tz_name)
    day = _day(day_value, appointment.starts_at.astimezone(zone).date())
    start, end = _local_day(day, zone)
    found = selectors.slots_for(appointment.appointment_type, start=start, end=end, preferred=appointment.associate_id,
                                except_appointment_id=appointment.pk)  # fmt: skip
    return day.isoformat(), [{"value": s.starts_at.isoformat(), "label": _clock(s.starts_at, zone.key, locale),
                              "current": s.starts_at == appointment.starts_at} for s in found]  # fmt: skip


def _page(request, actor: Actor, appointment: Appointment, *, error: DomainError | None = None, join: dict | None = None,
          room_opens: str = "", move_day: str = ""):  # fmt: skip
    now = timezone.now()
    locale = _locale(actor)
    zone = appointment.location.tz_name
    booked = appointment.status == Appointment.Status.BOOKED
    context = {
        "actor": actor, "boutique": actor.boutique, "appointment": appointment, "error": error, "join": join,
        "room_opens": room_opens, "pull_list": selectors.pull_list(appointment), "wished": _wished(actor, appointment),
        "day_label": _day_label(appointment.starts_at.astimezone(ZoneInfo(zone)).date(), locale),
        "starts": _clock(appointment.starts_at, zone, locale), "ends": _clock(appointment.ends_at, zone, locale),
        "is_video": appointment.mode == AppointmentType.Mode.VIDEO, "booked": booked,
        "can_move": booked and appointment.starts_at > now, "started": booked and appointment.starts_at <= now,
        "can_pull": booked and appointment.blocked_until > now, "task": selectors.follow_up_task(appointment),
        "locations": list(Location.objects.filter(boutique=actor.boutique, is_active=True).order_by("priority", "pk")),
        "calendar_url": reverse("console:appointments_calendar", args=[actor.boutique.slug]) + "?" + urlencode(
            {"day": appointment.starts_at.astimezone(ZoneInfo(zone)).date().isoformat()}),
    }  # fmt: skip
    if context["can_move"]:
        try:
            context["move_day"], context["move_slots"] = _slots_to_move(actor, appointment, move_day, locale)
        except DomainError as bad_day:
            error = error or bad_day
            context["error"] = error
    return render(request, "appointments/console/appointment.html", context, status=error.status if error else 200)


@staff_view
@require_GET
def appointment_page(request, actor: Actor, appointment_id: int):
    return _page(request, actor, _mine(actor, appointment_id), move_day=request.GET.get("move_day", ""))


def _act(request, actor: Actor, appointment_id: int, work, done: str):
    """Run one action on the appointment; refused: the page again with the reason, nothing changed."""
    appointment = _mine(actor, appointment_id)
    try:
        work(appointment)
    except DomainError as error:
        return _page(request, actor, selectors.access_appointment(actor, appointment_id), error=error)
    messages.success(request, done)
    return redirect(reverse("console:appointment", args=[actor.boutique.slug, appointment_id]))


@staff_view
@require_POST
def appointment_pull_add(request, actor: Actor, appointment_id: int):
    def work(appointment):
        sku = request.POST.get("sku", "").strip()[:64]
        if not sku:
            raise InvalidInput(_("Enter a SKU or a barcode."), code="sku_required")
        quantity = _int(request.POST.get("quantity", "1").strip() or "1", _("a quantity"))
        if not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidInput(_("The quantity is from 1 to %(max)s.") % {"max": MAX_QUANTITY}, code="invalid_quantity")
        code = request.POST.get("location", "").strip()[:40]
        location = access_location(actor, code) if code else None
        services.pull_item_add(actor=actor, appointment=appointment, variant=access_variant(actor, sku),
                               location=location, quantity=quantity)  # fmt: skip

    return _act(request, actor, appointment_id, work, _("Put aside for her appointment."))


@staff_view
@require_POST
def appointment_pull_remove(request, actor: Actor, appointment_id: int, item_id: int):
    def work(appointment):
        item = selectors.access_pull_item(actor, appointment, item_id)
        services.pull_item_remove(actor=actor, appointment=appointment, item=item)

    return _act(request, actor, appointment_id, work, _("Taken off the pull list: back on sale."))


@staff_view
@require_POST
def appointment_reschedule(request, actor: Actor, appointment_id: int):
    def work(appointment):
        services.appointment_reschedule(actor=actor, appointment=appointment,
                                        starts_at=_moment(request.POST.get("starts_at", "")))  # fmt: skip

    return _act(request, actor, appointment_id, work, _("Moved. She gets the new time by email."))


@staff_view
@require_POST
def appointment_cancel(request, actor: Actor, appointment_id: int):
    def work(appointment):
        services.appointment_cancel(actor=actor, appointment=appointment, reason=request.POST.get("reason", "")[:300])

    return _act(request, actor, appointment_id, work, _("Cancelled. Her pull list is back on sale."))


@staff_view
@require_POST
def appointment_no_show(request, actor: Actor, appointment_id: int):
    return _act(request, actor, appointment_id, lambda a: services.appointment_no_show(actor=actor, appointment=a),
                _("Recorded as a no-show."))  # fmt: skip


@staff_view
@require_POST
def appointment_complete(request, actor: Actor, appointment_id: int):
    def work(appointment):
        services.appointment_complete(actor=actor, appointment=appointment, note=request.POST.get("note", "")[:300])

    return _act(request, actor, appointment_id, work, _("Done. A follow-up task is on her associate's list."))


@staff_view
@require_POST
def appointment_meeting_link(request, actor: Actor, appointment_id: int):
    def work(appointment):
        services.appointment_link_set(actor=actor, appointment=appointment,
                                      external_url=request.POST.get("external_url", "").strip()[:500])  # fmt: skip

    return _act(request, actor, appointment_id, work, _("Meeting link saved: it is in her invitation."))


@staff_view
@require_POST
def appointment_join(request, actor: Actor, appointment_id: int):
    """The host's way into the room, in its window (30 minutes before until the hard cap)."""
    appointment = _mine(actor, appointment_id)
    try:
        # The room page (video, countdown, the shared cart); together in the shop there is no room to open.
        join = room.room_join(appointment, host=True, video_only=True)
    except RoomNotOpen as error:
        opens = datetime.fromisoformat(error.details["opens_at"])
        zone, locale = appointment.location.tz_name, _locale(actor)
        label = _("%(day)s at %(time)s") % {"day": _day_label(opens.astimezone(ZoneInfo(zone)).date(), locale),
                                             "time": _clock(opens, zone, locale)}  # fmt: skip
        return _page(request, actor, appointment, error=error,
                     room_opens=_("The room opens %(when)s.") % {"when": label})  # fmt: skip
    except DomainError as error:
        return _page(request, actor, appointment, error=error)
    return _page(request, actor, appointment, join=join)
