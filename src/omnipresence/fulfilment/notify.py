"""Telling the client where her order is, on the channel she prefers: email for now, one small
function per event so SMS or WhatsApp can sit beside it. Messages are written in the boutique's
language at the moment of the step and sent only once its transaction commits (never for a step
that rolled back); a failing mail server is logged, never undoes the step."""

from datetime import timedelta

from babel.dates import format_date
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from omnipresence.core.timeutil import local
from omnipresence.fulfilment.codes import code_display
from omnipresence.fulfilment.models import Fulfilment


def _send(fulfilment: Fulfilment, subject: str, paragraphs: list[str]) -> None:
    recipient = fulfilment.order.client_email
    body = "\n\n".join(p for p in paragraphs if p) + "\n"

    def send() -> None:
        send_mail(subject, body, None, [recipient])

    transaction.on_commit(send, robust=True)


def _greeting(fulfilment: Fulfilment) -> str:
    name = fulfilment.order.client_name.strip()
    return _("Hello %(name)s,") % {"name": name} if name else _("Hello,")


def _address(fulfilment: Fulfilment) -> str:
    location = fulfilment.location
    return ", ".join(part for part in (location.address, location.postcode, location.city) if part)


def _order_number(fulfilment: Fulfilment) -> str:
    return f"#{fulfilment.order_id}"


def pickup_ready(fulfilment: Fulfilment, code: str) -> None:
    """The pickup is waiting at the shop: the code to show, where, and until when."""
    if not fulfilment.order.client_email:
        return
    boutique = fulfilment.boutique
    location = fulfilment.location
    keep_until = local(fulfilment.ready_at + timedelta(days=settings.PICKUP_HOLD_DAYS), location.tz_name)
    with translation.override(boutique.language):
        subject = _("Your order %(order)s is ready for collection") % {"order": _order_number(fulfilment)}
        _send(fulfilment, subject, [
            _greeting(fulfilment),
            _("Your order %(order)s from %(boutique)s is ready for collection at %(shop)s.") % {
                "order": _order_number(fulfilment), "boutique": boutique.name, "shop": location.name},
            _address(fulfilment),
            _("Your pickup code: %(code)s") % {"code": code_display(code)},
            _("Show this code at the counter. We keep your order for you until %(date)s.") % {
                "date": format_date(keep_until.date(), "long", locale=boutique.locale)},
            boutique.name,
        ])  # fmt: skip


def shipped(fulfilment: Fulfilment) -> None:
    """The parcel has left: the carrier and the tracking code."""
    if not fulfilment.order.client_email:
        return
    boutique = fulfilment.boutique
    with translation.override(boutique.language):
        subject = _("Your order %(order)s is on its way") % {"order": _order_number(fulfilment)}
        _send(fulfilment, subject, [
            _greeting(fulfilment),
            _("Your order %(order)s from %(boutique)s has been shipped with %(carrier)s.") % {
                "order": _order_number(fulfilment), "boutique": boutique.name, "carrier": fulfilment.carrier},
            _("Tracking code: %(tracking)s") % {"tracking": fulfilment.tracking_code},
            boutique.name,
        ])  # fmt: skip


def collected(fulfilment: Fulfilment) -> None:
    """A receipt of the collection, so the client knows it was her who took it."""
    if not fulfilment.order.client_email:
        return
    boutique = fulfilment.boutique
    with translation.override(boutique.language):
        subject = _("You collected your order %(order)s") % {"order": _order_number(fulfilment)}
        _send(fulfilment, subject, [
            _greeting(fulfilment),
            _("Your order %(order)s was collected at %(shop)s. Thank you, and enjoy it.") % {
                "order": _order_number(fulfilment), "shop": fulfilment.location.name},
            _("If it was not you who collected it, please contact us at once."),
            boutique.name,
        ])  # fmt: skip


def released(fulfilment: Fulfilment) -> None:
    """Nobody came: the pieces went back on the shelves."""
    if not fulfilment.order.client_email:
        return
    boutique = fulfilment.boutique
    location = fulfilment.location
    with translation.override(boutique.language):
        subject = _("Your order %(order)s was not collected") % {"order": _order_number(fulfilment)}
        contact = (
            _("If you still want these pieces, call %(shop)s on %(phone)s.") % {"shop": location.name,
                                                                                 "phone": location.phone}
            if location.phone
            else _("If you still want these pieces, please contact %(shop)s.") % {"shop": location.name}
        )  # fmt: skip
        _send(fulfilment, subject, [
            _greeting(fulfilment),
            _("We kept your order %(order)s for you at %(shop)s for %(days)s days; as it was not collected, "
              "the pieces are back in the shop.") % {
                "order": _order_number(fulfilment), "shop": location.name, "days": settings.PICKUP_HOLD_DAYS},
            contact,
            boutique.name,
        ])  # fmt: skip
