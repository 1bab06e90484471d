"""Request and response bodies of the appointments API (api.py)."""

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Path, Schema
from pydantic import Field

from omnipresence.appointments import services
from omnipresence.core.api import Day, Input, LocalTime, Moment, Num, Text

ZONE = Annotated[str, Field(pattern=r"^[A-Za-z0-9_+/-]{1,64}$", examples=["Europe/London"])]
CODE_FIELD = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
KEY = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{8,80}$")]
LINK = Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]{1,100}$", description="Her signed appointment link")]
Kind = Literal["video_consultation", "in_store_styling", "virtual_tour", "phone_call"]
Mode = Literal["video", "in_store", "phone"]
ScheduleMode = Literal["opening_hours", "add", "own"]
Provider = Literal["", "local", "jitsi", "livekit", "external"]


class Period(Input):
    weekday: Num(0, 6)
    starts: LocalTime
    ends: LocalTime


class PeriodOut(Schema):
    weekday: int
    starts: LocalTime
    ends: LocalTime


class TypeIn(Input):
    location: CODE_FIELD
    kind: Kind
    mode: Mode | None = None
    name: Text(120, min_length=1)
    description: Text(500) = ""
    duration_minutes: Num(5, 480)
    cap_minutes: Num(5, 600) | None = None
    buffer_before_minutes: Num(0, 240) = 0
    buffer_after_minutes: Num(0, 240) = 0
    min_notice_minutes: Num(0, 43200) = 120
    horizon_days: Num(1, 365) = 30
    capacity: Num(1, 50) = 1
    slot_step_minutes: Num(5, 240) | None = None
    schedule: ScheduleMode = "opening_hours"
    video_provider: Provider = ""


class TypePatch(Input):
    name: Text(120, min_length=1) | None = None
    description: Text(500) | None = None
    duration_minutes: Num(5, 480) | None = None
    cap_minutes: Num(5, 600) | None = None
    buffer_before_minutes: Num(0, 240) | None = None
    buffer_after_minutes: Num(0, 240) | None = None
    min_notice_minutes: Num(0, 43200) | None = None
    horizon_days: Num(1, 365) | None = None
    capacity: Num(1, 50) | None = None
    slot_step_minutes: Num(5, 240) | None = None
    schedule: ScheduleMode | None = None
    video_provider: Provider | None = None
    is_active: bool | None = None


class TypeOut(Schema):
    id: int
    location_code: str
    location_name: str
    timezone: str
    kind: str
    mode: str
    name: str
    description: str
    duration_minutes: int
    cap_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    min_notice_minutes: int
    horizon_days: int
    capacity: int
    slot_step_minutes: int
    schedule: str
    video_provider: str
    is_active: bool
    hours: list[PeriodOut]


class HoursIn(Input):
    periods: list[Period] = Field(max_length=services.MAX_PERIODS)


class RuleIn(Input):
    location: CODE_FIELD
    kind: Literal["closed", "virtual_only", "hours"]
    weekday: Num(0, 6) | None = None
    date: Day | None = None
    starts: LocalTime | None = None
    ends: LocalTime | None = None
    appointment_type_id: Num(1, 2**62) | None = None
    note: Text(120) = ""


class RuleOut(Schema):
    id: int
    location_code: str
    appointment_type_id: int | None
    kind: str
    weekday: int | None
    date: date | None
    starts: LocalTime | None
    ends: LocalTime | None
    note: str


class WorkingHoursIn(Input):
    location: CODE_FIELD
    periods: list[Period] = Field(max_length=services.MAX_PERIODS)


class WorkingHoursOut(Schema):
    associate_id: int
    location_code: str
    periods: list[PeriodOut]


class TimeOffIn(Input):
    starts_at: Moment
    ends_at: Moment
    note: Text(120) = ""


class TimeOffOut(Schema):
    id: int
    associate_id: int
    starts_at: datetime
    ends_at: datetime
    note: str


class AssociateOut(Schema):
    id: int
    name: str


class SlotOut(Schema):
    starts_at: datetime
    ends_at: datetime
    cap_ends_at: datetime
    associates: list[AssociateOut]


class SlotsOut(Schema):
    appointment_type_id: int
    timezone: str
    shop_timezone: str
    slots: list[SlotOut]


class HoldIn(Input):
    starts_at: Moment
    associate_id: Num(1, 2**62) | None = None


class HoldOut(Schema):
    token: str
    starts_at: datetime
    ends_at: datetime
    expires_at: datetime
    associate: AssociateOut


class PublicBookIn(Input):
    starts_at: Moment
    name: Text(120, min_length=1)
    email: Text(254) = ""
    phone: Text(40) = ""
    idempotency_key: KEY
    hold_token: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{0,64}$")] = ""
    associate_id: Num(1, 2**62) | None = None
    timezone: ZONE | None = None
    wishes: Text(2000) = ""
    product_ids: list[Num(1, 2**62)] = Field(default_factory=list, max_length=services.MAX_WISH_PRODUCTS)


class PublicAppointmentOut(Schema):
    id: int
    status: str
    type_name: str
    mode: str
    shop: str
    associate: AssociateOut
    starts_at: datetime
    ends_at: datetime
    cap_ends_at: datetime
    timezone: str
    link: str
    wishes: str


class StaffBookIn(Input):
    appointment_type_id: Num(1, 2**62)
    client_id: Num(1, 2**62)
    starts_at: Moment
    associate_id: Num(1, 2**62) | None = None
    idempotency_key: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{0,80}$")] = ""
    timezone: ZONE | None = None
    wishes: Text(2000) = ""
    product_ids: list[Num(1, 2**62)] = Field(default_factory=list, max_length=services.MAX_WISH_PRODUCTS)
    external_url: Text(500) = ""


class PullItemOut(Schema):
    id: int
    hold_id: int
    sku: str
    title: str
    location_code: str
    quantity: int
    hold_status: str
    expires_at: datetime | None


class AppointmentOut(Schema):
    id: int
    status: str
    via: str
    appointment_type_id: int
    type_name: str
    mode: str
    location_code: str
    associate: AssociateOut
    client_id: int
    client_name: str
    starts_at: datetime
    ends_at: datetime
    cap_ends_at: datetime
    blocked_from: datetime
    blocked_until: datetime
    client_timezone: str
    wishes: str
    wish_product_ids: list[int]
    video_provider: str
    external_url: str
    cart_id: int | None
    reschedules: int
    link: str
    pull_list: list[PullItemOut]
    created_at: datetime


class RescheduleIn(Input):
    starts_at: Moment
    associate_id: Num(1, 2**62) | None = None


class PublicRescheduleIn(Input):
    starts_at: Moment


class CancelIn(Input):
    reason: Text(300) = ""


class CompleteIn(Input):
    note: Text(300) = ""


class PullIn(Input):
    sku: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")]
    location: CODE_FIELD | None = None
    quantity: Num(1, 10) = 1


class MeetingLinkIn(Input):
    external_url: Text(500, min_length=1)


class JoinOut(Schema):
    provider: str
    room: str
    url: str
    token: str | None
    not_before: datetime
    expires_at: datetime
    starts_at: datetime
    ends_at: datetime
    cap_ends_at: datetime
