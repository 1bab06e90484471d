"""`{% bag_count %}`: the number of pieces in the client's bag of the boutique on the page."""

from django import template

from omnipresence.storefront.bag import bag_count as count_of

register = template.Library()


@register.simple_tag(takes_context=True)
def bag_count(context) -> int:
    request, boutique = context.get("request"), context.get("boutique")
    if request is None or boutique is None or not hasattr(request, "session"):
        return 0
    return count_of(request, boutique)
