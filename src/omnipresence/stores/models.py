"""Boutiques (the tenants of a hub), their locations, opening hours, staff and API tokens."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Boutique(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    tagline = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    city = models.CharField(max_length=120, blank=True)
    currency = models.CharField(max_length=3, help_text="ISO 4217")
    language = models.CharField(max_length=10, default="en", help_text="BCP 47, e.g. en-GB, fr-FR")
    timezone = models.CharField(max_length=64, default="UTC")
    prices_include_tax = models.BooleanField(default=True)
    tax_rate_bp = models.PositiveIntegerField(default=0, help_text="VAT in basis points: 2000 = 20%")
    brand_colour = models.CharField(max_length=7, default="#1f2937")

    class RoutingRule(models.TextChoices):
        PRIORITY = "priority", _("Locations in priority order")
        MOST_STOCK = "most_stock", _("The location with the most stock first")
        NEAREST = "nearest", _("The location nearest the client first")

    # How a delivered line picks the location that sends it, after the pickup shop's own lines.
    routing_rule = models.CharField(max_length=10, choices=RoutingRule.choices, default=RoutingRule.PRIORITY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def locale(self) -> str:
        return self.language.replace("-", "_")


class Location(models.Model):
    class Kind(models.TextChoices):
        SHOP = "shop", _("Shop")
        WAREHOUSE = "warehouse", _("Warehouse")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=120)
    code = models.SlugField(max_length=40)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.SHOP)
    address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=120, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    timezone = models.CharField(max_length=64, blank=True, help_text="Empty: the boutique's zone")
    sells_in_person = models.BooleanField(default=True)
    fulfils_online = models.BooleanField(default=False, help_text="Ships online orders from here")
    offers_pickup = models.BooleanField(default=False, help_text="Click & collect at this location")
    feeds_online = models.BooleanField(default=True, help_text="Its stock counts for the online channel")
    priority = models.PositiveSmallIntegerField(default=100, help_text="Lower is used first")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["boutique_id", "priority", "name"]
        constraints = [models.UniqueConstraint(fields=["boutique", "code"], name="location_code_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def tz_name(self) -> str:
        return self.timezone or self.boutique.timezone


class OpeningHours(models.Model):
    """One opening period on a weekday (0 = Monday); a day may have several (lunch break)."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(
        choices=[(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")),
                 (4, _("Friday")), (5, _("Saturday")), (6, _("Sunday"))]
    )  # fmt: skip
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["location_id", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="opening_weekday_range"),
            models.CheckConstraint(condition=models.Q(opens__lt=models.F("closes")), name="opening_order"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class HoursException(models.Model):
    """A dated exception: closed all day, or special hours (a late-night opening, a holiday)."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="hours_exceptions")
    date = models.DateField()
    closed = models.BooleanField(default=True)
    opens = models.TimeField(null=True, blank=True)
    closes = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["location_id", "date", "opens"]

    def __str__(self) -> str:
        hours = "closed" if self.closed else f"{self.opens:%H:%M}–{self.closes:%H:%M}"
        return f"{self.date}: {hours}"


class StaffMember(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MANAGER = "manager", _("Manager")
        ASSOCIATE = "associate", _("Associate")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.ASSOCIATE)
    home_location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.SET_NULL)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["boutique", "user"], name="staff_unique")]

    def __str__(self) -> str:
        return f"{self.user} ({self.role} at {self.boutique})"


class ApiToken(models.Model):
    """An integration's key: only a SHA-256 of the secret is kept, shown once at creation."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
