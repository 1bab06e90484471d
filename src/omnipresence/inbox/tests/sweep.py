"""Objects of the inbox for the tenancy sweep (core/tests/test_tenancy_sweep.py)."""

from omnipresence.inbox import services

PUBLIC = {("POST", "/webhooks/inbox/local/{inbox_id}")}
# The real channels' webhooks (inbox/provider_api.py): each checks its provider's signature.
PUBLIC |= {
    ("GET", "/webhooks/whatsapp/{inbox_id}"), ("POST", "/webhooks/whatsapp/{inbox_id}"),
    ("GET", "/webhooks/meta/{inbox_id}"), ("POST", "/webhooks/meta/{inbox_id}"),
    ("POST", "/webhooks/twilio/{inbox_id}"), ("POST", "/webhooks/twilio/{inbox_id}/status"),
    ("POST", "/webhooks/email/{inbox_id}"), ("POST", "/webhooks/mentions/{inbox_id}"),
}  # fmt: skip


def sweep_ids(world: dict) -> dict:
    if "inbox_sweep" not in world:
        actor = world["actor"]
        inbox = services.inbox_create(actor=actor, kind="sms", name="Sweep SMS", address="+447911000001")
        message, _ = services.inbound_receive(inbox=inbox, sender="+447911123459", body="Hello",
                                              provider_message_id=f"sweep-{world['boutique'].slug}")  # fmt: skip
        answer = services.message_send(actor=actor, conversation=message.conversation, body="Not sent")
        from django.utils import timezone

        from omnipresence.inbox.models import Message, OutboxItem

        Message.objects.filter(pk=answer.pk).update(status=Message.Status.FAILED, error="refused")
        OutboxItem.objects.filter(message=answer).update(given_up_at=timezone.now())  # the provider refused it
        world["inbox_sweep"] = {"conversation_id": message.conversation_id, "inbox_id": inbox.pk,
                                "resend_message_id": answer.pk}  # fmt: skip
        world["inbox_sweep"].update(_routing_ids(world, inbox))
        world["inbox_sweep"].update(_channel_ids(world))
        world["inbox_sweep"].update(_rich_ids(world, inbox))
    return world["inbox_sweep"]


def _rich_ids(world: dict, sms) -> dict:
    """Rich messages and reshaping: saved replies (one to read, one to delete), one client's two
    threads to merge, a client to move a thread to."""
    from omnipresence.clients.services import client_resolve
    from omnipresence.inbox import rich

    slug = world["boutique"].slug
    actor = world["actor"]
    keep = rich.canned_reply_create(actor=actor, shortcut="hello", title="Hello", body="Hello {first_name}")
    drop = rich.canned_reply_create(actor=actor, shortcut="bye", title="Bye", body="Goodbye")
    whatsapp = services.inbox_create(actor=actor, kind="whatsapp", name="Sweep WhatsApp 2", address="+447911000003")
    first, _ = services.inbound_receive(inbox=sms, sender="+447911123462", body="By SMS",
                                        provider_message_id=f"sweep-merge-1-{slug}")  # fmt: skip
    second, _ = services.inbound_receive(inbox=whatsapp, sender="+447911123462", body="On WhatsApp",
                                         provider_message_id=f"sweep-merge-2-{slug}")  # fmt: skip
    other = client_resolve(boutique=world["boutique"], email=f"moved-{slug}@example.com", name="Moved")
    from omnipresence.catalog import services as catalog

    scarf = catalog.product_create(actor=actor, title="Sweep Card Scarf", description="Its own piece for the card row.")
    catalog.variant_create(actor=actor, product=scarf, sku=f"{slug}-SWEEP-CARD", price=1000)
    return {"card_product_id": scarf.pk, "reply_id": keep.pk, "drop_reply_id": drop.pk, "merge_from": first.conversation_id,
            "merge_into": second.conversation_id, "move_client_id": other.pk}  # fmt: skip


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (90, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _routing_ids(world: dict, inbox) -> dict:
    """Routing: an unassigned conversation to claim and transfer, and an associate to set."""
    from omnipresence.conftest import make_staff

    slug = world["boutique"].slug
    agent = make_staff(world, f"agent-{slug}")
    message, _ = services.inbound_receive(inbox=inbox, sender="+447911123460", body="Anyone there?",
                                          provider_message_id=f"sweep-routing-{slug}")  # fmt: skip
    return {"user_id": agent.pk, "routing_conversation_id": message.conversation_id}


def _channel_ids(world: dict) -> dict:
    """A WhatsApp conversation (local provider) to send a template in."""
    slug = world["boutique"].slug
    whatsapp = services.inbox_create(actor=world["actor"], kind="whatsapp", name="Sweep WhatsApp",
                                     address="+447911000002")  # fmt: skip
    message, _ = services.inbound_receive(inbox=whatsapp, sender="+447911123461", body="Hi",
                                          provider_message_id=f"sweep-wa-{slug}")  # fmt: skip
    return {"whatsapp_conversation_id": message.conversation_id}


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
        ("POST", "/boutiques/{slug}/conversations/{conversation_id}/messages/{message_id}/resend"): {
            "ids": {"message_id": world["inbox_sweep"]["resend_message_id"]},
        },
        **_routing_operations(world),
        **_rich_operations(world),
        ("POST", "/boutiques/{slug}/conversations/{conversation_id}/templates"): {
            "ids": {"conversation_id": world["inbox_sweep"]["whatsapp_conversation_id"]},
            "json": {"name": "order_ready", "language": "en_GB", "variables": ["Sibyl"]},
        },
    }


def _routing_operations(world: dict) -> dict:
    own = {"ids": {"conversation_id": world["inbox_sweep"]["routing_conversation_id"]}}
    return {
        ("GET", "/boutiques/{slug}/inbox/agents"): {},
        ("PUT", "/boutiques/{slug}/inbox/agents/me"): {"json": {"status": "online", "capacity": 5}},
        ("PUT", "/boutiques/{slug}/inbox/agents/{user_id}"): {"json": {"status": "away", "capacity": 3}},
        ("POST", "/boutiques/{slug}/conversations/{conversation_id}/claim"): own,
        ("POST", "/boutiques/{slug}/conversations/{conversation_id}/transfer"): {
            **own, "json": {"to_user_id": world["inbox_sweep"]["user_id"], "note": "She asked for you"},
        },
    }


def _rich_operations(world: dict) -> dict:
    ids = world["inbox_sweep"]
    return {
        ("POST", "/boutiques/{slug}/conversations/{conversation_id}/attachments"): {"files": ("file", "a.png", _png())},
        ("POST", "/boutiques/{slug}/conversations/{conversation_id}/cards"): {
            "json": {"kind": "product", "product_id": ids["card_product_id"], "body": "Intruder"},
        },
        ("GET", "/boutiques/{slug}/canned-replies"): {},
        ("POST", "/boutiques/{slug}/canned-replies"): {"json": {"shortcut": "intruder", "title": "X", "body": "X"}},
        ("DELETE", "/boutiques/{slug}/canned-replies/{reply_id}"): {"ids": {"reply_id": ids["drop_reply_id"]}},
        ("GET", "/boutiques/{slug}/conversations/{conversation_id}/canned-replies/{reply_id}"): {},
        ("POST", "/boutiques/{slug}/conversations/{conversation_id}/merge"): {
            "ids": {"conversation_id": ids["merge_from"]}, "json": {"into_id": ids["merge_into"]},
        },
        ("POST", "/boutiques/{slug}/conversations/{conversation_id}/move"): {
            "json": {"client_id": ids["move_client_id"]},
        },
    }
