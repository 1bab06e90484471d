"""Orders and the one client record: every order resolves to a client (email first, then phone),
lands on her timeline, and counts towards her lifetime spend once it is paid (back out when it is
refunded). Called from the orders services inside their transactions; clients is a lower layer."""

from django.utils import timezone

from omnipresence.clients import services as clients
from omnipresence.clients.hooks import on_merge
from omnipresence.core.errors import InvalidInput
from omnipresence.core.money import format_money


def client_for(*, boutique, email: str, phone: str, name: str, channel: str, actor_label: str) -> int | None:
    """The client an order is for, made when none matches; None for an anonymous sale. Contact
    details a client record refuses (a malformed email) never stop a sale."""
    if not (email or phone):
        return None
    try:
        return clients.client_resolve(
            boutique=boutique, email=email, phone=phone, name=name, channel=channel, actor_label=actor_label
        ).pk
    except InvalidInput:
        return None


def _summary(order, what: str, boutique=None) -> str:
    amount = format_money(order.total, order.currency, (boutique or order.boutique).language)
    return f"{what} · order {order.pk} · {amount} · {order.get_channel_display()}"


def order_placed(order, *, boutique, lines: int) -> None:
    if order.client_id:
        clients.timeline_add(
            client_id=order.client_id, kind="order_placed", occurred_at=order.created_at or timezone.now(),
            summary=_summary(order, "Placed", boutique), ref_kind="order", ref_id=order.pk,
            associate_id=order.associate_id, data={"channel": order.channel, "total": order.total, "lines": lines},
        )  # fmt: skip


def order_paid(order) -> None:
    """Counted once per order: an order paid again after a refund is not a second purchase (the
    refund took its amount back out)."""
    from omnipresence.clients.models import TimelineEvent

    if not order.client_id:
        return
    now = timezone.now()
    first_time = not TimelineEvent.objects.filter(
        boutique_id=order.boutique_id, kind="order_paid", ref_kind="order", ref_id=order.pk
    ).exists()
    if first_time:
        clients.client_stats_add(client_id=order.client_id, amount=order.total, occurred_at=now)
    clients.timeline_add(client_id=order.client_id, kind="order_paid", occurred_at=now,
                         summary=_summary(order, "Paid"), ref_kind="order", ref_id=order.pk,
                         associate_id=order.associate_id)  # fmt: skip


def order_refunded(order, *, amount: int, whole: bool) -> None:
    if order.client_id and amount > 0:
        clients.client_stats_remove(client_id=order.client_id, amount=amount, orders=1 if whole else 0)


def order_cancelled(order) -> None:
    if order.client_id:
        clients.timeline_add(client_id=order.client_id, kind="order_cancelled", occurred_at=timezone.now(),
                             summary=_summary(order, "Cancelled"), ref_kind="order", ref_id=order.pk)  # fmt: skip


def _merge(*, survivor_id: int, merged_id: int, **_) -> dict:
    from omnipresence.orders.models import Order

    moved = list(Order.objects.filter(client_id=merged_id).values_list("pk", flat=True))
    Order.objects.filter(pk__in=moved).update(client_id=survivor_id)
    return {"order": moved}


def _undo(*, survivor_id: int, merged_id: int, moved: dict, **_) -> None:
    from omnipresence.orders.models import Order

    Order.objects.filter(pk__in=moved.get("order", []), client_id=survivor_id).update(client_id=merged_id)


def register() -> None:
    on_merge("orders", merge=_merge, undo=_undo)
