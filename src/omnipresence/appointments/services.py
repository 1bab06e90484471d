"""Writes of appointments: slot holds, booking (no double booking), reschedule, cancel, no-show,
completion with its follow-up task, the pasted meeting link, merges and privacy. Types and their
calendars live in calendars.py, pull lists in pull_lists.py; both are re-exported here.

No double booking, in three layers (LESSONS 14): a short slot hold while she fills in the form;
a re-check inside the booking transaction, after the type's row is locked (bookings of one type
take turns, so its capacity holds) and then the chosen associate's calendar row (so a booking of
another type for her waits too); and, on PostgreSQL, the exclusion constraint on her blocked
ranges — the database refuses an overlap whatever the code did. On SQLite the IMMEDIATE
transaction serialises writers, which makes the re-check the guarantee. Locks are taken in one
order: the type, then the appointment being changed, then calendars by user id, then stock rows.
"""

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from omnipresence.appointments import invitations, selectors, video
from omnipresence.appointments.calendars import (  # re-exported: every write is reachable from here
    BOOK,
    MANAGE,
    MAX_PERIODS,
    _aware,
    _own_or_manage,
    host_check,
    local_label,
    rule_add,
    rule_remove,
    time_off_add,
    time_off_remove,
    type_create,
    type_hours_set,
    type_update,
    working_hours_set,
)
from omnipresence.appointments.errors import (
    AppointmentNotActive,
    IdempotencyConflict,
    NotYourAppointment,
    SlotHoldExpired,
    SlotTaken,
    SlotUnavailable,
)
from omnipresence.appointments.lock_objects import appointment_lock_booked, calendars_lock, type_lock
from omnipresence.appointments.models import Appointment, AppointmentType, SlotHold, TimeOff
from omnipresence.appointments.pull_lists import (  # re-exported
    pull_item_add,
    pull_item_remove,
    pull_list_follow,
    pull_list_release,
)
from omnipresence.clients.models import Client
from omnipresence.clients.services import client_identify, identity_normalise, timeline_add
from omnipresence.core.errors import Conflict, InvalidInput
from omnipresence.core.timeutil import validate_timezone
from omnipresence.core.validation import clean_text, same_boutique
from omnipresence.stores.access import Actor, system_actor

__all__ = [
    "MAX_PERIODS", "MAX_WISH_PRODUCTS", "appointment_book", "appointment_book_public", "appointment_cancel",
    "appointment_complete", "appointment_link_set", "appointment_no_show", "appointment_reschedule",
    "appointments_erase", "appointments_export", "appointments_merge", "appointments_merge_undo", "host_check",
    "pull_item_add", "pull_item_remove", "rule_add", "rule_remove", "slot_hold_place", "slot_holds_sweep",
    "time_off_add", "time_off_remove", "type_create", "type_hours_set", "type_update", "working_hours_set",
]  # fmt: skip

log = logging.getLogger(__name__)

MAX_WISH_PRODUCTS = 20


def hold_minutes() -> int:
    minutes = getattr(settings, "APPOINTMENT_HOLD_MINUTES", 5)
    return minutes if isinstance(minutes, int) and 1 <= minutes <= 60 else 5


def _free_under_lock(associate_id: int, blocked: tuple[datetime, datetime], *, now: datetime,
                     except_appointment_id: int | None, except_hold_token: str) -> bool:  # fmt: skip
    start, end = blocked
    booked = Appointment.objects.filter(
        associate_id=associate_id, status=Appointment.Status.BOOKED, blocked_from__lt=end, blocked_until__gt=start
    ).exclude(pk=except_appointment_id or 0)
    held = SlotHold.objects.filter(
        associate_id=associate_id, expires_at__gt=now, blocked_from__lt=end, blocked_until__gt=start
    ).exclude(token=except_hold_token or "-")
    off = TimeOff.objects.filter(associate_id=associate_id, starts_at__lt=end, ends_at__gt=start)
    return not (booked.exists() or held.exists() or off.exists())


def _pick_associate(
    appointment_type: AppointmentType, starts_at: datetime, *, now: datetime, associate_id: int | None = None,
    preferred: int | None = None, except_appointment_id: int | None = None, except_hold_token: str = "",
) -> int:  # fmt: skip
    """Under the type's lock: the associate who takes this slot (the one asked for, else her own
    associate if free, else round robin), her calendar locked and re-checked. SlotUnavailable when
    the time is not a slot at all, SlotTaken when it is but nobody is free any more."""
    window = {"start": starts_at, "end": starts_at + timedelta(microseconds=1), "associate_id": associate_id,
              "now": now, "except_appointment_id": except_appointment_id, "except_hold_token": except_hold_token}  # fmt: skip
    slots = selectors.slots_for(appointment_type, preferred=preferred, **window)
    slot = next((s for s in slots if s.starts_at == starts_at), None)
    if slot is None:
        offered = selectors.slots_for(appointment_type, ignore_busy=True, **window)
        if any(s.starts_at == starts_at for s in offered):
            raise SlotTaken()
        raise SlotUnavailable(
            "That time is not one of the slots offered (outside the hours, too soon, too far ahead, or off the "
            "slot times).", details={"starts_at": starts_at.isoformat()},
        )  # fmt: skip
    spec = selectors.type_spec(appointment_type)
    blocked = (starts_at - spec.before, starts_at + spec.duration + spec.after)
    # Every candidate's calendar at once, in user-id order; then tried in round-robin order.
    calendars_lock(appointment_type.boutique_id, list(slot.associates))
    for candidate in slot.associates:
        if _free_under_lock(candidate, blocked, now=now, except_appointment_id=except_appointment_id,
                            except_hold_token=except_hold_token):  # fmt: skip
            return candidate
    raise SlotTaken()


def _times(appointment_type: AppointmentType, starts_at: datetime) -> dict:
    spec = selectors.type_spec(appointment_type)
    ends_at = starts_at + spec.duration
    return {"starts_at": starts_at, "ends_at": ends_at, "cap_ends_at": starts_at + spec.cap,
            "blocked_from": starts_at - spec.before, "blocked_until": ends_at + spec.after}  # fmt: skip


# --- slot holds ------------------------------------------------------------------------------


MAX_HOLDS_PER_REQUESTER = 3  # live slot holds one requester (one address) keeps in a boutique


def requester_key(boutique_id: int, address: str) -> str:
    """What a slot hold remembers of who asked: a keyed hash of her network address, per boutique."""
    return hmac.new(settings.SECRET_KEY.encode(), f"slot-hold:{boutique_id}:{address}".encode(),
                    hashlib.sha256).hexdigest()[:64]  # fmt: skip


def slot_hold_place(*, appointment_type: AppointmentType, starts_at: datetime, associate_id: int | None = None,
                    preferred: int | None = None, requester: str = "", now: datetime | None = None) -> SlotHold:  # fmt: skip
    """Keep a slot for a few minutes (APPOINTMENT_HOLD_MINUTES) while she books; the token redeems it.
    One `requester` (requester_key of her address) keeps at most MAX_HOLDS_PER_REQUESTER slots of the
    boutique at once: a new one releases her oldest, so going back to pick another time just works
    and a script cannot keep a whole calendar blocked."""
    starts_at = _aware(starts_at, "starts_at")
    now = now or timezone.now()
    with transaction.atomic():
        locked = type_lock(appointment_type.pk)
        if not locked.is_active:
            raise SlotUnavailable("This appointment type is not offered any more.")
        if requester:
            live = list(
                SlotHold.objects.filter(boutique_id=locked.boutique_id, requester=requester, expires_at__gt=now)
                .order_by("-created_at", "-pk").values_list("pk", flat=True)
            )  # fmt: skip
            if len(live) >= MAX_HOLDS_PER_REQUESTER:  # before the re-check: her own old hold frees its slot
                SlotHold.objects.filter(pk__in=live[MAX_HOLDS_PER_REQUESTER - 1:]).update(expires_at=now)
        associate = _pick_associate(locked, starts_at, now=now, associate_id=associate_id, preferred=preferred)
        times = _times(locked, starts_at)
        return SlotHold.objects.create(
            boutique_id=locked.boutique_id, appointment_type=locked, associate_id=associate, token=secrets.token_urlsafe(32),
            starts_at=times["starts_at"], ends_at=times["ends_at"], blocked_from=times["blocked_from"],
            blocked_until=times["blocked_until"], expires_at=now + timedelta(minutes=hold_minutes()), created_at=now,
            requester=requester[:64],
        )  # fmt: skip


def slot_holds_sweep(*, now: datetime | None = None) -> int:
    """Forget holds that ran out an hour ago (an expired hold already blocks nothing)."""
    deleted, _ = SlotHold.objects.filter(expires_at__lt=(now or timezone.now()) - timedelta(hours=1)).delete()
    return deleted


# --- booking ---------------------------------------------------------------------------------


class _Replay(Exception):
    def __init__(self, appointment_id: int):
        self.appointment_id = appointment_id


def _replay(boutique_id: int, key: str, appointment_type: AppointmentType, starts_at: datetime) -> Appointment | None:
    existing = Appointment.objects.filter(boutique_id=boutique_id, idempotency_key=key).first() if key else None
    if existing is None:
        return None
    if existing.appointment_type_id != appointment_type.pk or existing.starts_at != starts_at:
        raise IdempotencyConflict(details={"appointment_id": existing.pk})
    return existing


def _wish_products(boutique_id: int, product_ids) -> list[int]:
    from omnipresence.catalog.models import Product

    ids = list(dict.fromkeys(product_ids or []))
    if len(ids) > MAX_WISH_PRODUCTS or any(isinstance(i, bool) or not isinstance(i, int) or i < 1 for i in ids):
        raise InvalidInput(f"At most {MAX_WISH_PRODUCTS} product ids.", code="invalid_products")
    found = set(Product.objects.filter(boutique_id=boutique_id, pk__in=ids, status=Product.Status.ACTIVE)
                .values_list("pk", flat=True))  # fmt: skip
    if len(found) != len(ids):
        raise InvalidInput("Some products are not this boutique's.", code="product_not_found",
                           details={"product_ids": [i for i in ids if i not in found]})  # fmt: skip
    return ids


def appointment_book(
    *, appointment_type: AppointmentType, starts_at: datetime, via: str, client: Client | None = None,
    identify: dict | None = None, actor: Actor | None = None, associate_id: int | None = None,
    hold_token: str = "", idempotency_key: str = "", wishes: str = "", wish_product_ids=(),
    client_timezone: str = "", external_url: str = "", now: datetime | None = None,
) -> tuple[Appointment, bool]:  # fmt: skip
    """Book a slot for a client: `client` (staff), or `identify` — the client_identify arguments
    from the storefront form, resolved inside the booking's transaction so a refused booking
    leaves no new client behind. Returns (appointment, created): a repeated idempotency key gives
    back the first booking (created False). `now` is the moment of booking (the demo, tests)."""
    starts_at = _aware(starts_at, "starts_at")
    now = now or timezone.now()
    if via not in Appointment.Via.values:
        raise InvalidInput(f"via is one of {', '.join(Appointment.Via.values)}.", code="invalid_via")
    if actor is not None:
        actor.require(BOOK)
        same_boutique(actor, appointment_type)
    if (client is None) == (identify is None):
        raise InvalidInput("Give the client or the details to recognise her by.", code="client_required")
    if client is not None and (client.boutique_id != appointment_type.boutique_id or not client.is_live):
        raise InvalidInput("That client is not this boutique's.", code="client_not_found")
    key = clean_text(idempotency_key, "idempotency_key", 80)
    wishes = clean_text(wishes, "wishes", 2000)
    wish_ids = _wish_products(appointment_type.boutique_id, wish_product_ids)
    client_timezone = validate_timezone(client_timezone) if client_timezone else ""
    external_url = video.external_url_clean(external_url) if external_url else ""
    existing = _replay(appointment_type.boutique_id, key, appointment_type, starts_at)
    if existing is not None:
        return existing, False
    try:
        appointment = _book_locked(
            appointment_type=appointment_type, starts_at=starts_at, via=via, client=client, identify=identify,
            actor=actor, associate_id=associate_id, hold_token=hold_token, key=key, wishes=wishes,
            wish_ids=wish_ids, client_timezone=client_timezone, external_url=external_url, now=now,
        )  # fmt: skip
    except _Replay as replay:
        return Appointment.objects.get(pk=replay.appointment_id), False
    return appointment, True


def _book_locked(*, appointment_type, starts_at, via, client, identify, actor, associate_id, hold_token, key,
                 wishes, wish_ids, client_timezone, external_url, now) -> Appointment:  # fmt: skip
    with transaction.atomic():
        locked = type_lock(appointment_type.pk)
        if not locked.is_active or not locked.location.is_active:
            raise SlotUnavailable("This appointment type is not offered any more.")
        again = _replay(locked.boutique_id, key, locked, starts_at)  # a double submit that waited for the lock
        if again is not None:
            raise _Replay(again.pk)
        if identify is not None:
            client, _ = client_identify(boutique=locked.boutique, channel="appointment", **identify)
        hold = None
        if hold_token:
            hold = SlotHold.objects.filter(token=hold_token, appointment_type=locked).first()
            if hold is None or hold.expires_at <= now:
                raise SlotHoldExpired()
            if hold.starts_at != starts_at:
                raise InvalidInput("The hold is for another time.", code="hold_mismatch")
            associate_id = hold.associate_id
        associate = _pick_associate(locked, starts_at, now=now, associate_id=associate_id,
                                    preferred=client.primary_associate_id, except_hold_token=hold_token)  # fmt: skip
        provider = ""
        room = ""
        if locked.mode == AppointmentType.Mode.VIDEO:
            provider = "external" if external_url else video.provider_name(locked.video_provider)
            room = "" if provider == "external" else video.new_room_name(locked.boutique.slug)
        try:
            with transaction.atomic():
                appointment = Appointment.objects.create(
                    boutique_id=locked.boutique_id, appointment_type=locked, location_id=locked.location_id,
                    associate_id=associate, client=client, mode=locked.mode, status=Appointment.Status.BOOKED,
                    via=via, client_timezone=client_timezone, wishes=wishes, wish_product_ids=wish_ids,
                    video_provider=provider, video_room=room, external_url=external_url, idempotency_key=key,
                    nonce=secrets.token_urlsafe(24), created_by_id=actor.user_id if actor else None,
                    created_by_label=(actor.label if actor else "client")[:160], created_at=now,
                    **_times(locked, starts_at),
                )  # fmt: skip
        except IntegrityError:
            again = _replay(locked.boutique_id, key, locked, starts_at)
            if again is not None:
                raise _Replay(again.pk)
            raise SlotTaken()  # the exclusion constraint: an overlap got past every other check
        if hold is not None:
            SlotHold.objects.filter(pk=hold.pk).delete()
        timeline_add(
            client_id=client.pk, kind="appointment", occurred_at=now, ref_kind="appointment", ref_id=appointment.pk,
            summary=f"Booked: {locked.name}, {local_label(starts_at, locked.location.tz_name)}",
            data={"appointment_id": appointment.pk, "type": locked.kind, "mode": locked.mode, "via": via,
                  "starts_at": starts_at.isoformat(), "location": locked.location.code},
            associate_id=associate,
        )  # fmt: skip
        invitations.invitation_send_on_commit(appointment.pk, "booked")
    return appointment


def appointment_call_now(*, actor: Actor, client: Client, now: datetime | None = None) -> Appointment:
    """A video call with her now, from her conversation: the boutique's video type (a video
    consultation first) starting this minute, hosted by the associate asking — not a slot of the
    grid (she is here and free now, even on a day the shop is closed). Her calendar is locked and
    checked like any booking (409 slot_taken when she has an appointment, a hold or time off now)
    and the database's exclusion still holds; the usual cap ends it. No invitation email (the link
    goes in the chat) and no reminder (it starts now)."""
    actor.require(BOOK)
    now = now or timezone.now()
    if client.boutique_id != actor.boutique.pk or not client.is_live:
        raise InvalidInput("That client is not this boutique's.", code="client_not_found")
    types = AppointmentType.objects.filter(boutique=actor.boutique, mode=AppointmentType.Mode.VIDEO, is_active=True,
                                           location__is_active=True)  # fmt: skip
    chosen = (types.filter(kind=AppointmentType.Kind.VIDEO_CONSULTATION).order_by("pk").first()
              or types.order_by("pk").first())  # fmt: skip
    if chosen is None:
        raise Conflict("The boutique offers no video appointment: add a video type under Appointments first.",
                       code="no_video_type")  # fmt: skip
    starts_at = now.replace(second=0, microsecond=0)
    with transaction.atomic():
        locked = type_lock(chosen.pk)
        spec = selectors.type_spec(locked)
        calendars_lock(locked.boutique_id, [actor.user_id])
        blocked = (starts_at - spec.before, starts_at + spec.duration + spec.after)
        if not _free_under_lock(actor.user_id, blocked, now=now, except_appointment_id=None, except_hold_token=""):
            raise SlotTaken("You have an appointment, a held slot or time off now.")
        provider = video.provider_name(locked.video_provider)  # never "external": there is no pasted link
        try:
            with transaction.atomic():
                appointment = Appointment.objects.create(
                    boutique_id=locked.boutique_id, appointment_type=locked, location_id=locked.location_id,
                    associate_id=actor.user_id, client=client, mode=locked.mode, status=Appointment.Status.BOOKED,
                    via=Appointment.Via.STAFF, video_provider=provider, video_room=video.new_room_name(locked.boutique.slug),
                    nonce=secrets.token_urlsafe(24), created_by_id=actor.user_id, created_by_label=actor.label[:160],
                    created_at=now, **_times(locked, starts_at),
                )  # fmt: skip
        except IntegrityError:
            raise SlotTaken()  # the exclusion constraint: a booking got in meanwhile
        timeline_add(
            client_id=client.pk, kind="appointment", occurred_at=now, ref_kind="appointment", ref_id=appointment.pk,
            summary=f"Video call from the chat: {locked.name} with {actor.label}",
            data={"appointment_id": appointment.pk, "type": locked.kind, "mode": locked.mode, "via": "chat",
                  "starts_at": starts_at.isoformat(), "location": locked.location.code},
            associate_id=actor.user_id,
        )  # fmt: skip
    return appointment


def appointment_book_public(
    *, appointment_type: AppointmentType, starts_at: datetime, name: str, email: str = "", phone: str = "",
    **options,
) -> tuple[Appointment, bool]:  # fmt: skip
    """The storefront's booking: her name and an email or a phone, checked before anything is
    locked (a malformed one is 422 invalid_email / invalid_phone)."""
    name = clean_text(name, "name", 120)
    if not name:
        raise InvalidInput("Tell us your name.", code="name_required")
    if not (email or "").strip() and not (phone or "").strip():
        raise InvalidInput("Give an email or a phone number.", code="identifier_required")
    country = appointment_type.boutique.country
    if (email or "").strip():
        identity_normalise(kind="email", value=email, country=country)
    if (phone or "").strip():
        identity_normalise(kind="phone", value=phone, country=country)
    return appointment_book(appointment_type=appointment_type, starts_at=starts_at, via=Appointment.Via.STOREFRONT,
                            identify={"email": email or "", "phone": phone or "", "name": name}, **options)  # fmt: skip


def appointment_reschedule(*, appointment: Appointment, starts_at: datetime, actor: Actor | None = None,
                           associate_id: int | None = None, now: datetime | None = None) -> Appointment:  # fmt: skip
    """Move it to another free slot of the same type: her associate again if she is free then
    (or the one a manager names), else round robin. The invitation is sent again (same UID, next
    SEQUENCE) with a new room; the pull list's holds follow the new end."""
    starts_at = _aware(starts_at, "starts_at")
    now = now or timezone.now()
    if actor is not None:
        same_boutique(actor, appointment)
        _own_or_manage(actor, appointment.associate_id)
        if associate_id not in (None, appointment.associate_id) and not actor.can(MANAGE):
            raise NotYourAppointment("Only a manager gives an appointment to another associate.")
    elif associate_id is not None:
        raise InvalidInput("She cannot choose another associate when moving it.", code="invalid_input")
    with transaction.atomic():
        appointment_type = type_lock(appointment.appointment_type_id)
        locked = appointment_lock_booked(appointment)
        if locked.starts_at <= now:
            raise AppointmentNotActive("This appointment has started: it cannot be moved.", code="appointment_started")
        if starts_at == locked.starts_at and associate_id in (None, locked.associate_id):
            return locked
        associate = _pick_associate(appointment_type, starts_at, now=now, associate_id=associate_id,
                                    preferred=locked.associate_id, except_appointment_id=locked.pk)  # fmt: skip
        before = locked.starts_at
        for field, value in _times(appointment_type, starts_at).items():
            setattr(locked, field, value)
        locked.associate_id = associate
        locked.reschedules += 1
        locked.reminded = []
        if locked.video_room:
            locked.video_room = video.new_room_name(locked.boutique.slug)
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            raise SlotTaken()
        pull_list_follow(locked, actor)
        label = actor.label if actor else "client"
        timeline_add(
            client_id=locked.client_id, kind="appointment", occurred_at=now,
            summary=f"Moved: {appointment_type.name}, {local_label(before, locked.location.tz_name)} → "
                    f"{local_label(starts_at, locked.location.tz_name)} ({label})",
            data={"appointment_id": locked.pk, "from": before.isoformat(), "to": starts_at.isoformat(), "by": label},
            associate_id=associate,
        )  # fmt: skip
        invitations.invitation_send_on_commit(locked.pk, "rescheduled")
    return locked


def appointment_cancel(*, appointment: Appointment, actor: Actor | None = None, reason: str = "",
                       now: datetime | None = None) -> Appointment:  # fmt: skip
    """Cancel it (she, through her link, or staff): the slot is free again, the pull list goes
    back on sale, she gets the cancellation (METHOD:CANCEL). Cancelling twice is a no-op."""
    now = now or timezone.now()
    reason = clean_text(reason, "reason", 300)
    if actor is not None:
        same_boutique(actor, appointment)
        _own_or_manage(actor, appointment.associate_id)
    with transaction.atomic():
        current = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
        if current.status == Appointment.Status.CANCELLED:
            return current
        locked = appointment_lock_booked(current)
        label = actor.label if actor else "client"
        locked.status = Appointment.Status.CANCELLED
        locked.cancelled_at, locked.cancelled_by_label, locked.cancel_reason = now, label[:160], reason
        locked.save(update_fields=["status", "cancelled_at", "cancelled_by_label", "cancel_reason", "updated_at"])
        pull_list_release(locked, actor, "appointment cancelled")
        timeline_add(
            client_id=locked.client_id, kind="appointment", occurred_at=now, ref_kind="appointment_cancel",
            ref_id=locked.pk, summary=f"Cancelled: {locked.appointment_type.name}, "
                                      f"{local_label(locked.starts_at, locked.location.tz_name)} ({label})",
            data={"appointment_id": locked.pk, "by": label, "reason": reason}, associate_id=locked.associate_id,
        )  # fmt: skip
        invitations.invitation_send_on_commit(locked.pk, "cancel")
    return locked


def _started(locked: Appointment, now: datetime) -> None:
    if locked.starts_at > now:
        raise Conflict("The appointment has not started yet.", code="appointment_not_started")


def appointment_no_show(*, actor: Actor, appointment: Appointment, now: datetime | None = None) -> Appointment:
    """She did not come (recorded by the associate, once the start has passed)."""
    now = now or timezone.now()
    same_boutique(actor, appointment)
    _own_or_manage(actor, appointment.associate_id)
    with transaction.atomic():
        locked = appointment_lock_booked(appointment)
        _started(locked, now)
        locked.status, locked.no_show_at = Appointment.Status.NO_SHOW, now
        locked.save(update_fields=["status", "no_show_at", "updated_at"])
        pull_list_release(locked, actor, "no-show")
        timeline_add(
            client_id=locked.client_id, kind="appointment", occurred_at=now, ref_kind="appointment_no_show",
            ref_id=locked.pk, summary=f"No-show: {locked.appointment_type.name}, "
                                      f"{local_label(locked.starts_at, locked.location.tz_name)}",
            data={"appointment_id": locked.pk, "by": actor.label}, associate_id=locked.associate_id,
        )  # fmt: skip
    return locked


def appointment_complete(*, actor: Actor, appointment: Appointment, note: str = "",
                         now: datetime | None = None) -> Appointment:  # fmt: skip
    """It took place: on her timeline, and a follow-up task for her associate due the next day."""
    from omnipresence.clienteling.services import task_create

    now = now or timezone.now()
    note = clean_text(note, "note", 300)
    same_boutique(actor, appointment)
    _own_or_manage(actor, appointment.associate_id)
    with transaction.atomic():
        locked = appointment_lock_booked(appointment)
        _started(locked, now)
        locked.status, locked.completed_at = Appointment.Status.COMPLETED, now
        locked.save(update_fields=["status", "completed_at", "updated_at"])
        timeline_add(
            client_id=locked.client_id, kind="appointment", occurred_at=now, ref_kind="appointment_done",
            ref_id=locked.pk, summary=f"Took place: {locked.appointment_type.name} with "
                                      f"{locked.associate.get_full_name() or locked.associate.get_username()}",
            data={"appointment_id": locked.pk, "note": note}, associate_id=locked.associate_id,
        )  # fmt: skip
        if locked.client.is_live:
            # The system's task, given to her associate of the day (whoever marked it done).
            task_create(
                actor=system_actor(locked.boutique), client=locked.client, assignee=locked.associate,
                reason=f"Follow up on her {locked.appointment_type.name.lower()} of "
                       f"{local_label(locked.starts_at, locked.location.tz_name)}",
                due_at=now + timedelta(days=1), note=note, source=("appointment", locked.pk),
            )  # fmt: skip
    return locked


def appointment_link_set(*, actor: Actor, appointment: Appointment, external_url: str) -> Appointment:
    """The associate pastes a Zoom, Meet or FaceTime link: the video goes through it."""
    same_boutique(actor, appointment)
    _own_or_manage(actor, appointment.associate_id)
    url = video.external_url_clean(external_url)
    with transaction.atomic():
        locked = appointment_lock_booked(appointment)
        if locked.mode != AppointmentType.Mode.VIDEO:
            raise InvalidInput("Only a video appointment has a meeting link.", code="not_video")
        locked.external_url, locked.video_provider, locked.video_room = url, "external", ""
        locked.save(update_fields=["external_url", "video_provider", "video_room", "updated_at"])
    return locked


# --- merges and privacy ----------------------------------------------------------------------


def appointments_merge(*, survivor_id: int, merged_id: int) -> dict:
    ids = list(Appointment.objects.filter(client_id=merged_id).values_list("pk", flat=True))
    Appointment.objects.filter(pk__in=ids).update(client_id=survivor_id)
    return {"appointment": ids}


def appointments_merge_undo(*, survivor_id: int, merged_id: int, moved: dict) -> None:
    Appointment.objects.filter(pk__in=moved.get("appointment", []), client_id=survivor_id).update(client_id=merged_id)


def appointments_export(*, client: Client) -> list:
    return [
        {"type": a.appointment_type.name, "starts_at": a.starts_at.isoformat(), "ends_at": a.ends_at.isoformat(),
         "status": a.status, "shop": a.location.name, "wishes": a.wishes, "via": a.via}
        for a in Appointment.objects.filter(client=client).select_related("appointment_type", "location")
    ]  # fmt: skip


def appointments_erase(*, client: Client) -> dict:
    """Her words are wiped; appointments still to come are cancelled (nobody to meet)."""
    rows = Appointment.objects.filter(client=client, boutique_id=client.boutique_id)
    future = rows.filter(status=Appointment.Status.BOOKED, starts_at__gt=timezone.now())
    cancelled = future.update(status=Appointment.Status.CANCELLED, cancelled_at=timezone.now(),
                              cancelled_by_label="erasure")  # fmt: skip
    blanked = rows.update(wishes="", wish_product_ids=[], cancel_reason="", client_timezone="")
    return {"appointments_appointment": max(blanked, cancelled)}
