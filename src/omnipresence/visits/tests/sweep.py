"""Objects of the visits app for the tenancy sweep (core/tests/test_tenancy_sweep.py)."""

from omnipresence.clients import services as clients
from omnipresence.visits import services


def sweep_ids(world: dict) -> dict:
    if "visits_sweep" not in world:
        boutique = world["boutique"]
        client = clients.client_resolve(
            boutique=boutique, email="walkin@example.com", name="Mina Harker", channel="shop"
        )
        clients.consent_record(actor_label="sweep", client=client, purpose="walk_in", granted=True, channel="shop",
                               wording="Yes")  # fmt: skip
        visit, _ = services.visit_check_in(client=client, location=world["shop"], via="api")
        world["visits_sweep"] = {"visit_id": visit.pk, "walk_in_client_id": client.pk}
    return world["visits_sweep"]


def sweep_operations(world: dict) -> dict:
    ids = sweep_ids(world)
    return {
        ("POST", "/boutiques/{slug}/check-ins"): {
            "json": {"client_id": ids["walk_in_client_id"], "location_code": "soho"}
        },
        ("GET", "/boutiques/{slug}/visits"): {},
        ("POST", "/boutiques/{slug}/visits/{visit_id}/acknowledge"): {},
    }
