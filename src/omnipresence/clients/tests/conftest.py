"""Fixtures for the clients tests: associates and a manager of boutique A, and a snapshot of
every client row of a boutique (what a refused write must leave as it was)."""

import pytest

from omnipresence.clients.models import (
    Client,
    ConsentEvent,
    Identity,
    MergeRecord,
    ProfileView,
    TimelineEvent,
)
from omnipresence.stores.access import actor_for_user


@pytest.fixture
def clerk(associate_actor):
    """An associate of boutique A, as an Actor."""
    return associate_actor


@pytest.fixture
def manager(world_a, manager_a):
    return actor_for_user(manager_a, world_a["boutique"])


def state(boutique) -> list:
    return [
        list(model.objects.filter(boutique=boutique).order_by("pk").values())
        for model in (Client, Identity, ConsentEvent, TimelineEvent, MergeRecord, ProfileView)
    ]
