"""Her side of appointments on the storefront, under /<slug>/appointments/: the boutique's types,
the booking page with its slot calendar in her time zone (pick a time → a slot hold → the form →
the booking), and her link page (see it, add it to a calendar, move it, cancel it, join the room).

Plain forms and links (post / redirect / get), so everything works without JavaScript; booking.js
only reads her zone from the browser. Every write goes through `services`; a refused one comes back
as the calendar or the form with the service's message and status, never a 500."""

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from omnipresence.appointments import invitations, links, room, selectors, services
from omnipresence.appointments.errors import RoomNotOpen, SlotHoldExpired
from omnipresence.appointments.models import Appointment, AppointmentType
from omnipresence.core.errors import DomainError, InvalidInput
from omnipresence.core.timeutil import validate_timezone
from omnipresence.storefront.views import _boutique_or_404

ZONE_RE = re.compile(r"^[A-Za-z0-9_+/-]{1,64}$")
HOLD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
WEEK = timedelta(days=7)
# Refusals that mean "choose another time": the calendar comes back, refreshed, with the message.
CALENDAR_ERRORS = {"slot_taken", "slot_unavailable", "slot_hold_expired", "hold_mismatch", "idempotency_key_reused",
                   "appointment_type_not_found"}  # fmt: skip
# Refusals about what she typed: the form comes back with the message on its field.
FIELD_OF = {"invalid_email": "email", "invalid_phone": "phone", "name_required": "name"}


# --- helpers ---------------------------------------------------------------------------------


def _no_store(response):
    # Her hold token and her link are in these pages' addresses: keep them out of caches and referrers.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


def _locale(boutique) -> str:
    return (boutique.language or "en").replace("-", "_")


def _first_name(user) -> str:
    return user.first_name or user.get_username()


def _zone(raw: str | None, default: str) -> tuple[str, str]:
    """Her zone from the `tz` parameter (else `default`), and a message when it is not a zone."""
    if not raw:
        return default, ""
    try:
        if not ZONE_RE.match(raw):
            raise InvalidInput(code="invalid_timezone")
        return validate_timezone(raw), ""
    except InvalidInput:
        return default, _("We do not know the time zone “%(zone)s”: times are shown in %(default)s.") % {
            "zone": raw[:64], "default": default}  # fmt: skip


def _moment(raw: str | None) -> datetime | None:
    """A slot's start as posted by the calendar (ISO 8601 with its offset), or None."""
    try:
        moment = datetime.fromisoformat((raw or "").strip()[:40])
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _when(moment: datetime, zone: str, locale: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return _("%(day)s at %(time)s") % {"day": format_date(local.date(), "EEEE d MMMM y", locale=locale),
                                        "time": format_time(local, "short", locale=locale)}  # fmt: skip


def _where(appointment_type: AppointmentType) -> str:
    if appointment_type.mode == AppointmentType.Mode.IN_STORE:
        return _("At %(shop)s") % {"shop": appointment_type.location.name}
    if appointment_type.mode == AppointmentType.Mode.PHONE:
        return _("By phone")
    return _("On video")


def _duration(minutes: int) -> str:
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def _type_or_404(boutique, type_id: int) -> AppointmentType:
    try:
        return selectors.public_type(boutique=boutique, type_id=type_id)
    except DomainError:
        raise Http404(_("No such appointment."))


def _appointment_or_404(slug: str, token: str) -> Appointment:
    boutique = _boutique_or_404(slug)
    try:
        return links.appointment_by_token(boutique=boutique, token=token)
    except DomainError:
        raise Http404(_("No such appointment."))


def _url(name: str, args: list, **query) -> str:
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return reverse(f"storefront:{name}", args=args) + (f"?{urlencode(query)}" if query else "")


# --- the slot calendar -----------------------------------------------------------------------


@dataclass
class CalendarDay:
    day: date
    label: str
    slots: list[dict] = field(default_factory=list)


@dataclass
class Calendar:
    zone: str
    days: list[CalendarDay]
    week: date
    earlier: date | None
    later: date | None


def _week(raw: str | None, first: date, last: date) -> date:
    try:
        chosen = date.fromisoformat(raw) if raw else first
    except ValueError:
        chosen = first
    return min(max(chosen, first), last)


def slot_calendar(appointment_type: AppointmentType, *, zone: str, week: str | None, associate_id: int | None = None,
                  except_appointment_id: int | None = None) -> Calendar:  # fmt: skip
    """A week of her days (from `week`, within today … the type's horizon) with their free slots,
    labelled in her zone: one `selectors.slots_for` read."""
    tz = ZoneInfo(zone)
    now = timezone.now()
    today = now.astimezone(tz).date()
    last = (now + timedelta(days=appointment_type.horizon_days)).astimezone(tz).date()
    first = _week(week, today, last)
    start = datetime.combine(first, time(0), tzinfo=tz)
    found = selectors.slots_for(appointment_type, start=start, end=datetime.combine(first + WEEK, time(0), tzinfo=tz),
                                associate_id=associate_id, now=now, except_appointment_id=except_appointment_id)  # fmt: skip
    locale = _locale(appointment_type.boutique)
    days = {first + timedelta(days=n): [] for n in range(7)}
    for slot in found:
        local = slot.starts_at.astimezone(tz)
        days.setdefault(local.date(), []).append(
            {"value": slot.starts_at.astimezone(UTC).isoformat(), "local": local,
             "label": format_time(local, "short", locale=locale)}
        )  # fmt: skip
    for slots in days.values():
        labels = [s["label"] for s in slots]
        for slot in slots:  # the hour that happens twice when the clocks go back: say which
            if labels.count(slot["label"]) > 1:
                slot["label"] = f"{slot['label']} {slot['local'].tzname()}"
    return Calendar(
        zone=zone, week=first, earlier=max(first - WEEK, today) if first > today else None,
        later=first + WEEK if first + WEEK <= last else None,
        days=[CalendarDay(day=d, label=format_date(d, "EEEE d MMMM", locale=locale), slots=s)
              for d, s in sorted(days.items())],
    )  # fmt: skip


def _type_context(appointment_type: AppointmentType) -> dict:
    boutique = appointment_type.boutique
    return {"boutique": boutique, "accent_colour": boutique.brand_colour, "appointment_type": appointment_type,
            "where": _where(appointment_type), "duration": _duration(appointment_type.duration_minutes)}  # fmt: skip


# --- the types -------------------------------------------------------------------------------


@require_GET
def appointment_types(request, slug: str):
    boutique = _boutique_or_404(slug)
    types = [{"type": t, "where": _where(t), "duration": _duration(t.duration_minutes)}
             for t in selectors.type_list(boutique=boutique)]  # fmt: skip
    context = {"boutique": boutique, "accent_colour": boutique.brand_colour, "types": types}
    return render(request, "appointments/storefront/types.html", context)


# --- booking ---------------------------------------------------------------------------------


class BookingForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=120,
                           error_messages={"required": gettext_lazy("Tell us your name.")})  # fmt: skip
    email = forms.CharField(label=gettext_lazy("Email"), max_length=254, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    wishes = forms.CharField(label=gettext_lazy("What would you like to see?"), max_length=2000, required=False,
                             widget=forms.Textarea(attrs={"rows": 4}))  # fmt: skip


KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,80}$")


@dataclass
class Booking:
    """What the booking page was asked: her zone, the associate she chose, and the week shown."""

    appointment_type: AppointmentType
    zone: str
    zone_error: str
    associates: list
    associate_id: int | None
    week: str | None


def _booking(request, appointment_type: AppointmentType) -> Booking:
    data = request.POST if request.method == "POST" else request.GET
    zone, zone_error = _zone(data.get("tz"), appointment_type.location.tz_name)
    associates = selectors.type_associates(appointment_type)
    raw = data.get("associate", "")
    associate_id = None
    if raw:
        associate_id = int(raw) if raw.isdigit() and len(raw) < 19 else 0
        if associate_id not in {u.pk for u in associates}:
            raise Http404(_("No such associate."))
    return Booking(appointment_type=appointment_type, zone=zone, zone_error=zone_error, associates=associates,
                   associate_id=associate_id, week=data.get("week"))  # fmt: skip


def _calendar_page(request, booking: Booking, *, error: str = "", status: int = 200):
    appointment_type = booking.appointment_type
    calendar = slot_calendar(appointment_type, zone=booking.zone, week=booking.week, associate_id=booking.associate_id)
    args = [appointment_type.boutique.slug, appointment_type.pk]
    nav = {"tz": booking.zone, "associate": booking.associate_id}
    context = {
        **_type_context(appointment_type), "calendar": calendar, "error": error or booking.zone_error,
        "associates": [{"id": u.pk, "name": _first_name(u), "selected": u.pk == booking.associate_id}
                       for u in booking.associates],
        "associate_id": booking.associate_id or "", "action": reverse("storefront:appointment_book", args=args),
        "earlier_url": _url("appointment_book", args, week=calendar.earlier, **nav) if calendar.earlier else "",
        "later_url": _url("appointment_book", args, week=calendar.later, **nav) if calendar.later else "",
        "detect_zone": "tz" not in request.GET and request.method == "GET",
        "shop_zone": appointment_type.location.tz_name,
    }  # fmt: skip
    if booking.zone_error and status == 200:
        status = 422
    return _no_store(render(request, "appointments/storefront/book.html", context, status=status))


def _form_page(request, booking: Booking, *, form: BookingForm, starts_at: datetime, hold_token: str, key: str,
               associate_name: str, error: str = "", status: int = 200):  # fmt: skip
    appointment_type = booking.appointment_type
    locale = _locale(appointment_type.boutique)
    shop_zone = appointment_type.location.tz_name
    context = {
        **_type_context(appointment_type), "form": form, "error": error, "zone": booking.zone,
        "starts_at": starts_at.astimezone(UTC).isoformat(), "hold_token": hold_token, "idempotency_key": key,
        "associate_id": booking.associate_id or "", "associate_name": associate_name,
        "when": _when(starts_at, booking.zone, locale),
        "when_shop": _when(starts_at, shop_zone, locale) if shop_zone != booking.zone else "", "shop_zone": shop_zone,
        "hold_minutes": services.hold_minutes(),
        "back_url": _url("appointment_book", [appointment_type.boutique.slug, appointment_type.pk], tz=booking.zone,
                         associate=booking.associate_id, week=starts_at.astimezone(ZoneInfo(booking.zone)).date()),
    }  # fmt: skip
    return _no_store(render(request, "appointments/storefront/book_form.html", context, status=status))


@never_cache
@require_http_methods(["GET", "POST"])
def appointment_book(request, slug: str, type_id: int):
    """GET: the calendar (or, with `hold`, the form for the time she holds). POST `step=hold`: keep
    the slot she picked; POST `step=book`: book it."""
    appointment_type = _type_or_404(_boutique_or_404(slug), type_id)
    booking = _booking(request, appointment_type)
    if request.method == "POST":
        step = request.POST.get("step")
        if step == "hold":
            return _hold(request, booking)
        if step == "book":
            return _book(request, booking)
        return _calendar_page(request, booking, error=_("Choose one of the times shown."), status=400)
    token = request.GET.get("hold", "")
    if not token:
        return _calendar_page(request, booking)
    hold = selectors.live_slot_hold(appointment_type=appointment_type, token=token) if HOLD_RE.match(token) else None
    if hold is None:
        return _calendar_page(request, booking, error=SlotHoldExpired.default_message, status=409)
    return _form_page(request, booking, form=BookingForm(), starts_at=hold.starts_at, hold_token=hold.token,
                      key=secrets.token_urlsafe(24), associate_name=_first_name(hold.associate))  # fmt: skip


def _hold(request, booking: Booking):
    starts_at = _moment(request.POST.get("starts_at"))
    if starts_at is None:
        return _calendar_page(request, booking, error=_("Choose one of the times shown."), status=422)
    try:
        requester = services.requester_key(booking.appointment_type.boutique_id, request.META.get("REMOTE_ADDR", ""))
        hold = services.slot_hold_place(appointment_type=booking.appointment_type, starts_at=starts_at,
                                        associate_id=booking.associate_id, requester=requester)  # fmt: skip
    except DomainError as error:
        return _calendar_page(request, booking, error=error.message, status=error.status)
    appointment_type = booking.appointment_type
    return redirect(_url("appointment_book", [appointment_type.boutique.slug, appointment_type.pk], hold=hold.token,
                         tz=booking.zone, associate=booking.associate_id))  # fmt: skip


def _book(request, booking: Booking):
    appointment_type = booking.appointment_type
    starts_at = _moment(request.POST.get("starts_at"))
    key = request.POST.get("idempotency_key", "")
    token = request.POST.get("hold_token", "")
    if starts_at is None or not KEY_RE.match(key) or (token and not HOLD_RE.match(token)):
        return _calendar_page(request, booking, error=_("This form is out of date: please choose a time again."),
                              status=422)  # fmt: skip
    hold = selectors.live_slot_hold(appointment_type=appointment_type, token=token)
    form = BookingForm(request.POST)

    def again(message: str, status: int):
        associate = hold.associate if hold else next((u for u in booking.associates if u.pk == booking.associate_id), None)
        return _form_page(request, booking, form=form, starts_at=starts_at, hold_token=token, key=key, error=message,
                          associate_name=_first_name(associate) if associate else "", status=status)  # fmt: skip

    if not form.is_valid():
        return again(_("Please check the form."), 422)
    details = form.cleaned_data
    options = {
        "appointment_type": appointment_type, "starts_at": starts_at, "name": details["name"],
        "email": details["email"], "phone": details["phone"], "wishes": details["wishes"], "idempotency_key": key,
        "associate_id": booking.associate_id, "client_timezone": "" if booking.zone_error else booking.zone,
    }  # fmt: skip
    try:
        try:
            appointment, _created = services.appointment_book_public(hold_token=token, **options)
        except SlotHoldExpired:
            # Her minutes ran out; the time may still be free (nobody else took it): try it as it is.
            appointment, _created = services.appointment_book_public(hold_token="", **options)
    except DomainError as error:
        if error.code in CALENDAR_ERRORS:
            message = error.message
            if error.code == "idempotency_key_reused":
                message = _("This form was already used for another booking: please choose a time again.")
            return _calendar_page(request, booking, error=message, status=error.status)
        name = FIELD_OF.get(error.code)
        if name:
            form.add_error(name, error.message)
        return again(error.message, error.status)
    messages.success(request, _("You're booked. We have emailed you the details.") if details["email"].strip()
                     else _("You're booked."))  # fmt: skip
    return redirect("storefront:appointment_link", slug=appointment_type.boutique.slug,
                    token=links.appointment_token(appointment))  # fmt: skip


# --- her link --------------------------------------------------------------------------------


@dataclass
class Room:
    state: str  # "soon", "open", "closed"
    opens_at: datetime | None = None
    url: str = ""


def room_state(appointment: Appointment, now: datetime | None = None) -> Room | None:
    """Her video appointment's room as her link sees it: open from 10 minutes before until the hard
    cap (room.room_join decides, as for the API). Joining opens the room page — the video (or the
    provider's link) and the cart she shares with her associate. None when there is no room."""
    if appointment.status != Appointment.Status.BOOKED or appointment.mode != AppointmentType.Mode.VIDEO:
        return None
    try:
        join = room.room_join(appointment, host=False, now=now)
    except RoomNotOpen as error:
        return Room(state="soon", opens_at=datetime.fromisoformat(error.details["opens_at"]))
    except DomainError:  # closed (past the cap), or no longer booked
        return Room(state="closed")
    return Room(state="open", url=join["url"])


def _link_page(request, appointment: Appointment, *, error: str = "", status: int = 200):
    boutique = appointment.boutique
    locale = _locale(boutique)
    shop_zone = appointment.location.tz_name
    zone, zone_error = _zone(request.GET.get("tz"), appointment.client_timezone or shop_zone)
    location = appointment.location
    token = links.appointment_token(appointment)
    now = timezone.now()
    booked = appointment.status == Appointment.Status.BOOKED
    context = {
        "boutique": boutique, "accent_colour": boutique.brand_colour, "appointment": appointment, "token": token,
        "zone": zone, "shop_zone": shop_zone, "error": error or zone_error,
        "when": _when(appointment.starts_at, zone, locale),
        "when_shop": _when(appointment.starts_at, shop_zone, locale) if zone != shop_zone else "",
        "duration": _duration(appointment.appointment_type.duration_minutes),
        "associate_name": _first_name(appointment.associate),
        "address": ", ".join(p for p in (location.address, location.postcode, location.city) if p),
        "can_change": booked and appointment.starts_at > now, "booked": booked, "room": room_state(appointment, now),
        "reschedule_url": _url("appointment_reschedule", [boutique.slug, token], tz=zone),
    }  # fmt: skip
    return _no_store(render(request, "appointments/storefront/link.html", context, status=status))


@never_cache
@require_GET
def appointment_link(request, slug: str, token: str):
    return _link_page(request, _appointment_or_404(slug, token))


@require_GET
def appointment_invite(request, slug: str, token: str):
    """The .ics of her appointment (a cancelled one: the cancellation), like the invitation's."""
    appointment = _appointment_or_404(slug, token)
    link = None
    if appointment.status == Appointment.Status.BOOKED:
        try:
            link = invitations.join_link(appointment, host=False)
        except DomainError:  # an outside link not pasted yet: the file goes without it, as the email does
            link = None
    join_url = link.url if link else ""
    body = invitations.ics_bytes(appointment, cancel=appointment.status == Appointment.Status.CANCELLED,
                                 join_url=join_url)  # fmt: skip
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="invite.ics"'
    return _no_store(response)


@never_cache
@require_http_methods(["GET", "POST"])
def appointment_reschedule(request, slug: str, token: str):
    """The same slot calendar; choosing a time moves her appointment there."""
    appointment = _appointment_or_404(slug, token)
    boutique = appointment.boutique
    data = request.POST if request.method == "POST" else request.GET
    zone, zone_error = _zone(data.get("tz"), appointment.client_timezone or appointment.location.tz_name)
    error, status = zone_error, 422 if zone_error else 200
    if appointment.status != Appointment.Status.BOOKED or appointment.starts_at <= timezone.now():
        return _link_page(request, appointment, error=_("This appointment can no longer be moved."), status=409)
    if request.method == "POST":
        starts_at = _moment(request.POST.get("starts_at"))
        if starts_at is None:
            error, status = _("Choose one of the times shown."), 422
        else:
            try:
                services.appointment_reschedule(appointment=appointment, starts_at=starts_at)
            except DomainError as refused:
                error, status = refused.message, refused.status
            else:
                messages.success(request, _("Your appointment is moved to %(when)s.") % {
                    "when": _when(starts_at, zone, _locale(boutique))})  # fmt: skip
                return redirect("storefront:appointment_link", slug=boutique.slug, token=token)
    appointment_type = appointment.appointment_type
    calendar = slot_calendar(appointment_type, zone=zone, week=data.get("week"), except_appointment_id=appointment.pk)
    args = [boutique.slug, token]
    context = {
        **_type_context(appointment_type), "appointment": appointment, "calendar": calendar, "error": error,
        "action": reverse("storefront:appointment_reschedule", args=args), "shop_zone": appointment.location.tz_name,
        "when": _when(appointment.starts_at, zone, _locale(boutique)), "token": token,
        "earlier_url": _url("appointment_reschedule", args, week=calendar.earlier, tz=zone) if calendar.earlier else "",
        "later_url": _url("appointment_reschedule", args, week=calendar.later, tz=zone) if calendar.later else "",
        "detect_zone": "tz" not in request.GET and request.method == "GET",
    }  # fmt: skip
    return _no_store(render(request, "appointments/storefront/reschedule.html", context, status=status))


class CancelForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Anything you would like to tell us? (optional)"), max_length=300,
                             required=False, widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip


@never_cache
@require_http_methods(["GET", "POST"])
def appointment_cancel(request, slug: str, token: str):
    appointment = _appointment_or_404(slug, token)
    if appointment.status != Appointment.Status.BOOKED or appointment.starts_at <= timezone.now():
        return _link_page(request, appointment, error=_("This appointment can no longer be cancelled."), status=409)
    form = CancelForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.appointment_cancel(appointment=appointment, reason=form.cleaned_data["reason"])
            except DomainError as refused:
                return _link_page(request, appointment, error=refused.message, status=refused.status)
            messages.success(request, _("Your appointment is cancelled."))
            return redirect("storefront:appointment_link", slug=slug, token=token)
        status = 422
    boutique = appointment.boutique
    zone = appointment.client_timezone or appointment.location.tz_name
    context = {"boutique": boutique, "accent_colour": boutique.brand_colour, "appointment": appointment,
               "token": token, "form": form, "when": _when(appointment.starts_at, zone, _locale(boutique)),
               "zone": zone}  # fmt: skip
    return _no_store(render(request, "appointments/storefront/cancel.html", context, status=status))


@never_cache
@require_GET
def appointment_join(request, slug: str, token: str):
    """Into the video room, checked at the moment she clicks: before the window (or after the cap)
    her page again, with the reason."""
    appointment = _appointment_or_404(slug, token)
    room = room_state(appointment)
    if room is not None and room.state == "open":
        return _no_store(redirect(room.url))
    messages_by_state = {
        "soon": _("The room opens 10 minutes before your appointment."),
        "closed": _("The appointment's time is over: the room is closed."),
    }
    error = messages_by_state.get(room.state if room else "", _("This appointment has no video room."))
    return _link_page(request, appointment, error=error, status=409)
