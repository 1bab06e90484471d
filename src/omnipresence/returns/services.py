"""Taking a return in any channel: check what can come back, put resellable units back on sale at
the chosen location, and pay the client back — through the original payments, as store credit, or
as an exchange (another size) paid with that credit.

Everything that stays inside Omnipresence (the return, restocking, store credit, the exchange
order and its payment by credit) happens in one transaction, so nothing is half-written. A refund
to the original payment calls a provider, so it runs after that commit, with no lock held; if the
provider fails the return is kept as `refund_pending` and `return_refund_retry` finishes it.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum

from omnipresence.catalog.models import Variant
from omnipresence.clients.services import timeline_add
from omnipresence.core.errors import Conflict, InvalidInput
from omnipresence.core.validation import clean_text, same_boutique
from omnipresence.inventory import services as inventory
from omnipresence.inventory.models import Hold
from omnipresence.orders import services as orders
from omnipresence.orders.models import Channel, Order, OrderAllocation, OrderLine, SourceKind
from omnipresence.payments import gift_cards
from omnipresence.payments import services as payments
from omnipresence.payments.models import GiftCard
from omnipresence.payments.providers.base import PaymentError
from omnipresence.returns.models import Reason, Return, ReturnLine
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Location

TAKE_RETURNS = "payments.refund"  # money goes back: managers and owners
ASSISTED_CHANNELS = {Channel.PHONE, Channel.CHAT, Channel.SOCIAL, Channel.LIVE, Channel.APPOINTMENT}
ASSISTED_SOURCES = {SourceKind.CONVERSATION, SourceKind.APPOINTMENT, SourceKind.LIVE_EVENT, SourceKind.SHARE_LINK,
                    SourceKind.HOLD, SourceKind.ASSOCIATE}  # fmt: skip


@dataclass(frozen=True)
class LineBack:
    order_line: OrderLine
    quantity: int
    reason: str = Reason.OTHER
    restock_location: Location | None = None  # None: not resellable


@dataclass(frozen=True)
class ExchangeLine:
    variant: Variant
    quantity: int
    fulfilment: str = "pickup"
    location: Location | None = None


@dataclass
class ReturnResult:
    ret: Return
    credit_code: str = ""  # shown once, when store credit was issued


def sale_assisted(order: Order) -> bool:
    """Whether an associate helped make the sale (what return rates are compared by)."""
    return bool(order.associate_id) or order.channel in ASSISTED_CHANNELS or order.source_kind in ASSISTED_SOURCES


def returnable(order_line: OrderLine) -> int:
    """Units of the line that were handed over or shipped and have not come back yet."""
    handed = (
        OrderAllocation.objects.filter(line=order_line, hold__status=Hold.Status.CONSUMED).aggregate(
            n=Sum("quantity")
        )["n"]
        or 0
    )
    back = ReturnLine.objects.filter(order_line=order_line).aggregate(n=Sum("quantity"))["n"] or 0
    return handed - back


def _line_amount(order_line: OrderLine, quantity: int) -> int:
    """The line's total is shared over its units so that returning all of them, in any number of
    returns, gives back exactly the total (discounts and VAT included)."""
    before = ReturnLine.objects.filter(order_line=order_line).aggregate(n=Sum("quantity"))["n"] or 0
    share = order_line.total * (before + quantity) // order_line.quantity
    return share - order_line.total * before // order_line.quantity


def return_create(
    *, actor: Actor, order: Order, lines: list[LineBack], refund_method: str = Return.RefundMethod.ORIGINAL,
    channel: str = Channel.SHOP, exchange: list[ExchangeLine] = (), note: str = "", idempotency_key: str = "",
) -> ReturnResult:  # fmt: skip
    actor.require(TAKE_RETURNS)
    same_boutique(actor, order)
    if refund_method not in Return.RefundMethod.values:
        raise InvalidInput(f"Unknown refund method '{refund_method[:20]}'.", code="invalid_refund_method")
    if channel not in Channel.values:
        raise InvalidInput(f"Unknown channel '{channel[:20]}'.", code="invalid_channel")
    if not lines:
        raise InvalidInput("Nothing to return.", code="empty_return")
    if bool(exchange) != (refund_method == Return.RefundMethod.EXCHANGE):
        raise InvalidInput("An exchange names the pieces she takes instead.", code="exchange_lines_required")
    key = clean_text(idempotency_key, "idempotency_key", 80)
    note = clean_text(note, "note", 300)
    existing = Return.objects.filter(boutique=actor.boutique, idempotency_key=key).first() if key else None
    if existing is not None:
        return ReturnResult(existing)
    for line in lines:
        if line.order_line.order_id != order.pk:
            raise InvalidInput("That line is not part of this order.", code="wrong_order_line")
        if line.reason not in Reason.values:
            raise InvalidInput(f"Unknown reason '{line.reason[:20]}'.", code="invalid_reason")
        same_boutique(actor, line.restock_location)
        if isinstance(line.quantity, bool) or not isinstance(line.quantity, int) or line.quantity < 1:
            raise InvalidInput("A returned quantity is a whole number from 1.", code="invalid_quantity")

    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        short = []
        for line in lines:
            can = returnable(line.order_line)
            asked = sum(x.quantity for x in lines if x.order_line.pk == line.order_line.pk)
            if asked > can:
                short.append({"line_id": line.order_line.pk, "sku": line.order_line.sku, "returnable": can})
        if short:
            raise Conflict(
                "More than was handed over, or already returned: "
                + ", ".join(f"{s['sku']} ({s['returnable']} can come back)" for s in short),
                code="not_returnable", details={"lines": short},
            )  # fmt: skip
        ret = Return.objects.create(
            boutique_id=locked.boutique_id, order=locked, channel=channel, sale_channel=locked.channel,
            assisted=sale_assisted(locked), refund_method=refund_method, amount=0, note=note,
            idempotency_key=key or f"return-{locked.pk}-{ReturnLine.objects.filter(ret__order=locked).count()}-"
            f"{len(lines)}-{Return.objects.filter(order=locked).count()}",
            created_by_id=actor.user_id, created_by_label=actor.label[:120],
        )  # fmt: skip
        total = 0
        for line in lines:
            amount = _line_amount(line.order_line, line.quantity)
            ReturnLine.objects.create(ret=ret, order_line=line.order_line, quantity=line.quantity,
                                      reason=line.reason, restock_location=line.restock_location, amount=amount)  # fmt: skip
            total += amount
            if line.restock_location is not None and line.order_line.variant_id:
                inventory.stock_return(
                    actor=actor, location=line.restock_location, variant=line.order_line.variant,
                    quantity=line.quantity, reason=f"returned: {line.reason}", reference=f"return:{ret.pk}",
                )  # fmt: skip
        Return.objects.filter(pk=ret.pk).update(amount=total)
        ret.amount = total
        code = ""
        if refund_method in (Return.RefundMethod.STORE_CREDIT, Return.RefundMethod.EXCHANGE) and total > 0:
            card, code = gift_cards.gift_card_issue(
                actor=actor, amount=total, kind=GiftCard.Kind.STORE_CREDIT,
                client=locked.client_ref or locked.client_email or f"order-{locked.pk}@returns.invalid",
                client_name=locked.client_name, note=f"return {ret.pk} of order {locked.pk}",
            )  # fmt: skip
            Return.objects.filter(pk=ret.pk).update(credit=card)
            ret.credit = card
        if refund_method == Return.RefundMethod.EXCHANGE:
            ret.exchange_order = _exchange(actor, locked, ret, exchange, code)
            Return.objects.filter(pk=ret.pk).update(exchange_order=ret.exchange_order)
        if locked.client_id:
            timeline_add(
                client_id=locked.client_id, kind="return", occurred_at=ret.created_at,
                summary=f"Returned {sum(x.quantity for x in lines)} from order {locked.pk} · {ret.get_refund_method_display()}",
                data={"amount": total, "reasons": sorted({x.reason for x in lines}), "channel": channel,
                      "assisted": ret.assisted},
                ref_kind="return", ref_id=ret.pk, associate_id=actor.user_id,
            )  # fmt: skip

    if refund_method == Return.RefundMethod.ORIGINAL and total > 0:
        _refund(actor, ret, lines[0].reason)
    return ReturnResult(Return.objects.get(pk=ret.pk), credit_code=code)


def _exchange(actor: Actor, order: Order, ret: Return, exchange: list[ExchangeLine], code: str) -> Order:
    """The pieces she takes instead, in a new order of the same client, paid with the credit (what
    it does not cover is owed on the new order; what is left stays on her credit)."""
    cart = orders.cart_create(
        actor=actor, channel=ret.channel, client_name=order.client_name, client_email=order.client_email,
        client_phone=order.client_phone, associate=order.associate, source_kind=order.source_kind,
        source_ref=f"exchange:return:{ret.pk}"[:120], shipping_country=order.shipping_country,
        shipping_address=order.shipping_address,
    )  # fmt: skip
    for line in exchange:
        orders.cart_line_set(actor=actor, cart=cart, variant=line.variant, quantity=line.quantity,
                             fulfilment=line.fulfilment, location=line.location)  # fmt: skip
    new = orders.cart_checkout(actor=actor, cart=cart, idempotency_key=f"exchange-{ret.pk}")
    if code and new.total > 0:
        gift_cards.gift_card_pay(actor=actor, order=new, code=code, idempotency_key=f"exchange-{ret.pk}")
    return Order.objects.get(pk=new.pk)


def _refund(actor: Actor, ret: Return, reason: str) -> None:
    order = Order.objects.get(pk=ret.order_id)
    refundable = sum(p.refundable for p in order.payments.filter(status="succeeded"))
    amount = min(ret.amount - ret.refunded, refundable)
    if amount <= 0:
        return
    try:
        refunds = payments.order_refund(
            actor=actor, order=order, amount=amount, reason=reason, note=f"return {ret.pk}",
            idempotency_key=f"return-{ret.pk}",
        )  # fmt: skip
    except PaymentError as error:
        Return.objects.filter(pk=ret.pk).update(status=Return.Status.REFUND_PENDING, error_message=error.message[:300])
        return
    done = sum(r.amount for r in refunds if r.status == "succeeded")
    status = Return.Status.COMPLETED if done >= amount else Return.Status.REFUND_PENDING
    Return.objects.filter(pk=ret.pk).update(refunded=ret.refunded + done, status=status, error_message="")


def return_refund_retry(*, actor: Actor, ret: Return) -> Return:
    """Finish a return whose refund the provider did not take (same refund keys: never twice)."""
    actor.require(TAKE_RETURNS)
    same_boutique(actor, ret)
    if ret.status == Return.Status.REFUND_PENDING:
        first = ret.lines.order_by("pk").first()
        _refund(actor, ret, first.reason if first else Reason.OTHER)
    return Return.objects.get(pk=ret.pk)
