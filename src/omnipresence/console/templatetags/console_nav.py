"""The console's header navigation, usable from any console page (also pages of other modules that
extend console/base.html without passing an `actor`)."""

from django import template

from omnipresence.core.errors import DomainError
from omnipresence.stores.access import actor_for_user, boutique_by_slug

register = template.Library()


@register.inclusion_tag("console/_nav.html", takes_context=True)
def console_nav(context):
    request = context.get("request")
    actor = context.get("actor")
    if actor is None and request is not None and request.user.is_authenticated:
        slug = (
            getattr(request, "resolver_match", None) and request.resolver_match.kwargs.get("slug")
        ) or None
        if slug:
            try:
                actor = actor_for_user(request.user, boutique_by_slug(slug))
            except DomainError:
                actor = None
    path = request.path if request is not None else ""
    slug = actor.boutique.slug if actor is not None else None
    return {
        "request": request,
        "user": getattr(request, "user", None),
        "actor": actor,
        "csrf_token": context.get("csrf_token"),
        "dashboard_url": f"/console/{slug}/" if slug else None,
        "imports_url": f"/console/{slug}/imports/" if slug else None,
        "tokens_url": f"/console/{slug}/tokens/" if slug else None,
        "on_tokens": slug is not None and path.startswith(f"/console/{slug}/tokens/"),
        "on_dashboard": slug is not None and path == f"/console/{slug}/",
        "on_imports": slug is not None and path.startswith(f"/console/{slug}/imports/"),
    }
