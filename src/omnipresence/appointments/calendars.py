"""Writes of appointment types and their calendars: the types a shop offers, their own weekly hours,
a shop's appointment rules, associates' working hours and time off; and the checks the other
writes share (who may look after whose calendar, periods, shops). Re-exported by services."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from omnipresence.appointments import selectors, video
from omnipresence.appointments.errors import NotYourAppointment
from omnipresence.appointments.lock_objects import calendars_lock
from omnipresence.appointments.models import (
    Appointment,
    AppointmentType,
    ScheduleRule,
    TimeOff,
    TypeHours,
    WorkingHours,
)
from omnipresence.core.errors import InvalidInput
from omnipresence.core.validation import clean_text, same_boutique
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Location, StaffMember

BOOK, MANAGE = selectors.VIEW, selectors.MANAGE
MODE_OF_KIND = {
    AppointmentType.Kind.VIDEO_CONSULTATION: AppointmentType.Mode.VIDEO,
    AppointmentType.Kind.VIRTUAL_TOUR: AppointmentType.Mode.VIDEO,
    AppointmentType.Kind.PHONE_CALL: AppointmentType.Mode.PHONE,
    AppointmentType.Kind.IN_STORE_STYLING: AppointmentType.Mode.IN_STORE,
}
LIMITS = {  # field: (lowest, highest)
    "duration_minutes": (5, 480), "cap_minutes": (5, 600), "buffer_before_minutes": (0, 240),
    "buffer_after_minutes": (0, 240), "min_notice_minutes": (0, 60 * 24 * 30), "horizon_days": (1, 365),
    "capacity": (1, 50), "slot_step_minutes": (5, 240),
}  # fmt: skip
MAX_PERIODS = 28
MAX_WISH_PRODUCTS = 20


def local_label(moment: datetime, zone: str) -> str:
    """A moment as the shop reads it, for timelines and notes: "Mon 07 Dec 2026 10:00"."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%a %d %b %Y %H:%M")


# --- small checks ----------------------------------------------------------------------------


def _whole(value, field: str) -> int:
    low, high = LIMITS[field]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{field} is a whole number from {low} to {high}.", code="invalid_input",
                           details={"field": field})  # fmt: skip
    return value


def _aware(value, field: str) -> datetime:
    """The moment in UTC. A time in a zone with summer time (a ZoneInfo) adds wall-clock minutes:
    30 minutes after 01:45 on the night the clocks go back would be 90 real ones. In UTC every
    duration, buffer and cap below is exact."""
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise InvalidInput(f"{field} must be a date and time with a time zone.", code="invalid_datetime",
                           details={"field": field})  # fmt: skip
    return value.astimezone(UTC)


def _periods(periods) -> list[tuple[int, time, time]]:
    if not isinstance(periods, list | tuple) or len(periods) > MAX_PERIODS:
        raise InvalidInput(f"At most {MAX_PERIODS} periods.", code="too_many_periods")
    cleaned = []
    for weekday, starts, ends in periods:
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise InvalidInput("weekday is 0 (Monday) to 6 (Sunday).", code="invalid_weekday")
        if not isinstance(starts, time) or not isinstance(ends, time) or starts >= ends:
            raise InvalidInput("Each period starts before it ends.", code="invalid_period")
        cleaned.append((weekday, starts.replace(second=0, microsecond=0), ends.replace(second=0, microsecond=0)))
    by_day: dict[int, list[tuple[time, time]]] = {}
    for weekday, starts, ends in sorted(cleaned):
        day = by_day.setdefault(weekday, [])
        if day and starts < day[-1][1]:
            raise InvalidInput("Periods of one day may not overlap.", code="overlapping_periods")
        day.append((starts, ends))
    return cleaned


def _shop(actor: Actor, location: Location) -> Location:
    same_boutique(actor, location)
    if location.kind != Location.Kind.SHOP or not location.is_active:
        raise InvalidInput("Appointments belong to an active shop.", code="not_a_shop")
    return location


def _staff(actor: Actor, associate) -> StaffMember:
    member = StaffMember.objects.filter(boutique=actor.boutique, user_id=getattr(associate, "pk", None),
                                        is_active=True).first()  # fmt: skip
    if member is None:
        raise InvalidInput("That person is not on this boutique's staff.", code="associate_not_found")
    return member


def _own_or_manage(actor: Actor, associate_id: int | None) -> None:
    """An associate looks after her own calendar and appointments; a manager after everyone's."""
    actor.require(BOOK)
    if associate_id != actor.user_id and not actor.can(MANAGE):
        raise NotYourAppointment()


def host_check(*, actor: Actor, appointment: Appointment) -> None:
    """Her associate, or a manager, looks after an appointment (NotYourAppointment otherwise)."""
    same_boutique(actor, appointment)
    _own_or_manage(actor, appointment.associate_id)


# --- types and calendars ---------------------------------------------------------------------


def _type_fields(fields: dict, current: AppointmentType | None) -> dict:
    cleaned = {}
    for field in LIMITS:
        if field in fields and fields[field] is not None:
            cleaned[field] = _whole(fields[field], field)
    if "name" in fields and fields["name"] is not None:
        cleaned["name"] = clean_text(fields["name"], "name", 120)
        if not cleaned["name"]:
            raise InvalidInput("name is required.", code="required", details={"field": "name"})
    if "description" in fields and fields["description"] is not None:
        cleaned["description"] = clean_text(fields["description"], "description", 500)
    if "schedule" in fields and fields["schedule"] is not None:
        if fields["schedule"] not in AppointmentType.Schedule.values:
            raise InvalidInput(f"schedule is one of {', '.join(AppointmentType.Schedule.values)}.",
                               code="invalid_schedule")  # fmt: skip
        cleaned["schedule"] = fields["schedule"]
    if "is_active" in fields and fields["is_active"] is not None:
        cleaned["is_active"] = bool(fields["is_active"])
    merged = {f: getattr(current, f) for f in LIMITS} if current else {}
    merged.update(cleaned)
    duration = merged.get("duration_minutes")
    cap = merged.get("cap_minutes") or duration
    if duration and cap < duration:
        raise InvalidInput("The hard cap cannot be shorter than the appointment.", code="cap_below_duration")
    if current is None:
        cleaned.setdefault("cap_minutes", cap)
        cleaned.setdefault("slot_step_minutes", min(duration, 60) if duration else 30)
    mode = (current.mode if current else fields.get("mode")) or ""
    if "video_provider" in fields and fields["video_provider"] is not None:
        name = fields["video_provider"]
        if name and mode != AppointmentType.Mode.VIDEO:
            raise InvalidInput("Only a video appointment has a video provider.", code="invalid_video_provider")
        if name:
            video.provider_for(name).check()
        cleaned["video_provider"] = name
    return cleaned


def type_create(*, actor: Actor, location: Location, kind: str, name: str, duration_minutes: int,
                mode: str = "", **fields) -> AppointmentType:  # fmt: skip
    """A kind of appointment a shop offers (managers). Mode follows the kind unless given."""
    actor.require(MANAGE)
    location = _shop(actor, location)
    if kind not in AppointmentType.Kind.values:
        raise InvalidInput(f"kind is one of {', '.join(AppointmentType.Kind.values)}.", code="invalid_kind")
    mode = mode or MODE_OF_KIND[kind]
    if mode not in AppointmentType.Mode.values:
        raise InvalidInput(f"mode is one of {', '.join(AppointmentType.Mode.values)}.", code="invalid_mode")
    cleaned = _type_fields({**fields, "name": name, "duration_minutes": duration_minutes, "mode": mode}, None)
    return AppointmentType.objects.create(boutique=actor.boutique, location=location, kind=kind, mode=mode,
                                          **cleaned)  # fmt: skip


def type_update(*, actor: Actor, appointment_type: AppointmentType, **fields) -> AppointmentType:
    actor.require(MANAGE)
    same_boutique(actor, appointment_type)
    cleaned = _type_fields(fields, appointment_type)
    with transaction.atomic():
        locked = AppointmentType.objects.select_for_update().get(pk=appointment_type.pk)
        for field, value in cleaned.items():
            setattr(locked, field, value)
        locked.save(update_fields=list(cleaned) or None)
    return selectors.type_queryset(boutique=actor.boutique).get(pk=locked.pk)


def type_hours_set(*, actor: Actor, appointment_type: AppointmentType, periods) -> list[TypeHours]:
    """Replace the type's own weekly hours (used with schedule "add" or "own")."""
    actor.require(MANAGE)
    same_boutique(actor, appointment_type)
    cleaned = _periods(periods)
    with transaction.atomic():
        AppointmentType.objects.select_for_update().get(pk=appointment_type.pk)
        TypeHours.objects.filter(appointment_type=appointment_type).delete()
        return TypeHours.objects.bulk_create(
            TypeHours(boutique=actor.boutique, appointment_type=appointment_type, weekday=w, starts=s, ends=e)
            for w, s, e in cleaned
        )


def rule_add(
    *, actor: Actor, location: Location, kind: str, weekday: int | None = None, day: date | None = None,
    starts: time | None = None, ends: time | None = None, appointment_type: AppointmentType | None = None,
    note: str = "",
) -> ScheduleRule:  # fmt: skip
    """A rule of the shop's appointment calendar: weekly (virtual only on Mondays) or dated (closed
    on a holiday, special hours); for one type or all of the shop's."""
    actor.require(MANAGE)
    location = _shop(actor, location)
    if appointment_type is not None:
        same_boutique(actor, appointment_type)
        if appointment_type.location_id != location.pk:
            raise InvalidInput("That type belongs to another shop.", code="wrong_location")
    if kind not in ScheduleRule.Kind.values:
        raise InvalidInput(f"kind is one of {', '.join(ScheduleRule.Kind.values)}.", code="invalid_rule_kind")
    if (weekday is None) == (day is None):
        raise InvalidInput("Give a weekday (every week) or a date, not both.", code="invalid_rule")
    if weekday is not None and (isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6):
        raise InvalidInput("weekday is 0 (Monday) to 6 (Sunday).", code="invalid_weekday")
    if kind == ScheduleRule.Kind.HOURS:
        if day is None or starts is None or ends is None or starts >= ends:
            raise InvalidInput("Special hours are for a date, with a start before the end.", code="invalid_rule")
    elif starts is not None or ends is not None:
        raise InvalidInput("Only special hours have times.", code="invalid_rule")
    return ScheduleRule.objects.create(
        boutique=actor.boutique, location=location, appointment_type=appointment_type, weekday=weekday, date=day,
        kind=kind, starts=starts, ends=ends, note=clean_text(note, "note", 120),
    )  # fmt: skip


def rule_remove(*, actor: Actor, rule: ScheduleRule) -> None:
    actor.require(MANAGE)
    same_boutique(actor, rule)
    ScheduleRule.objects.filter(pk=rule.pk).delete()


def working_hours_set(*, actor: Actor, associate, location: Location, periods) -> list[WorkingHours]:
    """Replace when `associate` takes appointments at `location` (her own, or a manager's call)."""
    member = _staff(actor, associate)
    _own_or_manage(actor, member.user_id)
    location = _shop(actor, location)
    cleaned = _periods(periods)
    with transaction.atomic():
        calendars_lock(actor.boutique.pk, [member.user_id])
        WorkingHours.objects.filter(boutique=actor.boutique, associate_id=member.user_id, location=location).delete()
        return WorkingHours.objects.bulk_create(
            WorkingHours(boutique=actor.boutique, associate_id=member.user_id, location=location, weekday=w,
                         starts=s, ends=e)  # fmt: skip
            for w, s, e in cleaned
        )


def time_off_add(*, actor: Actor, associate, starts_at: datetime, ends_at: datetime, note: str = "") -> TimeOff:
    """Time off: no new appointments then (booked ones stay: the associate moves them)."""
    member = _staff(actor, associate)
    _own_or_manage(actor, member.user_id)
    starts_at, ends_at = _aware(starts_at, "starts_at"), _aware(ends_at, "ends_at")
    if starts_at >= ends_at or ends_at - starts_at > timedelta(days=366):
        raise InvalidInput("Time off starts before it ends and lasts at most a year.", code="invalid_period")
    with transaction.atomic():
        calendars_lock(actor.boutique.pk, [member.user_id])
        return TimeOff.objects.create(boutique=actor.boutique, associate_id=member.user_id, starts_at=starts_at,
                                      ends_at=ends_at, note=clean_text(note, "note", 120))  # fmt: skip


def time_off_remove(*, actor: Actor, time_off: TimeOff) -> None:
    same_boutique(actor, time_off)
    _own_or_manage(actor, time_off.associate_id)
    TimeOff.objects.filter(pk=time_off.pk).delete()
