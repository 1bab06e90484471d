"""API for returns and exchanges, and return rates by channel."""

from datetime import datetime
from typing import Literal

from ninja import Field, Router, Schema, Status

from omnipresence.catalog.selectors import access_variant
from omnipresence.core.api import AUTH, ERRORS, ID, SLUG, Input, Moment, Num, Text, request_actor
from omnipresence.core.errors import InvalidInput
from omnipresence.orders.selectors import access_order
from omnipresence.returns import services
from omnipresence.returns.models import Return
from omnipresence.returns.selectors import access_return, return_list, return_rates
from omnipresence.stores.selectors import access_location

router = Router(tags=["returns"])

ReasonName = Literal["changed_mind", "wrong_size", "faulty", "not_as_described", "late", "other"]
ChannelName = Literal["web", "shop", "phone", "chat", "social", "live", "appointment"]
LOCATION = r"^[A-Za-z0-9_-]{1,40}$"
SKU = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"


class ReturnLineIn(Input):
    line_id: Num(ge=1, le=2**62)
    quantity: Num(ge=1, le=1000)
    reason: ReasonName = "other"
    restock_location: str | None = Field(None, pattern=LOCATION, description="Where it goes back on sale; none: damaged")


class ExchangeLineIn(Input):
    sku: str = Field(pattern=SKU)
    quantity: Num(ge=1, le=1000) = 1
    fulfilment: Literal["pickup", "ship", "ship_from"] = "pickup"
    location: str | None = Field(None, pattern=LOCATION)


class ReturnIn(Input):
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=100)
    refund_method: Literal["original", "store_credit", "exchange"] = "original"
    channel: ChannelName = "shop"
    exchange: list[ExchangeLineIn] = Field(default_factory=list, max_length=100)
    note: Text(300) = ""
    idempotency_key: str = Field("", pattern=r"^[A-Za-z0-9_.:-]{0,80}$")


class ReturnLineOut(Schema):
    line_id: int
    sku: str
    quantity: int
    reason: str
    restock_location: str | None
    amount: int


class ReturnOut(Schema):
    id: int
    order_id: int
    channel: str
    sale_channel: str
    assisted: bool
    refund_method: str
    amount: int
    refunded: int
    status: str
    store_credit_last4: str | None
    store_credit_code: str | None = Field(None, description="Shown once, when the credit is issued")
    exchange_order_id: int | None
    created_by: str
    created_at: datetime
    lines: list[ReturnLineOut]


def _return_out(ret: Return, code: str = "") -> dict:
    return {
        "id": ret.pk, "order_id": ret.order_id, "channel": ret.channel, "sale_channel": ret.sale_channel,
        "assisted": ret.assisted, "refund_method": ret.refund_method, "amount": ret.amount, "refunded": ret.refunded,
        "status": ret.status, "store_credit_last4": ret.credit.last4 if ret.credit_id else None,
        "store_credit_code": code or None, "exchange_order_id": ret.exchange_order_id,
        "created_by": ret.created_by_label, "created_at": ret.created_at,
        "lines": [{"line_id": x.order_line_id, "sku": x.order_line.sku, "quantity": x.quantity, "reason": x.reason,
                   "restock_location": x.restock_location.code if x.restock_location_id else None,
                   "amount": x.amount} for x in ret.lines.all()],
    }  # fmt: skip


class RateOut(Schema):
    channel: str
    assisted: bool
    orders: int
    units_sold: int
    units_returned: int
    rate: float


@router.post("/boutiques/{slug}/orders/{order_id}/returns", response={201: ReturnOut, **ERRORS}, auth=AUTH)
def return_create(request, slug: SLUG, order_id: ID, payload: ReturnIn):
    """Take back handed-over units: restock each at a location (or not, if damaged) and pay her back
    to the original payment, as store credit, or as an exchange paid with that credit."""
    actor = request_actor(request, slug)
    order = access_order(actor, order_id)
    by_id = {line.pk: line for line in order.lines.all()}
    lines = []
    for line in payload.lines:
        if line.line_id not in by_id:
            raise InvalidInput(f"Line {line.line_id} is not part of order {order.pk}.", code="wrong_order_line")
        lines.append(services.LineBack(
            order_line=by_id[line.line_id], quantity=line.quantity, reason=line.reason,
            restock_location=access_location(actor, line.restock_location) if line.restock_location else None,
        ))  # fmt: skip
    exchange = [
        services.ExchangeLine(variant=access_variant(actor, x.sku), quantity=x.quantity, fulfilment=x.fulfilment,
                              location=access_location(actor, x.location) if x.location else None)  # fmt: skip
        for x in payload.exchange
    ]
    result = services.return_create(
        actor=actor, order=order, lines=lines, refund_method=payload.refund_method, channel=payload.channel,
        exchange=exchange, note=payload.note, idempotency_key=payload.idempotency_key,
    )  # fmt: skip
    return Status(201, _return_out(access_return(actor, result.ret.pk), result.credit_code))


@router.get("/boutiques/{slug}/returns", response={200: list[ReturnOut], **ERRORS}, auth=AUTH)
def returns(request, slug: SLUG, order_id: Num(ge=1, le=2**62) | None = None):
    actor = request_actor(request, slug)
    order = access_order(actor, order_id) if order_id else None
    return [_return_out(r) for r in return_list(actor=actor, order=order)[:200]]


@router.get("/boutiques/{slug}/returns/rates", response={200: list[RateOut], **ERRORS}, auth=AUTH)
def rates(request, slug: SLUG, since: Moment | None = None):
    """Return rates by the sale's channel and whether an associate helped make it."""
    actor = request_actor(request, slug)
    return [{**vars(r), "rate": round(r.rate, 4)} for r in return_rates(actor=actor, since=since)]
