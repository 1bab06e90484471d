"""Walk-ins: a client's personal check-in code and the visits it (or the shop's QR) records."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omnipresence.clients.models import Client
from omnipresence.stores.models import Boutique, Location


class CheckInCode(models.Model):
    """Her personal code: the token is an HMAC of her id and `salt` (so her account can show it
    again); only its hash is looked up. Rotating draws a new salt, which revokes the old token."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="checkin_code")
    salt = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Check-in code of client {self.client_id}"


class Visit(models.Model):
    """She is in the shop. A check-in within 30 minutes of her last one at the same shop is the
    same visit (`last_check_in_at` moves on; nobody is alerted twice)."""

    class Via(models.TextChoices):
        ASSOCIATE_SCAN = "associate_scan", _("Associate scanned her code")
        CLIENT_SCAN = "client_scan", _("She scanned the shop's code")
        API = "api", _("API")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="visits")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    via = models.CharField(max_length=16, choices=Via.choices)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_check_in_at = models.DateTimeField(default=timezone.now)
    notified_users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["boutique", "-created_at"], name="visit_boutique_day"),
            models.Index(fields=["client", "location", "-last_check_in_at"], name="visit_client_recent"),
        ]

    def __str__(self) -> str:
        return f"Visit {self.pk} of client {self.client_id} at {self.location_id}"
