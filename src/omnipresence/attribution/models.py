"""Who is credited with each order: one Credit per order, worked out by a fixed rule (no cookies)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from omnipresence.stores.models import Boutique


class Via(models.TextChoices):
    SALE = "sale", _("Sale")
    PAY_LINK = "pay_link", _("Pay link")
    HOLD = "hold", _("Hold")
    SHARE_LINK = "share_link", _("Share link")
    APPOINTMENT = "appointment", _("Appointment")
    CONVERSATION = "conversation", _("Conversation")
    LIVE_EVENT = "live_event", _("Live event")
    UNASSISTED = "", _("Unassisted")


DEFAULT_WINDOWS = {
    "share_link": 14, "conversation": 7, "appointment": 14, "hold": 14, "pay_link": 7, "live_event": 2,
}  # fmt: skip


class AttributionSettings(models.Model):
    boutique = models.OneToOneField(Boutique, on_delete=models.CASCADE, related_name="attribution_settings")
    windows = models.JSONField(default=dict, help_text="Days a touch of each kind counts before an order")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Attribution windows of boutique {self.boutique_id}"


class Credit(models.Model):
    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="credit")
    associate = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    via = models.CharField(max_length=14, choices=Via.choices, blank=True)
    ref = models.CharField(max_length=60, blank=True)
    amount = models.BigIntegerField(help_text="Order total less refunds, minor units; 0 once voided")
    currency = models.CharField(max_length=3)
    channel = models.CharField(max_length=12)
    occurred_at = models.DateTimeField()
    voided = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["boutique", "associate", "occurred_at"], name="credit_associate_idx")]

    def __str__(self) -> str:
        return f"Credit order {self.order_id} via {self.via or 'unassisted'}"
