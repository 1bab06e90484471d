"""An associate's message to one client, with consent checked first.

Marketing (new arrivals, events, offers) needs her marketing-by-email consent — asked of
`clients.selectors.consent_allows`, the one consent check — or it is refused, nothing is sent,
and the refusal is logged (AccessAttempt). Transactional messages (a reply she asked for, her
order, her hold) need no marketing consent. Email only for now: SMS and WhatsApp come with the
inbox's adapters. What was sent lands on her timeline, with the associate.
"""

import smtplib

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from omnipresence.clienteling.errors import ChannelUnavailable, ConsentRequired, NoEmail, SendFailed
from omnipresence.clienteling.models import Task
from omnipresence.clients.attempts import attempt_log
from omnipresence.clients.errors import ClientNotFound
from omnipresence.clients.models import Client, Identity
from omnipresence.clients.selectors import CLIENTS_EDIT, consent_allows
from omnipresence.clients.services import timeline_add
from omnipresence.core.errors import InvalidInput
from omnipresence.stores.access import Actor

PURPOSES = ("marketing", "transactional")
CHANNELS = ("email", "sms", "whatsapp")


def _text(value, field: str, limit: int) -> str:
    if not isinstance(value, str) or "\x00" in value:
        raise InvalidInput(f"{field} must be text.", code="invalid_input", details={"field": field})
    value = value.strip()
    if not value:
        raise InvalidInput(f"{field} is required.", code="required", details={"field": field})
    if len(value) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters.", code="too_long", details={"field": field})
    return value


def her_email(client: Client) -> str:
    """Her verified email first, else the first one she gave; empty when she has none."""
    rows = Identity.objects.filter(client_id=client.pk, kind=Identity.Kind.EMAIL).order_by("-verified", "pk")
    return rows.values_list("value", flat=True).first() or ""


def client_message_send(
    *, actor: Actor, client: Client, purpose: str, channel: str = "email", subject: str, body: str,
    task: Task | None = None, log_refusal: bool = True,
) -> dict:  # fmt: skip
    """Send one message; returns {"channel", "to", "purpose"}. `log_refusal=False` when the caller
    logs refusals itself (an API operation under @logged_attempts)."""
    actor.require(CLIENTS_EDIT)
    if not isinstance(client, Client) or client.boutique_id != actor.boutique.pk or not client.is_live:
        raise ClientNotFound()
    if purpose not in PURPOSES:
        raise InvalidInput("purpose is marketing or transactional.", code="invalid_purpose")
    if channel not in CHANNELS:
        raise InvalidInput(f"channel is one of {', '.join(CHANNELS)}.", code="invalid_channel")
    subject, body = _text(subject, "subject", 200), _text(body, "body", 5000)
    if task is not None and (task.client_id != client.pk or task.boutique_id != actor.boutique.pk):
        raise InvalidInput("That task is about another client.", code="invalid_task")
    if channel != "email":
        raise ChannelUnavailable()
    if purpose == "marketing" and not consent_allows(client=client, purpose="marketing_email"):
        error = ConsentRequired()
        if log_refusal:
            attempt_log(actor=actor, action="message", target=f"client:{client.pk}", error=error)
        raise error
    to = her_email(client)
    if not to:
        raise NoEmail()
    now = timezone.now()
    with transaction.atomic():
        timeline_add(
            client_id=client.pk, kind="message", occurred_at=now, summary=f"Email sent: {subject}",
            associate_id=actor.user_id,
            data={"channel": channel, "purpose": purpose, "subject": subject, "body": body[:4000], "to": to,
                  "by": actor.label, "task_id": task.pk if task else None},
        )  # fmt: skip
        # Sent inside the transaction: a mail the server refuses rolls its timeline row back.
        try:
            send_mail(subject, body, None, [to])
        except (OSError, smtplib.SMTPException) as error:
            raise SendFailed(details={"reason": str(error)[:200]}) from error
    return {"channel": channel, "to": to, "purpose": purpose}
