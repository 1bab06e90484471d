import re

import pytest
from django.core import mail

from omnipresence.clients import services as clients
from omnipresence.testing.browser import *  # noqa: F403 - fixtures for the browser test

LINK_RE = re.compile(r"/account/login/([A-Za-z0-9_-]+)/")
EMAIL = "vane@example.com"


def link_token(message=None) -> str:
    message = message or mail.outbox[-1]
    return LINK_RE.search(message.body).group(1)


@pytest.fixture
def log_in(django_capture_on_commit_callbacks):
    """Log a test client in as `email` through the real flow (request, email, POST on the link)."""

    def do(client, email=EMAIL, next_path=""):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/account/login/", {"email": email, "next": next_path})
        assert response.status_code == 200
        return client.post(f"/account/login/{link_token()}/")

    return do


@pytest.fixture
def her_a(world_a):
    """Sibyl, a client of boutique A known by her email."""
    return clients.client_resolve(boutique=world_a["boutique"], email=EMAIL, name="Sibyl Vane", channel="shop")


def grant(client, purpose="personalization"):
    clients.consent_record(actor_label="test", client=client, purpose=purpose, granted=True, channel="shop",
                           wording="Yes")  # fmt: skip
