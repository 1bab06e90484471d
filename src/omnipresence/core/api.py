"""Shared pieces of the REST API: the error body, authentication, the actor of a request, and the
input types every router uses so that what the OpenAPI document promises is what is accepted."""

import re
from datetime import date, datetime, time
from typing import Annotated, Any

from ninja import Path, Query, Schema
from ninja.security import HttpBearer, SessionAuth
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from omnipresence.stores.access import Actor, actor_for_token, actor_for_user, boutique_by_slug, token_lookup
from omnipresence.stores.models import ApiToken


class ErrorOut(Schema):
    code: str
    message: str
    details: Any | None = None


# Declared on every endpoint so the OpenAPI document lists what can go wrong.
ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    422: ErrorOut,
}
PUBLIC_ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class Input(BaseModel):
    """Base of every request body. A plain pydantic model, not a ninja Schema: Schema reads
    attributes of whatever it is given (a JSON string "AAA" became a product titled "Aaa", via
    str.title), and unknown fields are refused rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


# Free text: never a NUL character (PostgreSQL cannot store one; it used to be a 500 there).
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"


def Text(max_length: int, *, min_length: int = 0, **extra: Any) -> Any:  # noqa: N802 - a type factory
    """A string of at most `max_length`; with min_length, it must hold more than spaces."""
    pattern = NOT_BLANK if min_length else NO_NUL
    return Annotated[str, Field(min_length=min_length, max_length=max_length, pattern=pattern, **extra)]


def _json_number(value: Any) -> Any:
    # JSON Schema's "integer" includes 12.0 but not true, "12" or 12.5.
    if isinstance(value, bool | str | bytes):
        raise ValueError("must be a whole number, not text or true/false")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError("must be a whole number")
    return value


Int = Annotated[int, BeforeValidator(_json_number)]


def Num(ge: int, le: int, **extra: Any) -> Any:  # noqa: N802 - a type factory
    """A bounded whole number. Bounds live inside the type so that `Num(...) | None` still
    documents them (Field(ge=…) on an Optional leaked as unknown "ge"/"le" keys in the schema)."""
    return Annotated[int, Field(ge=ge, le=le, **extra), BeforeValidator(_json_number)]


def _iso_text(value: Any) -> Any:
    if isinstance(value, date | time):
        return value
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 string")
    return value


Day = Annotated[date, BeforeValidator(_iso_text)]
Moment = Annotated[datetime, BeforeValidator(_iso_text)]

_LOCAL_TIME = "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
_LOCAL_TIME_RE = re.compile(_LOCAL_TIME)


def _local_time(value: Any) -> Any:
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not _LOCAL_TIME_RE.match(value):
        raise ValueError("must be a local time such as 09:30 or 09:30:00 (no time zone)")
    return time.fromisoformat(value)


# A wall-clock time of a shop (its zone is the location's): "09:30" in, "09:30:00" out.
LocalTime = Annotated[
    time,
    BeforeValidator(_local_time),
    PlainSerializer(lambda t: t.strftime("%H:%M:%S"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": _LOCAL_TIME, "examples": ["09:30"]}),
]

# Path and query parameters, bounded so nothing odd reaches the database.
SLUG = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,60}$")]
CODE = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
PRODUCT_REF = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,120}$", description="Id or handle")]
SKU_REF = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="SKU or barcode")]
ID = Annotated[int, Path(ge=1, le=2**62)]
PAGE = Annotated[int, Query(ge=1, le=100_000)]
QUERY_CODE = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
QUERY_SKU = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")]


def query_text(max_length: int) -> Any:
    return Annotated[str | None, Query(max_length=max_length, pattern=NO_NUL)]


class TokenAuth(HttpBearer):
    openapi_description = "An API token from `omnipresence token create` or the console: `Bearer omni_…`."

    def authenticate(self, request, token: str) -> ApiToken:
        return token_lookup(token)  # raises Unauthenticated with a precise code


class StaffSessionAuth(SessionAuth):
    """A logged-in staff member's session (the console); CSRF-checked like any form."""


AUTH = [TokenAuth(), StaffSessionAuth()]


def request_actor(request, slug: str) -> Actor:
    """The Actor for this request in boutique `slug`: from its token, or from the staff login."""
    boutique = boutique_by_slug(slug)
    if isinstance(request.auth, ApiToken):
        actor = actor_for_token(request.auth, boutique)
    else:
        actor = actor_for_user(request.user, boutique)
    request.omni_actor = actor  # read by clients.attempts when the operation is refused
    return actor
