"""API tokens in the console: owners create (key shown once), list and revoke; nobody else can."""

import pytest

from omnipresence.stores.access import token_lookup
from omnipresence.stores.models import ApiToken


@pytest.fixture
def owner_client(client, owner_a):
    client.force_login(owner_a)
    return client


def test_owner_creates_a_token_and_sees_the_key_once(owner_client, owner_a):
    response = owner_client.post(
        "/console/atelier-a/tokens/", {"name": "Till", "scopes": ["inventory:read"], "valid_days": "30"}
    )
    assert response.status_code == 200
    key = response.context["key"]
    token = token_lookup(key)
    assert (token.name, token.scopes, token.created_by) == ("Till", ["inventory:read"], owner_a)
    assert key in response.content.decode()
    listing = owner_client.get("/console/atelier-a/tokens/").content.decode()
    assert f"omni_{token.prefix}_" in listing and key not in listing


def test_owner_revokes_a_token(owner_client, world_a):
    owner_client.post("/console/atelier-a/tokens/", {"name": "Old", "scopes": ["catalog:read"]})
    token = ApiToken.objects.get(name="Old")
    response = owner_client.post(f"/console/atelier-a/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


@pytest.mark.parametrize("data, code", [
    ({"name": "", "scopes": ["catalog:read"]}, "invalid_name"),
    ({"name": "X", "scopes": []}, "invalid_scope"),
    ({"name": "X", "scopes": ["root"]}, "invalid_scope"),
    ({"name": "X", "scopes": ["catalog:read"], "valid_days": "0"}, "invalid_expiry"),
])  # fmt: skip
def test_bad_token_requests_are_refused_clearly(owner_client, data, code):
    response = owner_client.post("/console/atelier-a/tokens/", data)
    assert response.status_code == 422
    assert response.context["error"].code == code
    assert not ApiToken.objects.exists()


def test_managers_associates_and_other_boutiques_cannot_manage_tokens(client, manager_a, associate_b, world_a):
    client.force_login(manager_a)
    assert client.get("/console/atelier-a/tokens/").status_code == 403
    assert client.post("/console/atelier-a/tokens/", {"name": "X", "scopes": ["catalog:read"]}).status_code == 403
    client.force_login(associate_b)
    assert client.get("/console/atelier-a/tokens/").status_code == 403
    assert not ApiToken.objects.exists()


def test_another_boutiques_token_cannot_be_revoked(client, world_a, world_b):
    from omnipresence.stores import services

    token_b, _ = services.api_token_create(boutique=world_b["boutique"], name="B")
    owner = services.staff_add(boutique=world_a["boutique"], username="owner-a", role="owner").user
    client.force_login(owner)
    assert client.post(f"/console/atelier-a/tokens/{token_b.pk}/revoke/").status_code == 404
    token_b.refresh_from_db()
    assert token_b.revoked_at is None
