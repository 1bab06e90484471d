"""Two erasures of one client at once (real threads; PostgreSQL in CI): one erases, the other is
told she is erased already; one record."""

import pytest

from omnipresence.clients import services as clients
from omnipresence.clients.errors import ClientErased
from omnipresence.orders.tests.test_concurrency import run_clients
from omnipresence.privacy.models import ErasureRecord
from omnipresence.privacy.services import client_erase

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_erasures_at_once_erase_once(world_a):
    client = clients.client_resolve(boutique=world_a["boutique"], email="twice@example.com", name="Ada")

    def erase(i):
        try:
            return client_erase(client=client, requested_by=f"staff{i}", via="staff").pk
        except ClientErased:
            return "erased already"

    results, escaped = run_clients(6, erase)
    assert escaped == []
    assert results.count("erased already") == 5
    assert ErasureRecord.objects.count() == 1
