"""Resolutions racing each other, on SQLite and PostgreSQL: one new email resolved by 16 requests
at once makes one client; purchases recorded at once all count."""

import pytest
from django.utils import timezone

from omnipresence.clients import services
from omnipresence.clients.models import Client, Identity, TimelineEvent
from omnipresence.orders.tests.test_concurrency import run_clients

pytestmark = pytest.mark.django_db(transaction=True)
CLIENTS = 16


def test_one_new_email_resolved_by_many_requests_makes_one_client(world_a):
    boutique = world_a["boutique"]

    results, escaped = run_clients(
        CLIENTS,
        lambda i: services.client_resolve(boutique=boutique, email="Sibyl@Example.com", phone=f"+4479111234{i:02d}",
                                          name="Sibyl Vane").pk,
    )  # fmt: skip

    assert escaped == []
    client = Client.objects.get(boutique=boutique)
    assert set(results) == {client.pk}
    assert Identity.objects.filter(boutique=boutique, kind="email").count() == 1
    # Every request's own phone number was added to the one client.
    assert Identity.objects.filter(client=client, kind="phone").count() == CLIENTS
    assert TimelineEvent.objects.filter(client=client, kind="created").count() == 1


def test_purchases_recorded_at_once_all_count(world_a):
    client = services.client_resolve(boutique=world_a["boutique"], email="a@example.com")
    now = timezone.now()

    _, escaped = run_clients(
        CLIENTS, lambda i: services.client_stats_add(client_id=client.pk, amount=5_000, occurred_at=now)
    )

    assert escaped == []
    client.refresh_from_db()
    assert (client.lifetime_spend, client.orders_count, client.tier) == (80_000, 16, "regular")
