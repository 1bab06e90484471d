"""Objects of the privacy app for the tenancy sweep (core/tests/test_tenancy_sweep.py)."""

from omnipresence.clients import services as clients


def sweep_ids(world: dict) -> dict:
    if "privacy_sweep" not in world:
        client = clients.client_resolve(boutique=world["boutique"], email="forget-me@example.com", name="Ada Lovelace")
        world["privacy_sweep"] = {"privacy_client_id": client.pk}
    return world["privacy_sweep"]


def sweep_operations(world: dict) -> dict:
    ids = sweep_ids(world)
    own = {"client_id": ids["privacy_client_id"]}
    return {
        ("GET", "/boutiques/{slug}/clients/{client_id}/export"): {"ids": own},
        ("POST", "/boutiques/{slug}/clients/{client_id}/erase"): {"ids": own, "json": {"confirm": "ERASE"}},
        ("GET", "/boutiques/{slug}/erasures"): {},
    }
