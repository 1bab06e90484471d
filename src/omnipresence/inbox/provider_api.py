"""The real channels' API: the providers' public webhooks (no login — each checks its provider's
signature, and an unknown inbox answers like a bad signature), and WhatsApp templates, the one
answer allowed outside the 24-hour window. docs/inbox.md, "Channels", describes each provider."""

from typing import Annotated, Literal

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from omnipresence.clients.attempts import logged_attempts
from omnipresence.core.api import AUTH, ERRORS, ID, SLUG, ErrorOut, Input, Text, request_actor
from omnipresence.core.errors import PayloadTooLarge
from omnipresence.inbox import services
from omnipresence.inbox.api import MessageOut, _message_out
from omnipresence.inbox.providers.base import hub_handshake
from omnipresence.inbox.providers.email_in import email_webhook
from omnipresence.inbox.providers.mentions import mention_webhook
from omnipresence.inbox.providers.meta import meta_webhook
from omnipresence.inbox.providers.twilio import TWIML_EMPTY, twilio_status_webhook, twilio_webhook
from omnipresence.inbox.providers.whatsapp import (
    TEMPLATE_LANGUAGE,
    TEMPLATE_NAME,
    template_text,
    whatsapp_webhook,
)
from omnipresence.inbox.selectors import access_conversation

router = Router(tags=["inbox webhooks"])

MAX_WEBHOOK_BYTES = 256 * 1024
HOOK_ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut}
HANDSHAKE_DOC = {
    "parameters": [
        {"name": name, "in": "query", "required": False, "schema": {"type": "string", "maxLength": 200}}
        for name in ("hub.mode", "hub.verify_token", "hub.challenge")
    ],
    "responses": {"200": {"description": "hub.challenge, as text/plain",
                          "content": {"text/plain": {"schema": {"type": "string"}}}}},
}  # fmt: skip
TWIML_DOC = {
    "responses": {"200": {"description": "Empty TwiML: Twilio sends nothing by itself",
                          "content": {"text/xml": {"schema": {"type": "string"}}}}},
}  # fmt: skip


class BatchOut(Schema):
    result: str
    stored: int
    duplicate: int
    statuses: int = Field(description="Receipts that moved one of our messages forward")
    ignored: int = Field(description="Items not for us, unknown ids, or refused (see errors)")
    errors: list[dict]


class StoredOut(Schema):
    result: str
    message_id: int
    conversation_id: int


def _body(request, limit: int = MAX_WEBHOOK_BYTES) -> bytes:
    if len(request.body) > limit:
        raise PayloadTooLarge("The webhook body is too large.")
    return request.body


def _text(content: str, content_type: str) -> HttpResponse:
    return HttpResponse(content, content_type=f"{content_type}; charset=utf-8")


@router.get("/webhooks/whatsapp/{inbox_id}", response={403: ErrorOut, 422: ErrorOut}, openapi_extra=HANDSHAKE_DOC)
def whatsapp_handshake(request, inbox_id: ID):
    """Meta's subscription check: answers `hub.challenge` when `hub.verify_token` is the inbox's."""
    return _text(hub_handshake(inbox_id, provider="whatsapp_cloud", params=request.GET), "text/plain")


@router.post("/webhooks/whatsapp/{inbox_id}", response={200: BatchOut, **HOOK_ERRORS})
def whatsapp_inbound(request, inbox_id: ID):
    """Messages (stored once per wamid) and statuses from the WhatsApp Cloud API, signed with the
    app secret (`X-Hub-Signature-256`)."""
    return whatsapp_webhook(inbox_id=inbox_id, body=_body(request), headers=request.headers)


@router.get("/webhooks/meta/{inbox_id}", response={403: ErrorOut, 422: ErrorOut}, openapi_extra=HANDSHAKE_DOC)
def meta_handshake(request, inbox_id: ID):
    """Meta's subscription check for a Messenger, Instagram or social inbox."""
    return _text(hub_handshake(inbox_id, provider="meta", params=request.GET), "text/plain")


@router.post("/webhooks/meta/{inbox_id}", response={200: BatchOut, 503: ErrorOut, **HOOK_ERRORS})
def meta_inbound(request, inbox_id: ID):
    """Messenger and Instagram DMs, their receipts, and Instagram mentions (a social inbox), signed
    with the app secret (`X-Hub-Signature-256`). 503 when a mention could not be fetched: Meta retries."""
    return meta_webhook(inbox_id=inbox_id, body=_body(request), headers=request.headers)


@router.post("/webhooks/twilio/{inbox_id}", response=HOOK_ERRORS, openapi_extra=TWIML_DOC)
def twilio_inbound(request, inbox_id: ID):
    """An SMS or WhatsApp message through Twilio (form-encoded, `X-Twilio-Signature`)."""
    _body(request)
    twilio_webhook(inbox_id=inbox_id, full_path=request.get_full_path(), params=request.POST,
                   headers=request.headers)  # fmt: skip
    return _text(TWIML_EMPTY, "text/xml")


@router.post("/webhooks/twilio/{inbox_id}/status", response=HOOK_ERRORS, openapi_extra=TWIML_DOC)
def twilio_status(request, inbox_id: ID):
    """Twilio's status callback for one of our messages (`MessageStatus`)."""
    _body(request)
    twilio_status_webhook(inbox_id=inbox_id, full_path=request.get_full_path(), params=request.POST,
                          headers=request.headers, reference=request.GET.get("ref", ""))  # fmt: skip
    return _text(TWIML_EMPTY, "text/xml")


@router.post("/webhooks/email/{inbox_id}", response={200: StoredOut, **HOOK_ERRORS})
def email_inbound(request, inbox_id: ID):
    """A raw email (`message/rfc822`), signed like the local webhook (`X-Omni-Signature`). A reply
    naming one of the inbox's messages continues that conversation."""
    return email_webhook(inbox_id=inbox_id, body=request.body, headers=request.headers)


@router.post("/webhooks/mentions/{inbox_id}", response={200: StoredOut, **HOOK_ERRORS})
def mention_inbound(request, inbox_id: ID):
    """A public mention from any network `{network, handle, text, id, url}` on a social inbox,
    signed like the local webhook (`X-Omni-Signature`)."""
    return mention_webhook(inbox_id=inbox_id, body=_body(request), headers=request.headers)


class TemplateIn(Input):
    name: Annotated[str, Field(pattern=TEMPLATE_NAME.pattern, description="The approved template's name "
                               "(Cloud API) or Content SID HX… (Twilio)")]  # fmt: skip
    language: Annotated[str, Field(pattern=TEMPLATE_LANGUAGE.pattern, examples=["en_GB"])]
    variables: list[Text(1024, min_length=1)] = Field(default_factory=list, max_length=20,
                                                      description="The body's {{1}}, {{2}}… in order")  # fmt: skip
    body: Text(4000) = Field("", description="What the thread shows; default: the name and variables")
    purpose: Literal["service", "marketing"] = "service"


@router.post("/boutiques/{slug}/conversations/{conversation_id}/templates", response={201: MessageOut, **ERRORS},
             auth=AUTH, tags=["inbox"])  # fmt: skip
@logged_attempts("message", target_kwarg="conversation_id")
def template_send(request, slug: SLUG, conversation_id: ID, payload: TemplateIn):
    """An approved WhatsApp template: allowed outside the 24-hour window (free text is 409
    window_closed there). Marketing templates need her consent like any marketing message."""
    actor = request_actor(request, slug)
    conversation = access_conversation(actor, conversation_id)
    template = {"name": payload.name, "language": payload.language, "variables": payload.variables}
    body = payload.body or template_text(template)
    message = services.message_send(actor=actor, conversation=conversation, body=body, purpose=payload.purpose,
                                    payload={"template": template})  # fmt: skip
    message.refresh_from_db()
    return Status(201, _message_out(message))
