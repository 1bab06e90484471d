"""Reads of the console that belong to no single domain: where a staff login may work."""

from django.db.models import QuerySet

from omnipresence.stores.models import StaffMember


def memberships_for(user) -> QuerySet[StaffMember]:
    """The boutiques this login is active staff of, by name."""
    return (
        StaffMember.objects.filter(user=user, is_active=True)
        .select_related("boutique")
        .order_by("boutique__name")
    )
