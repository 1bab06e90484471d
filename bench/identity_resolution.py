"""Recognising a client among a million identities: `clients.services.client_identify` against a
bare indexed SQL lookup of the same identifiers, in the same run.

    .venv/bin/python bench/identity_resolution.py [--db sqlite|postgres] [--identities 1000000] [--events 3000]

Seeds one boutique with --identities identities (half the clients have an email and a phone, so
identities/2 clients), bulk-inserted in chunks (bulk_create, no services: seeding is not measured).
Then resolves a stream of --events incoming events, mixed 40 % known email (in varied case),
40 % known phone (written "07700 900123", "+44 7700 900123", "0044 7700900123"…), 20 % unknown
(a new client is made), with `client_identify` exactly as checkout and the inbox call it.
Baseline: the same identifiers, already normalised, looked up with one indexed
`SELECT client_id FROM clients_identity WHERE boutique_id=? AND kind=? AND value=?` each.
Every known event must come back as the client seeded for it before any figure is printed.
SQLite (a temporary file) by default; --db postgres creates and drops `omni_bench_<pid>`.
"""

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import django_setup, machine_summary, percentile, postgres_database, sqlite_database, table  # noqa: E402

CHUNK = 5000


def email_of(n: int) -> str:
    return f"client{n}@example.com"


def phone_of(n: int) -> str:
    return f"+447{n:09d}"  # E.164, as identity_normalise stores a GB mobile


def phone_written(n: int, style: int) -> str:
    digits = f"7{n:09d}"
    return [f"0{digits[:4]} {digits[4:]}", f"+44 {digits[:4]} {digits[4:]}", f"0044{digits}",
            f"(0{digits[:4]}) {digits[4:7]}-{digits[7:]}"][style % 4]  # fmt: skip


def seed(identities: int):
    from django.db import transaction

    from omnipresence.clients.models import Client, Identity
    from omnipresence.stores import services as stores

    boutique = stores.boutique_create(name="Bench Boutique", slug="bench", country="GB", currency="GBP",
                                      timezone_name="Europe/London", city="London")  # fmt: skip
    clients = identities // 2
    ids: list[int] = []
    for start in range(0, clients, CHUNK):
        with transaction.atomic():
            made = Client.objects.bulk_create(
                [
                    Client(boutique=boutique, display_name=f"Client {n}", name_key=f"client {n}")
                    for n in range(start, min(start + CHUNK, clients))
                ]  # fmt: skip
            )
            batch = [c.pk for c in made]
            if batch[0] is None:  # a backend that does not return ids: read them back in order
                batch = list(Client.objects.filter(boutique=boutique).order_by("pk").values_list("pk", flat=True)[
                    start : start + CHUNK])  # fmt: skip
            ids.extend(batch)
            rows = []
            for offset, pk in enumerate(batch):
                n = start + offset
                rows.append(Identity(boutique=boutique, client_id=pk, kind="email", value=email_of(n)))
                rows.append(Identity(boutique=boutique, client_id=pk, kind="phone", value=phone_of(n)))
            Identity.objects.bulk_create(rows)
    return boutique, ids


def stream(count: int, clients: int, seed_value: int = 7) -> list[dict]:
    rng = random.Random(seed_value)
    events = []
    for i in range(count):
        roll = rng.random()
        n = rng.randrange(clients)
        if roll < 0.4:
            email = email_of(n)
            events.append({"email": email.upper() if i % 3 == 0 else email, "_n": n, "_kind": "email",
                           "_value": email})  # fmt: skip
        elif roll < 0.8:
            events.append({"phone": phone_written(n, i), "_n": n, "_kind": "phone", "_value": phone_of(n)})
        else:
            events.append({"email": f"new{i}-{rng.randrange(10**9)}@example.org", "name": "New Client", "_n": None,
                           "_kind": "email", "_value": None})  # fmt: skip
    return events


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--identities", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=3000)
    args = parser.parse_args()

    database = postgres_database() if args.db == "postgres" else sqlite_database()
    with database as url:
        django_setup(url)
        from django.db import connection

        from omnipresence.clients.models import Identity
        from omnipresence.clients.services import client_identify

        started = time.perf_counter()
        boutique, ids = seed(args.identities)
        seeded = time.perf_counter() - started
        total_identities = Identity.objects.filter(boutique=boutique).count()
        events = stream(args.events, len(ids))

        # ours
        timings, made, wrong = [], 0, 0
        began = time.perf_counter()
        for event in events:
            fields = {k: v for k, v in event.items() if not k.startswith("_")}
            t = time.perf_counter()
            client, created = client_identify(boutique=boutique, channel="web", **fields)
            timings.append(time.perf_counter() - t)
            made += created
            if event["_n"] is not None and client.pk != ids[event["_n"]]:
                wrong += 1
        ours_s = time.perf_counter() - began
        timings.sort()
        assert wrong == 0, f"{wrong} known events resolved to the wrong client"
        assert made == sum(1 for e in events if e["_n"] is None), "unknown events did not each make a client"

        # baseline: the same identifiers, normalised, one indexed SELECT each (unknowns miss)
        sql = "SELECT client_id FROM clients_identity WHERE boutique_id = %s AND kind = %s AND value = %s"
        base_timings, misses = [], 0
        began = time.perf_counter()
        with connection.cursor() as cursor:
            for event in events:
                value = event["_value"] or event.get("email")
                t = time.perf_counter()
                cursor.execute(sql, [boutique.pk, event["_kind"], value])
                row = cursor.fetchone()
                base_timings.append(time.perf_counter() - t)
                if row is None:
                    misses += 1
                elif event["_n"] is not None:
                    assert row[0] == ids[event["_n"]], "baseline found another client"
        base_s = time.perf_counter() - began
        base_timings.sort()
        vendor = (
            f"PostgreSQL {connection.pg_version // 10000}" if connection.vendor == "postgresql" else "SQLite"
        )
        connection.close()

    rows = [
        ["ours client_identify", f"{len(events) / ours_s:,.0f}", f"{percentile(timings, 50) * 1000:.2f}",
         f"{percentile(timings, 95) * 1000:.2f}"],
        ["baseline indexed SELECT", f"{len(events) / base_s:,.0f}", f"{percentile(base_timings, 50) * 1000:.3f}",
         f"{percentile(base_timings, 95) * 1000:.3f}"],
    ]  # fmt: skip
    print(f"# identity_resolution: {vendor}, {machine_summary()}")
    print(f"# {total_identities:,} identities ({len(ids):,} clients), seeded in {seeded:.1f}s; {len(events):,} events "
          f"(40% email, 40% phone in 4 spellings, 20% unknown: {made} new clients); baseline misses {misses} (it runs second, so the unknowns ours made are found)\n")  # fmt: skip
    print(table(["path", "events/s", "p50 ms", "p95 ms"], rows))
    print(f"\n# ours/baseline: {rows[0][1]} vs {rows[1][1]} events/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
