"""One inventory by location: stock levels, the movement ledger, holds, transfers and counts.

`Stock.on_hand` always equals the sum of its movements; `Stock.held` always equals the sum of its
active holds (both kept in the same transaction, verified by `omnipresence check_inventory`).
Availability = on hand − active, unexpired holds (see selectors).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from omnipresence.catalog.models import Variant
from omnipresence.stores.models import Boutique, Location


class Stock(models.Model):
    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="stock")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="stock")
    on_hand = models.IntegerField(default=0)
    held = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["location", "variant"], name="stock_unique"),
            models.CheckConstraint(condition=models.Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(condition=models.Q(held__gte=0), name="stock_held_not_negative"),
        ]
        indexes = [
            models.Index(fields=["variant", "location"]),
            # Search's "in stock at these locations" (on_hand > held) reads only this index.
            models.Index(fields=["location", "variant", "on_hand", "held"], name="stock_available"),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id}@{self.location_id}: {self.on_hand}"


class Movement(models.Model):
    class Kind(models.TextChoices):
        RECEIPT = "receipt", pgettext_lazy("stock movement", "Receipt")
        SALE = "sale", _("Sale")
        RETURN = "return", _("Return")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        TRANSFER_IN = "transfer_in", _("Transfer in")
        ADJUSTMENT = "adjustment", _("Adjustment")
        COUNT = "count", _("Count")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    stock = models.ForeignKey(Stock, on_delete=models.CASCADE, related_name="movements")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    quantity = models.IntegerField(help_text="Signed change to on hand")
    reason = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=80, blank=True, help_text="Transfer, count, order…")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["stock", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity:+d} of {self.variant_id}@{self.location_id}"


class Hold(models.Model):
    class Kind(models.TextChoices):
        CART = "cart", _("Cart")
        CLIENT = "client", _("Put aside for a client")
        ORDER = "order", _("Order allocation")
        LIVE = "live", _("Live-event drop")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RELEASED = "released", _("Released")
        EXPIRED = "expired", _("Expired")
        CONSUMED = "consumed", _("Sold")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    stock = models.ForeignKey(Stock, on_delete=models.CASCADE, related_name="holds")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    quantity = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    client_name = models.CharField(max_length=120, blank=True)
    client_contact = models.CharField(max_length=120, blank=True)
    owner_ref = models.CharField(max_length=80, blank=True, help_text="Cart, order or event it belongs to")
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_by_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["stock", "status", "expires_at"]),
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["boutique", "status"]),
        ]
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gte=1), name="hold_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.quantity} × {self.variant_id}@{self.location_id} ({self.status})"


class Transfer(models.Model):
    class Status(models.TextChoices):
        IN_TRANSIT = "in_transit", _("In transit")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="transfers_out")
    destination = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="transfers_in")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_TRANSIT)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    shipped_at = models.DateTimeField(auto_now_add=True)
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-shipped_at", "-id"]

    def __str__(self) -> str:
        return f"Transfer {self.pk}: {self.source_id} → {self.destination_id} ({self.status})"


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    received_quantity = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.quantity} × {self.variant_id}"


class CycleCount(models.Model):
    """A count of some or all variants at a location, reconciled by `count` movements."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Count {self.pk} at {self.location_id}"


class CycleCountLine(models.Model):
    count = models.ForeignKey(CycleCount, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="+")
    expected = models.IntegerField()
    counted = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.variant_id}: {self.expected} → {self.counted}"

    @property
    def difference(self) -> int:
        return self.counted - self.expected
