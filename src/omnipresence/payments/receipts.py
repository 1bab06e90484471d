"""Receipts: what was bought, what it cost (VAT shown as the boutique's tax mode says) and how it
was paid — printed at the till or sent by email, in the boutique's language."""

from dataclasses import dataclass

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from omnipresence.core.errors import InvalidInput
from omnipresence.orders.models import Order
from omnipresence.orders.promotions import client_ref_normalise
from omnipresence.payments.models import Payment
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Location

SELL = "inventory.hold"


@dataclass
class Receipt:
    order: Order
    payments: list[Payment]
    shop: Location | None

    @property
    def boutique(self):
        return self.order.boutique


def receipt_for(*, actor: Actor, order: Order) -> Receipt:
    actor.require(SELL)
    if order.boutique_id != actor.boutique.pk:
        raise InvalidInput("That belongs to another boutique.", code="wrong_boutique")
    order = Order.objects.select_related("boutique").prefetch_related("lines__location").get(pk=order.pk)
    payments = list(Payment.objects.filter(order=order, status=Payment.Status.SUCCEEDED).order_by("pk"))
    home = actor.membership.home_location if actor.membership else None
    shop = home or next((line.location for line in order.lines.all() if line.location_id), None)
    return Receipt(order=order, payments=payments, shop=shop)


def receipt_send(*, actor: Actor, order: Order, email: str = "") -> str:
    """Email the receipt to `email` (default: the order's client email). Returns the address."""
    receipt = receipt_for(actor=actor, order=order)
    to = client_ref_normalise(email) if email else receipt.order.client_email
    if not to or "@" not in to or len(to) > 254:
        raise InvalidInput("Give the client's email address for the receipt.", code="invalid_email")
    boutique = receipt.boutique
    with translation.override(boutique.language.split("-")[0]):
        subject = _("Your receipt from %(boutique)s — order %(number)s") % {
            "boutique": boutique.name, "number": receipt.order.pk,
        }  # fmt: skip
        context = {"receipt": receipt, "order": receipt.order, "boutique": boutique}
        text = render_to_string("payments/receipt.txt", context)
        html = render_to_string("payments/receipt_email.html", context)
    message = EmailMultiAlternatives(subject, text, None, [to])
    message.attach_alternative(html, "text/html")
    message.send()
    return to
