"""Slot computation for one appointment type over 60 days with 50 associates: what the booking
page's `GET …/slots` does (`appointments.selectors.slots_for`: a calendar snapshot in a fixed
number of queries, then the layers computed in Python), beside two baselines in the same run.

    .venv/bin/python bench/appointment_slots.py [--db sqlite|postgres] [--associates 50] [--days 60]
                                                [--iterations 30] [--naive-iterations 3]

Seeds through the services one boutique, a shop open 09:00–19:00 every day, --associates
associates working 09:00–18:00 Monday to Saturday (Sundays off), a 30-minute video consultation
(10 minutes after, slots every 30 minutes, capacity 4 at once) and a day off each (services),
and about two booked appointments a week per associate on free slots (bulk-inserted). Then measures, after one warm-up call:

- **ours**: `slots_for(type, start, start + days)` — every layer, every associate, free slots
  with their associates in round-robin order;
- **floor**: the same candidate starts (days × associates × the day's half-hours) walked in a
  bare Python loop with no reads and no availability logic — what iterating costs at all;
- **naive**: the usual first version: for each day and each associate, one query for her
  appointments that day and one for her time off, then the same arithmetic (2 × days ×
  associates queries).

Before any figure is printed the naive result must equal ours (the same slots, the same free
associates). SQLite (a temporary file) by default; --db postgres creates and drops
`omni_bench_<pid>`.
"""

import argparse
import random
import sys
import time as clock
from datetime import datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import django_setup, machine_summary, percentile, postgres_database, sqlite_database, table  # noqa: E402


def seed(associates: int, days: int):
    from django.conf import settings
    from django.utils import timezone

    from omnipresence.appointments import selectors, services
    from omnipresence.clients import services as clients
    from omnipresence.stores import services as stores
    from omnipresence.stores.access import system_actor

    # Staff accounts are not what is measured: the production hasher's deliberate slowness only costs time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    boutique = stores.boutique_create(name="Bench Boutique", slug="bench", country="GB", currency="GBP",
                                      timezone_name="Europe/London", city="London")  # fmt: skip
    owner = system_actor(boutique)
    shop = stores.location_create(actor=owner, code="soho", name="Soho", kind="shop", city="London")
    stores.opening_hours_set(actor=owner, location=shop, periods=[(d, time(9), time(19)) for d in range(7)])
    video = services.type_create(actor=owner, location=shop, kind="video_consultation", name="Video", duration_minutes=30,
                                 cap_minutes=45, buffer_after_minutes=10, min_notice_minutes=60, horizon_days=days + 7,
                                 capacity=4)  # fmt: skip
    rng = random.Random(20261203)
    users = []
    for n in range(associates):
        user = stores.staff_add(boutique=boutique, username=f"bench-{n}", role="associate", password="bench-pass-1234",
                                home_location=shop).user  # fmt: skip
        services.working_hours_set(actor=owner, associate=user, location=shop,
                                   periods=[(d, time(9), time(18)) for d in range(6)])  # fmt: skip
        users.append(user)
    now = timezone.now()
    start = datetime.combine((now + timedelta(days=1)).date(), time(0), tzinfo=now.tzinfo)
    client = clients.client_resolve(boutique=boutique, email="bench@example.com", name="Bench Client")
    # Appointments are written in bulk (seeding is not measured), on free slots only: each pick is
    # checked against the associate's earlier picks and the type's capacity, as the service would.
    from omnipresence.appointments.availability import Concurrency
    from omnipresence.appointments.models import Appointment

    slots = selectors.slots_for(video, start=start, end=start + timedelta(days=days), now=now)
    wanted = associates * days * 2 // 7
    taken: dict[int, list] = {}
    rows = []
    for slot in rng.sample(slots, len(slots)):
        if len(rows) >= wanted:
            break
        associate = rng.choice(slot.associates)
        blocked = (slot.starts_at, slot.ends_at + timedelta(minutes=10))
        mine = taken.setdefault(associate, [])
        if any(a < blocked[1] and b > blocked[0] for a, b in mine):
            continue
        if Concurrency([(r.starts_at, r.ends_at) for r in rows]).count(slot.starts_at, slot.ends_at) >= 4:
            continue
        mine.append(blocked)
        rows.append(Appointment(
            boutique=boutique, appointment_type=video, location=shop, associate_id=associate, client=client,
            mode="video", starts_at=slot.starts_at, ends_at=slot.ends_at, cap_ends_at=slot.cap_ends_at,
            blocked_from=blocked[0], blocked_until=blocked[1], via="staff", nonce=f"bench-{len(rows)}",
            video_provider="local", video_room=f"bench-{len(rows)}", created_at=now,
        ))  # fmt: skip
    Appointment.objects.bulk_create(rows)
    booked = len(rows)
    for user in users:
        day = start + timedelta(days=rng.randrange(days))
        services.time_off_add(actor=owner, associate=user, starts_at=day + timedelta(hours=9),
                              ends_at=day + timedelta(hours=18))  # fmt: skip
    return video, start, now, booked


def naive(video, start, end, now):
    """One query per associate and day for appointments, one for time off; same arithmetic."""
    from omnipresence.appointments import availability, selectors
    from omnipresence.appointments.models import Appointment, TimeOff, WorkingHours

    ordered = selectors.associates_in_turn(video, selectors.eligible_associates(video))
    snapshot = selectors.calendar_snapshot(video, start=start, end=end, associate_ids=[], now=now)  # the day layers
    for row in WorkingHours.objects.filter(location_id=video.location_id, associate_id__in=ordered):
        snapshot.working.setdefault(row.associate_id, {}).setdefault(row.weekday, []).append((row.starts, row.ends))
    spec = snapshot.spec
    for day in availability.local_days(start, end, spec.tz):
        low = availability.instant(day, time(0), spec.tz) - timedelta(days=1)
        high = low + timedelta(days=3)
        for associate in ordered:
            ranges = list(Appointment.objects.filter(associate_id=associate, status="booked", blocked_from__lt=high,
                                                     blocked_until__gt=low).values_list("blocked_from", "blocked_until"))  # fmt: skip
            ranges += list(TimeOff.objects.filter(associate_id=associate, starts_at__lt=high, ends_at__gt=low)
                           .values_list("starts_at", "ends_at"))  # fmt: skip
            snapshot.busy.setdefault(associate, []).extend(ranges)
    snapshot.busy = {a: availability.merge_intervals(r) for a, r in snapshot.busy.items()}
    snapshot.type_busy = list(Appointment.objects.filter(appointment_type=video, status="booked", starts_at__lt=end,
                                                         ends_at__gt=start).values_list("starts_at", "ends_at"))  # fmt: skip
    return availability.compute_slots(snapshot, start=start, end=end, now=now, associates=ordered)


def floor(video, start, end, associates: int) -> int:
    """The same candidate starts, walked with nothing looked up or checked."""
    from omnipresence.appointments import availability, selectors

    spec = selectors.type_spec(video)
    count = 0
    for day in availability.local_days(start, end, spec.tz):
        if day.weekday() == 6:
            continue
        opens = availability.instant(day, time(9), spec.tz)
        for _associate in range(associates):
            at = opens
            last = availability.instant(day, time(18), spec.tz) - spec.duration - spec.after
            while at <= last:
                blocked = (at - spec.before, at + spec.duration + spec.after)
                count += blocked[1] > blocked[0]
                at += spec.step
    return count


def timed(fn, iterations: int) -> list[float]:
    times = []
    for _ in range(iterations):
        began = clock.perf_counter()
        fn()
        times.append((clock.perf_counter() - began) * 1000)
    return sorted(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--associates", type=int, default=50)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--naive-iterations", type=int, default=3)
    args = parser.parse_args()
    database = postgres_database() if args.db == "postgres" else sqlite_database()
    with database as url:
        django_setup(url)
        from django.db import connection

        from omnipresence.appointments import selectors

        began = clock.perf_counter()
        video, start, now, booked = seed(args.associates, args.days)
        print(f"Seeded {args.associates} associates, {booked} appointments over {args.days} days in "
              f"{clock.perf_counter() - began:.1f} s ({connection.vendor}).\n")  # fmt: skip
        end = start + timedelta(days=args.days)

        def ours():
            return selectors.slots_for(video, start=start, end=end, now=now)

        result = ours()
        expected = [(s.starts_at, s.associates) for s in result]
        assert [(s.starts_at, s.associates) for s in naive(video, start, end, now)] == expected, "naive differs"
        candidates = floor(video, start, end, args.associates)
        free_pairs = sum(len(s.associates) for s in result)
        rows = []
        for name, fn, iterations in (("ours (slots_for)", ours, args.iterations),
                                     ("floor (bare loop)", lambda: floor(video, start, end, args.associates), args.iterations),
                                     ("naive (queries per associate-day)", lambda: naive(video, start, end, now),
                                      args.naive_iterations)):  # fmt: skip
            fn()  # warm-up
            times = timed(fn, iterations)
            rows.append([name, iterations, f"{percentile(times, 50):.1f}", f"{percentile(times, 95):.1f}",
                         f"{times[-1]:.1f}"])  # fmt: skip
        print(f"{len(result)} free slots, {free_pairs:,} (slot, associate) pairs, from {candidates:,} candidate starts.\n")
        print(table(["path", "runs", "p50 ms", "p95 ms", "max ms"], rows))
        print(f"\n{machine_summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
