"""The client's side of the hub: one login for every boutique, what she keeps on the storefront.

A `HubAccount` is one person's login across the hub, proven by a magic link sent to her email. It
owns no client data: in each boutique she is the `clients.Client` whose verified email identity
is the account's email, so a boutique sees her only where she has a relationship with it.

`WishlistItem` (kept because she asked for it) and `ProductView` (recorded only with her
personalization consent) belong to a boutique's client, like every other client row.
"""

from django.db import models
from django.utils import timezone

from omnipresence.catalog.models import Product, Variant
from omnipresence.clients.models import Client
from omnipresence.stores.models import Boutique


class HubAccount(models.Model):
    email = models.CharField(max_length=254, unique=True, help_text="Lower-case; proven by a magic link")
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email


class WishlistItem(models.Model):
    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="wishlist")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey(Variant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "product"], name="wishlist_once_per_product")
        ]

    def __str__(self) -> str:
        return f"{self.client_id} ♥ {self.product_id}"


class ProductView(models.Model):
    """One product page she opened (latest view per product kept), with personalization consent."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="product_views")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    viewed_at = models.DateTimeField(default=timezone.now)
    views = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-viewed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "product"], name="product_view_once_per_product")
        ]
        indexes = [models.Index(fields=["client", "-viewed_at"], name="product_view_recent_idx")]

    def __str__(self) -> str:
        return f"{self.client_id} saw {self.product_id}"


class MagicLink(models.Model):
    """One login link sent to an email: only the SHA-256 of its 256-bit token is kept, it lasts
    15 minutes and is used once (a conditional UPDATE on `used_at`). The account is made when the
    link is used, never when it is asked for."""

    email = models.CharField(max_length=254, help_text="Lower-case, as asked for")
    token_hash = models.CharField(max_length=64, unique=True)
    next_path = models.CharField(max_length=500, blank=True, help_text="Same-site path to go to after login")
    boutique = models.ForeignKey(
        Boutique, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="The boutique whose page asked for it (its language and name in the email)",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["email", "-created_at"], name="magic_link_email_idx")]

    def __str__(self) -> str:
        return f"Login link for {self.email} ({'used' if self.used_at else 'open'})"
