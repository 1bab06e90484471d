"""Secure pay links: an associate fixes the items and the amount (the cart becomes an order whose
allocation holds keep the units), sends the link in a chat or by email, and the client pays it on
a page with the boutique's name and the items' photos.

A link is unguessable (256 bits), expires, is paid at most once and can be revoked. The sweep
expires links (giving their units back), reminds clients of unpaid ones once, and cancels web
orders left unpaid past their due time.
"""

import base64
import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from omnipresence.clients.services import timeline_add
from omnipresence.core.errors import Conflict, DomainError, InvalidInput, NotFound
from omnipresence.core.money import format_money
from omnipresence.core.timeutil import format_local
from omnipresence.core.validation import clean_text, same_boutique
from omnipresence.orders import services as orders
from omnipresence.orders.models import Cart, Order
from omnipresence.payments import services as payments
from omnipresence.payments.models import PayLink, Payment
from omnipresence.payments.providers import online_provider_name
from omnipresence.payments.providers.base import PaymentError
from omnipresence.stores.access import Actor, system_actor

log = logging.getLogger(__name__)


class PayLinkClosed(DomainError):
    code = "pay_link_closed"
    status = 410
    default_message = "This pay link can no longer be used."


def _token(nonce: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"pay-link:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def pay_link_token(link: PayLink) -> str:
    return _token(link.nonce)


def pay_link_path(link: PayLink) -> str:
    return f"/pay/{pay_link_token(link)}/"


def pay_link_url(link: PayLink) -> str:
    return settings.SITE_URL + pay_link_path(link)


def _hours(hours: int | None) -> int:
    hours = settings.PAY_LINK_HOURS if hours is None else hours
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= settings.PAY_LINK_MAX_HOURS:
        raise InvalidInput(
            f"A pay link lasts from 1 to {settings.PAY_LINK_MAX_HOURS} hours.", code="invalid_expiry"
        )
    return hours


def pay_link_create(
    *, actor: Actor, cart: Cart | None = None, order: Order | None = None, hours: int | None = None,
    message: str = "",
) -> PayLink:  # fmt: skip
    """A pay link for a cart (checked out now: the items, the amount and the units are fixed) or for
    an unpaid order (the balance after a deposit, a phone order). One link per order; asking again
    for an order whose link is live returns that link."""
    actor.require(payments.SELL)
    if (cart is None) == (order is None):
        raise InvalidInput("Give a cart or an order.", code="invalid_input")
    expires_at = timezone.now() + timedelta(hours=_hours(hours))
    message = clean_text(message, "message", 500)
    with transaction.atomic():
        if cart is not None:
            same_boutique(actor, cart)
            order = orders.cart_checkout(actor=actor, cart=cart, payment_due_at=expires_at)
        same_boutique(actor, order)
        locked = Order.objects.select_for_update().get(pk=order.pk)
        existing = PayLink.objects.filter(order=locked).first()
        if existing is not None:
            if existing.status == PayLink.Status.ACTIVE:
                return existing
            raise Conflict(f"This order's pay link is {existing.status}.", code="pay_link_exists")
        if locked.status != Order.Status.PLACED:
            raise payments.OrderNotPayable("This order has been cancelled.", code="order_cancelled")
        if locked.total - payments._net_paid(locked) <= 0:
            raise payments.OrderNotPayable("This order is paid in full.", code="order_already_paid")
        nonce = secrets.token_urlsafe(24)
        link = PayLink.objects.create(
            boutique_id=locked.boutique_id, order=locked, nonce=nonce, token_hash=_hash(_token(nonce)),
            message=message, expires_at=expires_at, created_by_id=actor.user_id, created_by_label=actor.label[:120],
        )  # fmt: skip
        orders.order_payment_due_set(order_id=locked.pk, payment_due_at=expires_at)
        if locked.client_id:
            timeline_add(
                client_id=locked.client_id, kind="pay_link_sent", occurred_at=link.created_at,
                summary=f"Pay link for order {locked.pk} · {format_money(locked.total, locked.currency)}",
                ref_kind="pay_link", ref_id=link.pk, associate_id=actor.user_id,
            )  # fmt: skip
    return link


def pay_link_by_token(token: str) -> PayLink:
    """The link a client opened. A tampered or unknown token is simply not found."""
    token = (token or "").strip()
    if not 20 <= len(token) <= 100:
        raise NotFound("There is no such pay link.", code="pay_link_not_found")
    link = (
        PayLink.objects.select_related("order__boutique", "order__associate", "boutique")
        .filter(token_hash=_hash(token))
        .first()
    )
    if link is None or not hmac.compare_digest(_token(link.nonce), token):
        raise NotFound("There is no such pay link.", code="pay_link_not_found")
    return link


def pay_link_state(link: PayLink, *, now: datetime | None = None) -> str:
    """active / paid / expired / revoked, expiry read at this moment (before the sweep runs)."""
    now = now or timezone.now()
    if link.status == PayLink.Status.ACTIVE and link.expires_at <= now:
        return PayLink.Status.EXPIRED
    return link.status


def pay_link_viewed(*, link: PayLink) -> None:
    """Count a client's visit (the associate sees that the link was opened)."""
    now = timezone.now()
    PayLink.objects.filter(pk=link.pk).update(views=F("views") + 1)
    PayLink.objects.filter(pk=link.pk, first_viewed_at__isnull=True).update(first_viewed_at=now)


def pay_link_pay(*, link: PayLink, return_url: str, cancel_url: str = "") -> Payment:
    """The client presses Pay: a payment with the online provider for what is owed. Pressing it
    again (another tab, a double click) returns the same payment, so one charge at most."""
    state = pay_link_state(link)
    if state == PayLink.Status.PAID:
        raise PayLinkClosed(_("This link has been paid. Thank you!"), code="pay_link_paid")
    if state == PayLink.Status.EXPIRED:
        raise PayLinkClosed(_("This link has expired. Ask your associate for a new one."), code="pay_link_expired")
    if state == PayLink.Status.REVOKED:
        raise PayLinkClosed(_("This link has been withdrawn by the boutique."), code="pay_link_revoked")
    actor = system_actor(link.order.boutique)
    return payments.payment_start(
        actor=actor, order=link.order, provider=online_provider_name(), pay_link=link, return_url=return_url,
        cancel_url=cancel_url or return_url,
    )  # fmt: skip


def _end(link: PayLink, status: str, actor: Actor, reason: str) -> PayLink:
    """Expire or revoke: stop open payments first (a client who paid meanwhile wins), then give the
    units back by cancelling the order, unless money was taken."""
    for payment in Payment.objects.filter(pay_link=link, status=Payment.Status.PENDING):
        try:
            payments.payment_cancel(payment=payment)
        except PaymentError:
            log.warning("could not stop payment %s of pay link %s; trying again later", payment.pk, link.pk)
            return link
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=link.order_id)
        if order.amount_paid - order.amount_refunded > 0 and status == PayLink.Status.EXPIRED:
            # Part was paid (a deposit): the order stays, the link ends.
            PayLink.objects.filter(pk=link.pk, status=PayLink.Status.ACTIVE).update(status=status, ended_at=timezone.now())
            return PayLink.objects.get(pk=link.pk)
        if order.amount_paid - order.amount_refunded > 0:
            raise Conflict("This link has taken a payment: refund it from the order.", code="pay_link_paid")
        if not PayLink.objects.filter(pk=link.pk, status=PayLink.Status.ACTIVE).update(
            status=status, ended_at=timezone.now()
        ):
            return PayLink.objects.get(pk=link.pk)
        if order.status == Order.Status.PLACED:
            orders.order_cancel(actor=actor, order=order, reason=reason)
    return PayLink.objects.get(pk=link.pk)


def pay_link_revoke(*, actor: Actor, link: PayLink) -> PayLink:
    """The associate withdraws a link: it stops working at once and the units go back on sale."""
    actor.require(payments.SELL)
    same_boutique(actor, link)
    if link.status == PayLink.Status.PAID:
        raise Conflict("This link has been paid: refund the order instead.", code="pay_link_paid")
    if link.status != PayLink.Status.ACTIVE:
        return link
    return _end(link, PayLink.Status.REVOKED, actor, "pay link revoked")


def _remind(link: PayLink) -> bool:
    order = link.order
    if not order.client_email:
        return False
    boutique = order.boutique
    with translation.override(boutique.language.split("-")[0]):
        subject = _("Your items at %(boutique)s are waiting") % {"boutique": boutique.name}
        body = _(
            "Hello %(name)s,\n\nYour items are still put aside for you. You can pay %(amount)s securely here "
            "until %(expires)s:\n\n%(url)s\n\n%(boutique)s"
        ) % {
            "name": order.client_name or _("there"),
            "amount": format_money(order.balance, order.currency, boutique.language),
            "expires": format_local(link.expires_at, boutique.timezone, boutique.language, "medium"),
            "url": pay_link_url(link),
            "boutique": boutique.name,
        }
    send_mail(subject, body, None, [order.client_email])
    return True


def pay_links_sweep(*, now: datetime | None = None, batch: int = 200) -> dict[str, int]:
    """Expire overdue links, remind once about links past half their life, cancel unpaid web orders
    past their due time. Safe to run any time, twice."""
    now = now or timezone.now()
    done = {"expired": 0, "reminded": 0, "orders_cancelled": 0}
    for link in PayLink.objects.select_related("order__boutique").filter(
        status=PayLink.Status.ACTIVE, expires_at__lte=now
    )[:batch]:
        if _end(link, PayLink.Status.EXPIRED, system_actor(link.order.boutique), "pay link expired").status == (
            PayLink.Status.EXPIRED
        ):
            done["expired"] += 1
    share = settings.PAY_LINK_REMINDER_AFTER
    for link in PayLink.objects.select_related("order__boutique").filter(
        status=PayLink.Status.ACTIVE, reminder_sent_at__isnull=True, expires_at__gt=now
    )[:batch]:
        if link.created_at + (link.expires_at - link.created_at) * share > now:
            continue
        # Claim it first, so two sweepers never send the same reminder.
        if PayLink.objects.filter(pk=link.pk, reminder_sent_at__isnull=True).update(reminder_sent_at=now):
            if _remind(link):
                done["reminded"] += 1
    overdue = Order.objects.select_related("boutique").filter(
        Q(pay_link__isnull=True) | ~Q(pay_link__status=PayLink.Status.ACTIVE),
        status=Order.Status.PLACED, payment_status=Order.PaymentStatus.UNPAID, payment_due_at__lte=now,
    )[:batch]  # fmt: skip
    for order in overdue:
        actor = system_actor(order.boutique)
        try:
            for payment in Payment.objects.filter(order=order, status=Payment.Status.PENDING):
                payments.payment_cancel(payment=payment)
            order.refresh_from_db()
            if order.payment_status == Order.PaymentStatus.UNPAID and order.status == Order.Status.PLACED:
                orders.order_cancel(actor=actor, order=order, reason="not paid in time")
                done["orders_cancelled"] += 1
        except DomainError:
            log.warning("could not cancel unpaid order %s yet", order.pk)
    return done
