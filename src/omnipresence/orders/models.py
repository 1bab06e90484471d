"""Carts, orders, promotions (campaigns, codes, redemptions) and shipping rules.

Amounts are integers in minor units of the boutique's currency. An order's lines snapshot what was
sold (SKU, title, prices) and point at the allocation holds that keep its units; a campaign's and
a code's `used` counters always equal their redeemed Redemption rows (changed in one transaction).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omnipresence.catalog.models import Variant
from omnipresence.inventory.models import Hold
from omnipresence.stores.models import Boutique, Location


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    SHOP = "shop", _("Shop")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    SOCIAL = "social", _("Social")
    LIVE = "live", _("Live event")
    APPOINTMENT = "appointment", _("Appointment")


class SourceKind(models.TextChoices):
    NONE = "", _("None")
    ASSOCIATE = "associate", _("Associate")
    CONVERSATION = "conversation", _("Conversation")
    APPOINTMENT = "appointment", _("Appointment")
    LIVE_EVENT = "live_event", _("Live event")
    HOLD = "hold", _("Hold")
    SHARE_LINK = "share_link", _("Share link")


class Fulfilment(models.TextChoices):
    SHIP = "ship", _("Ship to the client")
    PICKUP = "pickup", _("Click & collect")
    SHIP_FROM = "ship_from", _("Ship from a chosen location")


class SaleAttribution(models.Model):
    """What analytics and commissions read: the channel, the client, who and what led to the sale."""

    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.WEB)
    associate = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_kind = models.CharField(max_length=14, choices=SourceKind.choices, blank=True, default="")
    source_ref = models.CharField(max_length=120, blank=True)
    client_name = models.CharField(max_length=120, blank=True)
    client_email = models.CharField(max_length=254, blank=True)
    client_phone = models.CharField(max_length=20, blank=True)
    # Lower-case email or E.164 phone: what per-client coupon limits count by.
    client_ref = models.CharField(max_length=254, blank=True, db_index=True)
    shipping_country = models.CharField(max_length=2, blank=True)
    shipping_address = models.CharField(max_length=500, blank=True)

    class Meta:
        abstract = True


class Cart(SaleAttribution):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CHECKED_OUT = "checked_out", _("Checked out")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    code = models.CharField(max_length=40, blank=True, help_text="The coupon code applied, upper-case")
    # Where it is delivered, when known (the "nearest" routing rule measures from here).
    shipping_latitude = models.FloatField(null=True, blank=True)
    shipping_longitude = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["boutique", "status"])]

    def __str__(self) -> str:
        return f"Cart {self.pk} ({self.channel}, {self.status})"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    fulfilment = models.CharField(max_length=10, choices=Fulfilment.choices, default=Fulfilment.SHIP)
    # The pickup shop (pickup) or the location that sends it (ship_from); empty for ship.
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Units already put aside for this client at `location`: checkout turns this hold into the
    # order's allocation instead of taking new units (none are given back in between).
    hold = models.ForeignKey(Hold, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "variant", "fulfilment"], condition=Q(location__isnull=True),
                name="cart_line_unique_unlocated",
            ),
            models.UniqueConstraint(
                fields=["cart", "variant", "fulfilment", "location"], condition=Q(location__isnull=False),
                name="cart_line_unique_located",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_line_quantity_positive"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.quantity} × {self.variant_id} ({self.fulfilment})"


class Order(SaleAttribution):
    class Status(models.TextChoices):
        PLACED = "placed", _("Placed")
        CANCELLED = "cancelled", _("Cancelled")

    class PaymentStatus(models.TextChoices):
        UNPAID = "unpaid", _("Unpaid")
        PARTIALLY_PAID = "partially_paid", _("Partially paid")
        PAID = "paid", _("Paid")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    # The one client record she is, resolved at checkout from the email, then the phone.
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    cart = models.OneToOneField(Cart, null=True, blank=True, on_delete=models.SET_NULL, related_name="order")
    idempotency_key = models.CharField(max_length=80, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLACED)
    currency = models.CharField(max_length=3)
    prices_include_tax = models.BooleanField()
    tax_rate_bp = models.PositiveIntegerField()
    subtotal = models.BigIntegerField()
    discount = models.BigIntegerField()
    shipping = models.BigIntegerField()
    tax = models.BigIntegerField()
    total = models.BigIntegerField()
    code = models.CharField(max_length=40, blank=True)
    promotions = models.JSONField(default=list, help_text="The promotions applied, as priced")
    # Written only by payments (through orders.services.order_payments_set), from its Payment and
    # Refund rows: captured and refunded minor units, and the state they make.
    payment_status = models.CharField(max_length=18, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID)
    amount_paid = models.BigIntegerField(default=0, help_text="Captured, minor units")
    amount_refunded = models.BigIntegerField(default=0, help_text="Refunded, minor units")
    payment_due_at = models.DateTimeField(
        null=True, blank=True, help_text="An unpaid order is cancelled (its units released) after this"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["boutique", "channel", "created_at"]),
            models.Index(fields=["status", "payment_status", "payment_due_at"], name="order_payment_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["boutique", "idempotency_key"], condition=~Q(idempotency_key=""),
                name="order_idempotency_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0, amount_refunded__lte=models.F("amount_paid")),
                name="order_refunded_within_paid",
            ),
        ]  # fmt: skip

    @property
    def balance(self) -> int:
        """What the client still owes (negative: owed back to her)."""
        return self.total - (self.amount_paid - self.amount_refunded)

    def __str__(self) -> str:
        return f"Order {self.pk} ({self.channel}, {self.status})"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, null=True, on_delete=models.SET_NULL, related_name="+")
    sku = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    variant_label = models.CharField(max_length=200, blank=True)
    quantity = models.PositiveIntegerField()
    fulfilment = models.CharField(max_length=10, choices=Fulfilment.choices)
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    unit_price = models.BigIntegerField(help_text="List price of one unit")
    discount = models.BigIntegerField()
    tax = models.BigIntegerField()
    total = models.BigIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"


class OrderAllocation(models.Model):
    """Units of one order line kept at one location by an order hold (a line may be split)."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="allocations")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    hold = models.OneToOneField(Hold, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} @ {self.location_id} (hold {self.hold_id})"


class Campaign(models.Model):
    class Kind(models.TextChoices):
        PERCENTAGE = "percentage", _("Percentage off")
        FIXED = "fixed", _("Fixed amount off")
        FREE_SHIPPING = "free_shipping", _("Free shipping")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=14, choices=Kind.choices)
    value = models.PositiveBigIntegerField(
        default=0, help_text="Percentage: basis points (1000 = 10%); fixed: minor units"
    )
    currency = models.CharField(max_length=3)
    min_spend = models.PositiveBigIntegerField(default=0)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    channels = models.JSONField(default=list, blank=True, help_text="Empty: every channel")
    category_paths = models.JSONField(default=list, blank=True, help_text="Category path prefixes")
    product_ids = models.JSONField(default=list, blank=True)
    automatic = models.BooleanField(default=False, help_text="Applies without a code")
    per_client_limit = models.PositiveIntegerField(null=True, blank=True)
    usage_limit = models.PositiveIntegerField(null=True, blank=True)
    used = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(used__lte=models.F("usage_limit")),
                name="campaign_used_within_limit",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.name


class Code(models.Model):
    class Kind(models.TextChoices):
        SHARED = "shared", _("Shared")
        PERSONAL = "personal", _("Personal, single use")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(max_length=40, help_text="Upper-case")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SHARED)
    client_ref = models.CharField(
        max_length=254, blank=True, help_text="Personal codes: the client it was issued to"
    )
    usage_limit = models.PositiveIntegerField(null=True, blank=True)
    used = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["boutique", "code"], name="code_unique_per_boutique"),
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(used__lte=models.F("usage_limit")),
                name="code_used_within_limit",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.code


class Redemption(models.Model):
    """One use of a campaign by one order. `slot` (1…per-client limit) makes "at most N per client"
    a unique constraint; released rows free their slot. Never counted twice: (order, campaign) is
    unique and release is a conditional update from redeemed."""

    class Status(models.TextChoices):
        REDEEMED = "redeemed", _("Redeemed")
        RELEASED = "released", _("Released")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="redemptions")
    code = models.ForeignKey(
        Code, null=True, blank=True, on_delete=models.SET_NULL, related_name="redemptions"
    )
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="redemptions")
    client_ref = models.CharField(max_length=254, blank=True)
    slot = models.PositiveIntegerField(default=0, help_text="0: the campaign has no per-client limit")
    amount = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REDEEMED)
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "campaign"], name="redemption_once_per_order"),
            models.UniqueConstraint(
                fields=["campaign", "client_ref", "slot"], condition=Q(status="redeemed", slot__gt=0),
                name="redemption_client_slot_unique",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.campaign_id} by order {self.order_id} ({self.status})"


class ShippingRule(models.Model):
    """One zone's price: flat, free above a threshold, or by weight brackets. Same in every channel."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80)
    countries = models.JSONField(default=list, help_text='ISO 3166-1 alpha-2 codes; "*" = rest of the world')
    price = models.PositiveBigIntegerField(help_text="Flat price, or above the last weight bracket")
    free_above = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Free from this shipped subtotal"
    )
    weight_brackets = models.JSONField(default=list, blank=True, help_text="[[max_grams, price], …]")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["boutique_id", "id"]

    def __str__(self) -> str:
        return self.name
