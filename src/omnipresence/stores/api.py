"""API for boutiques, locations (with hours) and API tokens."""

from datetime import date
from typing import Literal

from ninja import Field, Router, Schema, Status
from pydantic import StrictBool

from omnipresence.core.api import (
    AUTH,
    CODE,
    ERRORS,
    ID,
    PUBLIC_ERRORS,
    SLUG,
    Day,
    Input,
    LocalTime,
    Num,
    Text,
    query_text,
    request_actor,
)
from omnipresence.core.errors import Forbidden
from omnipresence.stores import services
from omnipresence.stores.access import ALL_SCOPES, boutique_by_slug
from omnipresence.stores.models import ApiToken, Location
from omnipresence.stores.selectors import (
    access_location,
    boutique_list,
    location_detail,
    location_list,
    token_list,
)

router = Router(tags=["boutiques"])


class BoutiqueOut(Schema):
    slug: str
    name: str
    tagline: str
    country: str
    city: str
    currency: str
    language: str
    timezone: str
    prices_include_tax: bool
    tax_rate_bp: int
    routing_rule: str


class RoutingIn(Input):
    routing_rule: Literal["priority", "most_stock", "nearest"]


class PeriodOut(Schema):
    weekday: int
    opens: LocalTime
    closes: LocalTime


class ExceptionOut(Schema):
    date: date
    closed: bool
    opens: LocalTime | None
    closes: LocalTime | None
    note: str


class LocationOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    address: str
    city: str
    postcode: str
    country: str
    timezone: str
    sells_in_person: bool
    fulfils_online: bool
    offers_pickup: bool
    feeds_online: bool
    priority: int
    opening_hours: list[PeriodOut]
    hours_exceptions: list[ExceptionOut]

    @staticmethod
    def resolve_timezone(obj: Location) -> str:
        return obj.tz_name

    @staticmethod
    def resolve_opening_hours(obj: Location):
        return list(obj.opening_hours.all())

    @staticmethod
    def resolve_hours_exceptions(obj: Location):
        return list(obj.hours_exceptions.all())


LocationKind = Literal["shop", "warehouse"]  # Location.Kind (an inline enum: two "Kind" enums clashed)
Scope = Literal[
    "catalog:read", "catalog:write", "inventory:read", "inventory:write", "locations:write", "payments:write",
    "clients:read", "clients:write", "privacy:write", "reports:read", "inbox:write", "appointments:write",
    "live:write",
]  # ALL_SCOPES


class LocationIn(Input):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    name: Text(120, min_length=1)
    kind: LocationKind = "shop"
    address: Text(200) = ""
    city: Text(120) = ""
    postcode: Text(20) = ""
    country: str = Field("", pattern=r"^([A-Za-z]{2})?$")
    timezone: Text(64) = ""
    sells_in_person: StrictBool = True
    fulfils_online: StrictBool = False
    offers_pickup: StrictBool = False
    feeds_online: StrictBool = True
    priority: Num(ge=0, le=10_000) = 100


class LocationPatch(Input):
    name: Text(120, min_length=1) | None = None
    address: Text(200) | None = None
    city: Text(120) | None = None
    timezone: Text(64) | None = None
    sells_in_person: StrictBool | None = None
    fulfils_online: StrictBool | None = None
    offers_pickup: StrictBool | None = None
    feeds_online: StrictBool | None = None
    priority: Num(ge=0, le=10_000) | None = None
    is_active: StrictBool | None = None


class PeriodIn(Input):
    weekday: Num(ge=0, le=6)
    opens: LocalTime
    closes: LocalTime


class HoursIn(Input):
    periods: list[PeriodIn] = Field(max_length=50)


class ExceptionIn(Input):
    date: Day
    closed: StrictBool = True
    opens: LocalTime | None = None
    closes: LocalTime | None = None
    note: Text(120) = ""


class TokenIn(Input):
    name: Text(80, min_length=1)
    scopes: list[Scope] = Field(default_factory=lambda: list(ALL_SCOPES), max_length=len(ALL_SCOPES))
    valid_days: Num(ge=1, le=3650) | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: str
    expires_at: str | None
    revoked_at: str | None

    @staticmethod
    def resolve_created_at(obj: ApiToken) -> str:
        return obj.created_at.isoformat()

    @staticmethod
    def resolve_expires_at(obj: ApiToken) -> str | None:
        return obj.expires_at.isoformat() if obj.expires_at else None

    @staticmethod
    def resolve_revoked_at(obj: ApiToken) -> str | None:
        return obj.revoked_at.isoformat() if obj.revoked_at else None


class TokenCreatedOut(TokenOut):
    key: str


@router.get("/boutiques", response={200: list[BoutiqueOut], **PUBLIC_ERRORS})
def boutiques(request, city: query_text(120) = None):
    """Every boutique of the hub (public), optionally in one city."""
    return list(boutique_list(city=city))


@router.get("/boutiques/{slug}", response={200: BoutiqueOut, **PUBLIC_ERRORS})
def boutique_detail(request, slug: SLUG):
    return boutique_by_slug(slug)


@router.put("/boutiques/{slug}/routing", response={200: BoutiqueOut, **ERRORS}, auth=AUTH)
def routing_set(request, slug: SLUG, payload: RoutingIn):
    """How delivered lines choose the location that sends them (owners): `priority` (Location.priority),
    `most_stock`, or `nearest` (coordinates when the cart has them, else postcode area, city, country)."""
    actor = request_actor(request, slug)
    return services.boutique_routing_set(actor=actor, routing_rule=payload.routing_rule)


@router.get("/boutiques/{slug}/locations", response={200: list[LocationOut], **PUBLIC_ERRORS})
def locations(request, slug: SLUG):
    """Shops and warehouses with weekly hours and coming exceptions (public)."""
    return list(location_list(boutique=boutique_by_slug(slug), with_hours=True))


@router.post("/boutiques/{slug}/locations", response={201: LocationOut, **ERRORS}, auth=AUTH)
def location_create(request, slug: SLUG, payload: LocationIn):
    actor = request_actor(request, slug)
    data = payload.model_dump()
    data["country"] = data["country"].upper()
    location = services.location_create(actor=actor, **data)
    return Status(201, location_detail(boutique=actor.boutique, location_id=location.pk))


@router.patch("/boutiques/{slug}/locations/{code}", response={200: LocationOut, **ERRORS}, auth=AUTH)
def location_update(request, slug: SLUG, code: CODE, payload: LocationPatch):
    actor = request_actor(request, slug)
    location = access_location(actor, code)
    services.location_update(actor=actor, location=location, **payload.model_dump(exclude_none=True))
    return location_detail(boutique=actor.boutique, location_id=location.pk)


@router.put("/boutiques/{slug}/locations/{code}/hours", response={200: LocationOut, **ERRORS}, auth=AUTH)
def hours_set(request, slug: SLUG, code: CODE, payload: HoursIn):
    actor = request_actor(request, slug)
    location = access_location(actor, code)
    services.opening_hours_set(
        actor=actor, location=location, periods=[(p.weekday, p.opens, p.closes) for p in payload.periods]
    )
    return location_detail(boutique=actor.boutique, location_id=location.pk)


@router.post(
    "/boutiques/{slug}/locations/{code}/hours-exceptions", response={201: ExceptionOut, **ERRORS}, auth=AUTH
)
def hours_exception_add(request, slug: SLUG, code: CODE, payload: ExceptionIn):
    actor = request_actor(request, slug)
    location = access_location(actor, code)
    return Status(201, services.hours_exception_add(
        actor=actor, location=location, day=payload.date, closed=payload.closed,
        opens=payload.opens, closes=payload.closes, note=payload.note,
    ))  # fmt: skip


@router.get("/boutiques/{slug}/tokens", response={200: list[TokenOut], **ERRORS}, auth=AUTH)
def tokens(request, slug: SLUG):
    actor = request_actor(request, slug)
    actor.require("tokens.manage")
    return list(token_list(actor=actor))


@router.post("/boutiques/{slug}/tokens", response={201: TokenCreatedOut, **ERRORS}, auth=AUTH)
def token_create(request, slug: SLUG, payload: TokenIn):
    """Create a token (owners only). The key is in this response and never again."""
    actor = request_actor(request, slug)
    actor.require("tokens.manage")
    if actor.token is not None:
        raise Forbidden("A token cannot create tokens; log in as the owner.", code="token_cannot_create_tokens")
    token, key = services.api_token_create(
        boutique=actor.boutique, name=payload.name, scopes=payload.scopes, created_by=actor.user,
        valid_days=payload.valid_days,
    )  # fmt: skip
    token.key = key
    return Status(201, token)


@router.delete("/boutiques/{slug}/tokens/{token_id}", response={200: TokenOut, **ERRORS}, auth=AUTH)
def token_revoke(request, slug: SLUG, token_id: ID):
    actor = request_actor(request, slug)
    return services.api_token_revoke(actor=actor, token_id=token_id)
