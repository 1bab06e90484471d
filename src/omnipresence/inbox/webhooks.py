"""Inbound webhooks. The local provider (the demo, tests, and any system that wants to post messages
in) signs like Stripe: `X-Omni-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the
inbox's key (`local_webhook_key(inbox)`, derived from SECRET_KEY), at most 5 minutes old. A replay
inside that window stores nothing twice (the provider message id is unique)."""

import hashlib
import hmac
import json
import time

from django.conf import settings

from omnipresence.core.errors import InvalidInput, Unauthenticated
from omnipresence.inbox.models import Inbox
from omnipresence.inbox.services import inbound_receive

TOLERANCE_SECONDS = 300


class InvalidSignature(Unauthenticated):
    code = "invalid_signature"
    default_message = "The webhook signature is missing, wrong or too old."


def local_webhook_key(inbox: Inbox) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), f"inbox-local:{inbox.pk}".encode(), hashlib.sha256).digest()


def local_sign(inbox: Inbox, body: bytes, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    digest = hmac.new(local_webhook_key(inbox), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def _verify(inbox: Inbox, body: bytes, header: str) -> None:
    parts = dict(p.split("=", 1) for p in (header or "").split(",") if "=" in p)
    stamp, given = parts.get("t", ""), parts.get("v1", "")
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > TOLERANCE_SECONDS:
        raise InvalidSignature()
    expected = hmac.new(local_webhook_key(inbox), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise InvalidSignature()


def local_webhook(*, inbox_id: int, body: bytes, headers) -> dict:
    inbox = Inbox.objects.select_related("boutique").filter(pk=inbox_id, provider="local").first()
    if inbox is None:
        raise InvalidSignature()  # an unknown inbox looks like a bad signature: nothing to probe
    _verify(inbox, body, headers.get("X-Omni-Signature", ""))
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("The body is not JSON.", code="malformed_request")
    if not isinstance(event, dict) or not all(isinstance(event.get(k), str) for k in ("from", "text", "id")):
        raise InvalidInput('Send {"from", "text", "id"} as strings (and "name").', code="invalid_event")
    name = event.get("name") if isinstance(event.get("name"), str) else ""
    message, created = inbound_receive(inbox=inbox, sender=event["from"], body=event["text"],
                                       provider_message_id=event["id"], name=name)  # fmt: skip
    return {"result": "stored" if created else "duplicate", "message_id": message.pk,
            "conversation_id": message.conversation_id}  # fmt: skip
