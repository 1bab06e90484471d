"""Shared pieces of the REST API: the error body, authentication, and the actor of a request."""

from typing import Any

from ninja import Schema
from ninja.security import HttpBearer, SessionAuth

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
        return actor_for_token(request.auth, boutique)
    return actor_for_user(request.user, boutique)
