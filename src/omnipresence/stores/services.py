"""Writes for boutiques, locations, staff and API tokens."""

import re
from datetime import date, time, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from omnipresence.core.errors import Conflict, InvalidInput, NotFound
from omnipresence.core.money import validate_currency
from omnipresence.core.timeutil import validate_timezone
from omnipresence.stores.access import (
    ALL_SCOPES,
    TOKEN_PREFIX,
    Actor,
    hash_token_secret,
    new_token_secret,
)
from omnipresence.stores.models import ApiToken, Boutique, HoursException, Location, OpeningHours, StaffMember

# Top-level paths the storefront shares with the boutiques' own (/<slug>/).
RESERVED_SLUGS = frozenset({"admin", "api", "console", "i18n", "media", "static", "ws", "login", "logout", "search", "pay", "chat", "inbox", "account"})
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,59}$")


def boutique_create(
    *,
    name: str,
    slug: str,
    country: str,
    currency: str,
    language: str = "en",
    timezone_name: str = "UTC",
    city: str = "",
    prices_include_tax: bool = True,
    tax_rate_bp: int = 0,
    tagline: str = "",
    brand_colour: str = "#1f2937",
) -> Boutique:
    if slug in RESERVED_SLUGS or not SLUG_RE.match(slug or ""):
        raise InvalidInput(
            f"'{slug}' cannot be a boutique address: use 2–60 lower-case letters, digits and hyphens, "
            "not a reserved word.",
            code="invalid_slug",
        )
    if Boutique.objects.filter(slug=slug).exists():
        raise Conflict(f"A boutique '{slug}' exists already.", code="boutique_exists")
    if len(country) != 2 or not country.isalpha():
        raise InvalidInput("country must be an ISO 3166 two-letter code.", code="invalid_country")
    return Boutique.objects.create(
        name=name,
        slug=slug,
        country=country.upper(),
        city=city,
        currency=validate_currency(currency),
        language=language,
        timezone=validate_timezone(timezone_name),
        prices_include_tax=prices_include_tax,
        tax_rate_bp=tax_rate_bp,
        tagline=tagline,
        brand_colour=brand_colour,
    )


LOCATION_FIELDS = {
    "name", "kind", "address", "city", "postcode", "country", "phone", "timezone", "sells_in_person",
    "fulfils_online", "offers_pickup", "feeds_online", "priority", "latitude", "longitude", "is_active",
}  # fmt: skip


def location_create(*, actor: Actor, code: str, name: str, **fields) -> Location:
    actor.require("locations.edit")
    unknown = set(fields) - LOCATION_FIELDS
    if unknown:
        raise InvalidInput(f"Unknown location fields: {sorted(unknown)}", code="invalid_field")
    if fields.get("timezone"):
        validate_timezone(fields["timezone"])
    try:
        with transaction.atomic():
            return Location.objects.create(boutique=actor.boutique, code=code, name=name, **fields)
    except IntegrityError:
        raise Conflict(f"A location with code '{code}' exists already.", code="location_exists")


def location_update(*, actor: Actor, location: Location, **fields) -> Location:
    actor.require("locations.edit")
    unknown = set(fields) - LOCATION_FIELDS
    if unknown:
        raise InvalidInput(f"Unknown location fields: {sorted(unknown)}", code="invalid_field")
    if fields.get("timezone"):
        validate_timezone(fields["timezone"])
    for key, value in fields.items():
        setattr(location, key, value)
    location.save(update_fields=list(fields) or None)
    return location


def opening_hours_set(
    *, actor: Actor, location: Location, periods: list[tuple[int, time, time]]
) -> list[OpeningHours]:
    """Replace a location's weekly hours with `periods` of (weekday, opens, closes)."""
    actor.require("locations.edit")
    by_day: dict[int, list[tuple[time, time]]] = {}
    for weekday, opens, closes in periods:
        if not 0 <= weekday <= 6:
            raise InvalidInput("weekday runs from 0 (Monday) to 6 (Sunday).", code="invalid_hours")
        if opens >= closes:
            raise InvalidInput("A period must close after it opens.", code="invalid_hours")
        by_day.setdefault(weekday, []).append((opens, closes))
    for day_periods in by_day.values():
        day_periods.sort()
        for (_o1, c1), (o2, _c2) in zip(day_periods, day_periods[1:], strict=False):
            if o2 < c1:
                raise InvalidInput("Opening periods on one day overlap.", code="invalid_hours")
    with transaction.atomic():
        OpeningHours.objects.filter(location=location).delete()
        return OpeningHours.objects.bulk_create(
            OpeningHours(boutique=actor.boutique, location=location, weekday=w, opens=o, closes=c)
            for w, o, c in periods
        )


def hours_exception_add(
    *,
    actor: Actor,
    location: Location,
    day: date,
    closed: bool,
    opens: time | None = None,
    closes: time | None = None,
    note: str = "",
) -> HoursException:
    actor.require("locations.edit")
    if not closed and (opens is None or closes is None or opens >= closes):
        raise InvalidInput("Special hours need an opening before the closing.", code="invalid_hours")
    return HoursException.objects.create(
        boutique=actor.boutique,
        location=location,
        date=day,
        closed=closed,
        opens=None if closed else opens,
        closes=None if closed else closes,
        note=note,
    )


def staff_add(
    *, boutique: Boutique, username: str, role: str, password: str | None = None,
    home_location: Location | None = None, first_name: str = "", last_name: str = "", email: str = "",
) -> StaffMember:  # fmt: skip
    if role not in StaffMember.Role.values:
        raise InvalidInput(f"Unknown role '{role}'.", code="invalid_role")
    if home_location is not None and home_location.boutique_id != boutique.pk:
        raise InvalidInput("The home location belongs to another boutique.", code="wrong_boutique")
    user_model = get_user_model()
    with transaction.atomic():
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"first_name": first_name, "last_name": last_name, "email": email}
        )
        if created or password:
            user.set_password(password) if password else user.set_unusable_password()
            user.save()
        member, _ = StaffMember.objects.update_or_create(
            boutique=boutique, user=user, defaults={"role": role, "home_location": home_location}
        )
    return member


def api_token_create(
    *, boutique: Boutique, name: str, scopes: list[str] | None = None, created_by=None,
    valid_days: int | None = None,
) -> tuple[ApiToken, str]:  # fmt: skip
    """Create a token; returns it with the raw key, which is never stored and shown only now."""
    scopes = list(ALL_SCOPES if scopes is None else scopes)
    unknown = [s for s in scopes if s not in ALL_SCOPES]
    if unknown:
        raise InvalidInput(
            f"Unknown scopes {unknown}; known: {', '.join(ALL_SCOPES)}.", code="invalid_scope"
        )
    if not name.strip() or len(name) > 80:
        raise InvalidInput("A token needs a name of at most 80 characters.", code="invalid_name")
    prefix, secret = new_token_secret()
    token = ApiToken.objects.create(
        boutique=boutique,
        name=name.strip(),
        prefix=prefix,
        key_hash=hash_token_secret(secret),
        scopes=scopes,
        created_by=created_by,
        expires_at=timezone.now() + timedelta(days=valid_days) if valid_days else None,
    )
    return token, f"{TOKEN_PREFIX}{prefix}_{secret}"


def api_token_revoke(*, actor: Actor, token_id: int) -> ApiToken:
    actor.require("tokens.manage")
    token = ApiToken.objects.filter(boutique=actor.boutique, pk=token_id).first()
    if token is None:
        raise NotFound("No such API token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def boutique_routing_set(*, actor: Actor, routing_rule: str) -> Boutique:
    """How delivered lines choose the location that sends them: priority order, most stock, nearest."""
    actor.require("boutique.edit")
    if routing_rule not in Boutique.RoutingRule.values:
        raise InvalidInput(
            f"Unknown routing rule '{routing_rule[:20]}'; use {', '.join(Boutique.RoutingRule.values)}.",
            code="invalid_routing_rule",
        )  # fmt: skip
    Boutique.objects.filter(pk=actor.boutique.pk).update(routing_rule=routing_rule)
    actor.boutique.routing_rule = routing_rule
    return actor.boutique
