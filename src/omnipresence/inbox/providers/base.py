"""What the real channel providers share: outbound HTTP with a timeout (a network failure, a timeout
or a 5xx is `ProviderFailed`, tried again by the outbox — `unknown` when the request got there and
no answer came back; a 4xx that can never succeed is a permanent `ProviderFailed` carrying the
provider's words), Meta's `X-Hub-Signature-256` check and subscribe
handshake (WhatsApp Cloud API, Messenger, Instagram), the webhook errors, and the step that hands
parsed webhook messages and receipts to the inbox's services."""

import hashlib
import hmac
import http.client
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from omnipresence.core.errors import DomainError, Forbidden, Unauthenticated
from omnipresence.inbox.errors import InvalidConfig, ProviderFailed
from omnipresence.inbox.models import Inbox

log = logging.getLogger(__name__)

MAX_ANSWER_BYTES = 256 * 1024
# 4xx answers worth trying again: timeout, too early, rate-limited. Every other 4xx is final...
RETRYABLE_4XX = frozenset({408, 425, 429})
# ...except the Graph API's throttling and temporary errors, which come as a 400 (Graph's error
# handling guide; WhatsApp's 130429 throughput, 131048 spam rate, 131056 pair rate, 133004 down).
GRAPH_TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613, 80007, 130429, 131000, 131048, 131056, 133004})


class WebhookSignatureInvalid(Unauthenticated):
    code = "invalid_signature"
    default_message = "The webhook signature is missing or wrong."


class MalformedWebhook(DomainError):
    code = "malformed_request"
    status = 400
    default_message = "The webhook body could not be read."


class ProviderUnavailable(DomainError):
    code = "provider_unavailable"
    status = 503
    default_message = "The provider could not be reached; send the webhook again later."


class HandshakeRefused(Forbidden):
    code = "verification_failed"
    default_message = "hub.mode must be subscribe and hub.verify_token this inbox's verify token."


# --- outbound HTTP ------------------------------------------------------------------------------


class _NoCredentialsElsewhere(urllib.request.HTTPRedirectHandler):
    """Follow a redirect, but never carry the Authorization header to another host (Twilio's media
    URL redirects to its storage; the account's credentials stay with Twilio)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urlsplit(newurl).netloc != urlsplit(req.full_url).netloc:
            new.remove_header("Authorization")
        return new


# Built once: each opener loads the system's CA certificates (~100 ms). Proxies from the environment apply.
_OPENER = urllib.request.build_opener(_NoCredentialsElsewhere)


def provider_fetch(provider: str, method: str, url: str, *, headers: dict[str, str], body: bytes | None = None,
                   limit: int) -> tuple[int, bytes]:  # fmt: skip
    """One HTTP call to a provider, with the timeout: (status, at most `limit` bytes of the answer),
    or ProviderFailed when no answer came — `unknown` once the request had gone out."""
    try:
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        with _OPENER.open(request, timeout=settings.INBOX_PROVIDER_TIMEOUT) as response:
            return response.status, response.read(limit)
    except urllib.error.HTTPError as error:
        raw = error.read(limit)
        error.close()
        return error.code, raw
    except (urllib.error.URLError, ValueError) as error:  # refused, no such host, TLS refused, not fully sent: not taken
        raise ProviderFailed(f"{provider}: {error.__class__.__name__}: {error}"[:300]) from error
    except (OSError, http.client.HTTPException) as error:  # sent, then a timeout or a dropped connection
        raise ProviderFailed(f"{provider}: {error.__class__.__name__}: {error}"[:300], unknown=True) from error


def provider_request(provider: str, method: str, url: str, *, headers: dict[str, str],
                     body: bytes | None = None) -> dict:  # fmt: skip
    """One call to a provider's API: its JSON answer, or ProviderFailed (permanent for a final 4xx)."""
    status, raw = provider_fetch(provider, method, url, headers=headers, body=body, limit=MAX_ANSWER_BYTES)
    try:
        answer = json.loads(raw) if raw else {}
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    if status >= 500:  # it may have gone all the same (a gateway timing out on a working backend)
        raise ProviderFailed(f"{provider} answered {status}: {provider_error(answer)}"[:300], unknown=True)
    if status >= 400:
        raise ProviderFailed(f"{provider} refused ({status}): {provider_error(answer)}"[:300],
                             permanent=status not in RETRYABLE_4XX and not _graph_transient(answer))  # fmt: skip
    return answer


def _graph_transient(answer: dict) -> bool:
    error = answer.get("error")
    return isinstance(error, dict) and (error.get("is_transient") is True or error.get("code") in GRAPH_TRANSIENT_CODES)


def provider_error(answer: dict) -> str:
    """The provider's own words: Graph `{"error": {"message", "code"}}`, Twilio `{"code", "message"}`."""
    error = answer.get("error")
    if isinstance(error, dict):
        return f"{error.get('message', '')} (code {error.get('code', '?')})"
    if answer.get("message"):
        return f"{answer['message']} (code {answer.get('code', '?')})"
    return "no explanation"


def graph_url(base: str, *parts: str) -> str:
    return "/".join([base, settings.GRAPH_API_VERSION, *parts])


# --- config -------------------------------------------------------------------------------------


def config_require(config, keys: tuple[str, ...]) -> dict:
    """The config with these keys as non-empty strings (surrounding spaces dropped), or InvalidConfig."""
    if not isinstance(config, dict):
        raise InvalidConfig(_("config is an object of the provider's settings."))
    missing = [key for key in keys if not isinstance(config.get(key), str) or not config[key].strip()]
    if missing:
        message = _("This provider needs %(keys)s in config.") % {"keys": ", ".join(missing)}
        raise InvalidConfig(message, details={"missing": missing})
    return {**config, **{key: config[key].strip() for key in keys}}


def kind_require(provider: str, kind: str, kinds: tuple[str, ...]) -> None:
    if kind not in kinds:
        message = _("The %(provider)s provider serves %(kinds)s inboxes.")
        raise InvalidConfig(message % {"provider": provider, "kinds": ", ".join(kinds)}, code="provider_kind_mismatch")


# --- inbound ------------------------------------------------------------------------------------


def webhook_inbox(inbox_id: int, *, provider: str | None = None, kinds: tuple[str, ...] | None = None) -> Inbox:
    """The inbox a webhook names. Unknown (or another provider's) looks like a bad signature:
    nothing to probe."""
    inboxes = Inbox.objects.select_related("boutique").filter(pk=inbox_id)
    if provider is not None:
        inboxes = inboxes.filter(provider=provider)
    if kinds is not None:
        inboxes = inboxes.filter(kind__in=kinds)
    inbox = inboxes.first()
    if inbox is None:
        raise WebhookSignatureInvalid()
    return inbox


def hub_signature_check(app_secret: str, body: bytes, header: str) -> None:
    """Meta's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`."""
    if not app_secret:
        raise WebhookSignatureInvalid()
    expected = b"sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(expected, (header or "").encode("utf-8", "replace")):
        raise WebhookSignatureInvalid()


def hub_handshake(inbox_id: int, *, provider: str, params) -> str:
    """Meta's subscription check: `hub.mode=subscribe`, `hub.verify_token` = the inbox's, answer
    `hub.challenge`."""
    try:
        inbox = webhook_inbox(inbox_id, provider=provider)
    except WebhookSignatureInvalid:
        raise HandshakeRefused()
    expected = (inbox.config or {}).get("verify_token") or ""
    given = params.get("hub.verify_token") or ""
    challenge = params.get("hub.challenge") or ""
    if (params.get("hub.mode") != "subscribe" or not expected or not challenge or len(challenge) > 200
            or not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))):  # fmt: skip
        raise HandshakeRefused()
    return challenge


def json_object(body: bytes) -> dict:
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedWebhook(_("The body is not JSON."))
    if not isinstance(event, dict):
        raise MalformedWebhook(_("The body is not a JSON object."), code="invalid_event")
    return event


def as_list(value) -> list:
    return value if isinstance(value, list) else []


def as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def text(value, limit: int = 20000) -> str:
    return value[:limit] if isinstance(value, str) else ""


def moment(seconds) -> datetime | None:
    """A provider's unix time (seconds, as text or number); None when absent, absurd or in the future."""
    try:
        at = datetime.fromtimestamp(int(seconds), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return at if at <= timezone.now() + timedelta(minutes=5) else None


@dataclass
class Inbound:
    """One message from a client, read from a provider's webhook."""

    sender: str
    body: str
    provider_message_id: str
    name: str = ""
    received_at: datetime | None = None
    payload: dict = field(default_factory=dict)


@dataclass
class Receipt:
    """A provider's news about one of our messages: sent, delivered, read or failed. `reference` is
    the `msg-<id>` we sent along with the message, when the provider hands it back (WhatsApp's
    `biz_opaque_callback_data`, Messenger's echo `metadata`, our Twilio status callback's `ref`): it
    names the message when its answer — and so its provider id — was lost."""

    provider_message_id: str
    status: str
    error: str = ""
    reference: str = ""


def media_and_words(payload: dict, body: str) -> tuple[str, str, str] | None:
    """The message's first photo or video as (image|video, absolute link, the rest of the text
    without that link), or None: for channels that show media natively."""
    for attachment in payload.get("attachments") or []:
        if not isinstance(attachment, dict) or not attachment.get("url"):
            continue
        kind = str(attachment.get("content_type", "")).partition("/")[0]
        if kind not in ("image", "video"):
            continue
        url = attachment["url"]
        link = url if url.startswith("http") else settings.SITE_URL + url
        words = "\n".join(line for line in body.split("\n") if line.strip() != link).strip()
        return kind, link, words
    return None


def media_placeholder(kind: str) -> str:
    """The words a message without text shows in the thread (the payload keeps the media)."""
    return f"[{kind}]"


def webhook_apply(inbox: Inbox, messages: list[Inbound], receipts: list[Receipt], *, ignored: int = 0,
                  duplicate: int = 0) -> dict:  # fmt: skip
    """Store each message once (by its provider id) and move each receipt forward. One bad item
    (an address we cannot read, a switched-off inbox) is logged and skipped: answering 4xx for the
    whole delivery would make the provider retry it for days."""
    from omnipresence.inbox.services import inbound_receive
    from omnipresence.inbox.status import message_status_update

    counts = {"stored": 0, "duplicate": duplicate, "statuses": 0, "ignored": ignored}
    errors = []
    for item in messages:
        try:
            _message, created = inbound_receive(
                inbox=inbox, sender=item.sender, body=item.body, provider_message_id=item.provider_message_id,
                name=item.name, received_at=item.received_at, payload=item.payload,
            )  # fmt: skip
        except DomainError as error:
            log.warning("inbox %s: message %s skipped: %s", inbox.pk, item.provider_message_id, error.code)
            counts["ignored"] += 1
            errors.append({"id": item.provider_message_id, "code": error.code})
            continue
        if created:
            from omnipresence.inbox.media_fetch import media_mark_pending

            media_mark_pending(_message, inbox)
        counts["stored" if created else "duplicate"] += 1
    for receipt in receipts:
        moved = message_status_update(boutique_id=inbox.boutique_id, provider_message_id=receipt.provider_message_id,
                                      status=receipt.status, error=receipt.error, inbox_id=inbox.pk,
                                      reference=receipt.reference)  # fmt: skip
        counts["statuses" if moved is not None else "ignored"] += 1
    return {"result": "ok", **counts, "errors": errors}
