import pytest

from omnipresence.clients import services as clients
from omnipresence.conftest import make_staff
from omnipresence.stores.access import actor_for_user
from omnipresence.testing.browser import *  # noqa: F403 - fixtures for the browser test


@pytest.fixture
def alice(world_a):
    return make_staff(world_a, "alice")


@pytest.fixture
def maria(world_a):
    return make_staff(world_a, "maria", "manager")


@pytest.fixture
def alice_actor(world_a, alice):
    return actor_for_user(alice, world_a["boutique"])


@pytest.fixture
def maria_actor(world_a, maria):
    return actor_for_user(maria, world_a["boutique"])


@pytest.fixture
def client_a(world_a, alice):
    client = clients.client_resolve(boutique=world_a["boutique"], email="ada@example.com", name="Ada Lovelace")
    return clients.client_update(actor=world_a["actor"], client=client, primary_associate=alice)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
