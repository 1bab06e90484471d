"""One inbox for every channel: an `Inbox` is one way in (a WhatsApp number, an SMS number, an email
address, the web chat…); a `Conversation` is one client's thread in one inbox; a `Message` goes in or
out; an `OutboxItem` carries an outbound message to its provider, with retries, so nothing is lost.

Inbound messages are stored once per provider message id (`message_inbound_once`); an outbound
message is handed to its provider with its own id as the idempotency key, so a retry after a crash
never sends it twice.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omnipresence.clients.models import Client
from omnipresence.stores.models import Boutique, Location


class Inbox(models.Model):
    class Kind(models.TextChoices):
        WEBCHAT = "webchat", _("Web chat")
        WHATSAPP = "whatsapp", _("WhatsApp")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("Email")
        INSTAGRAM = "instagram", _("Instagram")
        MESSENGER = "messenger", _("Messenger")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    provider = models.CharField(max_length=20, default="local", help_text="local, or a real adapter's name")
    name = models.CharField(max_length=80)
    address = models.CharField(max_length=254, blank=True, help_text="The number, email or page it answers on")
    team_location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The shop whose team answers when the client has no associate",
    )  # fmt: skip
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["boutique", "kind", "address"], name="inbox_once_per_address")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.name}"


class Conversation(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PENDING = "pending", _("Waiting for the client")
        SNOOZED = "snoozed", _("Snoozed")
        RESOLVED = "resolved", _("Resolved")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    inbox = models.ForeignKey(Inbox, on_delete=models.PROTECT, related_name="conversations")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="conversations")
    contact = models.CharField(max_length=254, help_text="Her address in this channel, normalised")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.CharField(max_length=200, blank=True)
    tags = models.JSONField(default=list, blank=True)
    unread = models.PositiveIntegerField(default=0, help_text="Inbound messages staff have not read")
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True, help_text="Opens WhatsApp's 24-hour window")
    waiting_since = models.DateTimeField(null=True, blank=True, help_text="Oldest unanswered inbound message")
    first_response_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        indexes = [
            models.Index(fields=["boutique", "status", "-last_message_at"], name="conversation_list_idx"),
            models.Index(fields=["inbox", "contact", "status"], name="conversation_contact_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.inbox} · {self.contact}"


class Message(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "in", _("From the client")
        OUTBOUND = "out", _("To the client")

    class Purpose(models.TextChoices):
        SERVICE = "service", _("Service")
        MARKETING = "marketing", _("Marketing")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Failed")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.SERVICE)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    author_label = models.CharField(max_length=160, blank=True)
    body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True, help_text="Rich content: product card, hold, pay link…")
    provider_message_id = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "-created_at", "-id"], name="message_page_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["boutique", "direction", "provider_message_id"],
                condition=Q(direction="in") & ~Q(provider_message_id=""), name="message_inbound_once",
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.direction} {self.body[:30]}"


class OutboxItem(models.Model):
    """An outbound message on its way: tried at once after commit, then by the sweep with backoff."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="outbox")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=300, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    given_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["done_at", "given_up_at", "next_attempt_at"], name="outbox_due_idx")]

    def __str__(self) -> str:
        return f"outbox {self.message_id} ({self.attempts})"


class LocalDelivery(models.Model):
    """What the local provider "sent" (the demo and tests run offline): one row per message id."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="+")
    idempotency_key = models.CharField(max_length=80, unique=True)
    to = models.CharField(max_length=254)
    body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"local → {self.to}"
