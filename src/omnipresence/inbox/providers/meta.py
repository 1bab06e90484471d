"""Messenger and Instagram through Meta's webhooks and Send API (provider `meta`, inboxes of kind
messenger, instagram, or social for Instagram mentions).

Config: `page_id` (the Facebook Page; Instagram DMs go through the Page linked to the account),
`page_access_token`, `app_secret` (signs the webhooks), `verify_token` (your choice, typed again in
the app's webhook settings). A social inbox needs `ig_user_id` (the Instagram professional
account) instead of `page_id`.

Webhook `/api/v1/webhooks/meta/{inbox_id}`: the same GET handshake and `X-Hub-Signature-256` as
WhatsApp. `entry[].messaging[]` carries DMs, delivery and read receipts, and echoes of what the
Page sent (subscribe to `message_echoes`: an echo carrying our `msg-<id>` as `metadata` names a
message whose answer was lost; other echoes are skipped); on a social inbox, `entry[].changes[]`
with field `mentions` names a comment or caption that @mentions the account, which is fetched from
the Graph API (the webhook has no text).

Sending: `POST {META_GRAPH_BASE}/{version}/{page_id}/messages` with the page token — a RESPONSE
within 24 h of her last message, a HUMAN_AGENT-tagged answer up to 7 days (services.REPLY_WINDOWS);
a mention is answered where it was made — under her comment, or on the post whose caption names
the account — through the Mentions API (`POST /{ig_user_id}/mentions` with `media_id`, `comment_id`
for a comment, and `message`; `/{comment_id}/replies` serves only comments on the account's own
posts).

No idempotency key here either. A Messenger message carries our `msg-<id>` as `message.metadata`,
handed back in its echo, so the outbox does not send again what Meta took. Instagram's Send API has
no such field: there an echo with the same words (or a photo alone, when she has one photo waiting)
to the same person, while our message waits without a provider id, names it. A mention reply is a
public comment with no echo: when Meta's answer is lost it is failed with words saying so, for the
associate to look and send it again — never posted twice by the outbox.
"""

import json
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from omnipresence.inbox.errors import ProviderFailed
from omnipresence.inbox.models import Conversation, Inbox, Message
from omnipresence.inbox.providers.base import (
    Inbound,
    ProviderUnavailable,
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

DM_KEYS = ("page_id", "page_access_token", "app_secret", "verify_token")
MENTION_KEYS = ("ig_user_id", "page_access_token", "app_secret", "verify_token")
MAX_TEXT = 2000  # the Send API's limit for a text message
# The webhook's `object` for each kind of inbox.
OBJECT_OF = {Inbox.Kind.MESSENGER: "page", Inbox.Kind.INSTAGRAM: "instagram", Inbox.Kind.SOCIAL: "instagram"}
COMMENT_FIELDS = "id,text,username,timestamp,media{id,permalink}"
UNSURE_REPLY = ("Instagram gave no answer: the reply may be on her post already. Look there, and send it again "
                "only if it is not.")  # fmt: skip
CAPTION_FIELDS = "id,caption,username,timestamp,permalink"


def _headers(config: dict) -> dict:
    return {"Authorization": f"Bearer {config.get('page_access_token', '')}", "Content-Type": "application/json"}


class MetaAdapter:
    name = "meta"
    kinds = (Inbox.Kind.INSTAGRAM, Inbox.Kind.MESSENGER, Inbox.Kind.SOCIAL)

    def config_clean(self, *, kind: str, config: dict) -> dict:
        kind_require(self.name, kind, self.kinds)
        return config_require(config, MENTION_KEYS if kind == Inbox.Kind.SOCIAL else DM_KEYS)

    def reply_payload(self, *, conversation: Conversation, payload: dict) -> dict:
        """A mention is answered where her latest one was made: under her comment, or on her post."""
        if conversation.inbox.kind != Inbox.Kind.SOCIAL or payload.get("reply_to_mention"):
            return payload
        for mention in (
            Message.objects.filter(conversation=conversation, direction=Message.Direction.INBOUND)
            .order_by("-created_at", "-pk").values_list("payload__mention", flat=True)[:20]
        ):  # fmt: skip
            if isinstance(mention, dict) and mention.get("media_id"):
                where = {"media_id": str(mention["media_id"]), "comment_id": str(mention.get("comment_id") or "")}
                return {**payload, "reply_to_mention": where}
        return payload

    def send(self, *, inbox: Inbox, to: str, body: str, payload: dict, idempotency_key: str) -> str:
        config = inbox.config or {}
        if not body or len(body) > MAX_TEXT:
            raise ProviderFailed(f"Meta takes 1 to {MAX_TEXT} characters of text.", permanent=True)
        if inbox.kind == Inbox.Kind.SOCIAL:
            where = as_dict(payload.get("reply_to_mention"))
            if not where.get("media_id"):
                raise ProviderFailed("This conversation has no mention to answer.", permanent=True)
            reply = {"media_id": where["media_id"], "message": body}
            if where.get("comment_id"):
                reply["comment_id"] = where["comment_id"]
            url = graph_url(settings.META_GRAPH_BASE, config.get("ig_user_id", ""), "mentions")
            try:
                answer = provider_request("Meta", "POST", url, headers=_headers(config), body=json.dumps(reply).encode())
            except ProviderFailed as error:
                if error.unknown:  # a public comment, and nothing names it afterwards: never posted twice by itself
                    raise ProviderFailed(UNSURE_REPLY, permanent=True) from error
                raise
            reply_id = answer.get("id")
        else:
            media = media_and_words(payload, body)
            if media is not None and not media[2]:  # a photo alone: shown in the chat (Meta takes no caption)
                content = {"attachment": {"type": media[0], "payload": {"url": media[1], "is_reusable": False}}}
            else:  # words (and any photo as its link)
                content = {"text": body}
            if inbox.kind == Inbox.Kind.MESSENGER:  # comes back in the echo (Instagram has no such field)
                content["metadata"] = idempotency_key[:1000]
            message: dict = {"recipient": {"id": to}, "messaging_type": "RESPONSE", "message": content}
            if payload.get("tag") == "HUMAN_AGENT":  # 24 h to 7 days after her last message
                message.update(messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
            answer = provider_request(
                "Meta", "POST", graph_url(settings.META_GRAPH_BASE, config.get("page_id", ""), "messages"),
                headers=_headers(config), body=json.dumps(message).encode(),
            )  # fmt: skip
            reply_id = answer.get("message_id")
        if not isinstance(reply_id, str) or not reply_id:
            raise ProviderFailed("Meta accepted the request but returned no message id.", permanent=True)
        return reply_id


def _dm(item: dict) -> Inbound | None:
    message = as_dict(item.get("message"))
    postback = as_dict(item.get("postback"))
    sender = text(as_dict(item.get("sender")).get("id"), 100)
    mid = text(message.get("mid") or postback.get("mid"), 200)
    body = text(message.get("text")) or text(postback.get("title"))
    attachments = [as_dict(a) for a in as_list(message.get("attachments"))]
    media = [{"type": text(a.get("type"), 20), "url": text(as_dict(a.get("payload")).get("url"), 1000)}
             for a in attachments]  # fmt: skip
    if not body.strip() and media:
        body = media_placeholder(media[0]["type"] or "media")
    if not sender or not mid or not body.strip():
        return None
    at = moment(item["timestamp"] // 1000) if isinstance(item.get("timestamp"), int) else None
    return Inbound(sender=sender, body=body, provider_message_id=mid, received_at=at,
                   payload={"media": media} if media else {})  # fmt: skip


def _read_up_to(inbox: Inbox, contact: str, watermark) -> list[str]:
    """Messenger's read receipt is a watermark: every message to her sent before it was read."""
    if not isinstance(watermark, int):
        return []
    until = datetime.fromtimestamp(watermark / 1000, UTC)
    return list(
        Message.objects.filter(
            conversation__inbox=inbox, conversation__contact=contact.lower(), direction=Message.Direction.OUTBOUND,
            status__in=[Message.Status.SENT, Message.Status.DELIVERED], sent_at__lte=until,
        ).exclude(provider_message_id="").values_list("provider_message_id", flat=True)[:200]
    )  # fmt: skip


def _instagram_echo_reference(inbox: Inbox, recipient: str, echo: dict) -> str:
    """Instagram hands nothing of ours back, so its echo is matched against our messages of the last
    hour to the same person still without a provider id: the same words, or — for a photo or a video
    sent alone, whose echo carries only Meta's copy — the one such message of that kind waiting ("" when
    nothing matches)."""
    words = text(echo.get("text")).strip()
    kinds = {text(as_dict(a).get("type"), 20) for a in as_list(echo.get("attachments"))}
    if not recipient or not (words or kinds):
        return ""
    from omnipresence.inbox.rich import outbound_text
    from omnipresence.inbox.services import send_key

    waiting = Message.objects.filter(
        conversation__inbox=inbox, conversation__contact=recipient.lower(), direction=Message.Direction.OUTBOUND,
        status=Message.Status.QUEUED, provider_message_id="", created_at__gte=timezone.now() - timedelta(hours=1),
    ).order_by("created_at", "pk")[:20]  # fmt: skip
    if words:
        same = [m for m in waiting if outbound_text(m, inbox.boutique).strip() == words]
        return send_key(same[0]) if same else ""
    alone = [m for m in waiting if (media := media_and_words(m.payload or {}, m.body)) and not media[2]
             and media[0] in kinds]  # fmt: skip
    return send_key(alone[0]) if len(alone) == 1 else ""


def _mention(inbox: Inbox, value: dict) -> Inbound | str | None:
    """The comment or caption that @mentions the account, fetched (the webhook has only its ids);
    "duplicate" when it is stored already (Meta delivers again), None when there is nothing to keep."""
    config = inbox.config or {}
    comment_id, media_id = text(value.get("comment_id"), 100), text(value.get("media_id"), 100)
    if (comment_id or media_id) and Message.objects.filter(
        boutique_id=inbox.boutique_id, direction=Message.Direction.INBOUND,
        provider_message_id=f"instagram:{comment_id or media_id}",
    ).exists():  # fmt: skip
        return "duplicate"
    if comment_id:
        fields = f"mentioned_comment.comment_id({comment_id}){{{COMMENT_FIELDS}}}"
    elif media_id:
        fields = f"mentioned_media.media_id({media_id}){{{CAPTION_FIELDS}}}"
    else:
        return None
    url = graph_url(settings.META_GRAPH_BASE, config.get("ig_user_id", "")) + "?" + f"fields={fields}"
    try:
        answer = provider_request("Meta", "GET", url, headers=_headers(config))
    except ProviderFailed as error:  # Meta retries the webhook: the mention is stored then
        raise ProviderUnavailable(str(error))
    found = as_dict(answer.get("mentioned_comment") or answer.get("mentioned_media"))
    username = text(found.get("username"), 100)
    body = text(found.get("text")) or text(found.get("caption"))
    if not username or not body.strip():
        return None
    permalink = text(found.get("permalink"), 500) or text(as_dict(found.get("media")).get("permalink"), 500)
    media_id = media_id or text(as_dict(found.get("media")).get("id"), 100)
    mention = {"network": "instagram", "url": permalink, "id": comment_id or media_id, "comment_id": comment_id,
               "media_id": media_id}  # fmt: skip
    at = None
    if isinstance(found.get("timestamp"), str):
        try:
            at = datetime.fromisoformat(found["timestamp"].replace("+0000", "+00:00"))
        except ValueError:
            at = None
    return Inbound(sender=f"instagram:{username}", body=body, provider_message_id=f"instagram:{mention['id']}",
                   received_at=at, payload={"mention": mention})  # fmt: skip


def meta_webhook(*, inbox_id: int, body: bytes, headers) -> dict:
    inbox = webhook_inbox(inbox_id, provider=MetaAdapter.name)
    config = inbox.config or {}
    hub_signature_check(config.get("app_secret", ""), body, headers.get("X-Hub-Signature-256", ""))
    event = json_object(body)
    if event.get("object") != OBJECT_OF.get(inbox.kind):
        return webhook_apply(inbox, [], [], ignored=1)
    ours = {config.get("page_id"), config.get("ig_user_id")} - {None, ""}
    messages, receipts, ignored, duplicate = [], [], 0, 0
    for entry in as_list(event.get("entry")):
        entry = as_dict(entry)
        for item in as_list(entry.get("messaging")):
            item = as_dict(item)
            sender = text(as_dict(item.get("sender")).get("id"), 100)
            echo = as_dict(item.get("message"))
            if inbox.kind == Inbox.Kind.MESSENGER and echo.get("is_echo") and text(echo.get("metadata"), 1000) \
                    and text(echo.get("mid"), 200):  # fmt: skip
                # What we sent, handed back: it names a message whose answer was lost.
                receipts.append(Receipt(echo["mid"], "sent", reference=text(echo["metadata"], 1000)))
                continue
            if inbox.kind == Inbox.Kind.INSTAGRAM and echo.get("is_echo") and text(echo.get("mid"), 200) and (
                reference := _instagram_echo_reference(inbox, text(as_dict(item.get("recipient")).get("id"), 100), echo)
            ):  # fmt: skip
                receipts.append(Receipt(echo["mid"], "sent", reference=reference))
                continue
            if inbox.kind == Inbox.Kind.SOCIAL or echo.get("is_echo") or sender in ours:
                ignored += 1  # the Page's other messages come back as echoes too
                continue
            if "delivery" in item:
                receipts += [Receipt(m, "delivered") for m in as_list(as_dict(item["delivery"]).get("mids"))
                             if isinstance(m, str)]  # fmt: skip
            elif "read" in item:
                read = as_dict(item["read"])
                mids = [read["mid"]] if isinstance(read.get("mid"), str) else _read_up_to(inbox, sender,
                                                                                          read.get("watermark"))
                receipts += [Receipt(m, "read") for m in mids]
            elif (message := _dm(item)) is not None:
                messages.append(message)
            else:
                ignored += 1
        for change in as_list(entry.get("changes")):
            change = as_dict(change)
            if inbox.kind != Inbox.Kind.SOCIAL or change.get("field") != "mentions":
                ignored += 1
                continue
            mention = _mention(inbox, as_dict(change.get("value")))
            if mention is None:
                ignored += 1
            elif mention == "duplicate":
                duplicate += 1
            else:
                messages.append(mention)
    return webhook_apply(inbox, messages, receipts, ignored=ignored, duplicate=duplicate)

