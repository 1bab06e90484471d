"""Returns and exchanges: units of an order that came back, where they were put back on sale, and
how the client was paid back (through the original payments, as store credit, or as an exchange
paid with that credit). Whether the sale was associate-assisted is kept, so return rates can be
compared by channel and by assisted / unassisted selling."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from omnipresence.orders.models import Channel, Order, OrderLine
from omnipresence.payments.models import GiftCard
from omnipresence.stores.models import Boutique, Location


class Reason(models.TextChoices):
    CHANGED_MIND = "changed_mind", _("Changed her mind")
    WRONG_SIZE = "wrong_size", _("Wrong size")
    FAULTY = "faulty", _("Faulty")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    LATE = "late", _("Arrived late")
    OTHER = "other", _("Other")


class Return(models.Model):
    class RefundMethod(models.TextChoices):
        ORIGINAL = "original", _("Refund to the original payment")
        STORE_CREDIT = "store_credit", _("Store credit")
        EXCHANGE = "exchange", _("Exchange")

    class Status(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        REFUND_PENDING = "refund_pending", _("Refund pending")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    channel = models.CharField(max_length=12, choices=Channel.choices, help_text="Where it was brought back")
    sale_channel = models.CharField(max_length=12, choices=Channel.choices, help_text="Where it was sold")
    assisted = models.BooleanField(help_text="The sale was made with an associate (chat, video, appointment…)")
    refund_method = models.CharField(max_length=12, choices=RefundMethod.choices)
    amount = models.BigIntegerField(help_text="Value of the units returned, minor units")
    refunded = models.BigIntegerField(default=0, help_text="Given back through the original payments")
    credit = models.ForeignKey(GiftCard, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    exchange_order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.COMPLETED)
    error_message = models.CharField(max_length=300, blank=True)
    note = models.CharField(max_length=300, blank=True)
    idempotency_key = models.CharField(max_length=80)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["boutique", "idempotency_key"], name="return_idempotency_key_unique")
        ]
        indexes = [models.Index(fields=["boutique", "sale_channel", "assisted"])]

    def __str__(self) -> str:
        return f"Return {self.pk} of order {self.order_id}"


class ReturnLine(models.Model):
    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    # Where the units went back on sale; empty: not resellable (damaged), nothing restocked.
    restock_location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="return_line_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} × line {self.order_line_id}"
