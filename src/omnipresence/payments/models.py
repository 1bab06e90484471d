"""Payments, refunds, verified provider notifications and secure pay links.

An order's `amount_paid` / `amount_refunded` always equal the sums of its succeeded Payment and
Refund rows (payments.services writes both in one transaction). A Payment's `refund_reserved` is
what is refunded or being refunded from it, so two refunds at once can never give back more than
it took. The sandbox tables at the end are the built-in test provider's own books: they stand for
an outside system and are written outside our transactions, never under our locks.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from omnipresence.orders.models import Order
from omnipresence.stores.models import Boutique


class Provider(models.TextChoices):
    MANUAL = "manual", _("Recorded by an associate")
    SANDBOX = "sandbox", _("Sandbox (test cards)")
    STRIPE = "stripe", _("Stripe")
    GIFT_CARD = "gift_card", _("Gift card or store credit")


class Method(models.TextChoices):
    CASH = "cash", _("Cash")
    TERMINAL = "terminal", _("Card terminal")
    ONLINE = "online", _("Online")
    GIFT_CARD = "gift_card", _("Gift card or store credit")


class Payment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    pay_link = models.ForeignKey(
        "PayLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    provider = models.CharField(max_length=10, choices=Provider.choices)
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.ONLINE)
    amount = models.BigIntegerField(help_text="Minor units")
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    refund_reserved = models.BigIntegerField(default=0, help_text="Refunded or being refunded")
    # The provider's id of it (cs_… at Stripe); empty until the provider has answered.
    reference = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=80)
    redirect_url = models.CharField(max_length=2000, blank=True)
    details = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    note = models.CharField(max_length=200, blank=True, help_text="e.g. the terminal's receipt number")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["boutique", "idempotency_key"], name="payment_idempotency_key_unique"),
            models.UniqueConstraint(
                fields=["provider", "reference"], condition=~Q(reference=""), name="payment_reference_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(refund_reserved__gte=0, refund_reserved__lte=F("amount")),
                name="payment_refunds_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["order", "status"])]

    def __str__(self) -> str:
        return f"{self.provider} {self.amount} {self.currency} ({self.status})"

    @property
    def refundable(self) -> int:
        return self.amount - self.refund_reserved if self.status == self.Status.SUCCEEDED else 0


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Reason(models.TextChoices):
        CHANGED_MIND = "changed_mind", _("Changed her mind")
        WRONG_SIZE = "wrong_size", _("Wrong size")
        FAULTY = "faulty", _("Faulty")
        NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
        LATE = "late", _("Arrived late")
        ORDER_CANCELLED = "order_cancelled", _("Order cancelled")
        OVERPAID = "overpaid", _("Paid twice or too much")
        OTHER = "other", _("Other")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=20, choices=Reason.choices, default=Reason.OTHER)
    note = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=80)
    error_message = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["boutique", "idempotency_key"], name="refund_idempotency_key_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"refund {self.amount} of payment {self.payment_id} ({self.status})"


class ProviderEvent(models.Model):
    """A verified provider notification, kept so a replay is recognised and does nothing."""

    boutique = models.ForeignKey(Boutique, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=10, choices=Provider.choices)
    event_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=40)
    payment_reference = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="provider_event_once")]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id} ({self.kind})"


class PayLink(models.Model):
    """A secure link an associate sends a client to pay an order of fixed items and amount.

    The token in the URL is an HMAC of `nonce` under the SECRET_KEY (so a reminder can show the
    link again); only its SHA-256 is looked up, so the table alone does not give the links away.
    The order's allocation holds keep the units until the link is paid, expires or is revoked.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Waiting for payment")
        PAID = "paid", _("Paid")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="pay_link")
    nonce = models.CharField(max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    message = models.CharField(max_length=500, blank=True, help_text="The associate's words to the client")
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    first_viewed_at = models.DateTimeField(null=True, blank=True)
    views = models.PositiveIntegerField(default=0)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True, help_text="Expired or revoked")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"Pay link for order {self.order_id} ({self.status})"


class SandboxCharge(models.Model):
    """The sandbox provider's record of one hosted payment (its page is /pay/sandbox/<reference>/)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SUCCEEDED = "succeeded", _("Succeeded")
        EXPIRED = "expired", _("Expired")

    reference = models.CharField(max_length=64, unique=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=200, blank=True)
    return_url = models.CharField(max_length=2000, blank=True)
    cancel_url = models.CharField(max_length=2000, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    card_last4 = models.CharField(max_length=4, blank=True)
    declines = models.PositiveIntegerField(default=0)
    refunded = models.BigIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(refunded__gte=0, refunded__lte=F("amount")), name="sandbox_refunds_within_amount"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.status})"


class SandboxRefund(models.Model):
    charge = models.ForeignKey(SandboxCharge, on_delete=models.CASCADE, related_name="refunds")
    reference = models.CharField(max_length=64, unique=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    amount = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.reference


class GiftCard(models.Model):
    """A gift card, or store credit given to a client (a return's value, a goodwill gesture): money
    of the boutique's, spendable in every channel with its code. `balance` always equals the sum of
    its movements; it is changed only by a conditional update in the same transaction as one."""

    class Kind(models.TextChoices):
        GIFT_CARD = "gift_card", _("Gift card")
        STORE_CREDIT = "store_credit", _("Store credit")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.GIFT_CARD)
    code_hash = models.CharField(max_length=64, unique=True)
    last4 = models.CharField(max_length=4)
    currency = models.CharField(max_length=3)
    initial = models.BigIntegerField()
    balance = models.BigIntegerField()
    client_ref = models.CharField(max_length=254, blank=True, db_index=True)
    client_name = models.CharField(max_length=120, blank=True)
    note = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_by_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0, balance__lte=F("initial")), name="gift_card_balance_in_range"
            ),
            models.CheckConstraint(condition=Q(initial__gt=0), name="gift_card_initial_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} …{self.last4} ({self.balance} {self.currency})"


class GiftCardMovement(models.Model):
    class Kind(models.TextChoices):
        ISSUE = "issue", _("Issued")
        SPEND = "spend", _("Spent")
        REFUND = "refund", _("Given back")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    card = models.ForeignKey(GiftCard, on_delete=models.CASCADE, related_name="movements")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount = models.BigIntegerField(help_text="Signed change to the balance")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The refund's idempotency key at the card: a refund credited twice is refused by the database.
    reference = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["card", "reference"], condition=~Q(reference=""), name="gift_card_movement_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} on card {self.card_id}"
