import json

import pytest
from django.test import Client as HttpClient

from omnipresence.clients import services as clients
from omnipresence.inbox import services
from omnipresence.inbox.webhooks import local_sign
from omnipresence.stores.access import actor_for_user
from omnipresence.testing.browser import *  # noqa: F403 - fixtures for the browser tests


@pytest.fixture
def manager_actor(world_a, manager_a):
    return actor_for_user(manager_a, world_a["boutique"])


@pytest.fixture
def sms(manager_actor):
    return services.inbox_create(actor=manager_actor, kind="sms", name="Shop SMS", address="+447700900001")


@pytest.fixture
def whatsapp(manager_actor):
    return services.inbox_create(actor=manager_actor, kind="whatsapp", name="WhatsApp", address="+447700900002")


@pytest.fixture
def sibyl(world_a, associate_a):
    client = clients.client_resolve(boutique=world_a["boutique"], phone="+447911123456", name="Sibyl Vane")
    clients.client_update(actor=actor_for_user(associate_a, world_a["boutique"]), client=client,
                          primary_associate=associate_a)  # fmt: skip
    client.refresh_from_db()
    return client


def post_inbound(inbox, event: dict, *, signature: str | None = None, at: int | None = None):
    body = json.dumps(event).encode()
    header = signature if signature is not None else local_sign(inbox, body, at)
    return HttpClient().post(f"/api/v1/webhooks/inbox/local/{inbox.pk}", body, content_type="application/json",
                             headers={"X-Omni-Signature": header})  # fmt: skip
