"""Demo appointments: at each boutique's first shop a 30-minute video consultation (with Sunday
virtual hours, when the shop is closed or before it opens) and an in-store styling; the shop's
associates' working hours; a few booked appointments, one of them with a pull list (its first piece
in the room's shared cart), and one that took place last week (with its follow-up task). Her link
to the first one is printed, and her room link."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from omnipresence.appointments import links, room, selectors, services
from omnipresence.appointments.models import AppointmentType
from omnipresence.clients.models import Client, Identity
from omnipresence.core.errors import DomainError
from omnipresence.inventory.models import Stock
from omnipresence.stores.access import system_actor
from omnipresence.stores.models import Location, StaffMember

WEEKDAYS = [(d, time(10), time(18)) for d in range(6)]
SUNDAY = [(6, time(10), time(16))]


def _first_slot(appointment_type, *, start: datetime, days: int, now: datetime, skip: int = 0):
    found = selectors.slots_for(appointment_type, start=start, end=start + timedelta(days=days), now=now)
    return found[skip] if len(found) > skip else None


def _shared_cart(appointment, log) -> None:
    """The first pull-list piece in the room's shared cart, put there by the associate as if the
    room were open (the room checks its window against `now`); her room link is printed."""
    item = appointment.pull_items.filter(removed_at__isnull=True).select_related("hold").order_by("pk").first()
    if item is None:
        return
    host = room.room_link(appointment, host=True)
    try:
        entry, _ = room.room_enter(boutique=appointment.boutique, room=host.room, token=host.token,
                                   now=appointment.starts_at)  # fmt: skip
        room.room_cart_add(entry=entry, variant_ref=item.hold.variant_id, now=appointment.starts_at)
    except DomainError as error:
        log(f"  {appointment.boutique.name}: no shared cart ({error.code})")
        return
    log(f"  {appointment.boutique.name}: her room (shared cart), from 10 minutes before the start: "
        f"{room.room_link(appointment, host=False).url}")


def seed_appointments(boutique, log=print) -> int:
    """Does nothing once the boutique has appointment types. Returns how many were booked."""
    if AppointmentType.objects.filter(boutique=boutique).exists():
        return 0
    shop = Location.objects.filter(boutique=boutique, kind="shop", is_active=True).order_by("priority", "pk").first()
    if shop is None:
        return 0
    actor = system_actor(boutique)
    hosts = [m.user for m in StaffMember.objects.filter(boutique=boutique, home_location=shop, is_active=True)
             .exclude(role=StaffMember.Role.OWNER).select_related("user").order_by("pk")]  # fmt: skip
    for n, user in enumerate(hosts):
        services.working_hours_set(actor=actor, associate=user, location=shop,
                                   periods=WEEKDAYS + (SUNDAY if n == 0 else []))  # fmt: skip
    video = services.type_create(
        actor=actor, location=shop, kind="video_consultation", name="Video consultation", duration_minutes=30,
        cap_minutes=45, buffer_after_minutes=10, min_notice_minutes=120, horizon_days=30, capacity=3,
        schedule="add", description="Thirty minutes on video with an associate: pieces held up, fit and fabric up close.",
    )  # fmt: skip
    services.type_hours_set(actor=actor, appointment_type=video, periods=SUNDAY)
    styling = services.type_create(
        actor=actor, location=shop, kind="in_store_styling", name="In-store styling", duration_minutes=60,
        buffer_before_minutes=15, min_notice_minutes=24 * 60, horizon_days=45, capacity=1,
        description="An hour in the fitting suite with a rail prepared for you.",
    )  # fmt: skip
    clients = list(
        Client.objects.filter(boutique=boutique, merged_into__isnull=True, erased_at__isnull=True,
                              pk__in=Identity.objects.filter(boutique=boutique, kind="email").values("client_id"))
        .order_by("pk")[:3]
    )  # fmt: skip
    if not hosts or not clients:
        return 0
    now = timezone.now()
    tomorrow = datetime.combine((now + timedelta(days=1)).date(), time(0), tzinfo=now.tzinfo)
    booked = []
    plans = [(video, clients[0], 0), (styling, clients[min(1, len(clients) - 1)], 1), (video, clients[-1], 6)]
    for appointment_type, client, skip in plans:
        slot = _first_slot(appointment_type, start=tomorrow + timedelta(days=1), days=7, now=now, skip=skip)
        if slot is None:
            continue
        appointment, _ = services.appointment_book(
            appointment_type=appointment_type, client=client, starts_at=slot.starts_at, via="staff", actor=actor,
            wishes="Something for a winter wedding; I'm a 38." if skip == 0 else "",
        )  # fmt: skip
        booked.append(appointment)
    if booked:
        first = booked[0]
        stock = (Stock.objects.filter(location=shop, on_hand__gte=2).select_related("variant")
                 .order_by("pk")[:2])  # fmt: skip
        for row in stock:
            try:
                services.pull_item_add(actor=actor, appointment=first, variant=row.variant)
            except DomainError:  # every unit already held by another seed: a shorter pull list
                continue
        _shared_cart(first, log)
    # One that took place a week ago, booked the week before: completed, with its follow-up task.
    then = now - timedelta(days=14)
    slot = _first_slot(video, start=now - timedelta(days=8), days=3, now=then)
    if slot is not None:
        past, _ = services.appointment_book(appointment_type=video, client=clients[0], starts_at=slot.starts_at,
                                            via="storefront", now=then)  # fmt: skip
        services.appointment_complete(actor=actor, appointment=past, now=slot.ends_at, note="Loved the camel coat.")
        booked.append(past)
    if booked:
        log(f"  {boutique.name}: {len(booked)} appointments; her link to the first: {links.manage_url(booked[0])}")
    _invite_in_conversation(boutique, video)
    return len(booked)


def _invite_in_conversation(boutique, video) -> None:
    """The demo's answered conversation (inbox.demo) ends with an invitation to book the video
    consultation, as her associate would send it."""
    from omnipresence.inbox import rich
    from omnipresence.inbox.models import Conversation

    conversation = (
        Conversation.objects.filter(boutique=boutique, assignee__isnull=False, messages__direction="out")
        .select_related("assignee").order_by("pk").first()
    )  # fmt: skip
    if conversation is None:
        return
    from omnipresence.stores.access import actor_for_user

    rich.send_appointment_invite(actor=actor_for_user(conversation.assignee, boutique), conversation=conversation,
                                 appointment_type_id=video.pk,
                                 body="Shall we look at them together on video? Choose a time that suits you.")  # fmt: skip
