"""Reads of appointments, always scoped to one boutique: accessors for user-supplied ids, the
calendar snapshot slots are computed from (a fixed number of queries, whatever the range), and
the appointment lists of the console."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Max, Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from omnipresence.appointments import availability
from omnipresence.appointments.errors import AppointmentNotFound, AppointmentTypeNotFound
from omnipresence.appointments.models import (
    Appointment,
    AppointmentType,
    PullItem,
    ScheduleRule,
    SlotHold,
    TimeOff,
    TypeHours,
    WorkingHours,
)
from omnipresence.core.errors import NotFound
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Boutique, HoursException, StaffMember
from omnipresence.stores.selectors import hours_on

VIEW = "appointments.book"
MANAGE = "appointments.manage"
MAX_RANGE_DAYS = 62
PAD = timedelta(days=2)  # reads around a range: buffers and long appointments reach across it


def type_queryset(*, boutique: Boutique) -> QuerySet[AppointmentType]:
    return AppointmentType.objects.filter(boutique=boutique).select_related("location__boutique", "boutique")


def access_type(actor: Actor, type_id: int) -> AppointmentType:
    actor.require(VIEW)
    found = type_queryset(boutique=actor.boutique).filter(pk=type_id).first()
    if found is None:
        raise AppointmentTypeNotFound(f"No appointment type {type_id} in this boutique.")
    return found


def public_type(*, boutique: Boutique, type_id: int) -> AppointmentType:
    """An active type of this boutique, for the storefront; another boutique's is not found."""
    found = type_queryset(boutique=boutique).filter(pk=type_id, is_active=True, location__is_active=True).first()
    if found is None:
        raise AppointmentTypeNotFound(f"No appointment type {type_id} in this boutique.")
    return found


def type_list(*, boutique: Boutique, include_inactive: bool = False) -> QuerySet[AppointmentType]:
    queryset = type_queryset(boutique=boutique).prefetch_related("hours")
    return queryset if include_inactive else queryset.filter(is_active=True, location__is_active=True)


def access_associate(actor: Actor, associate_id: int):
    """A user on the actor's boutique staff, by user id."""
    member = (
        StaffMember.objects.select_related("user")
        .filter(boutique=actor.boutique, is_active=True, user_id=associate_id)
        .first()
    )
    if member is None:
        raise NotFound(f"No associate {associate_id} in this boutique.", code="associate_not_found")
    return member.user


def access_rule(actor: Actor, rule_id: int) -> ScheduleRule:
    actor.require(MANAGE)
    rule = ScheduleRule.objects.filter(boutique=actor.boutique, pk=rule_id).first()
    if rule is None:
        raise NotFound(f"No appointment rule {rule_id}.", code="appointment_rule_not_found")
    return rule


def access_time_off(actor: Actor, time_off_id: int) -> TimeOff:
    actor.require(VIEW)
    found = TimeOff.objects.filter(boutique=actor.boutique, pk=time_off_id).first()
    if found is None:
        raise NotFound(f"No time off {time_off_id}.", code="time_off_not_found")
    return found


def appointment_queryset(*, boutique: Boutique) -> QuerySet[Appointment]:
    return Appointment.objects.filter(boutique=boutique).select_related(
        "appointment_type", "location__boutique", "boutique", "associate", "client"
    )


def access_appointment(actor: Actor, appointment_id: int) -> Appointment:
    actor.require(VIEW)
    found = appointment_queryset(boutique=actor.boutique).filter(pk=appointment_id).first()
    if found is None:
        raise AppointmentNotFound(f"No appointment {appointment_id} in this boutique.")
    return found


def access_pull_item(actor: Actor, appointment: Appointment, item_id: int) -> PullItem:
    item = (
        PullItem.objects.select_related("hold__variant", "hold__location")
        .filter(boutique=actor.boutique, appointment=appointment, pk=item_id)
        .first()
    )
    if item is None:
        raise NotFound(f"No item {item_id} on this appointment's pull list.", code="pull_item_not_found")
    return item


def pull_list(appointment: Appointment) -> list[PullItem]:
    return list(
        PullItem.objects.filter(appointment=appointment, removed_at__isnull=True)
        .select_related("hold__variant__product", "hold__location")
        .order_by("created_at", "pk")
    )


def appointment_list(
    *, actor: Actor, associate_id: int | None = None, day: date | None = None, status: str | None = None
) -> QuerySet[Appointment]:
    """The boutique's appointments, soonest first; `day` is a day of the boutique's zone."""
    actor.require(VIEW)
    queryset = appointment_queryset(boutique=actor.boutique).prefetch_related(
        Prefetch("pull_items", queryset=PullItem.objects.filter(removed_at__isnull=True)
                 .select_related("hold__variant__product", "hold__location"))
    )  # fmt: skip
    if associate_id is not None:
        queryset = queryset.filter(associate_id=associate_id)
    if status:
        queryset = queryset.filter(status=status)
    if day is not None:
        zone = ZoneInfo(actor.boutique.timezone)
        start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
        queryset = queryset.filter(starts_at__gte=start, starts_at__lt=end)
    return queryset.order_by("starts_at", "pk")


def appointment_by_nonce(*, boutique: Boutique, appointment_id: int) -> Appointment | None:
    return appointment_queryset(boutique=boutique).filter(pk=appointment_id).first()


def type_associates(appointment_type: AppointmentType) -> list:
    """The users who take this type (`eligible_associates`), by first name: her "with …" choice."""
    from django.contrib.auth import get_user_model

    ids = eligible_associates(appointment_type)
    return list(get_user_model().objects.filter(pk__in=ids).order_by("first_name", "username", "pk"))


def live_slot_hold(*, appointment_type: AppointmentType, token: str, now: datetime | None = None) -> SlotHold | None:
    """Her slot hold of this type by its token, while it lasts (the booking page's form)."""
    if not token:
        return None
    return (SlotHold.objects.filter(appointment_type=appointment_type, token=token,
                                    expires_at__gt=now or timezone.now()).select_related("associate").first())  # fmt: skip


# --- the calendar snapshot -------------------------------------------------------------------


def type_spec(appointment_type: AppointmentType) -> availability.TypeSpec:
    t = appointment_type
    return availability.TypeSpec(
        id=t.pk, in_store=t.mode == AppointmentType.Mode.IN_STORE, duration=timedelta(minutes=t.duration_minutes),
        cap=timedelta(minutes=t.cap_minutes), before=timedelta(minutes=t.buffer_before_minutes),
        after=timedelta(minutes=t.buffer_after_minutes), notice=timedelta(minutes=t.min_notice_minutes),
        horizon=timedelta(days=t.horizon_days), capacity=t.capacity, step=timedelta(minutes=t.slot_step_minutes),
        schedule=t.schedule, tz=ZoneInfo(t.location.tz_name),
    )  # fmt: skip


def eligible_associates(appointment_type: AppointmentType) -> list[int]:
    """Active staff with working hours at the type's shop (user ids, ascending)."""
    return sorted(
        set(
            WorkingHours.objects.filter(
                boutique_id=appointment_type.boutique_id, location_id=appointment_type.location_id,
                associate__memberships__boutique_id=appointment_type.boutique_id,
                associate__memberships__is_active=True,
            ).values_list("associate_id", flat=True)
        )
    )  # fmt: skip


def associates_in_turn(appointment_type: AppointmentType, associate_ids: list[int], *, preferred: int | None = None) -> list[int]:
    """Round robin: her own associate first, then whoever was given this type's booking longest ago."""
    last = dict(
        Appointment.objects.filter(appointment_type=appointment_type, associate_id__in=associate_ids)
        .values("associate_id").annotate(latest=Max("created_at")).values_list("associate_id", "latest")
    )  # fmt: skip
    never = datetime.min.replace(tzinfo=UTC)
    ordered = sorted(associate_ids, key=lambda a: (a != preferred, last.get(a) or never, a))
    return ordered


def calendar_snapshot(
    appointment_type: AppointmentType, *, start: datetime, end: datetime, associate_ids: list[int],
    now: datetime | None = None, except_appointment_id: int | None = None, except_hold_token: str = "",
) -> availability.Snapshot:  # fmt: skip
    """Everything slots in [start, end) depend on, read in nine queries."""
    now = now or timezone.now()
    spec = type_spec(appointment_type)
    location = appointment_type.location
    days = availability.local_days(start, end, spec.tz)
    low, high = start - PAD, end + PAD
    snapshot = availability.Snapshot(spec=spec)
    for row in TypeHours.objects.filter(appointment_type=appointment_type):
        snapshot.own_hours.setdefault(row.weekday, []).append((row.starts, row.ends))
    rules = ScheduleRule.objects.filter(
        Q(appointment_type__isnull=True) | Q(appointment_type=appointment_type),
        Q(weekday__isnull=False) | Q(date__gte=days[0], date__lte=days[-1]),
        location=location,
    )
    for rule in rules:
        if rule.date is not None:
            snapshot.dated_rules.setdefault(rule.date, []).append((rule.kind, rule.starts, rule.ends))
        else:
            snapshot.weekly_rules.setdefault(rule.weekday, set()).add(rule.kind)
    prefetch_related_objects(
        [location], "opening_hours",
        Prefetch("hours_exceptions", queryset=HoursException.objects.filter(date__gte=days[0], date__lte=days[-1])),
    )  # fmt: skip
    snapshot.shop_closed = {e.date for e in location.hours_exceptions.all() if e.closed}
    for day in days:
        snapshot.shop_hours[day] = list(hours_on(location, day).periods)
    if associate_ids:
        hours = WorkingHours.objects.filter(location=location, associate_id__in=associate_ids)
        for associate_id, weekday, starts, ends in hours.values_list("associate_id", "weekday", "starts", "ends"):
            snapshot.working.setdefault(associate_id, {}).setdefault(weekday, []).append((starts, ends))
        blocked: dict[int, list] = {a: [] for a in associate_ids}
        booked = Appointment.objects.filter(
            associate_id__in=associate_ids, status=Appointment.Status.BOOKED, blocked_from__lt=high,
            blocked_until__gt=low,
        ).exclude(pk=except_appointment_id or 0)  # fmt: skip
        for associate_id, a, b in booked.values_list("associate_id", "blocked_from", "blocked_until"):
            blocked[associate_id].append((a, b))
        holds = SlotHold.objects.filter(
            associate_id__in=associate_ids, expires_at__gt=now, blocked_from__lt=high, blocked_until__gt=low
        ).exclude(token=except_hold_token or "-")
        for associate_id, a, b in holds.values_list("associate_id", "blocked_from", "blocked_until"):
            blocked[associate_id].append((a, b))
        off = TimeOff.objects.filter(associate_id__in=associate_ids, starts_at__lt=high, ends_at__gt=low)
        for associate_id, a, b in off.values_list("associate_id", "starts_at", "ends_at"):
            blocked[associate_id].append((a, b))
        snapshot.busy = {a: availability.merge_intervals(ranges) for a, ranges in blocked.items()}
    same_type = Appointment.objects.filter(
        appointment_type=appointment_type, status=Appointment.Status.BOOKED, starts_at__lt=high, ends_at__gt=low
    ).exclude(pk=except_appointment_id or 0)
    snapshot.type_busy = list(same_type.values_list("starts_at", "ends_at"))
    type_holds = SlotHold.objects.filter(
        appointment_type=appointment_type, expires_at__gt=now, starts_at__lt=high, ends_at__gt=low
    ).exclude(token=except_hold_token or "-")
    snapshot.type_busy += list(type_holds.values_list("starts_at", "ends_at"))
    return snapshot


def slots_for(
    appointment_type: AppointmentType, *, start: datetime, end: datetime, associate_id: int | None = None,
    preferred: int | None = None, now: datetime | None = None, except_appointment_id: int | None = None,
    except_hold_token: str = "", ignore_busy: bool = False,
) -> list[availability.Slot]:  # fmt: skip
    """Free slots of a type starting in [start, end): for one associate, or for any (each slot
    lists the free associates in round-robin order, `preferred` first)."""
    now = now or timezone.now()
    candidates = eligible_associates(appointment_type)
    if associate_id is not None:
        candidates = [associate_id] if associate_id in candidates else []
    if not candidates:
        return []
    ordered = associates_in_turn(appointment_type, candidates, preferred=preferred)
    snapshot = calendar_snapshot(
        appointment_type, start=start, end=end, associate_ids=ordered, now=now,
        except_appointment_id=except_appointment_id, except_hold_token=except_hold_token,
    )  # fmt: skip
    return availability.compute_slots(snapshot, start=start, end=end, now=now, associates=ordered,
                                      ignore_busy=ignore_busy)  # fmt: skip


def working_hours_of(*, actor: Actor, associate) -> QuerySet[WorkingHours]:
    actor.require(VIEW)
    return WorkingHours.objects.filter(boutique=actor.boutique, associate=associate).select_related("location")


def time_off_of(*, actor: Actor, associate) -> QuerySet[TimeOff]:
    actor.require(VIEW)
    return TimeOff.objects.filter(boutique=actor.boutique, associate=associate, ends_at__gt=timezone.now())


def rule_list(*, actor: Actor) -> QuerySet[ScheduleRule]:
    actor.require(VIEW)
    return ScheduleRule.objects.filter(boutique=actor.boutique).select_related("location")


# --- the console's calendar ------------------------------------------------------------------

CALENDAR_LIMIT = 500


def _calendar_filter(queryset: QuerySet[Appointment], *, associate_id: int | None, location_id: int | None):
    if associate_id is not None:
        queryset = queryset.filter(associate_id=associate_id)
    if location_id is not None:
        queryset = queryset.filter(location_id=location_id)
    return queryset


def calendar_appointments(
    *, actor: Actor, start: datetime, end: datetime, associate_id: int | None = None, location_id: int | None = None,
    include_cancelled: bool = False,
) -> list[Appointment]:  # fmt: skip
    """Appointments starting in [start, end) with their type, shop, associate and client: one
    query, whatever their number (at most CALENDAR_LIMIT), soonest first."""
    actor.require(VIEW)
    queryset = appointment_queryset(boutique=actor.boutique).filter(starts_at__gte=start, starts_at__lt=end)
    queryset = _calendar_filter(queryset, associate_id=associate_id, location_id=location_id)
    if not include_cancelled:
        queryset = queryset.exclude(status=Appointment.Status.CANCELLED)
    return list(queryset.order_by("starts_at", "pk")[:CALENDAR_LIMIT])


def next_booked(*, actor: Actor, after: datetime, associate_id: int | None = None,
                location_id: int | None = None) -> Appointment | None:  # fmt: skip
    """The first booked appointment from `after` on (for an empty day: "your next one is …")."""
    actor.require(VIEW)
    queryset = Appointment.objects.filter(boutique=actor.boutique, status=Appointment.Status.BOOKED,
                                          starts_at__gte=after)  # fmt: skip
    return _calendar_filter(queryset, associate_id=associate_id, location_id=location_id).order_by("starts_at", "pk").first()


def calendar_associates(*, actor: Actor) -> list:
    """The boutique's active staff (users), by name, for the calendar's associate filter."""
    actor.require(VIEW)
    members = (StaffMember.objects.filter(boutique=actor.boutique, is_active=True).select_related("user")
               .order_by("user__first_name", "user__username"))  # fmt: skip
    return [m.user for m in members]


def follow_up_task(appointment: Appointment):
    """The task a completion made for her associate (appointment_complete), if it is still there."""
    from omnipresence.clienteling.models import Task

    if appointment.completed_at is None:
        return None
    return (
        Task.objects.filter(boutique_id=appointment.boutique_id, ref_kind="appointment", ref_id=appointment.pk)
        .select_related("assignee").order_by("created_at", "pk").first()
    )  # fmt: skip
