"""Template filters of the inbox pages."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration_short(seconds) -> str:
    """45 → "45 s", 200 → "3 min", 7300 → "2 h", 200000 → "2 d"."""
    try:
        seconds = max(int(seconds), 0)
    except (TypeError, ValueError):
        return ""
    if seconds < 60:
        return _("%(n)s s") % {"n": seconds}
    if seconds < 3600:
        return _("%(n)s min") % {"n": seconds // 60}
    if seconds < 86400:
        return _("%(n)s h") % {"n": seconds // 3600}
    return _("%(n)s d") % {"n": seconds // 86400}


@register.filter
def who(conversation) -> str:
    """Her name, else her address in the channel; a web chat visitor who gave neither is a visitor
    (her contact there is a hash, meaningless to read)."""
    name = conversation.client.display_name
    if name:
        return name
    return contact_shown(conversation) or _("Web visitor")


@register.filter
def contact_shown(conversation) -> str:
    """Her address in the channel, unless it is a web chat visitor's hash."""
    contact = conversation.contact
    if conversation.inbox.kind == "webchat" and "@" not in contact and not contact.startswith("+"):
        return ""
    return contact
