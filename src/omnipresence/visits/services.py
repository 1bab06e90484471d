"""Writes of walk-in recognition: her check-in code, recording a visit (once per 30 minutes per
shop), alerting her associates after commit, and "I'm on it"."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from omnipresence.clients.models import Client
from omnipresence.clients.selectors import consent_allows
from omnipresence.clients.services import timeline_add
from omnipresence.core.errors import InvalidInput
from omnipresence.core.events import group_send_on_commit
from omnipresence.stores.models import Location, StaffMember
from omnipresence.visits.errors import CheckInCodeNotFound, ConsentRequired, VisitTaken
from omnipresence.visits.models import CheckInCode, Visit

SAME_VISIT = timedelta(minutes=30)
TOKEN_RE_MAX = 64


# --- realtime groups -------------------------------------------------------------------------


def user_group(boutique_id: int, user_id: int) -> str:
    return f"visits.{boutique_id}.user.{user_id}"


def location_group(boutique_id: int, location_id: int) -> str:
    return f"visits.{boutique_id}.shop.{location_id}"


# --- her check-in code -----------------------------------------------------------------------


def _token(client_id: int, salt: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"checkin:{client_id}:{salt}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def checkin_code_ensure(*, client: Client) -> CheckInCode:
    """Her code, made the first time it is shown (an account page, the console)."""
    code = CheckInCode.objects.filter(client=client).first()
    if code is not None:
        return code
    salt = secrets.token_hex(16)
    with transaction.atomic():
        code, _created = CheckInCode.objects.get_or_create(
            client=client,
            defaults={
                "boutique_id": client.boutique_id,
                "salt": salt,
                "token_hash": _hash(_token(client.pk, salt)),
            },
        )
    return code


def checkin_token(code: CheckInCode) -> str:
    return _token(code.client_id, code.salt)


def checkin_code_rotate(*, client: Client) -> CheckInCode:
    """A new token for her; the old one stops working at once (a lost phone, a shared screenshot)."""
    code = checkin_code_ensure(client=client)
    code.salt = secrets.token_hex(16)
    code.token_hash = _hash(_token(client.pk, code.salt))
    code.rotated_at = timezone.now()
    code.save(update_fields=["salt", "token_hash", "rotated_at"])
    return code


def checkin_url(*, client: Client) -> str:
    """What her QR encodes: the console's scan page, absolute with SITE_URL."""
    code = checkin_code_ensure(client=client)
    path = reverse("console:visit_scan", args=[client.boutique.slug, checkin_token(code)])
    return (getattr(settings, "SITE_URL", "") or "") + path


def client_by_checkin_token(*, boutique, token: str) -> Client:
    """The live client a token of this boutique names; CheckInCodeNotFound otherwise."""
    if not isinstance(token, str) or not token or len(token) > TOKEN_RE_MAX:
        raise CheckInCodeNotFound()
    code = (
        CheckInCode.objects.select_related(
            "client", "client__primary_associate", "client__secondary_associate"
        )
        .filter(boutique=boutique, token_hash=_hash(token))
        .first()
    )
    if code is None or not code.client.is_live:
        raise CheckInCodeNotFound()
    return code.client


# --- check-in --------------------------------------------------------------------------------


def _recipients(client: Client, location: Location) -> list[int]:
    """Her primary and secondary associates (if still on this boutique's staff) and the shop's team."""
    wanted = [uid for uid in (client.primary_associate_id, client.secondary_associate_id) if uid]
    staff = StaffMember.objects.filter(boutique_id=client.boutique_id, is_active=True)
    associates = set(staff.filter(user_id__in=wanted).values_list("user_id", flat=True))
    team = set(staff.filter(home_location=location).values_list("user_id", flat=True))
    return [uid for uid in wanted if uid in associates] + sorted(team - associates)


def visit_check_in(
    *, client: Client, location: Location, via: str, checked_in_by=None, at: datetime | None = None
) -> tuple[Visit, bool]:
    """Record that she is in `location`. Refused without her walk-in consent (ConsentRequired).
    Returns (visit, new): a check-in within 30 minutes of her previous one at the same shop is the
    same visit, and alerts nobody again. A new visit goes on her timeline and, after commit, to
    her associates and the shop's team."""
    if via not in Visit.Via.values:
        raise InvalidInput(f"Unknown check-in path '{via}'.", code="invalid_via")
    if location.boutique_id != client.boutique_id or not location.is_active or not location.sells_in_person:
        raise InvalidInput("That shop is not one of this boutique's.", code="location_not_found")
    at = at or timezone.now()
    with transaction.atomic():
        # Her row, locked: two check-ins at once make one visit.
        client = Client.objects.select_for_update().get(pk=client.pk)
        if not client.is_live:
            raise CheckInCodeNotFound("She is no longer a client of this boutique.")
        if not consent_allows(client=client, purpose="walk_in"):
            raise ConsentRequired()
        recent = (
            Visit.objects.filter(client=client, location=location, last_check_in_at__gte=at - SAME_VISIT)
            .order_by("-last_check_in_at", "-id")
            .first()
        )
        if recent is not None:
            Visit.objects.filter(pk=recent.pk).update(last_check_in_at=max(at, recent.last_check_in_at))
            recent.refresh_from_db()
            return recent, False
        visit = Visit.objects.create(
            boutique_id=client.boutique_id, client=client, location=location, via=via,
            checked_in_by=checked_in_by if getattr(checked_in_by, "pk", None) else None,
            created_at=at, last_check_in_at=at,
        )  # fmt: skip
        recipients = _recipients(client, location)
        visit.notified_users.set(recipients)
        timeline_add(
            client_id=client.pk, kind="visit", occurred_at=at, summary=f"Walked in at {location.name}",
            data={"location": location.code, "location_name": location.name, "via": via},
            ref_kind="visit", ref_id=visit.pk, associate_id=visit.checked_in_by_id,
        )  # fmt: skip
        if at >= timezone.now() - SAME_VISIT:  # a back-dated visit (the demo, an import) alerts nobody
            _alert_on_commit(visit, recipients)
    return visit, True


def _alert_on_commit(visit: Visit, recipients: list[int]) -> None:
    def send_all() -> None:
        from omnipresence.visits.selectors import walk_in_alert

        alert = walk_in_alert(visit_id=visit.pk)
        if alert is None:
            return
        message = {"type": "walk_in", "alert": alert}
        # group_send_on_commit outside a transaction sends at once.
        for user_id in recipients:
            group_send_on_commit(user_group(visit.boutique_id, user_id), message)
        group_send_on_commit(location_group(visit.boutique_id, visit.location_id), message)

    transaction.on_commit(send_all)


def visit_acknowledge(*, actor, visit: Visit) -> Visit:
    """ "I'm on it": the first associate takes her; the others are told through the socket. Taking
    it again is a no-op; another associate's visit is VisitTaken."""
    with transaction.atomic():
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        if locked.acknowledged_by_id == actor.user_id and locked.acknowledged_at:
            return locked
        if locked.acknowledged_at is not None:
            raise VisitTaken(
                details={"by": locked.acknowledged_by.get_username() if locked.acknowledged_by else ""}
            )
        locked.acknowledged_by_id = actor.user_id
        locked.acknowledged_at = timezone.now()
        locked.save(update_fields=["acknowledged_by", "acknowledged_at"])
        user = actor.user
        message = {
            "type": "walk_in_taken",
            "taken": {
                "visit_id": locked.pk, "by": user.get_full_name() or user.get_username() if user else actor.label,
                "by_id": actor.user_id, "at": locked.acknowledged_at.isoformat(),
            },
        }  # fmt: skip
        for user_id in locked.notified_users.values_list("pk", flat=True):
            group_send_on_commit(user_group(locked.boutique_id, user_id), message)
        group_send_on_commit(location_group(locked.boutique_id, locked.location_id), message)
    return locked


# --- merges and privacy ----------------------------------------------------------------------


def visits_merge(*, survivor_id: int, merged_id: int) -> dict:
    visit_ids = list(Visit.objects.filter(client_id=merged_id).values_list("pk", flat=True))
    Visit.objects.filter(pk__in=visit_ids).update(client_id=survivor_id)
    # One code per client: hers survives; the merged one's is dropped (a new one is drawn if needed).
    if CheckInCode.objects.filter(client_id=survivor_id).exists():
        CheckInCode.objects.filter(client_id=merged_id).delete()
        moved_codes = []
    else:
        moved_codes = list(CheckInCode.objects.filter(client_id=merged_id).values_list("pk", flat=True))
        CheckInCode.objects.filter(pk__in=moved_codes).update(client_id=survivor_id)
    return {"visit": visit_ids, "code": moved_codes}


def visits_merge_undo(*, survivor_id: int, merged_id: int, moved: dict) -> None:
    Visit.objects.filter(pk__in=moved.get("visit", []), client_id=survivor_id).update(client_id=merged_id)
    CheckInCode.objects.filter(pk__in=moved.get("code", []), client_id=survivor_id).update(
        client_id=merged_id
    )


def visits_export(*, client: Client) -> dict:
    code = CheckInCode.objects.filter(client=client).first()
    return {
        "check_in_code": {
            "created_at": code.created_at.isoformat(), "rotated_at": code.rotated_at.isoformat() if code.rotated_at else None,
        } if code else None,
        "visits": [
            {"at": v.created_at.isoformat(), "shop": v.location.name, "via": v.via}
            for v in Visit.objects.filter(client=client).select_related("location").order_by("created_at", "id")
        ],
    }  # fmt: skip


def visits_erase(*, client: Client) -> dict:
    visits = Visit.objects.filter(client=client, boutique_id=client.boutique_id)
    codes = CheckInCode.objects.filter(client=client, boutique_id=client.boutique_id)
    counts = {"visits_visit": visits.count(), "visits_checkincode": codes.count()}
    visits.delete()
    codes.delete()
    return counts
