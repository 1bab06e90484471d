"""Objects of the clienteling app for the tenancy sweep (core/tests/test_tenancy_sweep.py)."""

from omnipresence.clienteling import services
from omnipresence.clients import services as clients
from omnipresence.conftest import make_staff


def sweep_ids(world: dict) -> dict:
    if "clienteling_sweep" not in world:
        boutique, actor = world["boutique"], world["actor"]
        client = clients.client_resolve(boutique=boutique, email="hallward@example.com", name="Basil Hallward")
        leaver = make_staff(world, f"leaver-{boutique.slug}")
        make_staff(world, f"taker-{boutique.slug}")
        clients.client_update(actor=actor, client=client, primary_associate=leaver)
        task = services.task_create(actor=actor, client=client, reason="Call about the portrait", assignee=leaver)
        world["clienteling_sweep"] = {"task_id": task.pk, "task_client_id": client.pk}
    return world["clienteling_sweep"]


def sweep_operations(world: dict) -> dict:
    ids = sweep_ids(world)
    slug = world["boutique"].slug
    return {
        ("GET", "/boutiques/{slug}/tasks"): {},
        ("POST", "/boutiques/{slug}/tasks"): {
            "json": {"client_id": ids["task_client_id"], "reason": "Intruder's task", "assignee": f"leaver-{slug}"}
        },
        ("PATCH", "/boutiques/{slug}/tasks/{task_id}"): {"json": {"action": "done", "note": "Intruder"}},
        ("POST", "/boutiques/{slug}/tasks/generate"): {},
        ("POST", "/boutiques/{slug}/clients/{client_id}/messages"): {
            "json": {"purpose": "transactional", "subject": "Your order", "body": "It is ready."}
        },
        ("POST", "/boutiques/{slug}/clients/reassign"): {
            "json": {"from_user": f"leaver-{slug}", "to_user": f"taker-{slug}"}
        },
    }
