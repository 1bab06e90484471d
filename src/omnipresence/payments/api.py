"""API for payments, refunds, pay links and the providers' notifications."""

from datetime import datetime
from typing import Literal

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from omnipresence.core.api import (
    AUTH,
    ERRORS,
    ID,
    PUBLIC_ERRORS,
    SLUG,
    Input,
    Moment,
    Num,
    Text,
    request_actor,
)
from omnipresence.core.errors import InvalidInput
from omnipresence.orders.selectors import access_cart, access_order
from omnipresence.payments import gift_cards, pay_links, services
from omnipresence.payments.models import GiftCard, PayLink, Payment, Refund
from omnipresence.payments.selectors import access_pay_link, access_payment, pay_link_list, payments_of_order

router = Router(tags=["payments"])

KEY = r"^[A-Za-z0-9_.:-]{0,80}$"
ProviderName = Literal["manual", "sandbox", "stripe", "gift_card"]
MethodName = Literal["cash", "terminal", "online", "gift_card"]
GIFT_CODE = r"^[A-Za-z0-9 -]{16,24}$"
ReasonName = Literal[
    "changed_mind", "wrong_size", "faulty", "not_as_described", "late", "order_cancelled", "overpaid", "other"
]


class RefundOut(Schema):
    id: int
    payment_id: int
    amount: int
    status: str
    reason: str
    note: str
    reference: str
    created_by: str
    created_at: datetime


class PaymentOut(Schema):
    id: int
    order_id: int
    provider: str
    method: str
    amount: int
    currency: str
    status: str
    refundable: int
    reference: str
    redirect_url: str
    error_code: str
    error_message: str
    note: str
    pay_link_id: int | None
    created_by: str
    created_at: datetime
    succeeded_at: datetime | None
    refunds: list[RefundOut]


def _refund_out(refund: Refund) -> dict:
    return {
        "id": refund.pk, "payment_id": refund.payment_id, "amount": refund.amount, "status": refund.status,
        "reason": refund.reason, "note": refund.note, "reference": refund.reference,
        "created_by": refund.created_by_label, "created_at": refund.created_at,
    }  # fmt: skip


def _payment_out(payment: Payment) -> dict:
    return {
        "id": payment.pk, "order_id": payment.order_id, "provider": payment.provider, "method": payment.method,
        "amount": payment.amount, "currency": payment.currency, "status": payment.status,
        "refundable": payment.refundable, "reference": payment.reference, "redirect_url": payment.redirect_url,
        "error_code": payment.error_code, "error_message": payment.error_message, "note": payment.note,
        "pay_link_id": payment.pay_link_id, "created_by": payment.created_by_label,
        "created_at": payment.created_at, "succeeded_at": payment.succeeded_at,
        "refunds": [_refund_out(r) for r in payment.refunds.order_by("pk")],
    }  # fmt: skip


class PayLinkOut(Schema):
    id: int
    order_id: int
    url: str
    status: str
    amount: int
    currency: str
    message: str
    expires_at: datetime
    views: int
    first_viewed_at: datetime | None
    reminder_sent_at: datetime | None
    paid_at: datetime | None
    created_by: str
    created_at: datetime


def _link_out(link: PayLink) -> dict:
    order = link.order
    return {
        "id": link.pk, "order_id": link.order_id, "url": pay_links.pay_link_url(link),
        "status": pay_links.pay_link_state(link), "amount": order.total, "currency": order.currency,
        "message": link.message, "expires_at": link.expires_at, "views": link.views,
        "first_viewed_at": link.first_viewed_at, "reminder_sent_at": link.reminder_sent_at,
        "paid_at": link.paid_at, "created_by": link.created_by_label, "created_at": link.created_at,
    }  # fmt: skip


class PaymentIn(Input):
    provider: ProviderName = "manual"
    method: MethodName = Field("cash", description="cash / terminal for manual; online for hosted providers")
    amount: Num(ge=1, le=10**13) | None = Field(None, description="Minor units; default: all that is owed")
    note: Text(200) = ""
    return_url: Text(2000) = ""
    gift_card_code: str | None = Field(None, pattern=GIFT_CODE, description="With provider gift_card")
    idempotency_key: str = Field("", pattern=KEY)


class RefundIn(Input):
    amount: Num(ge=1, le=10**13) | None = Field(None, description="Minor units; default: all that is left")
    reason: ReasonName = "other"
    note: Text(200) = ""
    idempotency_key: str = Field("", pattern=KEY)


class PayLinkIn(Input):
    cart_id: Num(ge=1, le=2**62) | None = None
    order_id: Num(ge=1, le=2**62) | None = None
    hours: Num(ge=1, le=24 * 14) | None = Field(None, description="How long it lasts; default PAY_LINK_HOURS")
    message: Text(500) = ""


@router.get("/boutiques/{slug}/orders/{order_id}/payments", response={200: list[PaymentOut], **ERRORS}, auth=AUTH)
def order_payments(request, slug: SLUG, order_id: ID):
    actor = request_actor(request, slug)
    return [_payment_out(p) for p in payments_of_order(order=access_order(actor, order_id))]


@router.post("/boutiques/{slug}/orders/{order_id}/payments", response={201: PaymentOut, **ERRORS}, auth=AUTH)
def payment_create(request, slug: SLUG, order_id: ID, payload: PaymentIn):
    """Take a payment: `manual` records cash or a card terminal at once; a hosted provider (`sandbox`,
    `stripe`) answers with `redirect_url`, the page where the client pays. Partial amounts (a
    deposit, a split between cash and card) are allowed up to what is owed."""
    actor = request_actor(request, slug)
    order = access_order(actor, order_id)
    if payload.provider == "gift_card":
        if not payload.gift_card_code:
            raise InvalidInput("Give the gift card's code.", code="gift_card_code_required")
        payment = gift_cards.gift_card_pay(actor=actor, order=order, code=payload.gift_card_code,
                                           amount=payload.amount, idempotency_key=payload.idempotency_key)  # fmt: skip
        return Status(201, _payment_out(payment))
    payment = services.payment_start(
        actor=actor, order=order, provider=payload.provider, method=payload.method, amount=payload.amount,
        note=payload.note, return_url=payload.return_url, idempotency_key=payload.idempotency_key,
    )  # fmt: skip
    return Status(201, _payment_out(payment))


@router.post("/boutiques/{slug}/payments/{payment_id}/refunds", response={201: RefundOut, **ERRORS}, auth=AUTH)
def refund_create(request, slug: SLUG, payment_id: ID, payload: RefundIn):
    """Give back part or all of a payment through its provider (needs `payments.refund`: managers,
    owners, tokens with `payments:write`)."""
    actor = request_actor(request, slug)
    refund = services.refund_create(
        actor=actor, payment=access_payment(actor, payment_id), amount=payload.amount, reason=payload.reason,
        note=payload.note, idempotency_key=payload.idempotency_key,
    )  # fmt: skip
    return Status(201, _refund_out(refund))


@router.post("/boutiques/{slug}/orders/{order_id}/refund-and-cancel", response={200: dict, **ERRORS}, auth=AUTH)
def order_refund_and_cancel(request, slug: SLUG, order_id: ID):
    """Cancel a paid order: everything paid is refunded, then its units and coupon uses go back."""
    actor = request_actor(request, slug)
    order = services.order_refund_and_cancel(actor=actor, order=access_order(actor, order_id))
    return {"id": order.pk, "status": order.status, "payment_status": order.payment_status}


@router.get("/boutiques/{slug}/pay-links", response={200: list[PayLinkOut], **ERRORS}, auth=AUTH)
def links(request, slug: SLUG, status: Literal["active", "paid", "expired", "revoked"] | None = None):
    actor = request_actor(request, slug)
    return [_link_out(link) for link in pay_link_list(actor=actor, status=status)[:200]]


@router.post("/boutiques/{slug}/pay-links", response={201: PayLinkOut, **ERRORS}, auth=AUTH)
def link_create(request, slug: SLUG, payload: PayLinkIn):
    """A secure link for a cart (checked out now: items, amount and units fixed) or an unpaid order.
    Send `url` to the client; it works until it is paid, expires or is revoked."""
    actor = request_actor(request, slug)
    link = pay_links.pay_link_create(
        actor=actor, cart=access_cart(actor, payload.cart_id) if payload.cart_id else None,
        order=access_order(actor, payload.order_id) if payload.order_id else None, hours=payload.hours,
        message=payload.message,
    )  # fmt: skip
    return Status(201, _link_out(access_pay_link(actor, link.pk)))


@router.get("/boutiques/{slug}/pay-links/{link_id}", response={200: PayLinkOut, **ERRORS}, auth=AUTH)
def link_detail(request, slug: SLUG, link_id: ID):
    actor = request_actor(request, slug)
    return _link_out(access_pay_link(actor, link_id))


@router.post("/boutiques/{slug}/pay-links/{link_id}/revoke", response={200: PayLinkOut, **ERRORS}, auth=AUTH)
def link_revoke(request, slug: SLUG, link_id: ID):
    """Withdraw a link: it stops working and its units go back on sale."""
    actor = request_actor(request, slug)
    link = pay_links.pay_link_revoke(actor=actor, link=access_pay_link(actor, link_id))
    return _link_out(access_pay_link(actor, link.pk))


class GiftCardIn(Input):
    amount: Num(ge=1, le=10**13)
    kind: Literal["gift_card", "store_credit"] = "gift_card"
    client: Text(254) = Field("", description="Email or phone; required for store credit")
    client_name: Text(120) = ""
    note: Text(200) = ""
    expires_at: Moment | None = None


class GiftCardOut(Schema):
    id: int
    kind: str
    last4: str
    currency: str
    initial: int
    balance: int
    client_ref: str
    expires_at: datetime | None
    is_active: bool
    code: str | None = Field(None, description="Shown once, when issued")


class GiftCardCodeIn(Input):
    code: str = Field(pattern=GIFT_CODE)


def _card_out(card: GiftCard, code: str = "") -> dict:
    return {
        "id": card.pk, "kind": card.kind, "last4": card.last4, "currency": card.currency, "initial": card.initial,
        "balance": card.balance, "client_ref": card.client_ref, "expires_at": card.expires_at,
        "is_active": card.is_active, "code": code or None,
    }  # fmt: skip


@router.post("/boutiques/{slug}/gift-cards", response={201: GiftCardOut, **ERRORS}, auth=AUTH)
def gift_card_issue(request, slug: SLUG, payload: GiftCardIn):
    """Issue a gift card or a client's store credit (managers); the code is in this answer only."""
    actor = request_actor(request, slug)
    card, code = gift_cards.gift_card_issue(
        actor=actor, amount=payload.amount, kind=payload.kind, client=payload.client,
        client_name=payload.client_name, note=payload.note, expires_at=payload.expires_at,
    )  # fmt: skip
    return Status(201, _card_out(card, code))


@router.post("/boutiques/{slug}/gift-cards/balance", response={200: GiftCardOut, **ERRORS}, auth=AUTH)
def gift_card_balance(request, slug: SLUG, payload: GiftCardCodeIn):
    """What a card holds, by its code (sent in the body so it stays out of logs)."""
    actor = request_actor(request, slug)
    return _card_out(gift_cards.gift_card_find(actor=actor, code=payload.code))


class WebhookOut(Schema):
    result: str


@router.post("/webhooks/payments/{provider}", response={200: WebhookOut, **PUBLIC_ERRORS}, include_in_schema=True)
def webhook(request, provider: Literal["stripe", "sandbox", "manual"]):
    """A provider's notification (Stripe: point the endpoint here; `Stripe-Signature` is verified).
    A replay answers 200 with `duplicate` and changes nothing."""
    if len(request.body) > 512 * 1024:
        return HttpResponse(status=413)
    return {"result": services.webhook_receive(provider=provider, body=request.body, headers=request.headers)}
