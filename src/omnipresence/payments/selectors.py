"""Reads for payments, refunds and pay links; accessors keep every id inside the actor's boutique."""

from django.db.models import Prefetch, QuerySet

from omnipresence.core.errors import NotFound
from omnipresence.orders.models import Order, OrderLine
from omnipresence.payments.models import PayLink, Payment, Refund
from omnipresence.stores.access import Actor

SELL = "inventory.hold"


def access_payment(actor: Actor, payment_id: int) -> Payment:
    actor.require(SELL)
    payment = Payment.objects.select_related("order").filter(boutique=actor.boutique, pk=payment_id).first()
    if payment is None:
        raise NotFound(f"No payment {payment_id}.", code="payment_not_found")
    return payment


def payments_of_order(*, order: Order) -> list[Payment]:
    return list(
        Payment.objects.filter(order=order)
        .prefetch_related(Prefetch("refunds", queryset=Refund.objects.order_by("pk")))
        .order_by("pk")
    )


def pay_link_queryset(*, actor: Actor) -> QuerySet[PayLink]:
    return PayLink.objects.filter(boutique=actor.boutique).select_related("order", "created_by")


def access_pay_link(actor: Actor, link_id: int) -> PayLink:
    actor.require(SELL)
    link = pay_link_queryset(actor=actor).filter(pk=link_id).first()
    if link is None:
        raise NotFound(f"No pay link {link_id}.", code="pay_link_not_found")
    return link


def pay_link_list(*, actor: Actor, status: str | None = None) -> QuerySet[PayLink]:
    actor.require(SELL)
    qs = pay_link_queryset(actor=actor)
    return qs.filter(status=status) if status else qs


def pay_link_page_order(link: PayLink) -> Order:
    """The order of a pay link with what its page shows: lines, their variants' first picture."""
    return (
        Order.objects.select_related("boutique")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.select_related("variant__product", "location").prefetch_related(
                    "variant__product__images"
                ),
            )
        )
        .get(pk=link.order_id)
    )
