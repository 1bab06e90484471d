"""Appointments: the kinds a boutique offers at each shop, the layers of availability (the type's
own hours, a shop's appointment rules, associates' working hours and time off), short slot holds
while a client books, and the appointments themselves with their pull lists.

Times of day (TimeField) are wall-clock times in the shop's zone (`Location.tz_name`); moments
(DateTimeField) are UTC. An appointment blocks its associate from `blocked_from` (start less the
buffer before) to `blocked_until` (end plus the buffer after): on PostgreSQL an exclusion
constraint guarantees that two booked ranges of one associate never overlap.
"""

from django.conf import settings
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.db import models
from django.db.models import Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omnipresence.appointments.constraints import PostgresExclusionConstraint
from omnipresence.clients.models import Client
from omnipresence.stores.models import Boutique, Location

WEEKDAYS = [(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")),
            (5, _("Saturday")), (6, _("Sunday"))]  # fmt: skip


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class AppointmentType(models.Model):
    class Kind(models.TextChoices):
        VIDEO_CONSULTATION = "video_consultation", _("Video consultation")
        IN_STORE_STYLING = "in_store_styling", _("In-store styling")
        VIRTUAL_TOUR = "virtual_tour", _("Virtual shop tour")
        PHONE_CALL = "phone_call", _("Phone call")

    class Mode(models.TextChoices):
        VIDEO = "video", _("Video")
        IN_STORE = "in_store", _("In store")
        PHONE = "phone", _("Phone")

    class Schedule(models.TextChoices):
        OPENING_HOURS = "opening_hours", _("The shop's opening hours")
        ADD = "add", _("Opening hours and its own hours")
        OWN = "own", _("Its own hours only")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices)
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=500, blank=True)
    duration_minutes = models.PositiveSmallIntegerField()
    cap_minutes = models.PositiveSmallIntegerField(help_text="Hard cap: the room closes this long after the start")
    buffer_before_minutes = models.PositiveSmallIntegerField(default=0)
    buffer_after_minutes = models.PositiveSmallIntegerField(default=0)
    min_notice_minutes = models.PositiveIntegerField(default=120)
    horizon_days = models.PositiveSmallIntegerField(default=30)
    capacity = models.PositiveSmallIntegerField(default=1, help_text="Appointments of this type at once at the shop")
    slot_step_minutes = models.PositiveSmallIntegerField(default=30, help_text="Slots start every N minutes")
    schedule = models.CharField(max_length=16, choices=Schedule.choices, default=Schedule.OPENING_HOURS)
    video_provider = models.CharField(max_length=12, blank=True, help_text="Empty: APPOINTMENTS_VIDEO_PROVIDER")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["boutique_id", "location_id", "name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(cap_minutes__gte=models.F("duration_minutes")), name="appt_type_cap"),
            models.CheckConstraint(condition=Q(duration_minutes__gte=5), name="appt_type_duration"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="appt_type_capacity"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_virtual(self) -> bool:
        return self.mode != self.Mode.IN_STORE


class TypeHours(models.Model):
    """A weekly period of a type's own schedule (Sunday video slots while the shop is closed)."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["appointment_type_id", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="appt_type_hours_weekday"),
            models.CheckConstraint(condition=Q(starts__lt=models.F("ends")), name="appt_type_hours_order"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class ScheduleRule(models.Model):
    """A rule of a shop's appointment calendar, every week (`weekday`) or on one `date` (a holiday).
    Closed: no appointments; virtual only: no in-store appointments; hours (dated only): these
    hours instead of every other layer. For one type, or every type of the shop."""

    class Kind(models.TextChoices):
        CLOSED = "closed", _("No appointments")
        VIRTUAL_ONLY = "virtual_only", _("Virtual appointments only")
        HOURS = "hours", _("Special hours")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    appointment_type = models.ForeignKey(
        AppointmentType, null=True, blank=True, on_delete=models.CASCADE, related_name="rules"
    )
    weekday = models.PositiveSmallIntegerField(null=True, blank=True, choices=WEEKDAYS)
    date = models.DateField(null=True, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    starts = models.TimeField(null=True, blank=True)
    ends = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["location_id", "date", "weekday", "starts", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(weekday__isnull=True, date__isnull=False) | Q(weekday__isnull=False, date__isnull=True)),
                name="appt_rule_weekday_or_date",
            ),
            models.CheckConstraint(
                condition=~Q(kind="hours") | Q(date__isnull=False, starts__isnull=False, ends__isnull=False,
                                               starts__lt=models.F("ends")),
                name="appt_rule_hours",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.date or self.get_weekday_display()}: {self.kind}"


class WorkingHours(models.Model):
    """When an associate takes appointments at a shop, weekly, in the shop's zone."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    associate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["associate_id", "weekday", "starts"]
        indexes = [models.Index(fields=["boutique", "location", "weekday"], name="appt_hours_shop_day")]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="appt_hours_weekday"),
            models.CheckConstraint(condition=Q(starts__lt=models.F("ends")), name="appt_hours_order"),
        ]

    def __str__(self) -> str:
        return f"{self.associate_id} {self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class TimeOff(models.Model):
    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    associate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["boutique", "associate", "ends_at"], name="appt_time_off_idx")]
        constraints = [models.CheckConstraint(condition=Q(starts_at__lt=models.F("ends_at")), name="appt_time_off_order")]

    def __str__(self) -> str:
        return f"{self.associate_id} off {self.starts_at:%Y-%m-%d %H:%M}"


class AssociateCalendar(models.Model):
    """One row per associate who takes appointments: what bookings lock, so two bookings for her
    at once take turns (types are locked first, then calendars in user-id order)."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    associate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["boutique", "associate"], name="appt_calendar_unique")]

    def __str__(self) -> str:
        return f"Calendar of {self.associate_id}"


class SlotHold(models.Model):
    """A slot kept for a few minutes while the client fills in her details; `token` redeems it."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.CASCADE, related_name="+")
    associate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    blocked_from = models.DateTimeField()
    blocked_until = models.DateTimeField()
    token = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    # Who asked (a hash of her address, never the address): one requester keeps at most a few slots.
    requester = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["associate", "expires_at"], name="appt_slot_hold_idx"),
            models.Index(fields=["boutique", "requester", "expires_at"], name="appt_slot_hold_requester_idx"),
        ]

    def __str__(self) -> str:
        return f"Hold {self.starts_at:%Y-%m-%d %H:%M} for {self.associate_id}"


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")
        NO_SHOW = "no_show", _("No-show")

    class Via(models.TextChoices):
        STOREFRONT = "storefront", _("Storefront")
        STAFF = "staff", _("Staff")
        API = "api", _("API")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="appointments")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    associate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="appointments")
    mode = models.CharField(max_length=10, choices=AppointmentType.Mode.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    cap_ends_at = models.DateTimeField(help_text="The room closes then (start + the type's hard cap)")
    blocked_from = models.DateTimeField()
    blocked_until = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    via = models.CharField(max_length=12, choices=Via.choices)
    client_timezone = models.CharField(max_length=64, blank=True)
    wishes = models.TextField(blank=True, help_text="What she would like to see")
    wish_product_ids = models.JSONField(default=list, blank=True)
    video_provider = models.CharField(max_length=12, blank=True)
    video_room = models.CharField(max_length=120, blank=True)
    external_url = models.URLField(max_length=500, blank=True, help_text="A Zoom, Meet or FaceTime link pasted by the associate")
    # The shared live cart of the room (later work): an orders cart of this boutique.
    cart = models.ForeignKey("orders.Cart", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    idempotency_key = models.CharField(max_length=80, blank=True)
    nonce = models.CharField(max_length=48)
    reschedules = models.PositiveSmallIntegerField(default=0, help_text="The invitation's SEQUENCE")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=160, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by_label = models.CharField(max_length=160, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    reminded = models.JSONField(default=list, blank=True, help_text='Reminders sent, e.g. ["24h", "1h"]')
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["boutique", "starts_at"], name="appt_boutique_day"),
            models.Index(fields=["associate", "status", "blocked_until"], name="appt_associate_busy"),
            models.Index(fields=["appointment_type", "status", "ends_at"], name="appt_type_busy"),
            models.Index(fields=["status", "starts_at"], name="appt_reminders"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["boutique", "idempotency_key"], condition=~Q(idempotency_key=""), name="appt_idempotency_key"
            ),
            models.CheckConstraint(condition=Q(starts_at__lt=models.F("ends_at")), name="appt_order"),
            PostgresExclusionConstraint(
                name="appt_no_overlap_per_associate",
                expressions=[
                    ("associate", RangeOperators.EQUAL),
                    (TsTzRange("blocked_from", "blocked_until", models.Value("[)")), RangeOperators.OVERLAPS),
                ],
                condition=Q(status="booked"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_type_id} at {self.starts_at:%Y-%m-%d %H:%M} ({self.status})"


class PullItem(models.Model):
    """An item the associate puts aside for the appointment: an inventory hold owned by it."""

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="pull_items")
    hold = models.ForeignKey("inventory.Hold", on_delete=models.CASCADE, related_name="+",
                             help_text="Its owner_ref is appointment:<id>")  # fmt: skip
    added_by_label = models.CharField(max_length=160, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Pull item (hold {self.hold_id}) for appointment {self.appointment_id}"
