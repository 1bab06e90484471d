"""What an erasure did: when, at whose request, through which path, and how many rows each table
changed. It holds no personal data: `requested_by` is a staff username or "client"."""

from django.db import models
from django.utils import timezone

from omnipresence.clients.models import Client
from omnipresence.stores.models import Boutique


class ErasureRecord(models.Model):
    class Via(models.TextChoices):
        PORTAL = "portal", "Privacy portal"
        STAFF = "staff", "Staff, at her request"
        API = "api", "API"

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="erasure")
    requested_by = models.CharField(max_length=160)
    via = models.CharField(max_length=8, choices=Via.choices)
    counts = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Erasure of client {self.client_id}"
