"""A client's right to see and to be forgotten: `client_export` gathers everything the boutique
holds about her (and about every client merged into her), `client_erase` anonymises it everywhere
while the accounting (orders, amounts, payments, refunds, gift card balances) stays.

Erasure, in one transaction with her row locked: every app's registered `erase` handler runs for
her and for each client merged into her (`clients.hooks.on_privacy`), then the clients app's own
tables: profile fields blanked and `erased_at` set, identities deleted (nothing resolves to her any
more), timeline replaced by one event without personal data, refused-attempt messages about her
blanked. The consent ledger and the profile-view audit stay: they hold no personal data once her
profile is blank, and they prove what she agreed to and who looked. An erased client is 404
everywhere (`access_client`), and a merge involving her can no longer be undone.
"""

import logging

from django.db import transaction
from django.utils import timezone

from omnipresence.clients.errors import ClientErased, ClientMerged
from omnipresence.clients.hooks import privacy_handlers
from omnipresence.clients.models import (
    AccessAttempt,
    Client,
    ConsentEvent,
    Identity,
    ProfileView,
    TimelineEvent,
)
from omnipresence.core.errors import InvalidInput
from omnipresence.privacy.handlers import _family_ids
from omnipresence.privacy.models import ErasureRecord

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
PROFILE_FIELDS = (
    "display_name", "preferred_channel", "preferred_language", "sizes", "fit_notes", "colours", "brands", "styles",
    "price_band_min", "price_band_max", "important_dates", "notes", "tags", "lifetime_spend", "orders_count",
    "tier",
)  # fmt: skip
BLANK_PROFILE = {
    "display_name": "", "name_key": "", "preferred_channel": Client.PreferredChannel.NONE, "preferred_language": "",
    "primary_associate": None, "secondary_associate": None, "sizes": {}, "fit_notes": "", "colours": [],
    "brands": [], "styles": [], "price_band_min": None, "price_band_max": None, "important_dates": [],
    "birthday_mmdd": "", "notes": "", "tags": [],
}  # fmt: skip
VIAS = {"portal", "staff", "api"}


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _client_part(client: Client) -> dict:
    data = {field: getattr(client, field) for field in PROFILE_FIELDS}
    data.update({
        "id": client.pk, "last_purchase_at": _iso(client.last_purchase_at), "created_at": _iso(client.created_at),
        "primary_associate": client.primary_associate.get_username() if client.primary_associate_id else None,
        "secondary_associate": client.secondary_associate.get_username() if client.secondary_associate_id else None,
    })  # fmt: skip
    return data


def client_export(*, client: Client) -> dict:
    """Everything about her, JSON-able. Raises ClientErased / ClientMerged for those clients."""
    if client.erased_at is not None:
        raise ClientErased()
    if client.merged_into_id is not None:
        raise ClientMerged()
    family = _family_ids(client)
    export = {
        "format_version": FORMAT_VERSION,
        "generated_at": timezone.now().isoformat(),
        "boutique": {"name": client.boutique.name, "slug": client.boutique.slug},
        "client": _client_part(client),
        "merged_profiles": [_client_part(c) for c in Client.objects.filter(pk__in=family[1:]).order_by("pk")],
        "identities": [
            {"kind": i.kind, "value": i.value, "verified": i.verified, "since": _iso(i.created_at)}
            for i in Identity.objects.filter(client_id__in=family).order_by("kind", "value")
        ],
        "consents": [
            {"purpose": e.purpose, "granted": e.granted, "channel": e.channel, "wording": e.wording,
             "at": _iso(e.created_at)}
            for e in ConsentEvent.objects.filter(client_id__in=family).order_by("created_at", "pk")
        ],
        "timeline": [
            {"kind": e.kind, "at": _iso(e.occurred_at), "summary": e.summary, "data": e.data}
            for e in TimelineEvent.objects.filter(client_id__in=family).order_by("-occurred_at", "-pk")
        ],
        "profile_views": [
            {"at": _iso(v.viewed_at), "staff": v.staff_user.get_username()}
            for v in ProfileView.objects.filter(client_id__in=family).select_related("staff_user").order_by("-pk")
        ],
    }  # fmt: skip
    for name, (export_fn, _erase) in sorted(privacy_handlers().items()):
        if export_fn is not None:
            export[name] = export_fn(client=client)
    return export


def client_erase(*, client: Client, requested_by: str, via: str) -> ErasureRecord:
    """Anonymise her everywhere (see the module). `requested_by` is a staff username; an email
    (the client herself) is stored as "client"."""
    if via not in VIAS:
        raise InvalidInput(f"via is one of {', '.join(sorted(VIAS))}.", code="invalid_via")
    requested_by = "client" if "@" in (requested_by or "") or not requested_by else requested_by[:160]
    with transaction.atomic():
        locked = Client.objects.select_for_update().filter(pk=client.pk).first()
        if locked is None or locked.erased_at is not None:
            raise ClientErased()
        if locked.merged_into_id is not None:
            raise ClientMerged("This client was merged into another one: erase that one.")
        family = _family_ids(locked)
        members = list(Client.objects.filter(pk__in=family).order_by("pk"))
        counts: dict[str, int] = {}
        for _name, (_export, erase_fn) in sorted(privacy_handlers().items()):
            if erase_fn is None:
                continue
            for member in members:
                for table, changed in (erase_fn(client=member) or {}).items():
                    counts[table] = counts.get(table, 0) + int(changed)
        now = timezone.now()
        counts["clients_identity"] = Identity.objects.filter(client_id__in=family).delete()[0]
        counts["clients_timelineevent"] = TimelineEvent.objects.filter(client_id__in=family).delete()[0]
        counts["clients_accessattempt"] = AccessAttempt.objects.filter(
            boutique_id=locked.boutique_id, target__in=[f"client:{pk}" for pk in family]
        ).update(message="")
        counts["clients_client"] = Client.objects.filter(pk__in=family).update(**BLANK_PROFILE, erased_at=now)
        TimelineEvent.objects.create(
            boutique_id=locked.boutique_id, client=locked, kind=TimelineEvent.Kind.PRIVACY, occurred_at=now,
            summary="Data erased at the client's request", data={"via": via},
        )  # fmt: skip
        record = ErasureRecord.objects.create(boutique_id=locked.boutique_id, client=locked,
                                              requested_by=requested_by, via=via, counts=counts)  # fmt: skip
    log.info("client %s erased (%s, via %s): %s", locked.pk, requested_by, via, counts)
    return record
