"""Live shopping: events a boutique streams (a launch, a demonstration, a Q&A, a virtual shop tour),
the products featured in them, the chat, the viewers' reservations and the counts of who watches.

Viewers are anonymous: a viewer is a random key carried in a signed token (live.viewers), not a row.
A row appears only when a viewer does something that must be remembered: posts in the chat
(LiveChatter, which also carries a ban and the flood counters) or reserves a piece (LiveReservation,
which points at the inventory hold keeping its units).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omnipresence.catalog.models import Product, Variant
from omnipresence.inventory.models import Hold
from omnipresence.stores.models import Boutique, Location


class LiveEvent(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        LIVE = "live", _("Live")
        ENDED = "ended", _("Ended")

    class Kind(models.TextChoices):
        LAUNCH = "launch", _("Launch")
        DEMONSTRATION = "demonstration", _("Demonstration")
        QA = "qa", _("Q&A")
        SHOP_TOUR = "shop_tour", _("Virtual shop tour")

    class Stream(models.TextChoices):
        NONE = "", _("No stream yet")
        LIVEKIT = "livekit", _("LiveKit room")
        HLS = "hls", _("HLS stream")
        EMBED = "embed", _("Embedded player")
        LOCAL = "local", _("Local demo stream")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    # Where the featured pieces are taken from: reservations hold units here.
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=14, choices=Kind.choices, default=Kind.LAUNCH)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    host = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    starts_at = models.DateTimeField(help_text="Planned start")
    ends_at = models.DateTimeField(help_text="Planned end")
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    stream_provider = models.CharField(max_length=8, choices=Stream.choices, blank=True, default="")
    stream_url = models.CharField(max_length=500, blank=True, help_text="HLS or embed URL (https)")
    stream_room = models.CharField(max_length=120, blank=True, help_text="LiveKit room name")
    replay_url = models.CharField(max_length=500, blank=True)
    slow_mode_seconds = models.PositiveIntegerField(default=0, help_text="0: off")
    reservation_minutes = models.PositiveIntegerField(null=True, blank=True, help_text="Default: HOLD_TTL_MINUTES")
    pinned_product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    pinned_at = models.DateTimeField(null=True, blank=True)
    # Written by the presence flush (live.presence), a few seconds behind the sockets.
    viewers_now = models.PositiveIntegerField(default=0)
    viewers_peak = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["boutique", "status", "starts_at"], name="live_event_boutique_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="live_event_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.title


class LiveFeatured(models.Model):
    """A product shown in an event, in order; viewers reserve its variants."""

    event = models.ForeignKey(LiveEvent, on_delete=models.CASCADE, related_name="featured")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    max_per_viewer = models.PositiveSmallIntegerField(default=1, help_text="Units one viewer may reserve")

    class Meta:
        ordering = ["event_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["event", "product"], name="live_featured_once")]

    def __str__(self) -> str:
        return f"{self.product_id} in event {self.event_id}"


class LivePin(models.Model):
    """Each time a product was pinned while live: the replay's chapters."""

    event = models.ForeignKey(LiveEvent, on_delete=models.CASCADE, related_name="pins")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    pinned_at = models.DateTimeField()
    offset_seconds = models.PositiveIntegerField(help_text="Seconds after the event started")

    class Meta:
        ordering = ["event_id", "pinned_at", "id"]

    def __str__(self) -> str:
        return f"{self.product_id} at {self.offset_seconds}s"


class LiveChatter(models.Model):
    """A viewer who has posted in an event's chat: the name she last used, a ban, and the
    counters that slow mode and the flood limit are checked against (under this row's lock)."""

    event = models.ForeignKey(LiveEvent, on_delete=models.CASCADE, related_name="chatters")
    viewer_key = models.CharField(max_length=32)
    name = models.CharField(max_length=40)
    last_posted_at = models.DateTimeField(null=True, blank=True)
    window_started_at = models.DateTimeField(null=True, blank=True)
    window_posts = models.PositiveIntegerField(default=0)
    banned_at = models.DateTimeField(null=True, blank=True)
    banned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "viewer_key"], name="live_chatter_once")]

    def __str__(self) -> str:
        return self.name


class LiveMessage(models.Model):
    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(LiveEvent, on_delete=models.CASCADE, related_name="messages")
    chatter = models.ForeignKey(LiveChatter, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    # A message of the host or another associate (no chatter).
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=40)
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["event_id", "id"]
        indexes = [models.Index(fields=["event", "hidden_at", "id"], name="live_message_event_idx")]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.text[:30]}"


class LiveReservation(models.Model):
    """A featured piece a viewer reserved during the stream: a short `live` hold keeps its units
    (owner_ref "live:<event>:<viewer>") until she checks out or it lapses."""

    class Status(models.TextChoices):
        RESERVED = "reserved", _("Reserved")
        ORDERED = "ordered", _("Ordered")
        RELEASED = "released", _("Released")
        LAPSED = "lapsed", _("Lapsed")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(LiveEvent, on_delete=models.CASCADE, related_name="reservations")
    viewer_key = models.CharField(max_length=32)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RESERVED)
    hold = models.ForeignKey(Hold, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    cart = models.ForeignKey("orders.Cart", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["event", "status"], name="live_reservation_event_idx"),
            models.Index(fields=["status", "expires_at"], name="live_reservation_due_idx"),
        ]
        constraints = [
            # One reservation of a product per viewer while it is held or bought (a race of two
            # clicks makes one; the other is told she already has it).
            models.UniqueConstraint(
                fields=["event", "viewer_key", "product"], condition=Q(status__in=["reserved", "ordered"]),
                name="live_reservation_once_per_viewer",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="live_reservation_quantity_positive"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.quantity} × {self.variant_id} for {self.viewer_key[:6]} ({self.status})"


class LivePresence(models.Model):
    """How many sockets of one server process watch an event, written every few seconds by that
    process (live.presence). The event's count is the sum over processes seen recently."""

    event = models.ForeignKey(LiveEvent, on_delete=models.CASCADE, related_name="+")
    process = models.CharField(max_length=64)
    viewers = models.PositiveIntegerField(default=0)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "process"], name="live_presence_once")]

    def __str__(self) -> str:
        return f"{self.viewers} on {self.process}"
