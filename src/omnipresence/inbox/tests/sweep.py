"""Objects of the inbox for the tenancy sweep (core/tests/test_tenancy_sweep.py)."""

from omnipresence.inbox import services

PUBLIC = {("POST", "/webhooks/inbox/local/{inbox_id}")}


def sweep_ids(world: dict) -> dict:
    if "inbox_sweep" not in world:
        actor = world["actor"]
        inbox = services.inbox_create(actor=actor, kind="sms", name="Sweep SMS", address="+447911000001")
        message, _ = services.inbound_receive(inbox=inbox, sender="+447911123459", body="Hello",
                                              provider_message_id=f"sweep-{world['boutique'].slug}")  # fmt: skip
        world["inbox_sweep"] = {"conversation_id": message.conversation_id, "inbox_id": inbox.pk}
    return world["inbox_sweep"]


def sweep_operations(world: dict) -> dict:
    sweep_ids(world)
    return {
        ("GET", "/boutiques/{slug}/inboxes"): {},
        ("POST", "/boutiques/{slug}/inboxes"): {"json": {"kind": "email", "name": "Intruder", "address": "x@b.example"}},
        ("GET", "/boutiques/{slug}/conversations"): {},
        ("GET", "/boutiques/{slug}/conversations/{conversation_id}"): {},
        ("POST", "/boutiques/{slug}/conversations/{conversation_id}/messages"): {"json": {"body": "Intruder"}},
        ("PATCH", "/boutiques/{slug}/conversations/{conversation_id}"): {"json": {"status": "resolved"}},
        ("POST", "/boutiques/{slug}/conversations/{conversation_id}/read"): {},
    }
