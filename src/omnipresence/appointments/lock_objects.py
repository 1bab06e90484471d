"""Row locks of appointments, always taken in one order: the type, then the appointment being changed,
then associates' calendars by user id, then (pull lists) stock rows. On SQLite `select_for_update` is a
no-op and the IMMEDIATE transaction serialises writers instead."""

from omnipresence.appointments.errors import AppointmentNotActive
from omnipresence.appointments.models import Appointment, AppointmentType, AssociateCalendar


def type_lock(type_id: int) -> AppointmentType:
    return (
        AppointmentType.objects.select_for_update(of=("self",))
        .select_related("location__boutique", "boutique")
        .get(pk=type_id)
    )


def calendars_lock(boutique_id: int, associate_ids: list[int]) -> None:
    """Their calendar rows, made the first time, locked in one statement in user-id order (so two
    bookings that want some of the same associates cannot deadlock)."""
    wanted = sorted(set(associate_ids))
    known = set(AssociateCalendar.objects.filter(boutique_id=boutique_id, associate_id__in=wanted)
                .values_list("associate_id", flat=True))  # fmt: skip
    missing = [AssociateCalendar(boutique_id=boutique_id, associate_id=a) for a in wanted if a not in known]
    if missing:
        AssociateCalendar.objects.bulk_create(missing, ignore_conflicts=True)  # a concurrent first booking
    list(
        AssociateCalendar.objects.select_for_update()
        .filter(boutique_id=boutique_id, associate_id__in=wanted)
        .order_by("associate_id")
    )


def appointment_lock_booked(appointment: Appointment) -> Appointment:
    locked = Appointment.objects.select_for_update(of=("self",)).select_related(
        "appointment_type", "location__boutique", "boutique", "client", "associate"
    ).get(pk=appointment.pk)
    if locked.status != Appointment.Status.BOOKED:
        raise AppointmentNotActive(f"This appointment is {locked.status}.", details={"status": locked.status})
    return locked
