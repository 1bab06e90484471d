"""How a console page gets its Actor: `@staff_view` on views taking (request, actor, ...).

URLs are /console/<slug>/…; the decorator logs the user in if needed and answers 403 to staff of
another boutique, 404 to an unknown boutique — pages never resolve a boutique any other way.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from omnipresence.core.errors import DomainError, Unauthenticated
from omnipresence.stores.access import actor_for_user, boutique_by_slug


def render_error(request, error: DomainError):
    return render(request, "console/error.html", {"error": error}, status=error.status)


def _log_client_refusal(request, view, slug: str, kwargs: dict, error: DomainError, actor=None) -> None:
    """A refused page about one client (another boutique's, an unknown id, bad input) is logged."""
    if "client_id" not in kwargs:
        return
    from omnipresence.clients.attempts import attempt_log
    from omnipresence.stores.models import Boutique

    boutique = actor.boutique if actor is not None else Boutique.objects.filter(slug=slug).first()
    attempt_log(
        boutique=boutique, actor=actor, actor_label="" if actor else request.user.get_username(),
        action=view.__name__.removeprefix("client_")[:40], target=f"client:{kwargs['client_id']}", error=error,
    )  # fmt: skip


def staff_view(view):
    @wraps(view)
    def wrapper(request, slug: str, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            actor = actor_for_user(request.user, boutique_by_slug(slug))
        except Unauthenticated:
            return redirect_to_login(request.get_full_path())
        except DomainError as error:
            _log_client_refusal(request, view, slug, kwargs, error)
            return render_error(request, error)
        try:
            return view(request, actor, *args, **kwargs)
        except DomainError as error:
            _log_client_refusal(request, view, slug, kwargs, error, actor)
            if request.htmx:
                return render(request, "console/_error_fragment.html", {"error": error}, status=error.status)
            return render_error(request, error)

    return wrapper
