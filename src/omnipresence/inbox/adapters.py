"""Outbound adapters: one small class per provider, chosen by `Inbox.provider`.

`send(inbox=, to=, body=, payload=, idempotency_key=)` hands one message to the provider and returns
its message id, or raises `ProviderFailed` (tried again later by the outbox) — it must be safe to
call twice with the same key. `local` keeps what it "sent" in `LocalDelivery` (the demo and the
tests run offline); `email` sends through Django's mail backend (SMTP when EMAIL_HOST is set).
The WhatsApp Cloud API, Twilio and Meta adapters plug in here with the same shape.
"""

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction

from omnipresence.inbox.errors import ProviderFailed
from omnipresence.inbox.models import Inbox, LocalDelivery


class LocalAdapter:
    name = "local"

    def send(self, *, inbox: Inbox, to: str, body: str, payload: dict, idempotency_key: str) -> str:
        try:
            with transaction.atomic():
                delivery = LocalDelivery.objects.create(
                    boutique_id=inbox.boutique_id, inbox=inbox, idempotency_key=idempotency_key, to=to,
                    body=body, payload=payload,
                )  # fmt: skip
        except IntegrityError:  # sent before (a retry after a crash): the same delivery, not a second
            delivery = LocalDelivery.objects.get(idempotency_key=idempotency_key)
        return f"local-{delivery.pk}"


class EmailAdapter:
    name = "email"

    def send(self, *, inbox: Inbox, to: str, body: str, payload: dict, idempotency_key: str) -> str:
        message_id = f"<{idempotency_key}@omnipresence>"
        subject = payload.get("subject") or inbox.name
        mail = EmailMessage(subject=subject, body=body, from_email=inbox.address or None, to=[to],
                            headers={"Message-ID": message_id})  # fmt: skip
        if payload.get("in_reply_to"):
            mail.extra_headers["In-Reply-To"] = payload["in_reply_to"]
            mail.extra_headers["References"] = payload["in_reply_to"]
        try:
            mail.send()
        except OSError as error:  # SMTP down, refused, timed out
            raise ProviderFailed(str(error)[:200]) from error
        return message_id


ADAPTERS = {"local": LocalAdapter(), "email": EmailAdapter()}


def adapter_for(inbox: Inbox):
    adapter = ADAPTERS.get(inbox.provider)
    if adapter is None:
        raise ProviderFailed(f"No adapter named '{inbox.provider}'.")
    return adapter
