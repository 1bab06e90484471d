"""Taking and giving back money for orders, in every channel, through one provider interface.

The rule for every call to a provider (LESSONS 4): write what we are about to do (a pending
Payment or Refund row) and commit; call the provider with an idempotency key derived from that
row, holding no lock; then lock the order and the row again and record the answer. A lost answer
is recovered by asking again with the same key, so a retry never charges twice.

Lock order: order row, then payment row (then, through orders, the stock rows).
An order's amount_paid / amount_refunded are recomputed from the rows here every time they change.
"""

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from omnipresence.clients.services import timeline_add
from omnipresence.core.errors import Conflict, InvalidInput, NotFound
from omnipresence.core.validation import clean_text as _text
from omnipresence.core.validation import same_boutique as _same_boutique
from omnipresence.orders import services as orders
from omnipresence.orders.errors import OrderFulfilled
from omnipresence.orders.models import Order
from omnipresence.orders.selectors import order_handed_over
from omnipresence.payments.models import Method, PayLink, Payment, Provider, ProviderEvent, Refund
from omnipresence.payments.providers import get_provider
from omnipresence.payments.providers.base import PaymentError, ProviderPayment, WebhookEvent
from omnipresence.stores.access import Actor, system_actor

log = logging.getLogger(__name__)

SELL = "inventory.hold"
REFUND = "payments.refund"
MANUAL_METHODS = (Method.CASH, Method.TERMINAL)


class OrderNotPayable(Conflict):
    code = "order_not_payable"
    default_message = "This order cannot take a payment."


def _amount(value, field: str = "amount") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0 or value > 10**13:
        raise InvalidInput(f"{field} must be a positive whole number of minor units.", code="invalid_amount")
    return value


def _net_paid(order: Order) -> int:
    return order.amount_paid - order.amount_refunded


def order_sums_apply(order_id: int) -> Order:
    """Recompute what an order has been paid and refunded from its rows (inside the caller's
    transaction, with the order row locked)."""
    paid = Payment.objects.filter(order_id=order_id, status=Payment.Status.SUCCEEDED).aggregate(s=Sum("amount"))["s"]
    refunded = Refund.objects.filter(payment__order_id=order_id, status=Refund.Status.SUCCEEDED).aggregate(
        s=Sum("amount")
    )["s"]
    return orders.order_payments_set(order_id=order_id, paid=paid or 0, refunded=refunded or 0)


# ---------------------------------------------------------------------------------------------
# Taking a payment


def payment_start(
    *,
    actor: Actor,
    order: Order,
    provider: str,
    amount: int | None = None,
    method: str = Method.ONLINE,
    idempotency_key: str = "",
    return_url: str = "",
    cancel_url: str = "",
    note: str = "",
    pay_link: PayLink | None = None,
) -> Payment:
    """Ask for `amount` (default: all that is owed) of an order. A hosted provider answers with a
    page to send the client to (payment.redirect_url); the manual provider records cash or a card
    terminal at once. A repeat with the same idempotency key, or a second click while the same
    hosted payment is still open, returns the payment already started."""
    actor.require(SELL)
    _same_boutique(actor, order)
    if provider not in Provider.values:
        raise InvalidInput(f"Unknown payment provider '{provider[:20]}'.", code="provider_unknown")
    if provider == Provider.GIFT_CARD:
        raise InvalidInput("A gift card pays with its code (gift_card_pay).", code="invalid_method")
    adapter = get_provider(provider)
    if adapter.hosted:
        if method != Method.ONLINE:
            raise InvalidInput(f"{provider} takes online payments.", code="invalid_method")
    elif method not in MANUAL_METHODS:
        raise InvalidInput("A recorded payment is cash or a card terminal.", code="invalid_method")
    key = _text(idempotency_key, "idempotency_key", 80)
    note = _text(note, "note", 200)
    if amount is not None:
        amount = _amount(amount)

    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if key:
            existing = Payment.objects.filter(boutique_id=locked.boutique_id, idempotency_key=key).first()
            if existing is not None:
                if existing.order_id != locked.pk:
                    raise Conflict("This idempotency key was used for another order.", code="idempotency_key_reused")
                return existing
        if locked.status != Order.Status.PLACED:
            raise OrderNotPayable("This order has been cancelled.", code="order_cancelled")
        owed = locked.total - _net_paid(locked)
        if owed <= 0:
            raise OrderNotPayable("This order is paid in full.", code="order_already_paid")
        amount = owed if amount is None else amount
        if amount > owed:
            raise InvalidInput(
                f"That is more than the {owed} still owed on this order.", code="amount_too_large",
                details={"owed": owed},
            )  # fmt: skip
        if not adapter.hosted:
            # Cash or a card terminal: the money is already in the till. Nothing to ask outside, so it
            # is recorded under the order lock at once: a double submit waits here and then finds it.
            payment = Payment.objects.create(
                boutique_id=locked.boutique_id, order=locked, provider=provider, method=method, amount=amount,
                currency=locked.currency, idempotency_key=key or f"pay-{uuid.uuid4().hex}", note=note,
                status=Payment.Status.SUCCEEDED, succeeded_at=timezone.now(), created_by_id=actor.user_id,
                created_by_label=actor.label[:120],
            )  # fmt: skip
            Payment.objects.filter(pk=payment.pk).update(reference=f"manual_{payment.pk}")
            order_sums_apply(locked.pk)
            return Payment.objects.get(pk=payment.pk)
        payment = None
        if adapter.hosted:
            # A double click, a second tab: the payment already open, never a second one.
            payment = (
                Payment.objects.filter(order=locked, provider=provider, status=Payment.Status.PENDING, amount=amount)
                .order_by("-pk")
                .first()
            )
            if payment is not None and payment.redirect_url:
                return payment
        if payment is None:
            payment = Payment.objects.create(
                boutique_id=locked.boutique_id, order=locked, pay_link=pay_link, provider=provider, method=method,
                amount=amount, currency=locked.currency, idempotency_key=key or f"pay-{uuid.uuid4().hex}",
                note=note, created_by_id=actor.user_id, created_by_label=actor.label[:120],
            )  # fmt: skip

    # Committed: now the provider, with no lock held. The key is the payment's, so a caller that
    # found the payment still waiting for its provider's answer gets the same object back.
    expires_at = int(pay_link.expires_at.timestamp()) if pay_link is not None else None
    try:
        answer = adapter.create(
            amount=amount, currency=payment.currency, idempotency_key=f"omnipresence-payment-{payment.pk}",
            description=f"{actor.boutique.name} · order {locked.pk}"[:200], return_url=return_url,
            cancel_url=cancel_url or return_url,
            metadata={"payment_id": str(payment.pk), "order_id": str(locked.pk), "boutique": actor.boutique.slug},
            expires_at=expires_at,
        )  # fmt: skip
    except PaymentError as error:
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.FAILED, error_code=error.code[:40], error_message=error.message[:300]
        )
        raise
    Payment.objects.filter(pk=payment.pk).update(
        reference=answer.reference[:255], redirect_url=answer.redirect_url[:2000], details=answer.details or {}
    )
    if answer.status == "succeeded":
        payment_succeeded(payment_id=payment.pk, answer=answer)
    elif answer.status == "failed":
        _payment_failed(payment.pk, "provider_failed", "The provider refused the payment.")
    return Payment.objects.get(pk=payment.pk)


def payment_record(
    *, actor: Actor, order: Order, method: str, amount: int | None = None, note: str = "", idempotency_key: str = ""
) -> Payment:
    """Cash or a card terminal taken at the till (a deposit, part of a split payment, or all of it)."""
    return payment_start(
        actor=actor, order=order, provider=Provider.MANUAL, method=method, amount=amount, note=note,
        idempotency_key=idempotency_key,
    )  # fmt: skip


@dataclass
class _Settled:
    payment: Payment
    refund_amount: int = 0
    refund_reason: str = ""


def payment_succeeded(*, payment_id: int, answer: ProviderPayment | None = None) -> Payment:
    """Record that the provider took the money. Safe to call any number of times (a webhook replay,
    the client's return and the sandbox page may all say so): the payment succeeds once. Money that
    arrives for a cancelled order, or beyond what is owed, is given back at once."""
    if answer is not None and answer.status != "succeeded":
        return Payment.objects.get(pk=payment_id)  # the provider did not take the money: nothing to record
    settled = _settle(payment_id, answer)
    if settled.refund_amount:
        payment = settled.payment
        try:
            refund_create(
                actor=system_actor(payment.order.boutique), payment=payment, amount=settled.refund_amount,
                reason=settled.refund_reason, note="given back automatically",
                idempotency_key=f"auto-{payment.pk}-{settled.refund_reason}",
            )  # fmt: skip
        except PaymentError:
            log.exception("automatic refund of payment %s failed; a manager must refund it", payment.pk)
    return settled.payment


def _settle(payment_id: int, answer: ProviderPayment | None) -> _Settled:
    with transaction.atomic():
        order_id = Payment.objects.values_list("order_id", flat=True).get(pk=payment_id)
        order = Order.objects.select_for_update().select_related("boutique").get(pk=order_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status == Payment.Status.SUCCEEDED:
            payment.order = order
            return _Settled(payment)
        now = timezone.now()
        details = {**payment.details, **(answer.details if answer else {})}
        # A late success after we gave up on it is still money taken: the provider is the truth.
        Payment.objects.filter(pk=payment.pk).update(
            status=Payment.Status.SUCCEEDED, succeeded_at=now, details=details, error_code="", error_message=""
        )
        payment.refresh_from_db()
        order = order_sums_apply(order.pk)
        payment.order = order
        if payment.pay_link_id:
            if PayLink.objects.filter(pk=payment.pay_link_id).exclude(status=PayLink.Status.PAID).update(
                status=PayLink.Status.PAID, paid_at=now
            ) and order.client_id:
                timeline_add(client_id=order.client_id, kind="pay_link_paid", occurred_at=now,
                             summary=f"Pay link paid · order {order.pk}", ref_kind="pay_link",
                             ref_id=payment.pay_link_id)  # fmt: skip
        if order.status == Order.Status.CANCELLED:
            return _Settled(payment, payment.amount, Refund.Reason.ORDER_CANCELLED)
        excess = _net_paid(order) - order.total
        if excess > 0:
            return _Settled(payment, min(excess, payment.amount), Refund.Reason.OVERPAID)
        return _Settled(payment)


def _payment_failed(payment_id: int, code: str, message: str, status: str = Payment.Status.FAILED) -> None:
    Payment.objects.filter(pk=payment_id, status=Payment.Status.PENDING).update(
        status=status, error_code=code[:40], error_message=message[:300]
    )


def payment_sync(*, payment: Payment) -> Payment:
    """Ask the provider how a pending payment stands and record it (the client is back from the
    payment page before the notification, or the notification was lost)."""
    if payment.status != Payment.Status.PENDING or not payment.reference:
        return payment
    answer = get_provider(payment.provider).retrieve(reference=payment.reference)
    if answer.status == "succeeded":
        return payment_succeeded(payment_id=payment.pk, answer=answer)
    if answer.status == "failed":
        _payment_failed(payment.pk, "provider_failed", "The payment was not completed.")
    return Payment.objects.get(pk=payment.pk)


def payment_cancel(*, payment: Payment) -> Payment:
    """Stop a pending payment (its page no longer takes money). If the client paid meanwhile the
    provider says so and the payment succeeds instead."""
    if payment.status != Payment.Status.PENDING:
        return payment
    if payment.reference:
        answer = get_provider(payment.provider).cancel(reference=payment.reference)
        if answer.status == "succeeded":
            return payment_succeeded(payment_id=payment.pk, answer=answer)
    _payment_failed(payment.pk, "cancelled", "The payment was cancelled.", status=Payment.Status.CANCELLED)
    return Payment.objects.get(pk=payment.pk)


# ---------------------------------------------------------------------------------------------
# Notifications from providers


def webhook_receive(*, provider: str, body: bytes, headers: Mapping[str, str]) -> str:
    """Verify and apply a provider's notification. Returns what happened: "applied", "duplicate"
    (a replay: nothing done), "ignored" (an event we do not act on) or "unknown" (not ours)."""
    if provider not in Provider.values:
        raise NotFound("No such payment provider.", code="provider_unknown")
    event = get_provider(provider).parse_webhook(body=body, headers=headers)  # InvalidWebhook: 400
    return payment_notify(provider=provider, event=event)


def payment_notify(*, provider: str, event: WebhookEvent) -> str:
    if event.kind == "ignored":
        return "ignored"
    payment = refund = None
    if event.kind == "refund.succeeded":
        refund = Refund.objects.filter(
            payment__provider=provider, reference=str(event.details.get("refund", ""))[:255]
        ).first()
        boutique_id = refund.boutique_id if refund else None
    else:
        payment = Payment.objects.filter(provider=provider, reference=event.payment_reference[:255]).first()
        boutique_id = payment.boutique_id if payment else None
    try:
        with transaction.atomic():
            ProviderEvent.objects.create(
                boutique_id=boutique_id, provider=provider, event_id=event.event_id[:255], kind=event.kind[:40],
                payment_reference=event.payment_reference[:255],
            )  # fmt: skip
    except IntegrityError:
        return "duplicate"
    if event.kind == "payment.succeeded" and payment is not None:
        if event.amount is not None and (event.amount, event.currency.upper()) != (payment.amount, payment.currency):
            log.error("payment %s: provider reports %s %s", payment.pk, event.amount, event.currency)
        payment_succeeded(payment_id=payment.pk)
        return "applied"
    if event.kind == "payment.failed" and payment is not None:
        _payment_failed(payment.pk, "provider_failed", "The payment was not completed.")
        return "applied"
    if event.kind == "refund.succeeded" and refund is not None:
        _refund_succeeded(refund.pk, refund.reference)
        return "applied"
    return "unknown"


# ---------------------------------------------------------------------------------------------
# Refunds


def refund_create(
    *, actor: Actor, payment: Payment, amount: int | None = None, reason: str = Refund.Reason.OTHER,
    note: str = "", idempotency_key: str = "",
) -> Refund:  # fmt: skip
    """Give back part or all of a payment through its provider (cash by the associate). Two refunds
    at once can never give back more than the payment took; a repeat with the same key returns the
    same refund."""
    actor.require(REFUND)
    _same_boutique(actor, payment)
    if reason not in Refund.Reason.values:
        raise InvalidInput(f"Unknown refund reason '{reason[:30]}'.", code="invalid_reason")
    key = _text(idempotency_key, "idempotency_key", 80) or f"refund-{uuid.uuid4().hex}"
    note = _text(note, "note", 200)
    if amount is not None:
        amount = _amount(amount)
    with transaction.atomic():
        Order.objects.select_for_update().filter(pk=payment.order_id).first()
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        existing = Refund.objects.filter(boutique_id=locked.boutique_id, idempotency_key=key).first()
        if existing is not None:
            if existing.payment_id != locked.pk:
                raise Conflict("This idempotency key was used for another refund.", code="idempotency_key_reused")
            return existing
        if locked.status != Payment.Status.SUCCEEDED:
            raise Conflict("Only a payment that succeeded can be refunded.", code="not_refundable")
        amount = locked.refundable if amount is None else amount
        if amount <= 0 or amount > locked.refundable:
            raise InvalidInput(
                f"At most {locked.refundable} can still be refunded from this payment.", code="refund_too_large",
                details={"refundable": locked.refundable},
            )  # fmt: skip
        Payment.objects.filter(pk=locked.pk).update(refund_reserved=F("refund_reserved") + amount)
        refund = Refund.objects.create(
            boutique_id=locked.boutique_id, payment=locked, amount=amount, reason=reason, note=note,
            idempotency_key=key, created_by_id=actor.user_id, created_by_label=actor.label[:120],
        )  # fmt: skip
    try:
        answer = get_provider(locked.provider).refund(
            reference=locked.reference, amount=amount, currency=locked.currency,
            idempotency_key=f"omnipresence-refund-{refund.pk}",
        )  # fmt: skip
    except PaymentError as error:
        _refund_failed(refund.pk, error.message)
        raise
    if answer.status == "succeeded":
        _refund_succeeded(refund.pk, answer.reference)
    elif answer.status == "failed":
        _refund_failed(refund.pk, "The provider refused the refund.")
        raise PaymentError("The provider refused the refund.", code="refund_failed")
    else:
        Refund.objects.filter(pk=refund.pk).update(reference=answer.reference[:255])
    return Refund.objects.get(pk=refund.pk)


def _refund_succeeded(refund_id: int, reference: str) -> None:
    with transaction.atomic():
        order_id = Refund.objects.values_list("payment__order_id", flat=True).get(pk=refund_id)
        Order.objects.select_for_update().filter(pk=order_id).first()
        if Refund.objects.filter(pk=refund_id, status=Refund.Status.PENDING).update(
            status=Refund.Status.SUCCEEDED, reference=reference[:255], succeeded_at=timezone.now()
        ):
            order_sums_apply(order_id)


def _refund_failed(refund_id: int, message: str) -> None:
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if Refund.objects.filter(pk=refund_id, status=Refund.Status.PENDING).update(
            status=Refund.Status.FAILED, error_message=message[:300]
        ):
            Payment.objects.filter(pk=refund.payment_id).update(refund_reserved=F("refund_reserved") - refund.amount)


def order_refund(
    *, actor: Actor, order: Order, amount: int | None = None, reason: str = Refund.Reason.OTHER, note: str = "",
    idempotency_key: str = "",
) -> list[Refund]:  # fmt: skip
    """Refund `amount` (default: everything paid) of an order, newest payments first."""
    actor.require(REFUND)
    _same_boutique(actor, order)
    payments = [p for p in Payment.objects.filter(order=order, status=Payment.Status.SUCCEEDED).order_by("-pk")]
    refundable = sum(p.refundable for p in payments)
    left = refundable if amount is None else _amount(amount)
    if left > refundable or refundable == 0:
        raise InvalidInput(
            f"At most {refundable} can be refunded on this order.", code="refund_too_large",
            details={"refundable": refundable},
        )  # fmt: skip
    key = _text(idempotency_key, "idempotency_key", 70)
    refunds = []
    for payment in payments:
        take = min(left, payment.refundable)
        if take <= 0:
            continue
        refunds.append(refund_create(
            actor=actor, payment=payment, amount=take, reason=reason, note=note,
            idempotency_key=f"{key}-{payment.pk}" if key else "",
        ))  # fmt: skip
        left -= take
        if left == 0:
            break
    return refunds


def order_refund_and_cancel(*, actor: Actor, order: Order, reason: str = "") -> Order:
    """Cancel an order that was paid: give back everything, then release its units and coupons.
    Refused once units have been handed over or shipped (that is a return)."""
    actor.require(SELL)
    _same_boutique(actor, order)
    if order_handed_over(order):
        raise OrderFulfilled()
    for payment in Payment.objects.filter(order=order, status=Payment.Status.PENDING):
        payment_cancel(payment=payment)
    order.refresh_from_db()
    if _net_paid(order) > 0:
        actor.require(REFUND)
        order_refund(actor=actor, order=order, reason=Refund.Reason.ORDER_CANCELLED, note=_text(reason, "reason", 200))
    return orders.order_cancel(actor=actor, order=order, reason=reason)


def refund_uncollected(*, order_id: int, fulfilment_id: int, amount: int, **_) -> list[Refund]:
    """A click & collect left uncollected was released: give back what was paid for it (the
    "pickup.released" subscriber; the same fulfilment is never refunded twice)."""
    order = Order.objects.select_related("boutique").get(pk=order_id)
    refundable = sum(p.refundable for p in Payment.objects.filter(order=order, status=Payment.Status.SUCCEEDED))
    amount = min(amount, refundable)
    if amount <= 0:
        return []
    try:
        return order_refund(
            actor=system_actor(order.boutique), order=order, amount=amount, reason=Refund.Reason.OTHER,
            note="not collected in time", idempotency_key=f"uncollected-{fulfilment_id}",
        )  # fmt: skip
    except PaymentError:
        log.exception("refund of uncollected pickup %s failed; a manager must refund it", fulfilment_id)
        return []
