"""WhatsApp Business Cloud API (provider `whatsapp_cloud`, inboxes of kind whatsapp).

Config: `phone_number_id` (the business number's id in Meta's WhatsApp Manager), `access_token` (a
system user's permanent token with whatsapp_business_messaging), `app_secret` (signs the webhooks),
`verify_token` (any secret you choose, typed again in Meta's webhook settings).

Webhook `/api/v1/webhooks/whatsapp/{inbox_id}`: GET is the subscription handshake; POST carries
`entry[].changes[].value.messages[]` (stored once per wamid) and `.statuses[]` (receipts), signed
with `X-Hub-Signature-256`. Sending: `POST {WHATSAPP_GRAPH_BASE}/{version}/{phone_number_id}/messages`
with the Bearer token; free text, or an approved template outside the 24-hour window.
The Cloud API takes no idempotency key. Each message carries our `msg-<id>` as
`biz_opaque_callback_data`, which WhatsApp hands back in the message's status webhooks: when the
answer to a send was lost, the "sent" status names the message, and the outbox does not send it again.
"""

import json
import re

from django.conf import settings
from django.utils.translation import gettext as _

from omnipresence.core.errors import InvalidInput
from omnipresence.inbox.errors import ProviderFailed
from omnipresence.inbox.models import Inbox
from omnipresence.inbox.providers.base import (
    Inbound,
    Receipt,
    as_dict,
    as_list,
    config_require,
    graph_url,
    hub_signature_check,
    json_object,
    kind_require,
    media_and_words,
    media_placeholder,
    moment,
    provider_request,
    text,
    webhook_apply,
    webhook_inbox,
)

CONFIG_KEYS = ("phone_number_id", "access_token", "app_secret", "verify_token")
MAX_TEXT = 4096  # the Cloud API's limit for a text body
MAX_CAPTION = 1024  # … and for a photo's or a video's caption
TEMPLATE_NAME = re.compile(r"^([a-z0-9_]{1,512}|HX[0-9a-f]{32})$")  # a Cloud API name, or a Twilio Content SID
TEMPLATE_LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
MAX_VARIABLES = 20
MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
RECEIPTS = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed"}


def template_clean(template) -> dict:
    """{"name", "language", "variables": [...]} checked, for a template message."""
    if not isinstance(template, dict) or set(template) - {"name", "language", "variables"}:
        raise InvalidInput(_('A template is {"name", "language", "variables"}.'), code="invalid_template")
    name, language = template.get("name"), template.get("language")
    variables = template.get("variables", [])
    if not isinstance(name, str) or not TEMPLATE_NAME.match(name):
        raise InvalidInput(_("A template name is lower-case letters, digits and _."), code="invalid_template")
    if not isinstance(language, str) or not TEMPLATE_LANGUAGE.match(language):
        raise InvalidInput(_("A template language is a code such as en or en_GB."), code="invalid_template")
    if (not isinstance(variables, list) or len(variables) > MAX_VARIABLES
            or any(not isinstance(v, str) or not v.strip() or len(v) > 1024 for v in variables)):  # fmt: skip
        raise InvalidInput(_("Template variables are up to 20 texts."), code="invalid_template")
    return {"name": name, "language": language, "variables": [v.strip() for v in variables]}


def template_text(template: dict) -> str:
    """What the thread shows for a template message."""
    variables = " · ".join(template.get("variables") or [])
    return f"[{template['name']}] {variables}".strip()


class WhatsAppCloudAdapter:
    name = "whatsapp_cloud"
    kinds = (Inbox.Kind.WHATSAPP,)

    def config_clean(self, *, kind: str, config: dict) -> dict:
        kind_require(self.name, kind, self.kinds)
        return config_require(config, CONFIG_KEYS)

    def send(self, *, inbox: Inbox, to: str, body: str, payload: dict, idempotency_key: str) -> str:
        config = inbox.config or {}
        message: dict = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to.lstrip("+"),
                         "biz_opaque_callback_data": idempotency_key[:512]}  # fmt: skip
        template = payload.get("template")
        if template:
            components = []
            if template.get("variables"):
                parameters = [{"type": "text", "text": value} for value in template["variables"]]
                components.append({"type": "body", "parameters": parameters})
            message["type"] = "template"
            message["template"] = {"name": template["name"], "language": {"code": template["language"]}}
            if components:
                message["template"]["components"] = components
        elif _native_media(payload, body):
            kind, link, caption = _native_media(payload, body)
            message["type"] = kind
            message[kind] = {"link": link, **({"caption": caption} if caption else {})}
        else:
            if not body or len(body) > MAX_TEXT:
                raise ProviderFailed(f"WhatsApp text is 1 to {MAX_TEXT} characters.", permanent=True)
            message["type"] = "text"
            message["text"] = {"body": body}
        url = graph_url(settings.WHATSAPP_GRAPH_BASE, config.get("phone_number_id", ""), "messages")
        headers = {"Authorization": f"Bearer {config.get('access_token', '')}", "Content-Type": "application/json"}
        answer = provider_request("WhatsApp", "POST", url, headers=headers, body=json.dumps(message).encode())
        sent = as_list(answer.get("messages"))
        wamid = as_dict(sent[0]).get("id") if sent else None
        if not isinstance(wamid, str) or not wamid:
            # Accepted but unreadable: sending again could double it, so it stops here.
            raise ProviderFailed("WhatsApp accepted the request but returned no message id.", permanent=True)
        return wamid


def _native_media(payload: dict, body: str) -> tuple[str, str, str] | None:
    """(type, link, caption) when the message carries a photo or a video: WhatsApp shows it in the
    chat (fetched from its capability URL) with her associate's words as the caption. The other
    photos stay links in the caption; a caption too long for WhatsApp goes as a text with links."""
    found = media_and_words(payload, body)
    if found is None or len(found[2]) > MAX_CAPTION:
        return None
    return found


def _message_body(message: dict) -> tuple[str, dict]:
    """(text the thread shows, payload) of one Cloud API message."""
    kind = message.get("type")
    if kind == "text":
        return text(as_dict(message.get("text")).get("body")), {}
    if kind in MEDIA_TYPES:
        media = as_dict(message.get(kind))
        payload = {"media": [{"type": kind, "id": text(media.get("id"), 200),
                              "mime_type": text(media.get("mime_type"), 100)}]}  # fmt: skip
        return text(media.get("caption")) or media_placeholder(kind), payload
    if kind == "location":
        place = as_dict(message.get("location"))
        where = ", ".join(str(place[k]) for k in ("name", "address") if isinstance(place.get(k), str))
        at = f"{place.get('latitude')},{place.get('longitude')}"
        return f"{where} ({at})" if where else at, {"location": {"latitude": place.get("latitude"),
                                                                 "longitude": place.get("longitude")}}  # fmt: skip
    if kind == "button":
        return text(as_dict(message.get("button")).get("text")), {}
    if kind == "interactive":
        reply = as_dict(message.get("interactive"))
        chosen = as_dict(reply.get("button_reply")) or as_dict(reply.get("list_reply"))
        return text(chosen.get("title")), {}
    return "", {}  # reaction, system, unsupported…: nothing to show in the thread


def whatsapp_parse(event: dict, *, phone_number_id: str) -> tuple[list[Inbound], list[Receipt], int]:
    """Messages and receipts for this number in one webhook body (others' numbers ignored):
    (messages, receipts, items ignored)."""
    messages, receipts, ignored = [], [], 0
    for entry in as_list(event.get("entry")):
        for change in as_list(as_dict(entry).get("changes")):
            change = as_dict(change)
            value = as_dict(change.get("value"))
            if change.get("field") != "messages":
                continue
            if as_dict(value.get("metadata")).get("phone_number_id") != phone_number_id:
                ignored += len(as_list(value.get("messages"))) + len(as_list(value.get("statuses")))
                continue
            names = {text(as_dict(c).get("wa_id"), 40): text(as_dict(as_dict(c).get("profile")).get("name"), 120)
                     for c in as_list(value.get("contacts"))}  # fmt: skip
            for message in as_list(value.get("messages")):
                message = as_dict(message)
                sender, wamid = text(message.get("from"), 40), text(message.get("id"), 200)
                body, payload = _message_body(message)
                if not sender or not wamid or not body.strip():
                    ignored += 1
                    continue
                payload["whatsapp"] = {"type": text(message.get("type"), 20)}
                messages.append(Inbound(sender=f"+{sender.lstrip('+')}", body=body, provider_message_id=wamid,
                                        name=names.get(sender, ""), received_at=moment(message.get("timestamp")),
                                        payload=payload))  # fmt: skip
            for status in as_list(value.get("statuses")):
                status = as_dict(status)
                mapped = RECEIPTS.get(status.get("status"))
                if mapped is None or not text(status.get("id"), 200):
                    ignored += 1
                    continue
                errors = [as_dict(e) for e in as_list(status.get("errors"))]
                error = "; ".join(f"{text(e.get('title'), 120)} ({e.get('code')})" for e in errors)
                receipts.append(Receipt(provider_message_id=status["id"], status=mapped, error=error,
                                        reference=text(status.get("biz_opaque_callback_data"), 512)))  # fmt: skip
    return messages, receipts, ignored


def whatsapp_webhook(*, inbox_id: int, body: bytes, headers) -> dict:
    inbox = webhook_inbox(inbox_id, provider=WhatsAppCloudAdapter.name)
    config = inbox.config or {}
    hub_signature_check(config.get("app_secret", ""), body, headers.get("X-Hub-Signature-256", ""))
    event = json_object(body)
    if event.get("object") != "whatsapp_business_account":
        return webhook_apply(inbox, [], [], ignored=1)
    messages, receipts, ignored = whatsapp_parse(event, phone_number_id=config.get("phone_number_id", ""))
    return webhook_apply(inbox, messages, receipts, ignored=ignored)
