"""Template filters shared by the storefront and the console: money, local times, brand colours."""

import hashlib
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from omnipresence.core.money import format_money
from omnipresence.core.timeutil import format_local

register = template.Library()

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_ACCENT = "#1f2937"


def _locale_of(owner) -> str:
    """The language of a boutique, or of a location's boutique."""
    boutique = getattr(owner, "boutique", owner)
    return getattr(boutique, "language", None) or "en"


@register.filter
def money(amount, boutique) -> str:
    """`{{ variant.price|money:boutique }}`: minor units shown in the boutique's currency and language."""
    if amount is None or amount == "":
        return ""
    return format_money(int(amount), boutique.currency, boutique.language)


@register.filter
def local_time(moment: datetime | None, place) -> str:
    """`{{ hold.expires_at|local_time:hold.location }}`: a UTC time shown in the zone of a location
    (or of a boutique), in its language."""
    if moment is None:
        return ""
    tz_name = getattr(place, "tz_name", None) or getattr(place, "timezone", None) or "UTC"
    return format_local(moment, tz_name, _locale_of(place), "medium")


def day_and_time(moment: datetime, tz_name: str, locale: str, now: datetime | None = None) -> str:
    """Today, tomorrow or a named day, with the time, in the place's zone: "today from 14:00"."""
    tz = ZoneInfo(tz_name)
    local = moment.astimezone(tz)
    today = (now or timezone.now()).astimezone(tz).date()
    clock = format_time(local, "short", locale=locale.replace("-", "_"))
    if local.date() == today:
        return _("today from %(time)s") % {"time": clock}
    if local.date() == today + timedelta(days=1):
        return _("tomorrow from %(time)s") % {"time": clock}
    day = format_date(local.date(), "EEE d MMM", locale=locale.replace("-", "_"))
    return _("%(day)s from %(time)s") % {"day": day, "time": clock}


@register.filter
def pickup_when(moment: datetime | None, location) -> str:
    """`{{ la.pickup_at|pickup_when:la.location }}` → "today from 14:00" in the shop's zone."""
    if moment is None:
        return ""
    return day_and_time(moment, location.tz_name, _locale_of(location))


def _luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _darken(hex_colour: str, factor: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(int(c * factor) for c in (r, g, b)))


def accent_palette(colour: str | None) -> dict[str, str]:
    """The brand colour made safe to use: `accent` as a background with `on_accent` text on it,
    and `accent_ink`, a version dark enough (4.5:1) for text and outlines on white.

    The colour comes from a boutique's settings, so anything that is not #rrggbb is replaced.
    """
    accent = colour if colour and HEX_COLOUR.match(colour) else DEFAULT_ACCENT
    accent = accent.lower()
    on_accent = "#ffffff" if contrast(accent, "#ffffff") >= contrast(accent, "#111111") else "#111111"
    ink = accent
    factor = 1.0
    while contrast(ink, "#ffffff") < 4.6 and factor > 0.05:
        factor -= 0.05
        ink = _darken(accent, factor)
    return {"accent": accent, "on_accent": on_accent, "accent_ink": ink}


@register.simple_tag
def accent_style(colour: str | None) -> str:
    """CSS custom properties for a `style` attribute: `style="{% accent_style boutique.brand_colour %}"`.

    Autoescaped like any other output; the values are #rrggbb by construction."""
    palette = accent_palette(colour)
    return "--accent: {accent}; --on-accent: {on_accent}; --accent-ink: {accent_ink};".format(**palette)


@register.filter
def dom_id(value) -> str:
    """A stable id fragment for any text ("Bleu marine", "Красный"), so htmx can restore focus to
    the same checkbox after a swap."""
    return hashlib.sha1(str(value).encode()).hexdigest()[:10]
