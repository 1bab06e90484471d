"""`{% month_credit boutique actor as credit %}`: her own credited sales this month (the card)."""

from django import template
from django.db.models import Count, Sum

from omnipresence.attribution.models import Credit
from omnipresence.attribution.selectors import month_bounds

register = template.Library()


@register.simple_tag
def month_credit(boutique, actor) -> dict:
    since, until = month_bounds(boutique)
    row = Credit.objects.filter(
        boutique=boutique, associate_id=actor.user_id, voided=False, occurred_at__gte=since, occurred_at__lt=until
    ).aggregate(total=Sum("amount"), orders=Count("id"))  # fmt: skip
    return {"total": row["total"] or 0, "orders": row["orders"]}
