"""products_changed batches notifications per transaction and survives rollbacks."""

import pytest
from django.db import connection, transaction

from omnipresence.core import hooks


@pytest.fixture
def calls(monkeypatch):
    # Ids left pending by an earlier test's rolled-back transaction would be flushed with this
    # test's first commit (by design, see products_changed): start from a clean connection.
    getattr(connection, "_omni_products_pending", set()).clear()
    received: list[list[int]] = []
    monkeypatch.setattr(hooks, "_products_changed", [received.append])
    return received


@pytest.mark.django_db(transaction=True)
def test_one_notification_per_transaction(calls):
    with transaction.atomic():
        for pid in (3, 1, 2, 3):
            hooks.products_changed([pid])
        assert calls == []  # nothing before the commit
    assert calls == [[1, 2, 3]]


@pytest.mark.django_db(transaction=True)
def test_rolled_back_savepoint_ids_are_still_flushed_harmlessly(calls):
    with transaction.atomic():
        try:
            with transaction.atomic():
                hooks.products_changed([7])
                raise RuntimeError
        except RuntimeError:
            pass
        hooks.products_changed([8])
    assert calls == [[7, 8]]
    hooks.products_changed([9])  # outside a transaction: at once
    assert calls == [[7, 8], [9]]
