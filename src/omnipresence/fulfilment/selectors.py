"""Reads of the fulfilment queue. A fulfilment id becomes an object only through
`access_fulfilment`, which filters by the actor's boutique (another boutique's is not found)."""

from django.db.models import Count, Prefetch, QuerySet

from omnipresence.core.errors import NotFound
from omnipresence.fulfilment.models import Fulfilment, FulfilmentLine
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Boutique, Location

SELL = "inventory.hold"  # associates selling and handing over (no fulfilment.* permissions yet)


def fulfilment_queryset(*, boutique: Boutique) -> QuerySet[Fulfilment]:
    """Fulfilments with everything a card or an API body shows: two queries for any number."""
    return (
        Fulfilment.objects.filter(boutique=boutique)
        .select_related("boutique", "order", "location__boutique")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=FulfilmentLine.objects.select_related("order_line", "allocation__hold").order_by(
                    "id"
                ),
            )
        )
    )


def access_fulfilment(actor: Actor, fulfilment_id: int) -> Fulfilment:
    actor.require(SELL)
    fulfilment = fulfilment_queryset(boutique=actor.boutique).filter(pk=fulfilment_id).first()
    if fulfilment is None:
        raise NotFound(f"No fulfilment {fulfilment_id}.", code="fulfilment_not_found")
    return fulfilment


def fulfilment_queue(
    *, actor: Actor, location: Location | None = None, status: str | None = None
) -> QuerySet[Fulfilment]:
    """The work of a location: open fulfilments (status None) oldest first, as they came in; a
    finished status (shipped, collected, …) newest first."""
    actor.require(SELL)
    qs = fulfilment_queryset(boutique=actor.boutique)
    if location is not None:
        qs = qs.filter(location=location)
    if status is None:
        return qs.filter(status__in=Fulfilment.OPEN).order_by("created_at", "id")
    qs = qs.filter(status=status)
    return qs.order_by("created_at", "id") if status in Fulfilment.OPEN else qs.order_by("-created_at", "-id")


def fulfilment_counts(*, actor: Actor, location: Location | None = None) -> dict[str, int]:
    """How many fulfilments are in each status (one query), for the queue's tabs."""
    actor.require(SELL)
    qs = Fulfilment.objects.filter(boutique=actor.boutique)
    if location is not None:
        qs = qs.filter(location=location)
    counts = dict.fromkeys(Fulfilment.Status.values, 0)
    counts.update(qs.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n"))
    return counts
