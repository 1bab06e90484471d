"""Outbound adapters: one small class per provider, chosen by `Inbox.provider`.

`send(inbox=, to=, body=, payload=, idempotency_key=)` hands one message to the provider and returns
its message id, or raises `ProviderFailed` (tried again later by the outbox) — it must be safe to
call twice with the same key. `local` keeps what it "sent" in `LocalDelivery` (the demo and the
tests run offline); `email` sends through Django's mail backend (SMTP when EMAIL_HOST is set).
The real providers (WhatsApp Cloud API, Twilio, Meta) live in `inbox/providers/`, each with its
webhook; an adapter may also check an inbox's config (`config_clean`) and add what an answer needs
to reach her thread (`reply_payload`: email's In-Reply-To, a mention's comment).
"""

import re

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction

from omnipresence.inbox.errors import InvalidConfig, ProviderFailed
from omnipresence.inbox.models import Conversation, Inbox, LocalDelivery, Message
from omnipresence.inbox.providers.meta import MetaAdapter
from omnipresence.inbox.providers.twilio import TwilioAdapter
from omnipresence.inbox.providers.whatsapp import WhatsAppCloudAdapter

MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")  # an email Message-ID as it may go in a header


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
    imap_keys = ("imap_host", "imap_user", "imap_password")

    def config_clean(self, *, kind: str, config) -> dict:
        """No settings are needed; polling a mailbox (inbox_poll_imap) needs imap_host, imap_user
        and imap_password (imap_port, imap_security ssl | starttls | none, imap_folder optional)."""
        if not isinstance(config, dict):
            raise InvalidConfig("config is an object of the provider's settings.")
        if not any(key.startswith("imap_") for key in config):
            return config
        missing = [key for key in self.imap_keys if not isinstance(config.get(key), str) or not config[key]]
        if missing:
            raise InvalidConfig(f"Polling a mailbox needs {', '.join(missing)}.", details={"missing": missing})
        if config.get("imap_security", "ssl") not in ("ssl", "starttls", "none") or not str(
            config.get("imap_port", "993")
        ).isdigit():  # fmt: skip
            raise InvalidConfig("imap_security is ssl, starttls or none; imap_port a number.",
                                details={"invalid": ["imap_security", "imap_port"]})  # fmt: skip
        return config

    def send(self, *, inbox: Inbox, to: str, body: str, payload: dict, idempotency_key: str) -> str:
        message_id = f"<{idempotency_key}@omnipresence>"
        subject = payload.get("subject") or inbox.name
        mail = EmailMessage(subject=subject, body=body, from_email=inbox.address or None, to=[to],
                            headers={"Message-ID": message_id})  # fmt: skip
        if payload.get("in_reply_to"):
            mail.extra_headers["In-Reply-To"] = payload["in_reply_to"]
            mail.extra_headers["References"] = payload.get("references") or payload["in_reply_to"]
        try:
            mail.send()
        except OSError as error:  # SMTP down, refused, timed out
            raise ProviderFailed(str(error)[:200]) from error
        return message_id

    def reply_payload(self, *, conversation: Conversation, payload: dict) -> dict:
        """An answer continues her thread: In-Reply-To her last message, References its chain, and
        the subject "Re: <the conversation's subject>"."""
        last = (
            Message.objects.filter(conversation=conversation, direction=Message.Direction.INBOUND)
            .exclude(provider_message_id="").order_by("-created_at", "-pk").first()
        )  # fmt: skip
        extra = {}
        if last is not None and MESSAGE_ID.fullmatch(last.provider_message_id):
            earlier = (last.payload.get("email") or {}).get("references") or []
            chain = [ref for ref in earlier if isinstance(ref, str) and MESSAGE_ID.fullmatch(ref)][-10:]
            extra = {"in_reply_to": last.provider_message_id,
                     "references": " ".join([*chain, last.provider_message_id])}  # fmt: skip
        if conversation.subject:
            subject = conversation.subject
            extra["subject"] = subject if subject[:3].lower() == "re:" else f"Re: {subject}"
        return {**extra, **payload}


ADAPTERS = {
    "local": LocalAdapter(), "email": EmailAdapter(), "whatsapp_cloud": WhatsAppCloudAdapter(),
    "twilio": TwilioAdapter(), "meta": MetaAdapter(),
}  # fmt: skip


def config_clean(*, provider: str, kind: str, config) -> dict:
    """The inbox's provider settings, checked by its adapter (InvalidConfig, 400, names what is
    missing). The local and email providers need none."""
    clean = getattr(ADAPTERS[provider], "config_clean", None)
    if clean is not None:
        return clean(kind=kind, config=config)
    if not isinstance(config, dict):
        raise InvalidConfig("config is an object of the provider's settings.")
    return config


def reply_context(*, conversation: Conversation, payload: dict) -> dict:
    """The payload of an answer with what its provider needs to reach her thread."""
    prepare = getattr(ADAPTERS.get(conversation.inbox.provider), "reply_payload", None)
    return prepare(conversation=conversation, payload=payload) if prepare is not None else payload


def adapter_for(inbox: Inbox):
    adapter = ADAPTERS.get(inbox.provider)
    if adapter is None:
        raise ProviderFailed(f"No adapter named '{inbox.provider}'.")
    return adapter
