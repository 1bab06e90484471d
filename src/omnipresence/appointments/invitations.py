"""What the client receives: the invitation (an email with an .ics file, the join link for video
and her link to reschedule or cancel), the update after a reschedule (same UID, next SEQUENCE),
the cancellation (METHOD:CANCEL), and reminders 24 h and 1 h before — by email, or through the
inbox when she prefers a channel on which she already has a conversation with the boutique.

Everything is sent after the booking's transaction commits; a failing mail server is logged and
never undoes a booking. Reminders are sent by the periodic sweep, at most once each.
"""

import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from omnipresence.appointments import links, video
from omnipresence.appointments.models import Appointment, AppointmentType
from omnipresence.clients.models import Client, Identity
from omnipresence.core.errors import DomainError

log = logging.getLogger(__name__)

REMINDERS = (("24h", timedelta(hours=24)), ("1h", timedelta(hours=1)))
# The inbox channels a reminder may go through, by her preferred channel.
INBOX_KINDS = {Client.PreferredChannel.WHATSAPP: "whatsapp", Client.PreferredChannel.SMS: "sms"}


def client_email(client: Client) -> str:
    return (
        Identity.objects.filter(client_id=client.pk, kind=Identity.Kind.EMAIL)
        .order_by("-verified", "pk")
        .values_list("value", flat=True)
        .first()
        or ""
    )


def client_participant(appointment: Appointment) -> video.Participant:
    client = appointment.client
    return video.Participant(identity=f"client-{client.pk}", name=client.display_name or _("Client"),
                             email=client_email(client))  # fmt: skip


def host_participant(appointment: Appointment) -> video.Participant:
    user = appointment.associate
    return video.Participant(identity=f"associate-{user.pk}", name=user.get_full_name() or user.get_username(),
                             email=user.email or "", host=True)  # fmt: skip


def join_link(appointment: Appointment, *, host: bool) -> video.JoinLink | None:
    if appointment.mode != AppointmentType.Mode.VIDEO:
        return None
    participant = host_participant(appointment) if host else client_participant(appointment)
    return video.provider_for(appointment.video_provider).join(appointment=appointment, participant=participant)


def _where(appointment: Appointment, join_url: str) -> str:
    location = appointment.location
    if appointment.mode == AppointmentType.Mode.IN_STORE:
        return ", ".join(p for p in (location.name, location.address, location.postcode, location.city) if p)
    if appointment.mode == AppointmentType.Mode.PHONE:
        return _("By phone")
    return join_url


def ics_bytes(appointment: Appointment, *, cancel: bool = False, join_url: str = "") -> bytes:
    """The calendar file: METHOD REQUEST (or CANCEL), one VEVENT whose UID stays the same across
    reschedules and whose SEQUENCE counts them, times in UTC."""
    boutique = appointment.boutique
    calendar = Calendar()
    calendar.add("prodid", "-//Omnipresence//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "REQUEST")
    event = Event()
    host = urlparse(settings.SITE_URL).hostname or "omnipresence.local"
    event.add("uid", f"appointment-{appointment.pk}@{host}")
    event.add("sequence", appointment.reschedules + (1 if cancel else 0))
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", appointment.starts_at.astimezone(UTC))
    event.add("dtend", appointment.ends_at.astimezone(UTC))
    event.add("summary", f"{appointment.appointment_type.name} · {boutique.name}")
    event.add("location", vText(_where(appointment, join_url)))
    description = [appointment.appointment_type.description, join_url, _("Change or cancel: %(url)s")
                   % {"url": links.manage_url(appointment)}]  # fmt: skip
    event.add("description", "\n".join(p for p in description if p))
    if join_url:
        event.add("url", join_url)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{appointment.associate.email or 'no-reply@' + host}")
    organizer.params["cn"] = vText(boutique.name)
    event.add("organizer", organizer)
    email = client_email(appointment.client)
    if email:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["cn"] = vText(appointment.client.display_name or email)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("ACCEPTED")
        event.add("attendee", attendee)
    calendar.add_component(event)
    return calendar.to_ical()


def _when(appointment: Appointment) -> str:
    zone = appointment.client_timezone or appointment.location.tz_name
    return format_datetime(appointment.starts_at, "full", tzinfo=ZoneInfo(zone),
                           locale=appointment.boutique.locale) + f" ({zone})"  # fmt: skip


def _language(appointment: Appointment) -> str:
    return (appointment.client.preferred_language or appointment.boutique.language).split("-")[0]


def _send_email(appointment_id: int, kind: str) -> bool:
    appointment = Appointment.objects.select_related(
        "boutique", "appointment_type", "location__boutique", "associate", "client"
    ).get(pk=appointment_id)
    email = client_email(appointment.client)
    if not email:
        return False
    boutique = appointment.boutique
    with translation.override(_language(appointment)):
        link = None
        try:
            link = join_link(appointment, host=False) if kind != "cancel" else None
        except DomainError:  # an external link not pasted yet: the invitation goes without it
            link = None
        join_url = link.url if link else ""
        values = {"type": appointment.appointment_type.name, "boutique": boutique.name, "when": _when(appointment),
                  "associate": appointment.associate.get_full_name() or appointment.associate.get_username(),
                  "manage": links.manage_url(appointment), "join": join_url,
                  "where": _where(appointment, join_url)}  # fmt: skip
        subjects = {
            "booked": _("Your %(type)s with %(boutique)s"),
            "rescheduled": _("New time: your %(type)s with %(boutique)s"),
            "cancel": _("Cancelled: your %(type)s with %(boutique)s"),
            "24h": _("Tomorrow: your %(type)s with %(boutique)s"),
            "1h": _("In an hour: your %(type)s with %(boutique)s"),
        }
        if kind == "cancel":
            lines = [_("Your %(type)s on %(when)s is cancelled.") % values]
        else:
            lines = [_("Your %(type)s with %(associate)s: %(when)s.") % values, _("Where: %(where)s") % values]
            if join_url:
                lines.append(_("Join here (the room opens 10 minutes before): %(join)s") % values)
            lines.append(_("To change the time or cancel: %(manage)s") % values)
        greeting = (_("Hello %(name)s,") % {"name": appointment.client.display_name}
                    if appointment.client.display_name else _("Hello,"))  # fmt: skip
        body = "\n\n".join([greeting, *lines, boutique.name]) + "\n"
        message = EmailMessage(subject=subjects[kind] % values, body=body, to=[email])
    if kind in ("booked", "rescheduled", "cancel"):
        method = "CANCEL" if kind == "cancel" else "REQUEST"
        message.attach("invite.ics", ics_bytes(appointment, cancel=kind == "cancel", join_url=join_url),
                       f"text/calendar; method={method}; charset=utf-8")  # fmt: skip
    message.send()
    return True


def invitation_send_on_commit(appointment_id: int, kind: str) -> None:
    """Send the invitation (`booked`), its update (`rescheduled`) or the cancellation after commit."""

    def send() -> None:
        try:
            _send_email(appointment_id, kind)
        except Exception:  # the booking stands; the associate sees she has no invitation
            log.exception("appointment %s: the %s email failed", appointment_id, kind)

    transaction.on_commit(send)


def _remind_in_inbox(appointment: Appointment, text: str) -> bool:
    """Through her conversation on her preferred channel (WhatsApp, SMS), if she has one."""
    kind = INBOX_KINDS.get(appointment.client.preferred_channel)
    if kind is None:
        return False
    from omnipresence.inbox.selectors import conversation_list
    from omnipresence.inbox.services import message_send
    from omnipresence.stores.access import system_actor

    actor = system_actor(appointment.boutique)
    conversation = conversation_list(actor=actor, client_id=appointment.client_id).filter(inbox__kind=kind).first()
    if conversation is None:
        return False
    try:
        message_send(actor=actor, conversation=conversation, body=text, purpose="service")
    except DomainError as error:  # WhatsApp's 24 h window closed, say: email instead
        log.info("appointment %s: reminder not sent in the inbox (%s)", appointment.pk, error.code)
        return False
    return True


def _reminder_text(appointment: Appointment, label: str) -> str:
    with translation.override(_language(appointment)):
        values = {"type": appointment.appointment_type.name, "boutique": appointment.boutique.name,
                  "when": _when(appointment), "manage": links.manage_url(appointment)}  # fmt: skip
        if label == "24h":
            return _("A reminder: your %(type)s with %(boutique)s is tomorrow, %(when)s. "
                     "To change it: %(manage)s") % values  # fmt: skip
        return _("A reminder: your %(type)s with %(boutique)s starts in an hour, %(when)s.") % values


def reminder_send(appointment: Appointment, label: str) -> str:
    """One reminder: "inbox", "email" or "none" (no way to reach her)."""
    if _remind_in_inbox(appointment, _reminder_text(appointment, label)):
        return "inbox"
    return "email" if _send_email(appointment.pk, label) else "none"


def reminders_sweep(*, now: datetime | None = None, batch: int = 200) -> dict[str, int]:
    """Send the reminders that are due (24 h and 1 h before), once each: the reminder is claimed
    with a conditional update before it is sent, so two sweeps at once send it once, and handed
    back when sending fails, so the next sweep tries again. Safe to run any time, twice."""
    now = now or timezone.now()
    counts = {"inbox": 0, "email": 0, "none": 0}
    for label, before in REMINDERS:
        window = Appointment.objects.filter(
            status=Appointment.Status.BOOKED, starts_at__gt=now, starts_at__lte=now + before
        ).order_by("starts_at", "pk")
        # JSON "contains" is not portable (SQLite): the window is small, filter it here.
        due = [pk for pk, sent in window.values_list("pk", "reminded") if label not in (sent or [])][:batch]
        rows = Appointment.objects.filter(pk__in=due).select_related(
            "boutique", "appointment_type", "location__boutique", "associate", "client"
        )
        for appointment in rows.order_by("starts_at", "pk"):
            if not _claim(appointment, label):
                continue
            if appointment.created_at > appointment.starts_at - before:
                continue  # booked within the reminder's lead time: her invitation is fresh
            try:
                counts[reminder_send(appointment, label)] += 1
            except Exception:  # the mail server down, say: the next sweep tries again
                log.exception("appointment %s: the %s reminder failed", appointment.pk, label)
                _unclaim(appointment, label)
                counts["failed"] = counts.get("failed", 0) + 1
    return counts


def _unclaim(appointment: Appointment, label: str) -> None:
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().filter(pk=appointment.pk).first()
        if locked is not None and label in locked.reminded:
            Appointment.objects.filter(pk=locked.pk).update(reminded=[x for x in locked.reminded if x != label])


def _claim(appointment: Appointment, label: str) -> bool:
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().filter(pk=appointment.pk).first()
        if locked is None or label in locked.reminded or locked.status != Appointment.Status.BOOKED:
            return False
        Appointment.objects.filter(pk=locked.pk).update(reminded=[*locked.reminded, label])
    return True
