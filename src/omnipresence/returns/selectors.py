"""Reads for returns: an order's returns, and return rates by sale channel and assisted selling."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet, Sum

from omnipresence.core.errors import NotFound
from omnipresence.orders.models import Order, OrderLine
from omnipresence.returns.models import Return, ReturnLine
from omnipresence.returns.services import ASSISTED_CHANNELS, ASSISTED_SOURCES
from omnipresence.stores.access import Actor

VIEW = "inventory.hold"


def access_return(actor: Actor, return_id: int) -> Return:
    actor.require(VIEW)
    ret = return_list(actor=actor).filter(pk=return_id).first()
    if ret is None:
        raise NotFound(f"No return {return_id}.", code="return_not_found")
    return ret


def return_list(*, actor: Actor, order: Order | None = None) -> QuerySet[Return]:
    actor.require(VIEW)
    qs = Return.objects.filter(boutique=actor.boutique).select_related("credit").prefetch_related(
        "lines__order_line", "lines__restock_location"
    )
    return qs.filter(order=order) if order is not None else qs


@dataclass(frozen=True)
class ReturnRate:
    channel: str
    assisted: bool
    orders: int
    units_sold: int
    units_returned: int

    @property
    def rate(self) -> float:
        return self.units_returned / self.units_sold if self.units_sold else 0.0


def return_rates(*, actor: Actor, since: datetime | None = None) -> list[ReturnRate]:
    """Units sold and units returned, by the channel of the sale and whether an associate helped
    (so assisted selling in chat, video or appointments can be compared with self-service)."""
    actor.require(VIEW)
    assisted = Q(order__associate__isnull=False) | Q(order__channel__in=ASSISTED_CHANNELS) | Q(
        order__source_kind__in=ASSISTED_SOURCES
    )
    lines = OrderLine.objects.filter(order__boutique=actor.boutique, order__status=Order.Status.PLACED)
    returned = ReturnLine.objects.filter(ret__boutique=actor.boutique)
    if since is not None:
        lines = lines.filter(order__created_at__gte=since)
        returned = returned.filter(ret__order__created_at__gte=since)
    sold: dict[tuple[str, bool], tuple[int, int]] = {}
    for flag, condition in ((True, assisted), (False, ~assisted)):
        for row in lines.filter(condition).values("order__channel").annotate(
            units=Sum("quantity"), orders=Count("order", distinct=True)
        ):
            sold[(row["order__channel"], flag)] = (row["orders"], row["units"])
    back = {
        (row["ret__sale_channel"], row["ret__assisted"]): row["units"]
        for row in returned.values("ret__sale_channel", "ret__assisted").annotate(units=Sum("quantity"))
    }
    keys = sorted(set(sold) | set(back))
    return [
        ReturnRate(channel, flag, sold.get((channel, flag), (0, 0))[0], sold.get((channel, flag), (0, 0))[1],
                   back.get((channel, flag), 0))  # fmt: skip
        for channel, flag in keys
    ]
