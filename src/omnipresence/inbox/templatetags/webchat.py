"""`{% webchat_launcher boutique %}`: the web chat's one-tag embed, on the boutique's own pages
when she has an active web chat inbox (one query; nothing when she has none)."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

from omnipresence.inbox.webchat import webchat_key_for

register = template.Library()


@register.simple_tag
def webchat_launcher(boutique) -> str:
    if boutique is None or not getattr(boutique, "pk", None):
        return ""
    key = webchat_key_for(boutique=boutique)
    if not key:
        return ""
    return format_html('<script src="{}" async></script>', reverse("webchat:embed", args=[key]))
