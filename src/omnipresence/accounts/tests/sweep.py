"""Objects of the accounts app for the tenancy sweep (core/tests/test_tenancy_sweep.py)."""

from omnipresence.accounts import services
from omnipresence.clients.services import client_resolve


def sweep_ids(world: dict) -> dict:
    if "accounts_sweep" not in world:
        client = client_resolve(boutique=world["boutique"], email="wishful@example.com", name="Wish Ful",
                                channel="web")  # fmt: skip
        services.wishlist_add(client=client, product=world["product"])
        world["accounts_sweep"] = {"client_id": client.pk}
    return {}


def sweep_operations(world: dict) -> dict:
    sweep_ids(world)
    client_id = world["accounts_sweep"]["client_id"]
    return {
        ("GET", "/boutiques/{slug}/clients/{client_id}/wishlist"): {"ids": {"client_id": client_id}},
    }
