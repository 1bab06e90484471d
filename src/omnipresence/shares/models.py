"""Lookbooks: a few pieces an associate picks for one client, sent as a link she opens without
logging in, where she can ask about a piece, have it held at a shop, or put it in her bag.

The token in the URL is an HMAC of `nonce` under the SECRET_KEY (so the console can show the link
again); only its SHA-256 is stored and looked up, so the table alone does not give the links away.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from omnipresence.catalog.models import Product, Variant
from omnipresence.clients.models import Client
from omnipresence.stores.models import Boutique


class Share(models.Model):
    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    associate = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=120, blank=True)
    note = models.TextField(blank=True, help_text="The associate's words to the client")
    nonce = models.CharField(max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    first_viewed_at = models.DateTimeField(null=True, blank=True)
    last_viewed_at = models.DateTimeField(null=True, blank=True)
    views = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["boutique", "associate", "-created_at"], name="share_associate_idx"),
            models.Index(fields=["client"], name="share_client_idx"),
        ]

    def __str__(self) -> str:
        return self.title or f"Lookbook {self.pk}"


class ShareItem(models.Model):
    share = models.ForeignKey(Share, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    variant = models.ForeignKey(Variant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["share_id", "position", "id"]

    def __str__(self) -> str:
        return f"{self.product_id} in lookbook {self.share_id}"


class ShareAction(models.Model):
    """What the client did on her lookbook: asked, had a piece held, put it in her bag."""

    class Kind(models.TextChoices):
        ASK = "ask", _("Asked")
        HOLD = "hold", _("Held")
        BUY = "buy", _("Put in the bag")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    share = models.ForeignKey(Share, on_delete=models.CASCADE, related_name="actions")
    item = models.ForeignKey(ShareItem, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    variant = models.ForeignKey(Variant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.CharField(max_length=1000, blank=True, help_text="Her question")
    hold_id = models.PositiveBigIntegerField(null=True, blank=True)
    cart_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} on lookbook {self.share_id}"
