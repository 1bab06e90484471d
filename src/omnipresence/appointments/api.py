"""API of appointments. Public (the storefront): the types, free slots in her time zone, a short
slot hold, booking with an idempotency key, and her signed link (see, move, cancel, join). Staff:
types and their calendars, working hours and time off, booking for a client, the day's
appointments, reschedule, cancel, no-show, completion, the pull list and the host's join link."""

from datetime import date, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from django.utils import timezone
from ninja import Query, Router, Status

from omnipresence.appointments import links, room, selectors, services
from omnipresence.appointments.models import Appointment, AppointmentType, PullItem
from omnipresence.appointments.schemas import (
    LINK,
    AppointmentOut,
    CancelIn,
    CompleteIn,
    HoldIn,
    HoldOut,
    HoursIn,
    JoinOut,
    MeetingLinkIn,
    PublicAppointmentOut,
    PublicBookIn,
    PublicRescheduleIn,
    PullIn,
    RescheduleIn,
    RuleIn,
    RuleOut,
    SlotsOut,
    StaffBookIn,
    TimeOffIn,
    TimeOffOut,
    TypeIn,
    TypeOut,
    TypePatch,
    WorkingHoursIn,
    WorkingHoursOut,
)
from omnipresence.catalog.selectors import access_variant
from omnipresence.clients.selectors import access_client
from omnipresence.core.api import (
    AUTH,
    ERRORS,
    ID,
    PUBLIC_ERRORS,
    SLUG,
    Day,
    ErrorOut,
    request_actor,
)
from omnipresence.core.errors import InvalidInput, NotFound
from omnipresence.core.timeutil import validate_timezone
from omnipresence.stores.access import boutique_by_slug
from omnipresence.stores.selectors import access_location

router = Router(tags=["appointments"])
PUBLIC = {**PUBLIC_ERRORS, 409: ErrorOut}
MAX_DAYS = selectors.MAX_RANGE_DAYS


# --- helpers ---------------------------------------------------------------------------------


def _associate(user) -> dict:
    return {"id": user.pk, "name": user.first_name or user.get_username()}


def _type_out(t: AppointmentType) -> dict:
    fields = ("id", "kind", "mode", "name", "description", "duration_minutes", "cap_minutes", "buffer_before_minutes",
              "buffer_after_minutes", "min_notice_minutes", "horizon_days", "capacity", "slot_step_minutes",
              "schedule", "video_provider", "is_active")  # fmt: skip
    return {**{f: getattr(t, f) for f in fields}, "location_code": t.location.code, "location_name": t.location.name,
            "timezone": t.location.tz_name,
            "hours": [{"weekday": h.weekday, "starts": h.starts, "ends": h.ends} for h in t.hours.all()]}  # fmt: skip


def _pull_out(item: PullItem) -> dict:
    hold = item.hold
    return {"id": item.pk, "hold_id": hold.pk, "sku": hold.variant.sku, "title": hold.variant.product.title,
            "location_code": hold.location.code, "quantity": hold.quantity, "hold_status": hold.status,
            "expires_at": hold.expires_at}  # fmt: skip


def _appointment_out(a: Appointment, pull: list[PullItem] | None = None) -> dict:
    if pull is None:
        prefetched = "pull_items" in getattr(a, "_prefetched_objects_cache", {})
        pull = list(a.pull_items.all()) if prefetched else selectors.pull_list(a)
    return {
        "id": a.pk, "status": a.status, "via": a.via, "appointment_type_id": a.appointment_type_id,
        "type_name": a.appointment_type.name, "mode": a.mode, "location_code": a.location.code,
        "associate": _associate(a.associate), "client_id": a.client_id, "client_name": a.client.display_name,
        "starts_at": a.starts_at, "ends_at": a.ends_at, "cap_ends_at": a.cap_ends_at, "blocked_from": a.blocked_from,
        "blocked_until": a.blocked_until, "client_timezone": a.client_timezone, "wishes": a.wishes,
        "wish_product_ids": a.wish_product_ids, "video_provider": a.video_provider, "external_url": a.external_url,
        "cart_id": a.cart_id, "reschedules": a.reschedules, "link": links.manage_url(a),
        "pull_list": [_pull_out(i) for i in pull if i.removed_at is None], "created_at": a.created_at,
    }  # fmt: skip


def _public_out(a: Appointment, zone: str | None = None) -> dict:
    tz = ZoneInfo(zone or a.client_timezone or a.location.tz_name)
    return {
        "id": a.pk, "status": a.status, "type_name": a.appointment_type.name, "mode": a.mode, "shop": a.location.name,
        "associate": _associate(a.associate), "starts_at": a.starts_at.astimezone(tz),
        "ends_at": a.ends_at.astimezone(tz), "cap_ends_at": a.cap_ends_at.astimezone(tz), "timezone": str(tz),
        "link": links.appointment_token(a), "wishes": a.wishes,
    }  # fmt: skip


def _zone(value: str | None, default: str) -> str:
    return validate_timezone(value) if value else default


def _range(day_from: date | None, day_to: date | None, zone: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    today = timezone.now().astimezone(tz).date()
    day_from = day_from or today
    day_to = day_to or day_from + timedelta(days=6)
    if day_to < day_from:
        raise InvalidInput("`to` comes before `from`.", code="invalid_range")
    if (day_to - day_from).days >= MAX_DAYS:
        raise InvalidInput(f"At most {MAX_DAYS} days at a time.", code="range_too_long")
    start = datetime.combine(day_from, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(day_to + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return start, end


def _eligible_or_404(appointment_type: AppointmentType, associate_id: int | None) -> None:
    if associate_id is not None and associate_id not in selectors.eligible_associates(appointment_type):
        raise NotFound(f"No associate {associate_id} takes these appointments.", code="associate_not_found")


def _names(user_ids: set[int]) -> dict[int, dict]:
    from django.contrib.auth import get_user_model

    return {u.pk: _associate(u) for u in get_user_model().objects.filter(pk__in=user_ids)}


# --- public ----------------------------------------------------------------------------------


@router.get("/boutiques/{slug}/appointment-types", response={200: list[TypeOut], **PUBLIC})
def types_public(request, slug: SLUG):
    """The appointments a boutique offers (active types of active shops)."""
    boutique = boutique_by_slug(slug)
    return [_type_out(t) for t in selectors.type_list(boutique=boutique)]


@router.get("/boutiques/{slug}/appointment-types/{type_id}/slots", response={200: SlotsOut, **PUBLIC})
def slots(
    request, slug: SLUG, type_id: ID,
    day_from: Annotated[Day | None, Query(alias="from")] = None,
    day_to: Annotated[Day | None, Query(alias="to")] = None,
    tz: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_+/-]{1,64}$")] = None,
    associate: Annotated[int | None, Query(ge=1, le=2**62)] = None,
):  # fmt: skip
    """Free slots from `from` to `to` (days in `tz`, at most 62; default: the next 7 days), shown in
    `tz` (her zone; default the shop's). With `associate`, only hers. Unknown zone: 422 invalid_timezone."""
    boutique = boutique_by_slug(slug)
    appointment_type = selectors.public_type(boutique=boutique, type_id=type_id)
    zone = _zone(tz, appointment_type.location.tz_name)
    start, end = _range(day_from, day_to, zone)
    _eligible_or_404(appointment_type, associate)
    found = selectors.slots_for(appointment_type, start=start, end=end, associate_id=associate)
    names = _names({a for s in found for a in s.associates})
    tzinfo = ZoneInfo(zone)
    return {
        "appointment_type_id": appointment_type.pk, "timezone": zone, "shop_timezone": appointment_type.location.tz_name,
        "slots": [{"starts_at": s.starts_at.astimezone(tzinfo), "ends_at": s.ends_at.astimezone(tzinfo),
                   "cap_ends_at": s.cap_ends_at.astimezone(tzinfo), "associates": [names[a] for a in s.associates]}
                  for s in found],
    }  # fmt: skip


@router.post("/boutiques/{slug}/appointment-types/{type_id}/slot-holds", response={201: HoldOut, **PUBLIC})
def slot_hold(request, slug: SLUG, type_id: ID, payload: HoldIn):
    """Keep a slot for a few minutes while she fills in the form; book with the token. 409
    slot_taken when it has just gone, 422 slot_unavailable when it is not a slot."""
    boutique = boutique_by_slug(slug)
    appointment_type = selectors.public_type(boutique=boutique, type_id=type_id)
    _eligible_or_404(appointment_type, payload.associate_id)
    hold = services.slot_hold_place(appointment_type=appointment_type, starts_at=payload.starts_at,
                                    associate_id=payload.associate_id,
                                    requester=services.requester_key(boutique.pk, request.META.get("REMOTE_ADDR", "")))  # fmt: skip
    zone = ZoneInfo(appointment_type.location.tz_name)
    return Status(201, {"token": hold.token, "starts_at": hold.starts_at.astimezone(zone),
                        "ends_at": hold.ends_at.astimezone(zone), "expires_at": hold.expires_at,
                        "associate": _names({hold.associate_id})[hold.associate_id]})  # fmt: skip


@router.post("/boutiques/{slug}/appointment-types/{type_id}/bookings",
             response={200: PublicAppointmentOut, 201: PublicAppointmentOut, **PUBLIC})  # fmt: skip
def book_public(request, slug: SLUG, type_id: ID, payload: PublicBookIn):
    """She books: her name and an email or a phone (she is recognised, or becomes a client), an
    idempotency key (the same key again: 200 with the same booking). 201 with her signed link;
    409 slot_taken, 422 slot_unavailable / invalid_email / invalid_phone / invalid_timezone."""
    boutique = boutique_by_slug(slug)
    appointment_type = selectors.public_type(boutique=boutique, type_id=type_id)
    _eligible_or_404(appointment_type, payload.associate_id)
    appointment, created = services.appointment_book_public(
        appointment_type=appointment_type, starts_at=payload.starts_at, name=payload.name, email=payload.email,
        phone=payload.phone, idempotency_key=payload.idempotency_key, hold_token=payload.hold_token,
        associate_id=payload.associate_id, client_timezone=payload.timezone or "", wishes=payload.wishes,
        wish_product_ids=payload.product_ids,
    )  # fmt: skip
    appointment = selectors.appointment_queryset(boutique=boutique).get(pk=appointment.pk)
    return Status(201 if created else 200, _public_out(appointment))


def _by_link(slug: str, token: str) -> Appointment:
    return links.appointment_by_token(boutique=boutique_by_slug(slug), token=token)


@router.get("/boutiques/{slug}/appointment-links/{token}", response={200: PublicAppointmentOut, **PUBLIC})
def link_view(request, slug: SLUG, token: LINK,
              tz: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_+/-]{1,64}$")] = None):  # fmt: skip
    """Her appointment, through her signed link (404 appointment_link_invalid if tampered)."""
    appointment = _by_link(slug, token)
    return _public_out(appointment, _zone(tz, appointment.client_timezone or appointment.location.tz_name))


@router.post("/boutiques/{slug}/appointment-links/{token}/reschedule", response={200: PublicAppointmentOut, **PUBLIC})
def link_reschedule(request, slug: SLUG, token: LINK, payload: PublicRescheduleIn):
    """She moves it to another free slot of the same type."""
    services.appointment_reschedule(appointment=_by_link(slug, token), starts_at=payload.starts_at)
    return _public_out(_by_link(slug, token))


@router.post("/boutiques/{slug}/appointment-links/{token}/cancel", response={200: PublicAppointmentOut, **PUBLIC})
def link_cancel(request, slug: SLUG, token: LINK, payload: CancelIn):
    """She cancels (again: the same answer)."""
    services.appointment_cancel(appointment=_by_link(slug, token), reason=payload.reason)
    return _public_out(_by_link(slug, token))


def _join(appointment: Appointment, *, host: bool, room_page: bool = False) -> dict:
    """The provider's join link, or (`room_page`) the room page with the shared cart, for any appointment."""
    return room.room_join(appointment, host=host, room_page=room_page)


@router.get("/boutiques/{slug}/appointment-links/{token}/join", response={200: JoinOut, **PUBLIC})
def link_join(request, slug: SLUG, token: LINK):
    """Her way into the video room, from 10 minutes before the start until the hard cap (409
    room_not_open before, room_closed after). The room page counts down to `cap_ends_at`."""
    return _join(_by_link(slug, token), host=False)


@router.get("/boutiques/{slug}/appointment-links/{token}/room", response={200: JoinOut, **PUBLIC})
def link_room(request, slug: SLUG, token: LINK):
    """Her way into the room page (the countdown and the shared cart), whatever the video provider:
    the local provider's link format, in the same window as `join`."""
    return _join(_by_link(slug, token), host=False, room_page=True)


# --- staff: types and calendars --------------------------------------------------------------


@router.post("/boutiques/{slug}/appointment-types", response={201: TypeOut, **ERRORS}, auth=AUTH)
def type_create(request, slug: SLUG, payload: TypeIn):
    """A new kind of appointment at a shop (managers)."""
    actor = request_actor(request, slug)
    fields = payload.model_dump(exclude={"location", "kind", "name", "duration_minutes", "mode"})
    created = services.type_create(actor=actor, location=access_location(actor, payload.location), kind=payload.kind,
                                   mode=payload.mode or "", name=payload.name,
                                   duration_minutes=payload.duration_minutes, **fields)  # fmt: skip
    return Status(201, _type_out(selectors.access_type(actor, created.pk)))


@router.patch("/boutiques/{slug}/appointment-types/{type_id}", response={200: TypeOut, **ERRORS}, auth=AUTH)
def type_update(request, slug: SLUG, type_id: ID, payload: TypePatch):
    """Change a type (is_active false stops new bookings; booked ones stay)."""
    actor = request_actor(request, slug)
    changed = services.type_update(actor=actor, appointment_type=selectors.access_type(actor, type_id),
                                   **payload.model_dump(exclude_unset=True))  # fmt: skip
    return _type_out(selectors.access_type(actor, changed.pk))


@router.put("/boutiques/{slug}/appointment-types/{type_id}/hours", response={200: TypeOut, **ERRORS}, auth=AUTH)
def type_hours(request, slug: SLUG, type_id: ID, payload: HoursIn):
    """The type's own weekly hours (schedule "add": with the opening hours; "own": instead)."""
    actor = request_actor(request, slug)
    appointment_type = selectors.access_type(actor, type_id)
    services.type_hours_set(actor=actor, appointment_type=appointment_type,
                            periods=[(p.weekday, p.starts, p.ends) for p in payload.periods])  # fmt: skip
    return _type_out(selectors.access_type(actor, type_id))


def _rule_out(rule) -> dict:
    return {"id": rule.pk, "location_code": rule.location.code, "appointment_type_id": rule.appointment_type_id,
            "kind": rule.kind, "weekday": rule.weekday, "date": rule.date, "starts": rule.starts, "ends": rule.ends,
            "note": rule.note}  # fmt: skip


@router.get("/boutiques/{slug}/appointment-rules", response={200: list[RuleOut], **ERRORS}, auth=AUTH)
def rules(request, slug: SLUG):
    actor = request_actor(request, slug)
    return [_rule_out(r) for r in selectors.rule_list(actor=actor)]


@router.post("/boutiques/{slug}/appointment-rules", response={201: RuleOut, **ERRORS}, auth=AUTH)
def rule_add(request, slug: SLUG, payload: RuleIn):
    """A rule of a shop's appointment calendar: `weekday` (every week) or `date`; closed,
    virtual_only (no in-store appointments) or hours (dated: these hours instead)."""
    actor = request_actor(request, slug)
    actor.require(selectors.MANAGE)
    appointment_type = selectors.access_type(actor, payload.appointment_type_id) if payload.appointment_type_id else None
    rule = services.rule_add(
        actor=actor, location=access_location(actor, payload.location), kind=payload.kind, weekday=payload.weekday,
        day=payload.date, starts=payload.starts, ends=payload.ends, appointment_type=appointment_type,
        note=payload.note,
    )  # fmt: skip
    return Status(201, _rule_out(rule))


@router.delete("/boutiques/{slug}/appointment-rules/{rule_id}", response={204: None, **ERRORS}, auth=AUTH)
def rule_remove(request, slug: SLUG, rule_id: ID):
    actor = request_actor(request, slug)
    services.rule_remove(actor=actor, rule=selectors.access_rule(actor, rule_id))
    return Status(204, None)


def _hours_out(associate_id: int, rows) -> list[dict]:
    by_location: dict[str, list] = {}
    for row in rows:
        by_location.setdefault(row.location.code, []).append({"weekday": row.weekday, "starts": row.starts,
                                                              "ends": row.ends})  # fmt: skip
    return [{"associate_id": associate_id, "location_code": code, "periods": periods}
            for code, periods in by_location.items()]  # fmt: skip


@router.get("/boutiques/{slug}/associates/{associate_id}/working-hours", response={200: list[WorkingHoursOut], **ERRORS},
            auth=AUTH)  # fmt: skip
def working_hours(request, slug: SLUG, associate_id: ID):
    actor = request_actor(request, slug)
    actor.require(selectors.VIEW)
    associate = selectors.access_associate(actor, associate_id)
    return _hours_out(associate.pk, selectors.working_hours_of(actor=actor, associate=associate))


@router.put("/boutiques/{slug}/associates/{associate_id}/working-hours", response={200: list[WorkingHoursOut], **ERRORS},
            auth=AUTH)  # fmt: skip
def working_hours_set(request, slug: SLUG, associate_id: ID, payload: WorkingHoursIn):
    """When she takes appointments at one shop, every week (her own, or a manager's call)."""
    actor = request_actor(request, slug)
    actor.require(selectors.VIEW)
    associate = selectors.access_associate(actor, associate_id)
    services.working_hours_set(actor=actor, associate=associate, location=access_location(actor, payload.location),
                               periods=[(p.weekday, p.starts, p.ends) for p in payload.periods])  # fmt: skip
    return _hours_out(associate.pk, selectors.working_hours_of(actor=actor, associate=associate))


def _time_off_out(row) -> dict:
    return {"id": row.pk, "associate_id": row.associate_id, "starts_at": row.starts_at, "ends_at": row.ends_at,
            "note": row.note}  # fmt: skip


@router.post("/boutiques/{slug}/associates/{associate_id}/time-off", response={201: TimeOffOut, **ERRORS}, auth=AUTH)
def time_off_add(request, slug: SLUG, associate_id: ID, payload: TimeOffIn):
    actor = request_actor(request, slug)
    actor.require(selectors.VIEW)
    associate = selectors.access_associate(actor, associate_id)
    row = services.time_off_add(actor=actor, associate=associate, starts_at=payload.starts_at, ends_at=payload.ends_at,
                                note=payload.note)  # fmt: skip
    return Status(201, _time_off_out(row))


@router.delete("/boutiques/{slug}/time-off/{time_off_id}", response={204: None, **ERRORS}, auth=AUTH)
def time_off_remove(request, slug: SLUG, time_off_id: ID):
    actor = request_actor(request, slug)
    services.time_off_remove(actor=actor, time_off=selectors.access_time_off(actor, time_off_id))
    return Status(204, None)


# --- staff: appointments ---------------------------------------------------------------------


@router.get("/boutiques/{slug}/appointments", response={200: list[AppointmentOut], **ERRORS}, auth=AUTH)
def appointments(
    request, slug: SLUG, associate: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    day: Annotated[Day | None, Query()] = None,
    status: Annotated[Literal["booked", "cancelled", "completed", "no_show"] | None, Query()] = None,
):  # fmt: skip
    """Appointments, soonest first: one associate's (`associate`, a user id), one day's (`day`,
    in the boutique's zone), by status. At most 500."""
    actor = request_actor(request, slug)
    rows = selectors.appointment_list(actor=actor, associate_id=associate, day=day, status=status)[:500]
    return [_appointment_out(a) for a in rows]


@router.post("/boutiques/{slug}/appointments", response={200: AppointmentOut, 201: AppointmentOut, **ERRORS},
             auth=AUTH)  # fmt: skip
def book_staff(request, slug: SLUG, payload: StaffBookIn):
    """Book for a client (the console, an associate on the phone). 409 slot_taken, 422 slot_unavailable."""
    actor = request_actor(request, slug)
    actor.require(selectors.VIEW)
    appointment_type = selectors.access_type(actor, payload.appointment_type_id)
    client = access_client(actor, payload.client_id)
    if payload.associate_id is not None:
        selectors.access_associate(actor, payload.associate_id)
    appointment, created = services.appointment_book(
        actor=actor, appointment_type=appointment_type, client=client, starts_at=payload.starts_at,
        via="api" if actor.token else "staff", associate_id=payload.associate_id,
        idempotency_key=payload.idempotency_key, client_timezone=payload.timezone or "", wishes=payload.wishes,
        wish_product_ids=payload.product_ids, external_url=payload.external_url,
    )  # fmt: skip
    return Status(201 if created else 200, _appointment_out(selectors.access_appointment(actor, appointment.pk)))


@router.get("/boutiques/{slug}/appointments/{appointment_id}", response={200: AppointmentOut, **ERRORS}, auth=AUTH)
def appointment_detail(request, slug: SLUG, appointment_id: ID):
    actor = request_actor(request, slug)
    return _appointment_out(selectors.access_appointment(actor, appointment_id))


@router.post("/boutiques/{slug}/appointments/{appointment_id}/reschedule", response={200: AppointmentOut, **ERRORS},
             auth=AUTH)  # fmt: skip
def reschedule(request, slug: SLUG, appointment_id: ID, payload: RescheduleIn):
    actor = request_actor(request, slug)
    appointment = selectors.access_appointment(actor, appointment_id)
    if payload.associate_id is not None:
        selectors.access_associate(actor, payload.associate_id)
    services.appointment_reschedule(actor=actor, appointment=appointment, starts_at=payload.starts_at,
                                    associate_id=payload.associate_id)  # fmt: skip
    return _appointment_out(selectors.access_appointment(actor, appointment_id))


@router.post("/boutiques/{slug}/appointments/{appointment_id}/cancel", response={200: AppointmentOut, **ERRORS},
             auth=AUTH)  # fmt: skip
def cancel(request, slug: SLUG, appointment_id: ID, payload: CancelIn):
    actor = request_actor(request, slug)
    services.appointment_cancel(actor=actor, appointment=selectors.access_appointment(actor, appointment_id),
                                reason=payload.reason)  # fmt: skip
    return _appointment_out(selectors.access_appointment(actor, appointment_id))


@router.post("/boutiques/{slug}/appointments/{appointment_id}/no-show", response={200: AppointmentOut, **ERRORS},
             auth=AUTH)  # fmt: skip
def no_show(request, slug: SLUG, appointment_id: ID):
    """She did not come (once the start has passed: 409 appointment_not_started before)."""
    actor = request_actor(request, slug)
    services.appointment_no_show(actor=actor, appointment=selectors.access_appointment(actor, appointment_id))
    return _appointment_out(selectors.access_appointment(actor, appointment_id))


@router.post("/boutiques/{slug}/appointments/{appointment_id}/complete", response={200: AppointmentOut, **ERRORS},
             auth=AUTH)  # fmt: skip
def complete(request, slug: SLUG, appointment_id: ID, payload: CompleteIn):
    """It took place: a follow-up task for her associate, due the next day."""
    actor = request_actor(request, slug)
    services.appointment_complete(actor=actor, appointment=selectors.access_appointment(actor, appointment_id),
                                  note=payload.note)  # fmt: skip
    return _appointment_out(selectors.access_appointment(actor, appointment_id))


@router.put("/boutiques/{slug}/appointments/{appointment_id}/meeting-link", response={200: AppointmentOut, **ERRORS},
            auth=AUTH)  # fmt: skip
def meeting_link(request, slug: SLUG, appointment_id: ID, payload: MeetingLinkIn):
    """The associate's own Zoom, Meet or FaceTime link (https) instead of the built-in room."""
    actor = request_actor(request, slug)
    services.appointment_link_set(actor=actor, appointment=selectors.access_appointment(actor, appointment_id),
                                  external_url=payload.external_url)  # fmt: skip
    return _appointment_out(selectors.access_appointment(actor, appointment_id))


@router.post("/boutiques/{slug}/appointments/{appointment_id}/pull-list", response={201: AppointmentOut, **ERRORS},
             auth=AUTH)  # fmt: skip
def pull_add(request, slug: SLUG, appointment_id: ID, payload: PullIn):
    """Put an item aside for the appointment (a hold until its end plus the buffer)."""
    actor = request_actor(request, slug)
    appointment = selectors.access_appointment(actor, appointment_id)
    location = access_location(actor, payload.location) if payload.location else None
    services.pull_item_add(actor=actor, appointment=appointment, variant=access_variant(actor, payload.sku),
                           location=location, quantity=payload.quantity)  # fmt: skip
    return Status(201, _appointment_out(selectors.access_appointment(actor, appointment_id)))


@router.delete("/boutiques/{slug}/appointments/{appointment_id}/pull-list/{item_id}",
               response={200: AppointmentOut, **ERRORS}, auth=AUTH)  # fmt: skip
def pull_remove(request, slug: SLUG, appointment_id: ID, item_id: ID):
    actor = request_actor(request, slug)
    appointment = selectors.access_appointment(actor, appointment_id)
    services.pull_item_remove(actor=actor, appointment=appointment,
                              item=selectors.access_pull_item(actor, appointment, item_id))  # fmt: skip
    return _appointment_out(selectors.access_appointment(actor, appointment_id))


@router.post("/boutiques/{slug}/appointments/{appointment_id}/join", response={200: JoinOut, **ERRORS}, auth=AUTH)
def host_join(request, slug: SLUG, appointment_id: ID):
    """The associate's way into the room (as host), from 30 minutes before until the hard cap."""
    actor = request_actor(request, slug)
    appointment = selectors.access_appointment(actor, appointment_id)
    services.host_check(actor=actor, appointment=appointment)
    return _join(appointment, host=True)


@router.post("/boutiques/{slug}/appointments/{appointment_id}/room", response={200: JoinOut, **ERRORS}, auth=AUTH)
def host_room(request, slug: SLUG, appointment_id: ID):
    """The associate's room page (the shared cart, "Send a pay link", "Finish"), whatever the video
    provider; the same window and permissions as `join`."""
    actor = request_actor(request, slug)
    appointment = selectors.access_appointment(actor, appointment_id)
    services.host_check(actor=actor, appointment=appointment)
    return _join(appointment, host=True, room_page=True)
