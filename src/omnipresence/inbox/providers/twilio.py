"""Twilio Programmable Messaging (provider `twilio`, inboxes of kind sms or whatsapp).

Config: `account_sid` (AC…), `auth_token` (signs the webhooks and authenticates the API calls),
`from` (the Twilio number, E.164; `whatsapp:` is added for WhatsApp inboxes; a Messaging Service
SID MG… also works).

Webhooks: `/api/v1/webhooks/twilio/{inbox_id}` (incoming messages) and `…/status` (status
callbacks), form-encoded and signed with `X-Twilio-Signature`, checked by the SDK's
RequestValidator against the public URL Twilio called: SITE_URL + the path. Both answer empty
TwiML, so Twilio sends nothing by itself. Sending: `POST {TWILIO_API_BASE}/2010-04-01/Accounts/
{sid}/Messages.json` with HTTP Basic auth. The Messages API takes no idempotency key (Twilio's
error 20500 page: a retried SMS may be sent twice), so the outbox's key goes in the status
callback's address (`…/status?ref=msg-<id>`): the callback names the message even when the answer
to the send was lost, and the outbox does not send it again.
"""

import base64
import json
from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext as _
from twilio.request_validator import RequestValidator

from omnipresence.inbox.errors import InvalidConfig, ProviderFailed
from omnipresence.inbox.models import Inbox
from omnipresence.inbox.providers.base import (
    Inbound,
    MalformedWebhook,
    Receipt,
    WebhookSignatureInvalid,
    config_require,
    kind_require,
    media_placeholder,
    provider_request,
    text,
    webhook_apply,
    webhook_inbox,
)

CONFIG_KEYS = ("account_sid", "auth_token", "from")
MAX_MEDIA = 10
# Twilio's MessageStatus values and ours: accepted, queued and sending mean Twilio has it, our
# "sent" (a message already sent stays as it is); scheduled says nothing new.
RECEIPTS = {"accepted": "sent", "queued": "sent", "sending": "sent", "sent": "sent", "delivered": "delivered",
            "read": "read", "failed": "failed", "undelivered": "failed", "canceled": "failed"}  # fmt: skip
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def status_callback_url(inbox: Inbox, reference: str = "") -> str:
    """Where Twilio reports on a message; `ref` names it (the signature covers the whole URL)."""
    url = f"{settings.SITE_URL}/api/v1/webhooks/twilio/{inbox.pk}/status"
    return f"{url}?{urlencode({'ref': reference})}" if reference else url


def _address(inbox: Inbox, number: str) -> str:
    return f"whatsapp:{number}" if inbox.kind == Inbox.Kind.WHATSAPP else number


class TwilioAdapter:
    name = "twilio"
    kinds = (Inbox.Kind.SMS, Inbox.Kind.WHATSAPP)

    def config_clean(self, *, kind: str, config: dict) -> dict:
        kind_require(self.name, kind, self.kinds)
        config = config_require(config, CONFIG_KEYS)
        if not config["account_sid"].startswith("AC"):
            raise InvalidConfig(_("A Twilio account SID starts with AC."), details={"invalid": ["account_sid"]})
        config["from"] = config["from"].removeprefix("whatsapp:")
        return config

    def send(self, *, inbox: Inbox, to: str, body: str, payload: dict, idempotency_key: str) -> str:
        config = inbox.config or {}
        sid, token, sender = config.get("account_sid", ""), config.get("auth_token", ""), config.get("from", "")
        form = [("To", _address(inbox, to))]
        if sender.startswith("MG"):
            form.append(("MessagingServiceSid", sender))
        else:
            form.append(("From", _address(inbox, sender)))
        template = payload.get("template")
        if template:  # WhatsApp outside the window: an approved Content template, by its SID
            if not template["name"].startswith("HX"):
                raise ProviderFailed("Twilio sends templates by Content SID (HX…), not by name.", permanent=True)
            form.append(("ContentSid", template["name"]))
            variables = {str(i): value for i, value in enumerate(template.get("variables") or [], start=1)}
            if variables:
                form.append(("ContentVariables", json.dumps(variables)))
        else:
            form.append(("Body", body))
            for attachment in (payload.get("attachments") or [])[:MAX_MEDIA]:
                url = attachment.get("url", "") if isinstance(attachment, dict) else ""
                if url:
                    form.append(("MediaUrl", url if url.startswith("http") else settings.SITE_URL + url))
        form.append(("StatusCallback", status_callback_url(inbox, idempotency_key)))
        basic = base64.b64encode(f"{sid}:{token}".encode()).decode()
        answer = provider_request(
            "Twilio", "POST", f"{settings.TWILIO_API_BASE}/2010-04-01/Accounts/{sid}/Messages.json",
            headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded",
                     "Accept": "application/json"},
            body=urlencode(form).encode(),
        )  # fmt: skip
        message_sid = answer.get("sid")
        if not isinstance(message_sid, str) or not message_sid:
            raise ProviderFailed("Twilio accepted the request but returned no message SID.", permanent=True)
        return message_sid


def _verified_inbox(inbox_id: int, *, full_path: str, params, headers) -> Inbox:
    inbox = webhook_inbox(inbox_id, provider=TwilioAdapter.name)
    token = (inbox.config or {}).get("auth_token", "")
    signature = headers.get("X-Twilio-Signature", "")
    if not token or not signature or not RequestValidator(token).validate(
        settings.SITE_URL + full_path, params, signature
    ):
        raise WebhookSignatureInvalid()
    return inbox


def _form_required(params, content_type: str, keys: tuple[str, ...]) -> None:
    if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        raise MalformedWebhook(_("Twilio posts application/x-www-form-urlencoded."))
    missing = [key for key in keys if not params.get(key)]
    if missing:
        raise MalformedWebhook(_("Missing %(keys)s.") % {"keys": ", ".join(missing)}, code="invalid_event")


def twilio_parse(params, inbox: Inbox) -> Inbound | None:
    """The message in one incoming-message webhook (None when it has nothing to show)."""
    body = text(params.get("Body"))
    media = []
    try:
        count = min(int(params.get("NumMedia") or 0), MAX_MEDIA)
    except ValueError:
        raise MalformedWebhook(_("NumMedia is a number."), code="invalid_event")
    for i in range(count):
        url = text(params.get(f"MediaUrl{i}"), 500)
        if url:
            media.append({"url": url, "content_type": text(params.get(f"MediaContentType{i}"), 100)})
    if not body.strip() and media:
        body = media_placeholder(media[0]["content_type"].split("/")[0] or "media")
    if not body.strip():
        return None
    payload = {"media": media} if media else {}
    return Inbound(sender=text(params.get("From"), 60).removeprefix("whatsapp:"), body=body,
                   provider_message_id=text(params.get("MessageSid"), 200),
                   name=text(params.get("ProfileName"), 120), payload=payload)  # fmt: skip


def twilio_webhook(*, inbox_id: int, full_path: str, params, headers) -> None:
    inbox = _verified_inbox(inbox_id, full_path=full_path, params=params, headers=headers)
    _form_required(params, headers.get("Content-Type", ""), ("MessageSid", "From"))
    message = twilio_parse(params, inbox)
    webhook_apply(inbox, [message] if message else [], [], ignored=0 if message else 1)


def twilio_status_webhook(*, inbox_id: int, full_path: str, params, headers, reference: str = "") -> None:
    inbox = _verified_inbox(inbox_id, full_path=full_path, params=params, headers=headers)
    _form_required(params, headers.get("Content-Type", ""), ("MessageSid", "MessageStatus"))
    mapped = RECEIPTS.get(params["MessageStatus"])
    if mapped is None:
        return
    error = ""
    if params.get("ErrorCode"):
        error = f"Twilio error {text(params['ErrorCode'], 20)}: {text(params.get('ErrorMessage'), 200)}".strip(": ")
    receipt = Receipt(provider_message_id=params["MessageSid"], status=mapped, error=error, reference=text(reference, 100))
    webhook_apply(inbox, [], [receipt])
