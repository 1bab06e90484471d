"""Gift cards and store credit: the boutique's own money, spendable in every channel with a code.

A code is 16 characters from an unambiguous alphabet (80 bits), shown once when issued and stored
only as its SHA-256 (plus the last four for the associate). Spending is a conditional update of the
balance under the card's row lock, in the same transaction as the payment it makes, so a card is
never spent twice; giving back (a refund of a payment made with it) is one movement per refund key.
Lock order: order row, then the card row.
"""

import hashlib
import secrets
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from omnipresence.core.errors import Conflict, InvalidInput, NotFound
from omnipresence.core.validation import clean_text, same_boutique
from omnipresence.orders.models import Order
from omnipresence.orders.promotions import client_ref_normalise
from omnipresence.payments import services as payments
from omnipresence.payments.models import GiftCard, GiftCardMovement, Method, Payment, Provider
from omnipresence.stores.access import Actor

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
ISSUE = "payments.refund"  # managers and owners give credit


def _normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:32]


def code_hash(code: str) -> str:
    return hashlib.sha256(f"gift-card:{_normalise(code)}".encode()).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def gift_card_issue(
    *, actor: Actor, amount: int, kind: str = GiftCard.Kind.GIFT_CARD, client: str = "", client_name: str = "",
    note: str = "", expires_at: datetime | None = None,
) -> tuple[GiftCard, str]:  # fmt: skip
    """Issue a card (or store credit for a client) worth `amount` in the boutique's currency.
    Returns the card and its code, which is shown this once."""
    actor.require(ISSUE)
    amount = payments._amount(amount)
    if kind not in GiftCard.Kind.values:
        raise InvalidInput(f"Unknown kind '{kind[:20]}'.", code="invalid_kind")
    client_ref = client_ref_normalise(clean_text(client, "client", 254)) if client else ""
    if kind == GiftCard.Kind.STORE_CREDIT and not client_ref:
        raise InvalidInput("Store credit is given to a client: give her email or phone.", code="client_required")
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput("The expiry is in the past.", code="invalid_expiry")
    code = _new_code()
    with transaction.atomic():
        card = GiftCard.objects.create(
            boutique=actor.boutique, kind=kind, code_hash=code_hash(code), last4=_normalise(code)[-4:],
            currency=actor.boutique.currency, initial=amount, balance=amount, client_ref=client_ref,
            client_name=clean_text(client_name, "client_name", 120), note=clean_text(note, "note", 200),
            expires_at=expires_at, issued_by_id=actor.user_id, issued_by_label=actor.label[:120],
        )  # fmt: skip
        GiftCardMovement.objects.create(boutique=actor.boutique, card=card, kind=GiftCardMovement.Kind.ISSUE,
                                        amount=amount)  # fmt: skip
    return card, code


def gift_card_find(*, actor: Actor, code: str) -> GiftCard:
    """The card of this boutique with that code (its balance, for the associate or the client)."""
    actor.require(payments.SELL)
    card = GiftCard.objects.filter(boutique=actor.boutique, code_hash=code_hash(code)).first()
    if card is None or len(_normalise(code)) != 16:
        raise NotFound("There is no gift card with that code.", code="gift_card_unknown")
    return card


def gift_card_check(*, actor: Actor, code: str) -> GiftCard:
    """The card a code names if it can pay in this boutique now; otherwise the error gift_card_pay
    would give (a checkout asks before it places the order)."""
    card = gift_card_find(actor=actor, code=code)
    _usable(card)
    if card.currency != actor.boutique.currency:
        raise InvalidInput("This card is in another currency.", code="currency_mismatch")
    return card


def _usable(card: GiftCard) -> None:
    if not card.is_active:
        raise Conflict("This gift card has been cancelled.", code="gift_card_inactive")
    if card.expires_at is not None and card.expires_at <= timezone.now():
        raise Conflict("This gift card has expired.", code="gift_card_expired")
    if card.balance <= 0:
        raise Conflict("This gift card has been spent.", code="gift_card_empty")


def gift_card_pay(
    *, actor: Actor, order: Order, code: str, amount: int | None = None, idempotency_key: str = ""
) -> Payment:
    """Pay all that is owed (or `amount`, or what the card holds if less) with a gift card or store
    credit, at the till, on the web or in a pay link. One transaction: the card is spent and the
    payment succeeds together."""
    actor.require(payments.SELL)
    same_boutique(actor, order)
    key = clean_text(idempotency_key, "idempotency_key", 80)
    if amount is not None:
        amount = payments._amount(amount)
    card_id = gift_card_find(actor=actor, code=code).pk
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if key:
            existing = Payment.objects.filter(boutique_id=locked.boutique_id, idempotency_key=key).first()
            if existing is not None:
                return existing
        if locked.status != Order.Status.PLACED:
            raise payments.OrderNotPayable("This order has been cancelled.", code="order_cancelled")
        owed = locked.total - payments._net_paid(locked)
        if owed <= 0:
            raise payments.OrderNotPayable("This order is paid in full.", code="order_already_paid")
        card = GiftCard.objects.select_for_update().get(pk=card_id)
        _usable(card)
        if card.currency != locked.currency:
            raise InvalidInput("This card is in another currency.", code="currency_mismatch")
        take = min(owed, card.balance) if amount is None else amount
        if take > owed:
            raise InvalidInput(f"That is more than the {owed} still owed.", code="amount_too_large")
        if take > card.balance:
            raise Conflict(
                f"The card holds {card.balance}.", code="gift_card_insufficient", details={"balance": card.balance}
            )
        GiftCard.objects.filter(pk=card.pk, balance__gte=take).update(balance=F("balance") - take)
        payment = Payment.objects.create(
            boutique_id=locked.boutique_id, order=locked, provider=Provider.GIFT_CARD, method=Method.GIFT_CARD,
            amount=take, currency=locked.currency, status=Payment.Status.SUCCEEDED, succeeded_at=timezone.now(),
            idempotency_key=key or f"gift-card-{secrets.token_hex(12)}",
            details={"card_id": card.pk, "last4": card.last4, "kind": card.kind},
            created_by_id=actor.user_id, created_by_label=actor.label[:120],
        )  # fmt: skip
        Payment.objects.filter(pk=payment.pk).update(reference=f"gc:{card.pk}:{payment.pk}")
        GiftCardMovement.objects.create(boutique_id=locked.boutique_id, card=card, kind=GiftCardMovement.Kind.SPEND,
                                        amount=-take, payment=payment)  # fmt: skip
        payments.order_sums_apply(locked.pk)
    return Payment.objects.get(pk=payment.pk)


def gift_card_credit(*, reference: str, amount: int, idempotency_key: str) -> GiftCardMovement:
    """Give back to the card a payment (reference "gc:<card>:<payment>") was made with. The same
    key twice credits once."""
    try:
        _, card_id, payment_id = reference.split(":")
        card_id, payment_id = int(card_id), int(payment_id)
    except ValueError:
        raise InvalidInput("Not a gift card payment.", code="invalid_reference")
    done = GiftCardMovement.objects.filter(card_id=card_id, reference=idempotency_key).first()
    if done is not None:
        return done
    try:
        with transaction.atomic():
            card = GiftCard.objects.select_for_update().get(pk=card_id)
            if not GiftCard.objects.filter(pk=card.pk, balance__lte=F("initial") - amount).update(
                balance=F("balance") + amount
            ):
                raise Conflict("That would give back more than the card ever held.", code="refund_too_large")
            return GiftCardMovement.objects.create(
                boutique_id=card.boutique_id, card=card, kind=GiftCardMovement.Kind.REFUND, amount=amount,
                payment_id=payment_id, reference=idempotency_key[:120],
            )  # fmt: skip
    except IntegrityError:
        return GiftCardMovement.objects.get(card_id=card_id, reference=idempotency_key)
