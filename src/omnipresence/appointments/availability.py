"""Slot computation, pure: given a snapshot of one type's calendar (selectors.calendar_snapshot
reads it in a fixed number of queries), which start times are free, and for which associates.

The layers, for one day of the shop (its own zone):
  1. a dated appointment rule of that day (this type's or the shop's): closed → nothing; special
     hours → exactly those hours; virtual only → nothing for an in-store type;
  2. the shop closed that day by a dated exception (a holiday) → nothing;
  3. a weekly appointment rule of that weekday: closed → nothing; virtual only → nothing in store;
  4. the type's schedule: the shop's opening hours, those plus its own weekly hours, or its own only.
An appointment itself lies inside those hours; with its buffers it lies inside the associate's
working hours and overlaps none of her blocked ranges (appointments with their buffers, live slot
holds, time off). Fewer than `capacity` appointments of the type may run at once at the shop.

Arithmetic is in UTC: a day's window is turned into two instants, and slots step through real
minutes, so a day of 23 or 25 hours (the changes to and from summer time) has 23 or 25 hours of
slots and no slot starts at a local time that does not exist.
"""

import math
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]

CLOSED, VIRTUAL_ONLY, HOURS = "closed", "virtual_only", "hours"
OPENING_HOURS, ADD, OWN = "opening_hours", "add", "own"


@dataclass(frozen=True)
class TypeSpec:
    id: int
    in_store: bool
    duration: timedelta
    cap: timedelta
    before: timedelta
    after: timedelta
    notice: timedelta
    horizon: timedelta
    capacity: int
    step: timedelta
    schedule: str
    tz: ZoneInfo


@dataclass
class Snapshot:
    spec: TypeSpec
    own_hours: dict[int, list[tuple[time, time]]] = field(default_factory=dict)  # weekday → periods
    shop_hours: dict[date, list[tuple[time, time]]] = field(default_factory=dict)  # day → opening periods
    shop_closed: set[date] = field(default_factory=set)  # dated shop closures (holidays)
    weekly_rules: dict[int, set[str]] = field(default_factory=dict)
    dated_rules: dict[date, list[tuple[str, time | None, time | None]]] = field(default_factory=dict)
    working: dict[int, dict[int, list[tuple[time, time]]]] = field(default_factory=dict)  # associate → weekday
    busy: dict[int, list[Interval]] = field(default_factory=dict)  # associate → merge_intervals(blocked ranges)
    type_busy: list[Interval] = field(default_factory=list)  # this type's appointments (capacity)


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    cap_ends_at: datetime
    associates: tuple[int, ...]  # free for it, in the order given to compute_slots


def local_days(start: datetime, end: datetime, tz: ZoneInfo) -> list[date]:
    """The shop's days that [start, end) touches."""
    first, last = start.astimezone(tz).date(), (end - timedelta(microseconds=1)).astimezone(tz).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """A wall-clock time of the shop as a UTC instant (a time skipped by summer time reads as the
    offset before the change, the zoneinfo rule; 23:59 is taken as the end of the day)."""
    if at == time(23, 59):
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _merge(periods: Iterable[tuple[time, time]]) -> list[tuple[time, time]]:
    merged: list[list[time]] = []
    for opens, closes in sorted(periods):
        if merged and opens <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], closes)
        else:
            merged.append([opens, closes])
    return [(a, b) for a, b in merged]


def day_windows(snapshot: Snapshot, day: date) -> list[tuple[time, time]]:
    """The type's hours on one day of the shop, after every layer (see the module's docstring)."""
    spec = snapshot.spec
    dated = snapshot.dated_rules.get(day, [])
    kinds = {kind for kind, _, _ in dated}
    if CLOSED in kinds:
        return []
    if spec.in_store and VIRTUAL_ONLY in kinds:
        return []
    if HOURS in kinds:
        return _merge((starts, ends) for kind, starts, ends in dated if kind == HOURS)
    if day in snapshot.shop_closed:
        return []
    weekly = snapshot.weekly_rules.get(day.weekday(), set())
    if CLOSED in weekly or (spec.in_store and VIRTUAL_ONLY in weekly):
        return []
    own = snapshot.own_hours.get(day.weekday(), [])
    if spec.schedule == OWN:
        return _merge(own)
    opening = snapshot.shop_hours.get(day, [])
    return _merge([*opening, *own]) if spec.schedule == ADD else _merge(opening)


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint intervals covering the same time (what `_overlaps` needs)."""
    merged: list[list[datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def _overlaps(disjoint: list[Interval], start: datetime, end: datetime) -> bool:
    """Whether [start, end) overlaps one of the sorted, disjoint, half-open intervals."""
    index = bisect_left(disjoint, (start, start))
    if index and disjoint[index - 1][1] > start:
        return True
    return index < len(disjoint) and disjoint[index][0] < end


class Concurrency:
    """How many of a set of intervals overlap [start, end): the ones starting in
    [start - longest, end), found by bisection, are the only candidates."""

    def __init__(self, intervals: Iterable[Interval]):
        self.intervals = sorted(intervals)
        self.starts = [s for s, _ in self.intervals]
        self.longest = max((e - s for s, e in self.intervals), default=timedelta(0))

    def count(self, start: datetime, end: datetime) -> int:
        low = bisect_left(self.starts, start - self.longest)
        high = bisect_left(self.starts, end)
        return sum(1 for s, e in self.intervals[low:high] if e > start)


def _floor(moment: datetime) -> int:
    return math.floor(moment.timestamp())


def _ceil(moment: datetime) -> int:
    return math.ceil(moment.timestamp())


def _day_clock(day: date, tz: ZoneInfo):
    """The day's wall-clock times as epoch seconds, each converted once."""
    cache: dict[time, int] = {}

    def at(moment: time) -> int:
        if moment not in cache:
            cache[moment] = _floor(instant(day, moment, tz))
        return cache[moment]

    return at


def compute_slots(
    snapshot: Snapshot, *, start: datetime, end: datetime, now: datetime, associates: list[int],
    ignore_busy: bool = False,
) -> list[Slot]:  # fmt: skip
    """Free slots whose start lies in [start, end), each with the associates free for it.

    The walk is in whole seconds since the epoch (every instant above is minute-aligned; busy
    ranges are widened to whole seconds, never narrowed): integer arithmetic keeps 50 associates
    over 60 days well under a second (bench/appointment_slots.py)."""
    spec = snapshot.spec
    earliest = _ceil(max(start, now + spec.notice))
    latest = _ceil(min(end, now + spec.horizon))
    if earliest >= latest:
        return []
    before, after = int(spec.before.total_seconds()), int(spec.after.total_seconds())
    duration, step = int(spec.duration.total_seconds()), int(spec.step.total_seconds())
    busy = {
        a: ([_floor(s) for s, _ in ranges], [_ceil(e) for _, e in ranges])
        for a, ranges in ({} if ignore_busy else snapshot.busy).items()
    }  # fmt: skip
    no_busy: tuple[list[int], list[int]] = ([], [])
    slots: dict[int, list[int]] = {}
    first_day = datetime.fromtimestamp(earliest, UTC)
    for day in local_days(first_day, datetime.fromtimestamp(latest, UTC), spec.tz):
        at_ = _day_clock(day, spec.tz)
        windows = [(at_(a), at_(b)) for a, b in day_windows(snapshot, day)]
        if not windows:
            continue
        for associate in associates:
            hours = snapshot.working.get(associate, {}).get(day.weekday(), [])
            if not hours:
                continue
            starts, ends = busy.get(associate, no_busy)
            count = len(starts)
            for window_start, window_end in windows:
                for a, b in hours:
                    work_start, work_end = at_(a), at_(b)
                    first = max(window_start, work_start + before, earliest)
                    last = min(window_end, work_end - after) - duration  # the latest start
                    if first > last:
                        continue
                    # Slots keep the window's rhythm (09:00, 09:30…), whatever cut the front off.
                    at = first + (-(first - window_start)) % step
                    index = max(bisect_left(ends, at - before) - 1, 0)
                    while at <= last and at < latest:
                        blocked_from, blocked_until = at - before, at + duration + after
                        while index < count and ends[index] <= blocked_from:
                            index += 1
                        if index == count or starts[index] >= blocked_until:
                            free = slots.get(at)
                            if free is None:
                                slots[at] = [associate]
                            elif free[-1] != associate:  # one day's windows never overlap
                                free.append(associate)
                        at += step
    result = []
    running = Concurrency(snapshot.type_busy)
    for at in sorted(slots):
        starts_at = datetime.fromtimestamp(at, UTC)
        ends_at = starts_at + spec.duration
        if not ignore_busy and running.count(starts_at, ends_at) >= spec.capacity:
            continue
        # Associates were walked in the order given, so each list is already in that order.
        result.append(Slot(starts_at, ends_at, starts_at + spec.cap, tuple(slots[at])))
    return result
