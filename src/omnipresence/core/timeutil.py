"""Times are stored in UTC and shown in the shop's zone."""

from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import format_datetime

from omnipresence.core.errors import InvalidInput

_ZONES = frozenset(available_timezones())


def validate_timezone(name: str) -> str:
    if name not in _ZONES:
        raise InvalidInput(f"'{name}' is not a known time zone.", code="invalid_timezone")
    return name


def local(dt: datetime, tz_name: str) -> datetime:
    return dt.astimezone(ZoneInfo(tz_name))


def format_local(dt: datetime | None, tz_name: str, locale: str = "en", fmt: str = "medium") -> str:
    if dt is None:
        return ""
    return format_datetime(dt, fmt, tzinfo=ZoneInfo(tz_name), locale=locale.replace("-", "_"))
