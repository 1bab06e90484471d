"""Photos and videos she sends on WhatsApp, Messenger, Instagram or through Twilio (MMS, WhatsApp),
fetched into our own storage.

The webhook only names the file: WhatsApp's Cloud API gives a media id (`GET /<version>/<media id>`
with the inbox's token answers a short-lived URL, which needs the token too), Messenger and
Instagram a URL on Meta's CDN that expires within days, Twilio a media URL under the account (with
its credentials; it redirects to storage elsewhere, where the credentials are not carried). Right after the message is stored (after the commit,
as the outbox does), and again from the `inbox_media` sweep when that failed, each file is fetched,
checked like an upload (inbox.attachments: type from the bytes, size limits, photos stripped of
their metadata) and attached to her message, so the thread shows it and it outlives the
provider's link. State lives in the message's payload: `media_state` pending → done / failed,
`media_attempts` (fetching while one is under way), and per file `attachment_id` or `error`.
"""

import hashlib
import logging
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from omnipresence.core.errors import DomainError
from omnipresence.inbox import realtime
from omnipresence.inbox.attachments import MAX_PER_MESSAGE, MAX_VIDEO_BYTES, attachment_store
from omnipresence.inbox.errors import ProviderFailed
from omnipresence.inbox.models import Message
from omnipresence.inbox.providers.base import graph_url, provider_fetch, provider_request

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
GIVE_UP_AFTER = timedelta(days=2)  # providers' links are gone by then
KINDS = ("image", "video", "sticker")  # what the thread can show; audio and documents stay named
# Where Messenger and Instagram keep attachments: a URL elsewhere in a webhook is not fetched.
META_CDN_HOSTS = (".fbcdn.net", ".fbsbx.com", ".cdninstagram.com")


def _kind(entry: dict) -> str:
    """image, video… — named by the provider, or by the content type it gave (Twilio)."""
    return str(entry.get("type") or str(entry.get("content_type") or "").partition("/")[0])


def media_wanted(payload: dict | None) -> bool:
    return any(isinstance(m, dict) and _kind(m) in KINDS for m in (payload or {}).get("media") or [])


def media_mark_pending(message: Message, inbox) -> None:
    """Called for a newly stored inbound message: fetch its files after the commit (not for a
    flood: inbox.services)."""
    if inbox.provider not in FETCHERS or message.payload.get("flood") or not media_wanted(message.payload):
        return
    Message.objects.filter(pk=message.pk).update(payload={**message.payload, "media_state": "pending",
                                                          "media_attempts": 0})  # fmt: skip
    transaction.on_commit(lambda: media_fetch(message.pk))


def download(provider: str, url: str, *, headers: dict[str, str]) -> bytes:
    """The bytes at `url`, at most MAX_VIDEO_BYTES; ProviderFailed (permanent for a final 4xx or a
    file too large). Credentials are not carried to another host on a redirect (providers.base)."""
    status, data = provider_fetch(f"{provider} file", "GET", url, headers=headers, limit=MAX_VIDEO_BYTES + 1)
    if status >= 300:
        raise ProviderFailed(f"{provider} file: {status}", permanent=400 <= status < 500 and status != 429)
    if len(data) > MAX_VIDEO_BYTES:
        raise ProviderFailed(f"{provider} file is larger than 25 MB.", permanent=True)
    return data


def _whatsapp_bytes(inbox, media: dict) -> bytes:
    token = (inbox.config or {}).get("access_token", "")
    auth = {"Authorization": f"Bearer {token}"}
    media_id = str(media.get("id") or "")
    if not media_id.isdigit():
        raise ProviderFailed("WhatsApp media without a valid id.", permanent=True)
    info = provider_request("WhatsApp", "GET", graph_url(settings.WHATSAPP_GRAPH_BASE, media_id), headers=auth)
    url = info.get("url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise ProviderFailed("WhatsApp gave no URL for the media.", permanent=True)
    data = download("WhatsApp", url, headers=auth)
    digest = info.get("sha256")
    if isinstance(digest, str) and digest and hashlib.sha256(data).hexdigest() != digest.lower():
        raise ProviderFailed("WhatsApp media does not match its sha256.")
    return data


def on_meta_cdn(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and any(host.endswith(suffix) or host == suffix[1:] for suffix in META_CDN_HOSTS)


def _meta_bytes(inbox, media: dict) -> bytes:
    url = str(media.get("url") or "")
    if not on_meta_cdn(url) and not url.startswith(settings.META_GRAPH_BASE + "/"):
        raise ProviderFailed("The attachment is not on Meta's CDN.", permanent=True)
    return download("Meta", url, headers={})


def _twilio_bytes(inbox, media: dict) -> bytes:
    """Twilio's media URL (`MediaUrl<n>`): under the account's own API path, fetched with its
    credentials (needed when media authentication is on); the redirect to storage goes without them."""
    import base64

    config = inbox.config or {}
    sid, token = config.get("account_sid", ""), config.get("auth_token", "")
    url = str(media.get("url") or "")
    if not sid or not url.startswith(f"{settings.TWILIO_API_BASE}/2010-04-01/Accounts/{sid}/"):
        raise ProviderFailed("The media is not under this Twilio account.", permanent=True)
    basic = base64.b64encode(f"{sid}:{token}".encode()).decode()
    return download("Twilio", url, headers={"Authorization": f"Basic {basic}"})


FETCHERS = {"whatsapp_cloud": _whatsapp_bytes, "meta": _meta_bytes, "twilio": _twilio_bytes}


LEASE = timedelta(minutes=5)  # a fetch that crashed midway is taken up again after this


def _claim(message_id: int) -> Message | None:
    """Take the message's fetch (pending, or a fetch that has not finished in LEASE): one short
    transaction, so no lock is held while the provider answers."""
    now = timezone.now()
    with transaction.atomic():
        message = (
            Message.objects.select_for_update().select_related("conversation__inbox")
            .filter(pk=message_id, direction=Message.Direction.INBOUND,
                    payload__media_state__in=["pending", "fetching"]).first()
        )  # fmt: skip
        if message is None:
            return None
        payload = dict(message.payload)
        claimed = payload.get("media_claimed_at")
        if payload["media_state"] == "fetching" and isinstance(claimed, (int, float)) and \
                now.timestamp() - claimed < LEASE.total_seconds():  # fmt: skip
            return None
        payload.update(media_state="fetching", media_claimed_at=int(now.timestamp()),
                       media_attempts=int(payload.get("media_attempts") or 0) + 1)  # fmt: skip
        Message.objects.filter(pk=message.pk).update(payload=payload)
        message.payload = payload
        return message


def media_fetch(message_id: int) -> str:
    """Fetch the files of one inbound message: "done", "pending" (to retry), "failed" or "skipped"."""
    message = _claim(message_id)
    if message is None:
        return "skipped"
    inbox = message.conversation.inbox
    fetcher = FETCHERS.get(inbox.provider)
    payload = dict(message.payload)
    entries = [dict(m) if isinstance(m, dict) else {} for m in payload.get("media") or []][:MAX_PER_MESSAGE]
    fetched: list[tuple[dict, bytes]] = []
    again = False
    for entry in entries:
        if _kind(entry) not in KINDS or entry.get("attachment_id") or entry.get("error") or fetcher is None:
            continue
        try:
            fetched.append((entry, fetcher(inbox, entry)))
        except ProviderFailed as error:
            log.warning("inbox %s: media of message %s: %s", inbox.pk, message.pk, error)
            if error.permanent:
                entry["error"] = str(error)[:200]
            else:
                again = True
    with transaction.atomic():
        for entry, data in fetched:
            try:
                entry["attachment_id"] = attachment_store(conversation=message.conversation, data=data,
                                                          message=message).pk  # fmt: skip
            except DomainError as error:  # not a photo or video we keep: named in the thread, not shown
                entry["error"] = error.code
        payload["media"] = entries
        old = timezone.now() - message.created_at > GIVE_UP_AFTER
        if again and payload["media_attempts"] < MAX_ATTEMPTS and not old:
            payload["media_state"] = "pending"
        else:
            payload["media_state"] = "done" if any(e.get("attachment_id") for e in entries) else "failed"
        payload.pop("media_claimed_at", None)
        Message.objects.filter(pk=message.pk).update(payload=payload)
        message.payload = payload
        if fetched:
            realtime.message_updated(message)
    return payload["media_state"]


def media_sweep(*, batch: int = 50) -> dict:
    """Fetch what is still pending (a provider that was down, a crash between store and fetch)."""
    since = timezone.now() - GIVE_UP_AFTER
    pending = list(
        Message.objects.filter(direction=Message.Direction.INBOUND, payload__media_state__in=["pending", "fetching"],
                               created_at__gte=since).order_by("pk").values_list("pk", flat=True)[:batch]
    )  # fmt: skip
    results: dict[str, int] = {}
    for pk in pending:
        state = media_fetch(pk)
        results[state] = results.get(state, 0) + 1
    return results
