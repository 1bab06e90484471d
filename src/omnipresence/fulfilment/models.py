"""The fulfilment queue: the part of one order handled at one location in one way (a pickup at that
shop, or a delivery sent from it), and the order lines and allocation holds it hands over.

A fulfilment moves forward only (to_pick → picked → packed → ready → collected for a pickup;
to_pick → picked → packed → shipped for a delivery; steps may be skipped), or ends cancelled (the
order was cancelled) or released (a pickup nobody came for). Its units stay held by the order's
allocation holds until they leave: shipping or collecting consumes them.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omnipresence.orders.models import Order, OrderAllocation, OrderLine
from omnipresence.stores.models import Boutique, Location


def _by(verb: str) -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_index=False, help_text=f"Who {verb} it (empty for an API token or the system)",
    )  # fmt: skip


class Fulfilment(models.Model):
    class Method(models.TextChoices):
        PICKUP = "pickup", _("Click & collect")
        DELIVERY = "delivery", _("Delivery")

    class Status(models.TextChoices):
        TO_PICK = "to_pick", _("To pick")
        PICKED = "picked", _("Picked")
        PACKED = "packed", _("Packed")
        READY = "ready", _("Ready for collection")
        COLLECTED = "collected", _("Collected")
        SHIPPED = "shipped", _("Shipped")
        CANCELLED = "cancelled", _("Cancelled")
        RELEASED = "released", _("Released")

    class CollectedVia(models.TextChoices):
        NONE = "", _("Not collected")
        CODE = "code", _("Pickup code")
        OVERRIDE = "override", _("Manager override")
        HAND_OVER = "hand_over", _("Handed over at the sale")

    OPEN = (Status.TO_PICK, Status.PICKED, Status.PACKED, Status.READY)

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fulfilments")
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+",
        help_text="The pickup shop, or the location that sends the parcel",
    )  # fmt: skip
    method = models.CharField(max_length=8, choices=Method.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.TO_PICK)
    created_at = models.DateTimeField(auto_now_add=True)
    picked_at = models.DateTimeField(null=True, blank=True)
    picked_by = _by("picked")
    picked_by_label = models.CharField(max_length=120, blank=True)
    packed_at = models.DateTimeField(null=True, blank=True)
    packed_by = _by("packed")
    packed_by_label = models.CharField(max_length=120, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    ready_by = _by("made ready")
    ready_by_label = models.CharField(max_length=120, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    shipped_by = _by("shipped")
    shipped_by_label = models.CharField(max_length=120, blank=True)
    collected_at = models.DateTimeField(null=True, blank=True)
    collected_by = _by("handed over")
    collected_by_label = models.CharField(max_length=120, blank=True)
    collected_via = models.CharField(max_length=10, choices=CollectedVia.choices, blank=True, default="")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    carrier = models.CharField(max_length=60, blank=True)
    tracking_code = models.CharField(max_length=120, blank=True)
    # Only a SHA-256 of the pickup code is kept (shown once when the pickup becomes ready).
    pickup_code_hash = models.CharField(max_length=64, blank=True)
    pickup_code_attempts = models.PositiveSmallIntegerField(default=0, help_text="Wrong codes typed")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["boutique", "location", "status", "created_at"], name="fulfilment_queue"),
            models.Index(fields=["status", "ready_at"], name="fulfilment_ready_since"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["order", "location", "method"], name="fulfilment_unique_per_order"),
            models.CheckConstraint(
                condition=Q(method="pickup") | ~Q(status__in=["ready", "collected", "released"]),
                name="fulfilment_pickup_states",
            ),
            models.CheckConstraint(
                condition=Q(method="delivery") | ~Q(status="shipped"), name="fulfilment_delivery_states"
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"Fulfilment {self.pk} of order {self.order_id} ({self.method} at {self.location_id}, {self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class FulfilmentLine(models.Model):
    """Units of one order line, kept by one allocation hold, that this fulfilment hands over."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    fulfilment = models.ForeignKey(Fulfilment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="+")
    allocation = models.OneToOneField(
        OrderAllocation, on_delete=models.CASCADE, related_name="fulfilment_line"
    )
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × line {self.order_line_id} (fulfilment {self.fulfilment_id})"
