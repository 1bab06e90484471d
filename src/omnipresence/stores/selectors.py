"""Reads for boutiques and locations, including when a shop is open."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from omnipresence.core.errors import NotFound
from omnipresence.stores.access import Actor
from omnipresence.stores.models import ApiToken, Boutique, HoursException, Location, OpeningHours


def boutique_list(*, city: str | None = None) -> QuerySet[Boutique]:
    qs = Boutique.objects.all()
    if city:
        qs = qs.filter(city__iexact=city)
    return qs


def location_list(*, boutique: Boutique, with_hours: bool = False, include_inactive: bool = False) -> QuerySet[Location]:
    qs = Location.objects.filter(boutique=boutique).select_related("boutique")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if with_hours:
        today = timezone.now().date() - timedelta(days=1)
        qs = qs.prefetch_related(
            "opening_hours",
            Prefetch("hours_exceptions", queryset=HoursException.objects.filter(date__gte=today)),
        )
    return qs


def location_detail(*, boutique: Boutique, location_id: int) -> Location:
    """One location with its hours, active or not (a PATCH may just have deactivated it)."""
    return location_list(boutique=boutique, with_hours=True, include_inactive=True).get(pk=location_id)


def token_list(*, actor: Actor) -> QuerySet[ApiToken]:
    actor.require("tokens.manage")
    return ApiToken.objects.filter(boutique=actor.boutique).order_by("-created_at", "-id")


def access_location(actor: Actor, location_id: int | str) -> Location:
    """A location of the actor's boutique, by code or id (a code wins: "2025" may be a code);
    NotFound otherwise."""
    qs = Location.objects.select_related("boutique").filter(boutique=actor.boutique)
    location = None if isinstance(location_id, int) else qs.filter(code=location_id).first()
    if location is None and str(location_id).isdigit():
        location = qs.filter(pk=int(location_id)).first()
    if location is None:
        raise NotFound(f"No location '{location_id}' in this boutique.", code="location_not_found")
    return location


@dataclass(frozen=True)
class DayHours:
    day: date
    periods: tuple[tuple[time, time], ...]
    note: str = ""

    @property
    def closed(self) -> bool:
        return not self.periods


def hours_on(location: Location, day: date) -> DayHours:
    """The hours of `day` at `location`: a dated exception wins over the weekly schedule.

    Uses prefetched `opening_hours` / `hours_exceptions` when present (see location_list).
    """
    exceptions = [e for e in location.hours_exceptions.all() if e.date == day]
    if exceptions:
        if any(e.closed for e in exceptions):
            return DayHours(day, (), exceptions[0].note)
        return DayHours(day, tuple(sorted((e.opens, e.closes) for e in exceptions)), exceptions[0].note)
    periods: list[OpeningHours] = [h for h in location.opening_hours.all() if h.weekday == day.weekday()]
    return DayHours(day, tuple(sorted((h.opens, h.closes) for h in periods)))


def next_pickup(location: Location, *, now: datetime | None = None, prep_minutes: int = 60) -> datetime | None:
    """The earliest moment an item in stock here can be collected, in the location's zone.

    Needs `prep_minutes` before closing; looks two weeks ahead, None if never open.
    """
    tz = ZoneInfo(location.tz_name)
    now_local = (now or timezone.now()).astimezone(tz)
    ready = now_local + timedelta(minutes=prep_minutes)
    for offset in range(15):
        day = now_local.date() + timedelta(days=offset)
        for opens, closes in hours_on(location, day).periods:
            start = datetime.combine(day, opens, tzinfo=tz)
            end = datetime.combine(day, closes, tzinfo=tz)
            if ready <= end:
                return max(start, ready)
    return None


END_OF_DAY = time(23, 59)  # a period closing at 23:59 runs to midnight (as appointments' availability reads it)


def is_open(location: Location, *, at: datetime | None = None) -> bool:
    tz = ZoneInfo(location.tz_name)
    local_now = (at or timezone.now()).astimezone(tz)
    now = local_now.time()
    return any(o <= now and (now < c or c == END_OF_DAY) for o, c in hours_on(location, local_now.date()).periods)
