"""The client's signed link to her appointment (reschedule, cancel, join): `<id>.<hmac>`, the HMAC
of the appointment's id and its random nonce under SECRET_KEY. Nothing is stored but the nonce; a
tampered or unknown link is not found, and a new nonce (never drawn today) would revoke it."""

import base64
import hashlib
import hmac
import re

from django.conf import settings

from omnipresence.appointments.errors import LinkInvalid
from omnipresence.appointments.models import Appointment
from omnipresence.stores.models import Boutique

TOKEN_RE = re.compile(r"^([1-9][0-9]{0,18})\.([A-Za-z0-9_-]{43})$")


def _signature(appointment_id: int, nonce: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"appointment:{appointment_id}:{nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def appointment_token(appointment: Appointment) -> str:
    return f"{appointment.pk}.{_signature(appointment.pk, appointment.nonce)}"


def manage_url(appointment: Appointment) -> str:
    """Where she reschedules or cancels (the storefront page is later work; the API takes the token)."""
    return f"{settings.SITE_URL}/{appointment.boutique.slug}/appointments/{appointment_token(appointment)}/"


def appointment_by_token(*, boutique: Boutique, token: str) -> Appointment:
    from omnipresence.appointments.selectors import appointment_by_nonce

    match = TOKEN_RE.match(token or "")
    if match is None:
        raise LinkInvalid()
    appointment = appointment_by_nonce(boutique=boutique, appointment_id=int(match.group(1)))
    if appointment is None or not hmac.compare_digest(_signature(appointment.pk, appointment.nonce), match.group(2)):
        raise LinkInvalid()
    return appointment
