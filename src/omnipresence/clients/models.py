"""One client per person per boutique: her identities (one row per channel handle), profile,
consent ledger, timeline, merges, and who opened her profile.

Amounts are integers in minor units of the boutique's currency. `lifetime_spend`, `orders_count`,
`last_purchase_at` and `tier` are derived: only `client_stats_add` / `client_stats_remove` and a
merge change them (never a form). `name_key` and `birthday_mmdd` are derived from the profile by
the services, for search, duplicate suggestions and the birthday filter.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omnipresence.stores.models import Boutique


class Client(models.Model):
    class PreferredChannel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        WHATSAPP = "whatsapp", _("WhatsApp")
        PHONE = "phone", _("Phone")
        NONE = "none", _("No preference")

    class Tier(models.TextChoices):
        NEW = "new", _("New")
        REGULAR = "regular", _("Regular")
        VIP = "vip", _("VIP")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    display_name = models.CharField(max_length=120, blank=True)
    name_key = models.CharField(max_length=120, blank=True, help_text="display_name folded: no case, accents")
    preferred_channel = models.CharField(
        max_length=10, choices=PreferredChannel.choices, default=PreferredChannel.NONE
    )
    preferred_language = models.CharField(max_length=10, blank=True, help_text="BCP 47, e.g. fr-FR")
    primary_associate = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    secondary_associate = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sizes = models.JSONField(default=dict, blank=True, help_text='{category: size}, e.g. {"shoes": "38"}')
    fit_notes = models.CharField(max_length=500, blank=True)
    colours = models.JSONField(default=list, blank=True)
    brands = models.JSONField(default=list, blank=True)
    styles = models.JSONField(default=list, blank=True)
    price_band_min = models.PositiveBigIntegerField(null=True, blank=True)
    price_band_max = models.PositiveBigIntegerField(null=True, blank=True)
    important_dates = models.JSONField(default=list, blank=True, help_text='[{"label", "date"}]')
    birthday_mmdd = models.CharField(
        max_length=5, blank=True, help_text="MM-DD of the date labelled birthday"
    )
    notes = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    lifetime_spend = models.BigIntegerField(default=0)
    orders_count = models.PositiveIntegerField(default=0)
    last_purchase_at = models.DateTimeField(null=True, blank=True)
    tier = models.CharField(max_length=10, choices=Tier.choices, default=Tier.NEW)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_clients"
    )
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_key", "id"]
        indexes = [
            models.Index(fields=["boutique", "name_key"], name="client_name_idx"),
            models.Index(fields=["boutique", "last_purchase_at"], name="client_last_purchase_idx"),
            models.Index(fields=["boutique", "birthday_mmdd"], name="client_birthday_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(lifetime_spend__gte=0), name="client_spend_positive")
        ]

    def __str__(self) -> str:
        return self.display_name or f"Client {self.pk}"

    @property
    def is_live(self) -> bool:
        return self.merged_into_id is None and self.erased_at is None


class Identity(models.Model):
    """One way to reach or recognise a client, normalised (services.identity_normalise)."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        WHATSAPP = "whatsapp", _("WhatsApp")
        INSTAGRAM = "instagram", _("Instagram")
        FACEBOOK = "facebook", _("Facebook")
        X = "x", _("X")
        WEB_SESSION = "web_session", _("Web session")
        LOYALTY_CARD = "loyalty_card", _("Loyalty card")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    value = models.CharField(max_length=254)
    verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["boutique", "kind", "value"], name="identity_unique_per_boutique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class ConsentPurpose(models.TextChoices):
    MARKETING_EMAIL = "marketing_email", _("Marketing by email")
    MARKETING_SMS = "marketing_sms", _("Marketing by SMS")
    MARKETING_WHATSAPP = "marketing_whatsapp", _("Marketing on WhatsApp")
    PERSONALIZATION = "personalization", _("Personal recommendations")
    WALK_IN = "walk_in", _("Recognised when she walks in")
    HUB_SHARING = "hub_sharing", _("Shared with the hub's other boutiques")


class ConsentChannel(models.TextChoices):
    WEB = "web", _("Web")
    SHOP = "shop", _("Shop")
    CHAT = "chat", _("Chat")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    PHONE = "phone", _("Phone")
    SOCIAL = "social", _("Social")
    LIVE = "live", _("Live event")
    APPOINTMENT = "appointment", _("Appointment")
    IMPORT = "import", _("Import")
    API = "api", _("API")


class ConsentEvent(models.Model):
    """Append-only: a purpose's current state is its latest event; no event means not granted."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="consent_events")
    purpose = models.CharField(max_length=20, choices=ConsentPurpose.choices)
    granted = models.BooleanField()
    channel = models.CharField(max_length=12, choices=ConsentChannel.choices)
    wording = models.TextField(help_text="The text the client was shown")
    actor_label = models.CharField(max_length=160, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["client", "purpose", "-created_at", "-id"], name="consent_latest_idx")
        ]

    def __str__(self) -> str:
        return f"{self.purpose}={'granted' if self.granted else 'withdrawn'}"


class TimelineEvent(models.Model):
    """What happened with a client, in every channel, newest first. Written by any app through
    `services.timeline_add`; an event with a reference is recorded once."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Client created")
        NOTE = "note", _("Note")
        CONSENT = "consent", _("Consent")
        MERGE = "merge", _("Merge")
        MERGE_UNDONE = "merge_undone", _("Merge undone")
        ORDER_PLACED = "order_placed", _("Order placed")
        ORDER_PAID = "order_paid", _("Order paid")
        ORDER_CANCELLED = "order_cancelled", _("Order cancelled")
        RETURN = "return", _("Return")
        REFUND = "refund", _("Refund")
        HOLD_PLACED = "hold_placed", _("Hold placed")
        PICKUP = "pickup", _("Collected")
        PAY_LINK_SENT = "pay_link_sent", _("Pay link sent")
        PAY_LINK_PAID = "pay_link_paid", _("Pay link paid")
        VISIT = "visit", _("Visit")
        MESSAGE = "message", _("Message")
        APPOINTMENT = "appointment", _("Appointment")
        SHARE_SENT = "share_sent", _("Lookbook sent")
        SHARE_VIEWED = "share_viewed", _("Lookbook viewed")
        SHARE_ACTION = "share_action", _("Lookbook action")
        WISHLIST = "wishlist", _("Wishlist")
        PRODUCT_VIEWED = "product_viewed", _("Product viewed")
        CART = "cart", _("Bag")
        TASK = "task", _("Task")
        PRIVACY = "privacy", _("Privacy")
        MENTION = "mention", _("Social mention")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    summary = models.CharField(max_length=200)
    data = models.JSONField(default=dict, blank=True)
    ref_kind = models.CharField(max_length=30, blank=True)
    ref_id = models.PositiveBigIntegerField(null=True, blank=True)
    associate = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["client", "-occurred_at", "-id"], name="timeline_page_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["boutique", "kind", "ref_kind", "ref_id"], condition=Q(ref_id__isnull=False),
                name="timeline_event_once_per_ref",
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.kind} {self.occurred_at:%Y-%m-%d}"


class MergeRecord(models.Model):
    """What a merge moved from `merged` to `survivor` (ids per table), so it can be undone."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    survivor = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="merges_kept")
    merged = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="merges_absorbed")
    moved = models.JSONField(default=dict)
    actor_label = models.CharField(max_length=160, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Merge {self.merged_id} → {self.survivor_id}"


class ProfileView(models.Model):
    """The audit log of who opened which client's profile."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="profile_views")
    staff_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    viewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-viewed_at", "-id"]
        indexes = [models.Index(fields=["client", "-viewed_at"], name="profile_view_idx")]

    def __str__(self) -> str:
        return f"{self.staff_user_id} viewed {self.client_id}"


class AccessAttempt(models.Model):
    """A refused request about client data (another boutique's client, a merge across verified
    identifiers, an unknown consent purpose, an export or erasure asked for by someone else…).
    Written after the refused work rolled back, so the log survives the refusal."""

    boutique = models.ForeignKey(Boutique, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=160, blank=True)
    action = models.CharField(max_length=40)
    target = models.CharField(max_length=80, blank=True, help_text="e.g. client:42")
    code = models.CharField(max_length=40)
    message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["boutique", "-created_at"], name="access_attempt_idx")]

    def __str__(self) -> str:
        return f"{self.action} refused ({self.code})"
