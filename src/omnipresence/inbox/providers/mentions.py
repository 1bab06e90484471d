"""Public mentions of the boutique from any network, through one signed webhook:
`POST /api/v1/webhooks/mentions/{inbox_id}` on an inbox of kind social, signed like the local
webhook (`X-Omni-Signature`), with `{"network": "instagram|x|facebook", "handle", "text", "id",
"url"?}`. A mention becomes a message in the author's conversation (her handle on that network
identifies her), with `payload.mention` = {network, url, id}, and a `mention` event on her timeline.
Instagram mentions also arrive from Meta itself (providers.meta, a social inbox with provider meta).
"""

import re

from django.utils.translation import gettext as _

from omnipresence.inbox.models import Inbox
from omnipresence.inbox.providers.base import MalformedWebhook, json_object, webhook_inbox
from omnipresence.inbox.services import inbound_receive
from omnipresence.inbox.webhooks import _verify

NETWORKS = ("instagram", "x", "facebook")
REQUIRED = ("network", "handle", "text", "id")
URL = re.compile(r"^https?://[^\s]{1,490}$")


def mention_webhook(*, inbox_id: int, body: bytes, headers) -> dict:
    inbox = webhook_inbox(inbox_id, kinds=(Inbox.Kind.SOCIAL,))
    _verify(inbox, body, headers.get("X-Omni-Signature", ""))
    event = json_object(body)
    if not all(isinstance(event.get(key), str) and event[key].strip() for key in REQUIRED):
        raise MalformedWebhook(_('Send {"network", "handle", "text", "id"} as strings (and "url").'),
                               code="invalid_event")  # fmt: skip
    network, url = event["network"], event.get("url", "")
    if network not in NETWORKS:
        raise MalformedWebhook(_("network is one of %(networks)s.") % {"networks": ", ".join(NETWORKS)},
                               code="invalid_event")  # fmt: skip
    if url and (not isinstance(url, str) or not URL.match(url)):
        raise MalformedWebhook(_("url is the mention's http(s) address."), code="invalid_event")
    mention_id = event["id"].strip()[:150]
    message, created = inbound_receive(
        inbox=inbox, sender=f"{network}:{event['handle']}", body=event["text"],
        provider_message_id=f"{network}:{mention_id}",
        payload={"mention": {"network": network, "url": url or "", "id": mention_id}},
    )  # fmt: skip
    return {"result": "stored" if created else "duplicate", "message_id": message.pk,
            "conversation_id": message.conversation_id}  # fmt: skip
