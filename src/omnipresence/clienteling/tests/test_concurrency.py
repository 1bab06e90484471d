"""Two sweeps at once make each automatic task once (PostgreSQL, real threads)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from omnipresence.clienteling.generation import tasks_generate
from omnipresence.clienteling.models import Task
from omnipresence.clients import services as clients
from omnipresence.conftest import make_boutique, make_staff

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_two_concurrent_generations_make_each_task_once():
    world = make_boutique("atelier-a")
    alice = make_staff(world, "alice")
    soon = (timezone.now() + timedelta(days=2)).strftime("%m-%d")
    for i in range(12):
        client = clients.client_resolve(boutique=world["boutique"], email=f"c{i}@example.com", name=f"Client {i}")
        clients.client_update(actor=world["actor"], client=client, primary_associate=alice, sizes={"coats": "M"},
                              colours=["blue"], important_dates=[{"label": "birthday", "date": f"--{soon}"}])  # fmt: skip
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(tasks_generate(world["boutique"]))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r["birthday"] for r in results) == 12
    assert sum(r["new_arrival"] for r in results) == 12
    assert Task.objects.filter(kind="birthday").count() == 12
    assert Task.objects.filter(kind="new_arrival").count() == 12
