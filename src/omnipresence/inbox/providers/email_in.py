"""Email coming in: a raw MIME message (`Content-Type: message/rfc822`) posted to
`/api/v1/webhooks/email/{inbox_id}` by the mail server's pipe or an inbound-mail service, signed
like the local webhook (`X-Omni-Signature`, the inbox's key).

Read with the standard library (`email.policy.default`): the sender's address and name, Subject,
Message-ID (her message's provider id: a second delivery is stored once), In-Reply-To and
References; the text/plain part, else the HTML part as text; the quoted history of a reply is
dropped (we have it). A reply that names one of this inbox's messages in References or
In-Reply-To continues that conversation (ours carry `<msg-<id>@omnipresence>`, hers her own
Message-ID). Attachments are listed in the payload, not stored.

A plain mailbox can feed the inbox instead: `imap_poll` (the `inbox_poll_imap` command) fetches
its unseen messages over IMAP with the inbox's config `imap_host`, `imap_user`, `imap_password`
(`imap_port`, `imap_security` ssl | starttls | none, `imap_folder` optional).
"""

import email
import email.policy
import hashlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from omnipresence.core.errors import DomainError
from omnipresence.inbox.errors import InvalidConfig, ProviderFailed
from omnipresence.inbox.models import Conversation, Inbox, Message
from omnipresence.inbox.providers.base import MalformedWebhook, webhook_inbox
from omnipresence.inbox.services import MAX_INBOUND_BODY, inbound_receive
from omnipresence.inbox.webhooks import _verify

log = logging.getLogger(__name__)

MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
OUR_MESSAGE_ID = re.compile(r"^<msg-(\d{1,18})@omnipresence>$")
MAX_REFERENCES = 20
# The line a mail client puts above the quoted message it answers (English, French, Outlook).
QUOTE_INTRO = re.compile(
    r"^[ \t]*(On\s[^\n]{1,300}(\n[^\n]{0,200})?\swrote:[ \t]*$"
    r"|Le\s[^\n]{1,300}(\n[^\n]{0,200})?\sa\s[ée]crit\s?:[ \t]*$"
    r"|-{2,}\s*Original Message\s*-{2,}|From:\s[^\n]{1,300}\n[ \t]*Sent:)", re.MULTILINE | re.IGNORECASE,
)  # fmt: skip
BLOCK_TAGS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table"})


@dataclass
class ParsedEmail:
    address: str
    name: str
    subject: str
    message_id: str
    in_reply_to: str
    references: list[str]
    body: str
    attachments: list[dict] = field(default_factory=list)


class _HtmlText(HTMLParser):
    """Text of an HTML mail: tags dropped, blocks on their own lines, scripts and styles skipped."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head"):
            self._skip = max(self._skip - 1, 0)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)

    def text(self) -> str:
        lines = [" ".join(line.split()) for line in "".join(self.parts).splitlines()]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return parser.text()


def reply_only(text: str) -> str:
    """Her words without the quoted message she answers (kept whole when nothing would be left)."""
    intro = QUOTE_INTRO.search(text)
    mine = text[: intro.start()] if intro else text
    lines = mine.rstrip().splitlines()
    while lines and lines[-1].lstrip().startswith(">"):
        lines.pop()
    mine = "\n".join(lines).strip()
    return mine or text.strip()


def _part_text(part) -> str:
    try:
        return part.get_content()
    except (LookupError, ValueError):  # an unknown or lying charset
        return (part.get_payload(decode=True) or b"").decode("utf-8", "replace")


def _ids(value) -> list[str]:
    return MESSAGE_ID.findall(str(value or ""))


def email_parse(raw: bytes) -> ParsedEmail:
    try:
        mail = email.message_from_bytes(raw, policy=email.policy.default)
        sender = mail["From"]
        addresses = getattr(sender, "addresses", ()) if sender is not None else ()
        if not addresses or not addresses[0].addr_spec or "@" not in addresses[0].addr_spec:
            raise MalformedWebhook(_("The message has no From address."), code="invalid_event")
        subject = " ".join(str(mail["Subject"] or "").split())
        found = _ids(mail["Message-ID"])
        message_id = found[0] if found else f"<{hashlib.sha256(raw).hexdigest()[:40]}@omnipresence.sha256>"
        in_reply_to = next(iter(_ids(mail["In-Reply-To"])), "")
        references = _ids(mail["References"])[-MAX_REFERENCES:]
        part = mail.get_body(preferencelist=("plain",))
        if part is not None:
            body = _part_text(part)
        else:
            html = mail.get_body(preferencelist=("html",))
            body = html_to_text(_part_text(html)) if html is not None else ""
        attachments = [
            {"filename": str(a.get_filename() or "")[:200], "content_type": a.get_content_type()}
            for a in mail.iter_attachments()
        ][:20]
    except MalformedWebhook:
        raise
    except (ValueError, TypeError, IndexError, AttributeError, LookupError, UnicodeError):
        raise MalformedWebhook(_("The body is not a MIME message we can read."))
    body = reply_only(body.replace("\r\n", "\n").replace("\x00", ""))
    if len(body) > MAX_INBOUND_BODY:
        body = body[: MAX_INBOUND_BODY - 1] + "…"
    return ParsedEmail(address=addresses[0].addr_spec, name=str(addresses[0].display_name or "")[:120],
                       subject=subject[:200], message_id=message_id, in_reply_to=in_reply_to,
                       references=references, body=body or subject or "[email]", attachments=attachments)  # fmt: skip


def email_thread(inbox: Inbox, ids: list[str]) -> Conversation | None:
    """The conversation of this inbox that one of these Message-IDs belongs to (the latest)."""
    ids = [i for i in ids if i]
    if not ids:
        return None
    ours = [int(m.group(1)) for i in ids if (m := OUR_MESSAGE_ID.match(i))]
    found = (
        Message.objects.filter(boutique_id=inbox.boutique_id, conversation__inbox=inbox)
        .filter(Q(pk__in=ours, direction=Message.Direction.OUTBOUND) | Q(provider_message_id__in=ids))
        .select_related("conversation").order_by("-created_at", "-pk").first()
    )  # fmt: skip
    return found.conversation if found is not None else None


def email_receive(*, inbox: Inbox, raw: bytes) -> tuple[Message, bool]:
    """One raw email into the inbox: (message, created), threaded by its References."""
    parsed = email_parse(raw)
    thread = email_thread(inbox, [parsed.in_reply_to, *reversed(parsed.references)])
    payload = {"email": {"subject": parsed.subject, "in_reply_to": parsed.in_reply_to,
                         "references": parsed.references, "attachments": parsed.attachments}}  # fmt: skip
    message, created = inbound_receive(inbox=inbox, sender=parsed.address, body=parsed.body,
                                       provider_message_id=parsed.message_id, name=parsed.name, payload=payload,
                                       continues=thread)  # fmt: skip
    if created and parsed.subject:  # the thread's subject is the first one it had
        Conversation.objects.filter(pk=message.conversation_id, subject="").update(subject=parsed.subject)
    return message, created


def email_webhook(*, inbox_id: int, body: bytes, headers) -> dict:
    inbox = webhook_inbox(inbox_id, kinds=(Inbox.Kind.EMAIL,))
    _verify(inbox, body, headers.get("X-Omni-Signature", ""))
    if headers.get("Content-Type", "").split(";")[0].strip().lower() != "message/rfc822":
        raise MalformedWebhook(_("Post the raw message as message/rfc822."))
    message, created = email_receive(inbox=inbox, raw=body)
    return {"result": "stored" if created else "duplicate", "message_id": message.pk,
            "conversation_id": message.conversation_id}  # fmt: skip


# --- polling a mailbox over IMAP (`omnipresence inbox_poll_imap --inbox <id>`) -------------------


def _imap_connect(config: dict) -> imaplib.IMAP4:
    host, security = config["imap_host"], config.get("imap_security", "ssl")
    port = int(config.get("imap_port") or (993 if security == "ssl" else 143))
    timeout = settings.INBOX_PROVIDER_TIMEOUT
    if security == "ssl":
        return imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(), timeout=timeout)
    client = imaplib.IMAP4(host, port, timeout=timeout)
    if security == "starttls":
        client.starttls(ssl_context=ssl.create_default_context())
    return client


def imap_poll(*, inbox: Inbox, limit: int = 200) -> dict:
    """Fetch the mailbox's unseen messages into the inbox, then mark each one seen. A message is
    marked only after it is stored (a crash fetches it again: its Message-ID keeps it once); one
    that cannot be read is marked too, and counted, so it is not fetched forever."""
    config = inbox.config or {}
    if not config.get("imap_host"):
        raise InvalidConfig(_("This inbox has no imap_host in its config."))
    counts = {"stored": 0, "duplicate": 0, "refused": 0}
    try:
        client = _imap_connect(config)
        try:
            client.login(config["imap_user"], config["imap_password"])
            status, _data = client.select(config.get("imap_folder") or "INBOX")
            if status != "OK":
                raise imaplib.IMAP4.error(f"cannot open folder {config.get('imap_folder') or 'INBOX'}")
            _status, found = client.uid("SEARCH", None, "UNSEEN")
            for uid in (found[0] or b"").split()[:limit]:
                _status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
                raw = next((part[1] for part in parts if isinstance(part, tuple)), None)
                if raw is None:
                    continue
                try:
                    _message, created = email_receive(inbox=inbox, raw=raw)
                    counts["stored" if created else "duplicate"] += 1
                except DomainError as error:
                    log.warning("inbox %s: IMAP message %s refused: %s", inbox.pk, uid, error.code)
                    counts["refused"] += 1
                client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        finally:
            try:
                client.logout()
            except (imaplib.IMAP4.error, OSError):
                pass
    except (imaplib.IMAP4.error, OSError) as error:
        raise ProviderFailed(f"IMAP {config.get('imap_host')}: {error}"[:300]) from error
    return counts
