"""Template tags of the client's account: whether she is logged in (for the storefront header),
her wishlist and recently viewed pieces (for the console's client profile), and her data export
shown as readable sections."""

from datetime import datetime

from django import template
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from omnipresence.accounts import selectors
from omnipresence.accounts.session import SESSION_KEY

register = template.Library()
MAX_DEPTH = 6


@register.simple_tag(takes_context=True)
def portal_signed_in(context) -> bool:
    """Whether the storefront session holds a hub login (no query)."""
    request = context.get("request")
    session = getattr(request, "session", None)
    return bool(session is not None and isinstance(session.get(SESSION_KEY), int))


@register.simple_tag
def client_wishlist(client) -> list:
    return list(selectors.wishlist_for(client)) if client is not None else []


@register.simple_tag
def client_recently_viewed(client, limit: int = 8) -> list:
    return selectors.recently_viewed(client, limit) if client is not None else []


def _label(key) -> str:
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _scalar(value) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and "T" in value:
        moment = parse_datetime(value)
        if moment is not None:
            return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _render(value, depth: int):
    if depth > MAX_DEPTH:
        return format_html("{}", _scalar(str(value)))
    if isinstance(value, dict):
        if not value:
            return format_html('<span class="muted">{}</span>', _("Nothing"))
        rows = format_html_join("", "<div><dt>{}</dt><dd>{}</dd></div>",
                                ((_label(k), _render(v, depth + 1)) for k, v in value.items()))  # fmt: skip
        return format_html('<dl class="export-fields">{}</dl>', rows)
    if isinstance(value, list | tuple):
        if not value:
            return format_html('<span class="muted">{}</span>', _("Nothing"))
        items = format_html_join("", "<li>{}</li>", ((_render(v, depth + 1),) for v in value))
        return format_html('<ul class="export-list">{}</ul>', items)
    return format_html("{}", _scalar(value))


@register.filter
def export_sections(export) -> list[tuple[str, str]]:
    """The export's top-level keys as (title, HTML) sections; every value is escaped."""
    if not isinstance(export, dict):
        return [(_("Your data"), _render(export, 0))]
    sections = [(_label(key), mark_safe(_render(value, 0)))  # noqa: S308 - escaped
                for key, value in export.items() if isinstance(value, dict | list | tuple)]  # fmt: skip
    about = {key: value for key, value in export.items() if not isinstance(value, dict | list | tuple)}
    if about:  # format version, when it was made…: one section at the end, not one each
        sections.append((_("About this export"), mark_safe(_render(about, 0))))  # noqa: S308 - escaped
    return sections
