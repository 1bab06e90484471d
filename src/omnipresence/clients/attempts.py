"""The log of refused requests about client data (`AccessAttempt`).

`attempt_log` writes one row in its own transaction, after the refused work rolled back, so the
refusal leaves the data unchanged and the attempt on record. `logged_attempts("merge")` wraps an
API operation or view: a DomainError raised inside is logged, then re-raised for the usual
`{code, message}` response.
"""

import functools
import logging

from django.db import transaction

from omnipresence.clients.models import AccessAttempt
from omnipresence.core.errors import DomainError

log = logging.getLogger(__name__)


def attempt_log(*, boutique=None, actor=None, actor_label: str = "", action: str, target: str = "",
                error: DomainError) -> AccessAttempt | None:  # fmt: skip
    user = getattr(actor, "user", None)
    label = actor_label or (actor.label if actor is not None else "")
    if boutique is None and actor is not None:
        boutique = getattr(actor, "boutique", None)
    try:
        with transaction.atomic():
            return AccessAttempt.objects.create(
                boutique=boutique, staff_user=user if getattr(user, "pk", None) else None,
                actor_label=label[:160], action=action[:40], target=target[:80],
                code=str(error.code)[:40], message=str(error.message)[:300],
            )  # fmt: skip
    except Exception:  # the log must never turn a clear 4xx into a 500
        log.exception("could not record an access attempt")
        return None


def logged_attempts(action: str, *, target_kwarg: str | None = "client_id"):
    """Decorate an API operation `(request, slug, …)`: log each DomainError it raises."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except DomainError as error:
                actor = getattr(request, "omni_actor", None)
                boutique = getattr(actor, "boutique", None) or _boutique(kwargs.get("slug"))
                target = ""
                if target_kwarg and target_kwarg in kwargs:
                    target = f"{target_kwarg.removesuffix('_id')}:{kwargs[target_kwarg]}"
                attempt_log(
                    boutique=boutique, actor=actor,
                    actor_label="" if actor else _anonymous_label(request), action=action,
                    target=target, error=error,
                )  # fmt: skip
                raise

        return wrapper

    return decorate


def _anonymous_label(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user.get_username()
    auth = getattr(request, "auth", None)
    return f"token:{auth.name}" if getattr(auth, "name", None) else "anonymous"


def _boutique(slug):
    if not slug:
        return None
    from omnipresence.stores.models import Boutique

    return Boutique.objects.filter(slug=slug).first()
