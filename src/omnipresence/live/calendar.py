"""An upcoming live event as a calendar file (`/<slug>/live/<id>/event.ics`): "add it to my
calendar" without giving the boutique anything — no email, no account. METHOD PUBLISH, one VEVENT
whose UID stays the same if the event moves, times in UTC, the event page as its place and URL."""

from datetime import UTC
from urllib.parse import urlparse

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vText

from omnipresence.live.models import LiveEvent


def event_url(event: LiveEvent) -> str:
    return settings.SITE_URL + reverse("storefront:live_event", args=[event.boutique.slug, event.pk])


def event_ics(event: LiveEvent) -> bytes:
    host = urlparse(settings.SITE_URL).hostname or "omnipresence.local"
    url = event_url(event)
    calendar = Calendar()
    calendar.add("prodid", "-//Omnipresence//Live//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = Event()
    entry.add("uid", f"live-{event.pk}@{host}")
    entry.add("dtstamp", timezone.now().astimezone(UTC))
    entry.add("last-modified", event.updated_at.astimezone(UTC))
    entry.add("dtstart", event.starts_at.astimezone(UTC))
    entry.add("dtend", event.ends_at.astimezone(UTC))
    entry.add("summary", f"{event.title} · {event.boutique.name}")
    entry.add("location", vText(url))
    entry.add("url", url)
    entry.add("description", "\n".join(p for p in (event.description, url) if p))
    entry.add("status", "CONFIRMED")
    calendar.add_component(entry)
    return calendar.to_ical()
