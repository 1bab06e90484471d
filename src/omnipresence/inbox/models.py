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
from django.urls import reverse
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
        SOCIAL = "social", _("Social mentions")

    class Routing(models.TextChoices):
        LEAST_BUSY = "least_busy", _("Least busy")
        ROUND_ROBIN = "round_robin", _("Round robin")

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
    config = models.JSONField(
        default=dict, blank=True,
        help_text="The provider's settings: ids, tokens and secrets (see docs/inbox.md)",
    )  # fmt: skip
    public_key = models.CharField(
        max_length=32, blank=True, help_text="Web chat: the key the embed script names (public)"
    )
    routing = models.CharField(max_length=12, choices=Routing.choices, default=Routing.LEAST_BUSY)
    first_response_target = models.PositiveIntegerField(default=30, help_text="Seconds")
    away_message = models.TextField(
        blank=True, help_text="Sent when a message arrives while the shop is closed or nobody is online"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["boutique", "kind", "address"], name="inbox_once_per_address"),
            models.UniqueConstraint(fields=["public_key"], condition=~Q(public_key=""), name="inbox_public_key_once"),
        ]

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
    assigned_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Set when this conversation was merged into another",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        indexes = [
            models.Index(fields=["boutique", "status", "-last_message_at"], name="conversation_list_idx"),
            models.Index(fields=["inbox", "contact", "status"], name="conversation_contact_idx"),
            models.Index(fields=["boutique", "assignee", "status"], name="conversation_assignee_idx"),
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
        indexes = [
            models.Index(fields=["conversation", "-created_at", "-id"], name="message_page_idx"),
            models.Index(fields=["boutique", "provider_message_id"], name="message_provider_idx"),
        ]
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


class AgentStatus(models.Model):
    """An associate's presence in the inbox: online, away or offline, and how many open
    conversations she takes at most. Routing reads it; `last_assigned_at` drives the rotation."""

    class Status(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")
        OFFLINE = "offline", _("Offline")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OFFLINE)
    capacity = models.PositiveSmallIntegerField(default=8, help_text="Open conversations she takes at most")
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["boutique", "user"], name="agent_status_once")]

    def __str__(self) -> str:
        return f"{self.user} {self.status}"


def attachment_path(instance, filename: str) -> str:
    return f"inbox/{instance.boutique_id}/{timezone.now():%Y/%m}/{instance.token}{instance.extension}"


class Attachment(models.Model):
    """A photo or short video sent in a conversation (by the associate or the client). The file is
    kept under a random name; `message` is set when the message that carries it is sent."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token = models.CharField(max_length=32, unique=True)
    extension = models.CharField(max_length=8)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    @property
    def url(self) -> str:
        """Its capability URL on this site (inbox.media_views), relative: SITE_URL + url for outside."""
        return reverse("inbox_media", args=[f"{self.token}{self.extension}"])

    def __str__(self) -> str:
        return f"{self.content_type} {self.size} B"


class CannedReply(models.Model):
    """A saved answer with variables ({first_name}, {associate}, {boutique}, {shop})."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    shortcut = models.SlugField(max_length=40)
    title = models.CharField(max_length=80)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shortcut"]
        constraints = [models.UniqueConstraint(fields=["boutique", "shortcut"], name="canned_reply_once")]

    def __str__(self) -> str:
        return f"/{self.shortcut}"
