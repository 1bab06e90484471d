"""Who is acting, for which boutique, allowed to do what.

Every user-supplied id becomes an object through an accessor that takes an Actor; the Actor is
made here, once per request, from a staff login or an API token. Nothing reads across boutiques.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.utils import timezone

from omnipresence.core.errors import Forbidden, NotFound, Unauthenticated
from omnipresence.stores.models import ApiToken, Boutique, StaffMember

# What each role may do. Tokens carry scopes instead (SCOPE_PERMISSIONS).
ASSOCIATE_PERMISSIONS = frozenset(
    {"catalog.view", "inventory.view", "inventory.hold", "inventory.receive", "staff.view", "clients.view",
     "clients.edit", "appointments.book",
     "live.host", "live.moderate"}  # host one's own live events; hide, ban, slow mode in any event's chat
)
MANAGER_PERMISSIONS = ASSOCIATE_PERMISSIONS | {
    "catalog.edit",
    "inventory.adjust",
    "inventory.transfer",
    "inventory.count",
    "imports.run",
    "locations.edit",
    "payments.refund",
    "clients.merge",
    "clients.audit",  # who opened which client's profile; refused requests about client data
    "clients.privacy",  # export a client's data for her, erase it at her request
    "tasks.assign",  # give tasks to others or a shop's team; hand a departing associate's clients over
    "inbox.manage",  # set up inboxes (a WhatsApp number, an email address, the web chat)
    "attribution.view_all",  # every associate's credited sales, not only one's own
    "appointments.manage",  # appointment types, their calendars, everyone's working hours and appointments
    "live.manage",  # every live event, whoever hosts it; name another associate as host
}
OWNER_PERMISSIONS = MANAGER_PERMISSIONS | {"tokens.manage", "staff.manage", "boutique.edit"}
ROLE_PERMISSIONS = {
    StaffMember.Role.ASSOCIATE: ASSOCIATE_PERMISSIONS,
    StaffMember.Role.MANAGER: MANAGER_PERMISSIONS,
    StaffMember.Role.OWNER: OWNER_PERMISSIONS,
}
SCOPE_PERMISSIONS = {
    "catalog:read": {"catalog.view"},
    "catalog:write": {"catalog.view", "catalog.edit", "imports.run"},
    "inventory:read": {"inventory.view"},
    "inventory:write": {
        "inventory.view",
        "inventory.hold",
        "inventory.receive",
        "inventory.adjust",
        "inventory.transfer",
        "inventory.count",
        "imports.run",
    },
    "locations:write": {"locations.edit"},
    "payments:write": {"payments.refund"},
    "clients:read": {"clients.view"},
    "clients:write": {"clients.view", "clients.edit", "clients.merge", "tasks.assign"},
    "privacy:write": {"clients.view", "clients.privacy", "clients.audit"},
    "reports:read": {"attribution.view_all"},
    "inbox:write": {"clients.view", "clients.edit", "inbox.manage"},
    "appointments:write": {"appointments.book", "appointments.manage", "clients.view", "clients.edit",
                           "inventory.hold"},
    "live:write": {"live.host", "live.moderate", "live.manage"},
}
ALL_SCOPES = tuple(SCOPE_PERMISSIONS)
TOKEN_PREFIX = "omni_"


@dataclass(frozen=True)
class Actor:
    boutique: Boutique
    permissions: frozenset[str]
    user: object | None = None
    membership: StaffMember | None = None
    token: ApiToken | None = None

    @property
    def role(self) -> str:
        return self.membership.role if self.membership else "integration"

    @property
    def label(self) -> str:
        if self.user is not None:
            return self.user.get_username()
        if self.token is not None:
            return f"token:{self.token.name}"
        return "system"

    @property
    def user_id(self) -> int | None:
        return getattr(self.user, "pk", None)

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        if permission not in self.permissions:
            raise Forbidden(f"Your role does not allow '{permission}'.", details={"permission": permission})


def system_actor(boutique: Boutique) -> Actor:
    """For the seeder, imports run from the shell and background tasks."""
    return Actor(boutique=boutique, permissions=OWNER_PERMISSIONS)


def boutique_by_slug(slug: str) -> Boutique:
    boutique = Boutique.objects.filter(slug=slug).first()
    if boutique is None:
        raise NotFound(f"No boutique '{slug}'.", code="boutique_not_found")
    return boutique


def actor_for_user(user, boutique: Boutique) -> Actor:
    if user is None or not user.is_authenticated:
        raise Unauthenticated()
    membership = (
        StaffMember.objects.select_related("home_location")
        .filter(user=user, boutique=boutique, is_active=True)
        .first()
    )
    if membership is None:
        # Do not reveal more than "not yours" to staff of another boutique.
        raise Forbidden("You are not a member of this boutique's staff.", code="not_staff")
    return Actor(
        boutique=boutique,
        permissions=frozenset(ROLE_PERMISSIONS[membership.role]),
        user=user,
        membership=membership,
    )


def hash_token_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_lookup(raw: str) -> ApiToken:
    """Find the live token for a raw key `omni_<prefix>_<secret>`, or raise Unauthenticated."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        raise Unauthenticated("That API token is not valid.", code="invalid_token")
    try:
        prefix, secret = raw[len(TOKEN_PREFIX) :].split("_", 1)
    except ValueError:
        raise Unauthenticated("That API token is not valid.", code="invalid_token")
    token = ApiToken.objects.select_related("boutique").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.key_hash, hash_token_secret(secret)):
        raise Unauthenticated("That API token is not valid.", code="invalid_token")
    now = timezone.now()
    if token.revoked_at is not None:
        raise Unauthenticated("That API token has been revoked.", code="token_revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthenticated("That API token has expired.", code="token_expired")
    return token


def actor_for_token(token: ApiToken, boutique: Boutique) -> Actor:
    if token.boutique_id != boutique.pk:
        raise Forbidden("This API token belongs to another boutique.", code="wrong_boutique")
    permissions: set[str] = set()
    for scope in token.scopes:
        permissions |= SCOPE_PERMISSIONS.get(scope, set())
    return Actor(boutique=boutique, permissions=frozenset(permissions), token=token)


def new_token_secret() -> tuple[str, str]:
    return secrets.token_hex(6), secrets.token_urlsafe(32)
