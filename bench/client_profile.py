"""A client with a long history: the console profile page and the first timeline page of the API,
against OFFSET paging to the last page and a naive "all events" read, in the same run.

    .venv/bin/python bench/client_profile.py [--db sqlite|postgres] [--events 5000] [--iterations 200]

Seeds one boutique, an associate, and one client (email, phone, WhatsApp, consents, 12 orders
through the order services) whose timeline holds --events events (bulk-inserted: every kind, half
with the associate), plus 200 other clients with 20 events each so the table is not hers alone.
Then measures, with a logged-in django.test.Client, p50/p95 over --iterations requests and the
queries of one request:

- ours: GET /console/<slug>/clients/<id>/ (the profile page with its first timeline page), and
  GET /api/v1/boutiques/<slug>/clients/<id>/timeline (keyset, first page of 50);
- baseline: the same 50-event page read with OFFSET on the last page (what page-number paging
  costs at the end of a long history), and a naive read of all events, rendered to JSON.

Keyset page, OFFSET page and the naive read must agree on the events before any figure is printed.
"""

import argparse
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import django_setup, machine_summary, percentile, postgres_database, sqlite_database, table  # noqa: E402

KINDS = ["note", "message", "visit", "product_viewed", "wishlist", "share_viewed", "appointment", "cart",
         "order_paid", "hold_placed"]  # fmt: skip


def seed(events: int):
    from datetime import time as clock

    from django.utils import timezone

    from omnipresence.catalog import services as catalog
    from omnipresence.clients import services as clients
    from omnipresence.clients.models import TimelineEvent
    from omnipresence.inventory import services as inventory
    from omnipresence.orders import services as orders
    from omnipresence.stores import services as stores
    from omnipresence.stores.access import actor_for_user, system_actor

    boutique = stores.boutique_create(name="Bench Boutique", slug="bench", country="GB", currency="GBP",
                                      timezone_name="Europe/London", city="London")  # fmt: skip
    owner = system_actor(boutique)
    shop = stores.location_create(actor=owner, code="soho", name="Soho", kind="shop", offers_pickup=True,
                                  fulfils_online=True, city="London")  # fmt: skip
    stores.opening_hours_set(
        actor=owner, location=shop, periods=[(d, clock(0, 0), clock(23, 59)) for d in range(7)]
    )
    member = stores.staff_add(boutique=boutique, username="bench-associate", role="associate",
                              password="bench-pass-1234", home_location=shop)  # fmt: skip
    associate = actor_for_user(member.user, boutique)
    product = catalog.product_create(actor=owner, title="Blue Statement Coat", brand="Maison Bleue")
    variant = catalog.variant_create(actor=owner, product=product, sku="COAT-M", price=45000, size="M")
    inventory.stock_receive(actor=owner, location=shop, variant=variant, quantity=100)

    client = clients.client_resolve(boutique=boutique, email="eleanor@example.com", phone="+44 7911 123456",
                                    whatsapp="+44 7911 123456", name="Eleanor Vane", channel="shop")  # fmt: skip
    for purpose in ("marketing_email", "personalization", "walk_in"):
        clients.consent_record(actor_label="bench", client=client, purpose=purpose, granted=True, channel="shop",
                               wording="Yes")  # fmt: skip
    for _ in range(12):
        cart = orders.cart_create(actor=associate, channel="shop", client_email="eleanor@example.com",
                                  associate=member.user, source_kind="associate")  # fmt: skip
        orders.cart_line_set(actor=associate, cart=cart, variant=variant, quantity=1, fulfilment="pickup",
                             location=shop)  # fmt: skip
        orders.cart_checkout(actor=associate, cart=cart)

    now = timezone.now()
    rows = [
        TimelineEvent(boutique=boutique, client=client, kind=KINDS[i % len(KINDS)],
                      occurred_at=now - timedelta(minutes=i * 7 + 1), summary=f"Bench event {i}",
                      data={"n": i}, associate_id=member.user_id if i % 2 else None)
        for i in range(events)
    ]  # fmt: skip
    TimelineEvent.objects.bulk_create(rows, batch_size=1000)
    others = []
    for n in range(200):
        other = clients.client_resolve(boutique=boutique, email=f"other{n}@example.com", name=f"Other {n}")
        others += [TimelineEvent(boutique=boutique, client=other, kind="note", occurred_at=now - timedelta(hours=i),
                                 summary="Other") for i in range(20)]  # fmt: skip
    TimelineEvent.objects.bulk_create(others, batch_size=1000)
    return boutique, client, member.user


def measure(call, iterations: int) -> tuple[int, float, float]:
    """(queries of one call, p50 ms, p95 ms) after a warm-up. Counted with an execute wrapper: the
    request_started signal empties connection.queries, so CaptureQueriesContext sees none of a
    test client's request."""
    from django.db import connection

    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    for _ in range(min(10, iterations)):
        call()
    with connection.execute_wrapper(count):
        call()
    timings = []
    for _ in range(iterations):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    timings.sort()
    return len(executed), percentile(timings, 50) * 1000, percentile(timings, 95) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--iterations", type=int, default=200)
    args = parser.parse_args()

    database = postgres_database() if args.db == "postgres" else sqlite_database()
    with database as url:
        django_setup(url)
        from django.db import connection
        from django.test import Client

        from omnipresence.clients.models import TimelineEvent

        started = time.perf_counter()
        boutique, client, user = seed(args.events)
        seeded = time.perf_counter() - started
        total = TimelineEvent.objects.filter(client=client).count()
        http = Client()
        http.force_login(user)
        page_url = f"/console/{boutique.slug}/clients/{client.pk}/"
        api_url = f"/api/v1/boutiques/{boutique.slug}/clients/{client.pk}/timeline"

        def page():
            response = http.get(page_url)
            assert response.status_code == 200, response.status_code
            return response

        def api():
            response = http.get(api_url)
            assert response.status_code == 200, response.content[:300]
            return response.json()

        def offset_last():
            qs = TimelineEvent.objects.filter(client_id=client.pk).select_related("associate").order_by(
                "-occurred_at", "-id")  # fmt: skip
            start = max(total - 50, 0)
            return [{"id": e.pk, "kind": e.kind, "summary": e.summary, "occurred_at": e.occurred_at.isoformat(),
                     "associate": e.associate.username if e.associate else None} for e in qs[start : start + 50]]  # fmt: skip

        def naive_all():
            events = TimelineEvent.objects.filter(client_id=client.pk).select_related("associate").order_by(
                "-occurred_at", "-id")  # fmt: skip
            return json.dumps([{"id": e.pk, "kind": e.kind, "summary": e.summary, "data": e.data,
                                "occurred_at": e.occurred_at.isoformat(),
                                "associate": e.associate.username if e.associate else None} for e in events])  # fmt: skip

        # Agreement first: the API's first page is the naive read's first 50, OFFSET's page its last 50.
        everything = json.loads(naive_all())
        first = api()
        first_ids = [e["id"] for e in first["items"]]
        assert first_ids == [e["id"] for e in everything[:50]], "API first page disagrees with the full read"
        assert [e["id"] for e in offset_last()] == [e["id"] for e in everything[-50:]], (
            "OFFSET page disagrees"
        )
        assert "Bench event 0" in page().content.decode(), "the profile page does not show the newest event"

        rows = []
        for name, call in (("ours: console profile page", page), ("ours: API timeline, first page", api),
                           ("baseline: OFFSET, last page of 50", offset_last),
                           ("baseline: naive all events → JSON", naive_all)):  # fmt: skip
            queries, p50, p95 = measure(call, args.iterations)
            rows.append([name, queries, f"{p50:.2f}", f"{p95:.2f}"])
        vendor = (
            f"PostgreSQL {connection.pg_version // 10000}" if connection.vendor == "postgresql" else "SQLite"
        )
        connection.close()

    print(f"# client_profile: {vendor}, {machine_summary()}")
    print(f"# one client with {total:,} timeline events, 12 orders, 3 identities, 3 consents; 200 other clients × 20 "
          f"events; seeded in {seeded:.1f}s; {args.iterations} requests each\n")  # fmt: skip
    print(table(["path", "queries", "p50 ms", "p95 ms"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
