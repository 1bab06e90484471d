"""`{% checkin_for client as checkin %}`: her check-in QR (SVG) and code, for her account page."""

from django import template
from django.utils.safestring import mark_safe

from omnipresence.visits.selectors import checkin_code_text, checkin_qr_svg

register = template.Library()


@register.simple_tag
def checkin_for(client) -> dict:
    if client is None:
        return {"svg": "", "code": ""}
    return {"svg": mark_safe(checkin_qr_svg(client)), "code": checkin_code_text(client)}  # noqa: S308 - segno's SVG, label escaped
