"""Pull lists: the items an associate puts aside for an appointment, each an inventory hold owned by
"appointment:<id>" that lasts until its end plus the buffer after; they follow a reschedule and go
back on sale when it is cancelled or she does not come. Re-exported by services."""

import logging

from django.db import transaction
from django.utils import timezone

from omnipresence.appointments.calendars import BOOK, local_label
from omnipresence.appointments.errors import AppointmentNotActive
from omnipresence.appointments.lock_objects import appointment_lock_booked
from omnipresence.appointments.models import Appointment, PullItem
from omnipresence.core.validation import same_boutique
from omnipresence.stores.access import Actor, system_actor
from omnipresence.stores.models import Location

log = logging.getLogger(__name__)


def pull_list_follow(appointment: Appointment, actor: Actor | None) -> None:
    from omnipresence.inventory import services as inventory
    from omnipresence.inventory.models import Hold

    acting = actor if actor is not None and actor.can("inventory.hold") else system_actor(appointment.boutique)
    for item in PullItem.objects.filter(appointment=appointment, removed_at__isnull=True).select_related("hold"):
        if item.hold.status != Hold.Status.ACTIVE:
            continue
        try:
            inventory.hold_extend(actor=acting, hold=item.hold, expires_at=appointment.blocked_until)
        except Exception as error:  # beyond a hold's longest life: it ends at its old time
            log.info("appointment %s: pull-list hold %s kept its expiry (%s)", appointment.pk, item.hold_id, error)


def pull_list_release(appointment: Appointment, actor: Actor | None, reason: str) -> int:
    from omnipresence.inventory import services as inventory
    from omnipresence.inventory.models import Hold

    acting = actor if actor is not None and actor.can("inventory.hold") else system_actor(appointment.boutique)
    released = 0
    for item in PullItem.objects.filter(appointment=appointment, removed_at__isnull=True).select_related("hold"):
        if item.hold.status == Hold.Status.ACTIVE:
            inventory.hold_release(actor=acting, hold=item.hold, reason=reason)
            released += 1
        PullItem.objects.filter(pk=item.pk).update(removed_at=timezone.now())
    return released


#---------------------------------------------------------------------------


def pull_item_add(*, actor: Actor, appointment: Appointment, variant, location: Location | None = None,
                  quantity: int = 1) -> PullItem:  # fmt: skip
    """Put an item aside for the appointment: a hold owned by "appointment:<id>" that lasts until
    the end plus the buffer (refused beyond a hold's longest life: add it nearer the day)."""
    from omnipresence.inventory import services as inventory

    actor.require(BOOK)
    same_boutique(actor, appointment, variant, location)
    with transaction.atomic():
        locked = appointment_lock_booked(appointment)
        if locked.blocked_until <= timezone.now():
            raise AppointmentNotActive("This appointment is over.", code="appointment_over")
        hold = inventory.hold_place(
            actor=actor, location=location or locked.location, variant=variant, quantity=quantity, kind="client",
            owner_ref=f"appointment:{locked.pk}", expires_at=locked.blocked_until,
            note=f"Pull list: {locked.appointment_type.name}, {local_label(locked.starts_at, locked.location.tz_name)}",
        )  # fmt: skip
        return PullItem.objects.create(boutique=actor.boutique, appointment=locked, hold=hold,
                                       added_by_label=actor.label[:160])  # fmt: skip


def pull_item_remove(*, actor: Actor, appointment: Appointment, item: PullItem) -> PullItem:
    from omnipresence.inventory import services as inventory
    from omnipresence.inventory.models import Hold

    actor.require(BOOK)
    same_boutique(actor, appointment, item)
    with transaction.atomic():
        Appointment.objects.select_for_update().get(pk=appointment.pk)
        current = PullItem.objects.select_related("hold").get(pk=item.pk)
        if current.removed_at is not None:
            return current
        if current.hold.status == Hold.Status.ACTIVE:
            inventory.hold_release(actor=actor, hold=current.hold, reason="taken off the pull list")
        current.removed_at = timezone.now()
        current.save(update_fields=["removed_at"])
    return current
