"""Writes for clients: recognising a person from what she gave (client_resolve), her profile and
notes, the consent ledger, the timeline every app writes to, and the derived purchase stats.
Merges and their undo live in clients/merging.py and are re-exported here.

Other apps call: client_resolve, timeline_add, client_stats_add / client_stats_remove,
consent_record; and read `selectors.consent_allows` before any marketing.
"""

import json
import logging
import re
from datetime import date, datetime

import phonenumbers
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from omnipresence.clients.errors import ClientErased, ClientMerged, ClientNotFound, UnknownPurpose
from omnipresence.clients.merging import client_merge, client_merge_undo
from omnipresence.clients.models import (
    Client,
    ConsentChannel,
    ConsentEvent,
    ConsentPurpose,
    Identity,
    TimelineEvent,
)
from omnipresence.clients.selectors import CLIENTS_EDIT, MAX_MERGE_HOPS, PHONE_KINDS, name_fold
from omnipresence.clients.tiers import tier_case
from omnipresence.core.errors import Conflict, InvalidInput, NotFound
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Boutique, StaffMember

__all__ = [
    "client_identify", "client_merge", "client_merge_undo", "client_note_add", "client_resolve",
    "client_stats_add", "client_stats_remove", "client_update", "consent_record", "identity_normalise",
    "identity_transfer", "timeline_add",
]  # fmt: skip

log = logging.getLogger(__name__)

EMAIL_RE = re.compile(r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$")
HANDLE_RE = re.compile(r"^[a-z0-9._:-]{1,120}$")
HANDLE_KINDS = ("instagram", "facebook", "x", "web_session", "loyalty_card")
LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")
REF_KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
DATE_RE = re.compile(r"^(\d{4}|-)-(\d{2})-(\d{2})$")  # 1984-03-07, or --03-07 without the year
MAX_LIST, MAX_ITEM, MAX_DATES, MAX_DATA_CHARS = 30, 40, 20, 8000


def _text(value, field: str, limit: int, *, required: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text.", code="invalid_input", details={"field": field})
    value = value.strip()
    if len(value) > limit or "\x00" in value:
        raise InvalidInput(
            f"{field} is longer than {limit} characters.", code="too_long", details={"field": field}
        )
    if required and not value:
        raise InvalidInput(f"{field} is required.", code="required", details={"field": field})
    return value


def _aware(value, field: str) -> datetime:
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise InvalidInput(f"{field} must be a datetime with a time zone.", code="invalid_input")
    return value


def _require_live(client: Client) -> None:
    if client.erased_at is not None:
        raise ClientErased()
    if client.merged_into_id is not None:
        raise ClientMerged(details={"survivor_id": client.merged_into_id})


def _survivor_of(client_id: int) -> Client | None:
    """The live client `client_id` stands for now (following merges); None when erased."""
    client = Client.objects.select_related("boutique").filter(pk=client_id).first()
    if client is None:
        raise ClientNotFound(f"No client {client_id}.")
    hops = 0
    while client.merged_into_id and hops < MAX_MERGE_HOPS:
        client = Client.objects.select_related("boutique").get(pk=client.merged_into_id)
        hops += 1
    return None if client.erased_at is not None else client


# --- identity --------------------------------------------------------------------------------


def identity_normalise(*, kind: str, value: str, country: str) -> str:
    """The stored form of an identifier: email lower-case; phone and WhatsApp in E.164 (a number
    without a country code is read in `country`, the boutique's); handles lower-case without "@"."""
    if kind not in Identity.Kind.values:
        raise InvalidInput(f"Unknown identity kind '{kind}'.", code="invalid_identity_kind")
    text = (value or "").strip() if isinstance(value, str) else ""
    if kind == Identity.Kind.EMAIL:
        if len(text) > 254 or not EMAIL_RE.match(text):
            raise InvalidInput(f"'{text[:60]}' is not an email address.", code="invalid_email",
                               details={"kind": kind})  # fmt: skip
        return text.lower()
    if kind in PHONE_KINDS:
        number = None
        if 0 < len(text) <= 40 and "\x00" not in text:
            try:
                number = phonenumbers.parse(text, (country or "").upper() or None)
            except phonenumbers.NumberParseException:
                number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise InvalidInput(f"'{text[:40]}' is not a phone number we can reach.", code="invalid_phone",
                               details={"kind": kind})  # fmt: skip
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    handle = re.sub(r"\s", "", text).lstrip("@").lower()
    if not HANDLE_RE.match(handle):
        raise InvalidInput(
            f"'{text[:60]}' is not a {kind} handle.", code="invalid_handle", details={"kind": kind}
        )
    return handle


def _identifiers(boutique: Boutique, *, email, phone, whatsapp, handles) -> list[tuple[str, str]]:
    """(kind, value) pairs, normalised, in the order they are tried: email, phone, WhatsApp, handles."""
    given = [("email", email), ("phone", phone), ("whatsapp", whatsapp)]
    handles = handles or {}
    if not isinstance(handles, dict) or set(handles) - set(HANDLE_KINDS):
        raise InvalidInput(f"handles are {', '.join(HANDLE_KINDS)}.", code="invalid_identity_kind")
    given += [(kind, handles[kind]) for kind in HANDLE_KINDS if kind in handles]
    pairs = []
    for kind, value in given:
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        pair = (kind, identity_normalise(kind=kind, value=value, country=boutique.country))
        if pair not in pairs:
            pairs.append(pair)
    return pairs


def client_resolve(
    *, boutique: Boutique, email: str = "", phone: str = "", whatsapp: str = "", handles: dict | None = None,
    name: str = "", verified_kind: str = "", channel: str = "", actor_label: str = "",
) -> Client:  # fmt: skip
    """The one client these identifiers belong to, made if none matches. See client_identify."""
    client, _ = client_identify(
        boutique=boutique, email=email, phone=phone, whatsapp=whatsapp, handles=handles, name=name,
        verified_kind=verified_kind, channel=channel, actor_label=actor_label,
    )  # fmt: skip
    return client


def client_identify(
    *, boutique: Boutique, email: str = "", phone: str = "", whatsapp: str = "", handles: dict | None = None,
    name: str = "", verified_kind: str = "", channel: str = "", actor_label: str = "",
) -> tuple[Client, bool]:  # fmt: skip
    """client_resolve, and whether it made the client.

    The rule, deterministic: the identifier of `verified_kind` (one the caller has proved, e.g. a
    confirmed email or a logged-in web session) first, then email, then phone (which also matches
    a WhatsApp number, and the other way round), then social handles. The first that belongs to a
    live client decides; a merged-away client is her survivor; an erased one matches nothing.
    Identifiers the client did not have are added to her; one that belongs to another client is
    left there (nothing merges here: duplicates are suggested to a manager instead).
    Two requests making the same new client race on the identity's unique key: the loser rolls
    back and reads the winner's client."""
    pairs = _identifiers(boutique, email=email, phone=phone, whatsapp=whatsapp, handles=handles)
    if not pairs:
        raise InvalidInput("Give an email, a phone number or a handle.", code="identifier_required")
    if verified_kind and verified_kind not in {kind for kind, _ in pairs}:
        raise InvalidInput(f"verified_kind '{verified_kind}' names none of the identifiers given.",
                           code="invalid_verified_kind")  # fmt: skip
    name = _text(name, "name", 120)
    channel = channel.strip() if isinstance(channel, str) else channel
    if channel and channel not in ConsentChannel.values:
        raise InvalidInput(f"Unknown channel '{channel}'.", code="invalid_channel")
    actor_label = _text(actor_label, "actor_label", 160)
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _resolve_once(boutique, pairs, name=name, verified_kind=verified_kind, channel=channel,
                                     actor_label=actor_label)  # fmt: skip
        except IntegrityError:
            log.info(
                "client_resolve lost a race in %s (attempt %d); reading again", boutique.slug, attempt + 1
            )
    raise Conflict("Another request is changing this client; try again.", code="client_busy")


def _resolve_once(boutique, pairs, *, name, verified_kind, channel, actor_label) -> tuple[Client, bool]:
    phones = [value for kind, value in pairs if kind in PHONE_KINDS]
    match = Q(pk__in=[])
    for kind, value in pairs:
        if kind not in PHONE_KINDS:
            match |= Q(kind=kind, value=value)
    if phones:
        match |= Q(kind__in=PHONE_KINDS, value__in=phones)
    rows = {(i.kind, i.value): i for i in Identity.objects.filter(match, boutique=boutique)}
    survivors: dict[int, Client | None] = {}

    def owner(identity: Identity) -> Client | None:
        if identity.client_id not in survivors:
            survivors[identity.client_id] = _survivor_of(identity.client_id)
        return survivors[identity.client_id]

    ordered = sorted(pairs, key=lambda pair: pair[0] != verified_kind)  # stable: the verified one first
    client = None
    for kind, value in ordered:
        kinds = [kind] + [other for other in PHONE_KINDS if kind in PHONE_KINDS and other != kind]
        for candidate in (rows.get((k, value)) for k in kinds):
            if candidate is not None and owner(candidate) is not None:
                client = owner(candidate)
                break
        if client is not None:
            break
    created = client is None
    if created:
        client = Client.objects.create(boutique=boutique, display_name=name, name_key=name_fold(name))
        TimelineEvent.objects.create(
            boutique=boutique, client=client, kind=TimelineEvent.Kind.CREATED, occurred_at=timezone.now(),
            summary=f"New client ({channel or 'unknown channel'})", data={"channel": channel, "by": actor_label},
        )  # fmt: skip
    elif name and not client.display_name:
        Client.objects.filter(pk=client.pk).update(display_name=name, name_key=name_fold(name),
                                                   updated_at=timezone.now())  # fmt: skip
        client.display_name, client.name_key = name, name_fold(name)
    for kind, value in pairs:
        verified = kind == verified_kind
        row = rows.get((kind, value))
        if row is None:
            Identity.objects.create(
                boutique=boutique, client=client, kind=kind, value=value, verified=verified
            )
        elif owner(row) is None:
            # Left behind by an erased client: it is free again.
            Identity.objects.filter(pk=row.pk).update(client=client, verified=verified)
        elif owner(row).pk == client.pk:
            updates = {}
            if row.client_id != client.pk:
                updates["client"] = client
            if verified and not row.verified:
                updates["verified"] = True
            if updates:
                Identity.objects.filter(pk=row.pk).update(**updates)
        # else: another live client's identifier stays hers; nothing is recorded for it here.
    return Client.objects.get(pk=client.pk), created


def identity_add(*, actor: Actor, client: Client, kind: str, value: str, verified: bool = False) -> Identity:
    """Give her one more way to be reached or recognised (staff: clients.edit). An identifier that
    belongs to another live client is refused (409 identity_taken: suggest a merge instead)."""
    actor.require("clients.edit")
    _require_live(client)
    value = identity_normalise(kind=kind, value=value, country=client.boutique.country)
    with transaction.atomic():
        existing = Identity.objects.select_for_update().filter(boutique=client.boutique, kind=kind, value=value).first()
        if existing is not None:
            owner = _survivor_of(existing.client_id)
            if owner is not None and owner.pk != client.pk:
                raise Conflict("That identifier belongs to another client: merge them if they are one person.",
                               code="identity_taken", details={"client_id": owner.pk})  # fmt: skip
            Identity.objects.filter(pk=existing.pk).update(client=client, verified=existing.verified or verified)
            identity = Identity.objects.get(pk=existing.pk)
        else:
            identity = Identity.objects.create(boutique=client.boutique, client=client, kind=kind, value=value,
                                               verified=verified)  # fmt: skip
        TimelineEvent.objects.create(
            boutique=client.boutique, client=client, kind=TimelineEvent.Kind.NOTE, occurred_at=timezone.now(),
            summary=f"{Identity.Kind(kind).label} added by {actor.label}", associate_id=actor.user_id,
            data={"identity": kind},
        )  # fmt: skip
    return identity


def identity_remove(*, actor: Actor, client: Client, identity_id: int) -> None:
    """Take one identifier off her (a wrong number, an old email). The last one stays: a client
    nobody can reach or recognise is refused (409 last_identity)."""
    actor.require("clients.edit")
    _require_live(client)
    with transaction.atomic():
        identity = Identity.objects.select_for_update().filter(client=client, pk=identity_id).first()
        if identity is None:
            raise NotFound(f"No identity {identity_id} on this client.", code="identity_not_found")
        if Identity.objects.filter(client=client).count() == 1:
            raise Conflict("This is her only identifier: add another one first.", code="last_identity")
        identity.delete()
        TimelineEvent.objects.create(
            boutique=client.boutique, client=client, kind=TimelineEvent.Kind.NOTE, occurred_at=timezone.now(),
            summary=f"{Identity.Kind(identity.kind).label} removed by {actor.label}", associate_id=actor.user_id,
            data={"identity": identity.kind},
        )  # fmt: skip


def identity_transfer(*, boutique: Boutique, kind: str, value: str, to_client: Client, actor_label: str) -> bool:
    """Hand one unverified web session over to another live client: the browser's visitor said who
    she is (inbox.webchat) and the two profiles cannot be merged. Only `web_session`, never a
    verified identifier (that one proves who she is). Returns whether it moved."""
    if kind != Identity.Kind.WEB_SESSION:
        raise InvalidInput("Only a web session can be handed to another client.", code="invalid_identity_kind")
    _require_live(to_client)
    with transaction.atomic():
        identity = Identity.objects.select_for_update().filter(boutique=boutique, kind=kind, value=value).first()
        if identity is None or identity.verified or identity.client_id == to_client.pk:
            return False
        previous_id = identity.client_id
        Identity.objects.filter(pk=identity.pk).update(client=to_client)
        now = timezone.now()
        for client_id, summary in ((previous_id, f"Web session moved to client {to_client.pk}"),
                                   (to_client.pk, f"Web session moved from client {previous_id}")):  # fmt: skip
            TimelineEvent.objects.create(
                boutique=boutique, client_id=client_id, kind=TimelineEvent.Kind.NOTE, occurred_at=now,
                summary=summary, data={"identity": kind, "by": actor_label},
            )  # fmt: skip
    return True


# --- profile ---------------------------------------------------------------------------------


def _strings(value, field: str, limit: int = MAX_LIST) -> list[str]:
    if not isinstance(value, list) or len(value) > limit:
        raise InvalidInput(
            f"{field} is a list of at most {limit} words.", code="invalid_list", details={"field": field}
        )
    out: list[str] = []
    for item in value:
        item = _text(item, field, MAX_ITEM, required=True)
        if item.casefold() not in {x.casefold() for x in out}:
            out.append(item)
    return out


def _sizes(value) -> dict[str, str]:
    if not isinstance(value, dict) or len(value) > MAX_LIST:
        raise InvalidInput(f"sizes maps at most {MAX_LIST} categories to a size.", code="invalid_sizes")
    return {_text(k, "sizes", MAX_ITEM, required=True).lower(): _text(v, "sizes", 20, required=True)
            for k, v in value.items()}  # fmt: skip


def _amount_or_none(value, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**11:
        raise InvalidInput(f"{field} is an amount in minor units.", code="invalid_price_band")
    return value


def _important_dates(value) -> list[dict[str, str]]:
    if not isinstance(value, list) or len(value) > MAX_DATES:
        raise InvalidInput(f"important_dates is a list of at most {MAX_DATES}.", code="invalid_dates")
    out = []
    for entry in value:
        if not isinstance(entry, dict) or set(entry) != {"label", "date"}:
            raise InvalidInput("Each important date is {label, date}.", code="invalid_dates")
        label = _text(entry["label"], "important_dates.label", MAX_ITEM, required=True)
        text = entry["date"].strip() if isinstance(entry["date"], str) else ""
        found = DATE_RE.match(text)
        try:
            date(
                2000 if found.group(1) == "-" else int(found.group(1)),
                int(found.group(2)),
                int(found.group(3)),
            )
        except (AttributeError, ValueError):
            raise InvalidInput(f"'{text[:20]}' is not a date (1984-03-07, or --03-07 without the year).",
                               code="invalid_dates")  # fmt: skip
        out.append({"label": label, "date": text})
    return out


def _birthday(dates: list[dict[str, str]]) -> str:
    for entry in dates:
        if entry["label"].casefold() == "birthday":
            return entry["date"][-5:]
    return ""


def _associate(boutique: Boutique, user, field: str):
    if (
        user is not None
        and not StaffMember.objects.filter(boutique=boutique, user=user, is_active=True).exists()
    ):
        raise InvalidInput(f"The {field} is not on this boutique's staff.", code="invalid_associate")
    return user


_CLEAN = {
    "display_name": lambda v: _text(v, "display_name", 120),
    "preferred_language": lambda v: _text(v, "preferred_language", 10),
    "fit_notes": lambda v: _text(v, "fit_notes", 500),
    "notes": lambda v: _text(v, "notes", 5000),
    "sizes": _sizes,
    "colours": lambda v: _strings(v, "colours"),
    "brands": lambda v: _strings(v, "brands"),
    "styles": lambda v: _strings(v, "styles"),
    "tags": lambda v: _strings(v, "tags", 50),
    "price_band_min": lambda v: _amount_or_none(v, "price_band_min"),
    "price_band_max": lambda v: _amount_or_none(v, "price_band_max"),
    "important_dates": _important_dates,
    "preferred_channel": lambda v: v,
    "primary_associate": lambda v: v,
    "secondary_associate": lambda v: v,
}
PROFILE_FIELDS = frozenset(_CLEAN)


def client_update(*, actor: Actor, client: Client, **fields) -> Client:
    """Change profile fields; only those given change. The purchase stats and tier are derived
    and cannot be set; identities change through client_resolve and merges."""
    actor.require(CLIENTS_EDIT)
    if client.boutique_id != actor.boutique.pk:
        raise ClientNotFound()
    unknown = set(fields) - PROFILE_FIELDS
    if unknown:
        raise InvalidInput(f"Cannot change {', '.join(sorted(unknown))}.", code="invalid_field",
                           details={"fields": sorted(unknown)})  # fmt: skip
    clean = {name: _CLEAN[name](value) for name, value in fields.items()}
    if "preferred_channel" in clean and clean["preferred_channel"] not in Client.PreferredChannel.values:
        raise InvalidInput(f"Unknown channel '{clean['preferred_channel']}'.", code="invalid_channel")
    if clean.get("preferred_language") and not LANGUAGE_RE.match(clean["preferred_language"]):
        raise InvalidInput("preferred_language is a BCP 47 tag such as fr-FR.", code="invalid_language")
    for field in ("primary_associate", "secondary_associate"):
        if field in clean:
            _associate(actor.boutique, clean[field], field.replace("_", " "))
    if "display_name" in clean:
        clean["name_key"] = name_fold(clean["display_name"])
    if "important_dates" in clean:
        clean["birthday_mmdd"] = _birthday(clean["important_dates"])
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        _require_live(locked)
        low = clean.get("price_band_min", locked.price_band_min)
        high = clean.get("price_band_max", locked.price_band_max)
        if low is not None and high is not None and low > high:
            raise InvalidInput("price_band_min is above price_band_max.", code="invalid_price_band")
        if clean:
            Client.objects.filter(pk=client.pk).update(**clean, updated_at=timezone.now())
    return Client.objects.get(pk=client.pk)


def client_note_add(*, actor: Actor, client: Client, text: str) -> TimelineEvent:
    """A dated note on the client's timeline, signed by the associate (the profile's `notes`
    field is the standing note; these are what happened)."""
    actor.require(CLIENTS_EDIT)
    if client.boutique_id != actor.boutique.pk:
        raise ClientNotFound()
    text = _text(text, "text", 2000, required=True)
    _require_live(client)
    with transaction.atomic():
        return TimelineEvent.objects.create(
            boutique_id=client.boutique_id, client=client, kind=TimelineEvent.Kind.NOTE, occurred_at=timezone.now(),
            summary=" ".join(text.split())[:200], data={"text": text}, associate_id=actor.user_id,
        )  # fmt: skip


# --- consent ---------------------------------------------------------------------------------


def consent_record(
    *, actor_label: str, client: Client, purpose: str, granted: bool, channel: str, wording: str
) -> ConsentEvent:
    """Append to the consent ledger (and the timeline): who said yes or no to what, where, having
    been shown which words. The caller checks who may record it (the API: clients.edit)."""
    if purpose not in ConsentPurpose.values:
        raise UnknownPurpose(
            f"Unknown consent purpose '{purpose}'.", details={"purposes": ConsentPurpose.values}
        )
    if not isinstance(granted, bool):
        raise InvalidInput("granted is true or false.", code="invalid_input")
    if channel not in ConsentChannel.values:
        raise InvalidInput(f"Unknown channel '{channel}'.", code="invalid_channel")
    wording = _text(wording, "wording", 2000, required=True)
    actor_label = _text(actor_label, "actor_label", 160)
    with transaction.atomic():
        target = _survivor_of(client.pk)
        if target is None:
            raise ClientErased()
        event = ConsentEvent.objects.create(
            boutique_id=target.boutique_id, client=target, purpose=purpose, granted=granted, channel=channel,
            wording=wording, actor_label=actor_label,
        )  # fmt: skip
        TimelineEvent.objects.create(
            boutique_id=target.boutique_id, client=target, kind=TimelineEvent.Kind.CONSENT,
            occurred_at=event.created_at, ref_kind="consent", ref_id=event.pk,
            summary=f"{ConsentPurpose(purpose).label}: {'granted' if granted else 'withdrawn'} ({channel})",
            data={"purpose": purpose, "granted": granted, "channel": channel, "by": actor_label},
        )  # fmt: skip
    return event


# --- timeline --------------------------------------------------------------------------------


def timeline_add(
    *, client_id: int, kind: str, occurred_at: datetime, summary: str, data: dict | None = None,
    ref_kind: str = "", ref_id: int | None = None, associate_id: int | None = None,
) -> TimelineEvent | None:  # fmt: skip
    """Record something that happened with a client, for any app (orders call it from their
    services, inside their transaction). With a reference ("order", 123) it is recorded once per
    (kind, reference): writing it again returns the first. Goes to the survivor of a merged
    client; for an erased client nothing is recorded (None), so a caller's flow never fails."""
    if kind not in TimelineEvent.Kind.values:
        raise InvalidInput(f"Unknown timeline kind '{kind}'.", code="invalid_timeline_kind")
    _aware(occurred_at, "occurred_at")
    summary = " ".join(str(summary or "").replace("\x00", "").split())
    summary = summary if len(summary) <= 200 else summary[:199] + "…"
    data = data or {}
    if not isinstance(data, dict) or len(json.dumps(data, default=str)) > MAX_DATA_CHARS:
        raise InvalidInput(
            f"data is a JSON object under {MAX_DATA_CHARS} characters.", code="invalid_timeline_data"
        )
    if ref_id is not None and (isinstance(ref_id, bool) or not isinstance(ref_id, int) or ref_id < 1
                               or not REF_KIND_RE.match(ref_kind or "")):  # fmt: skip
        raise InvalidInput(
            "A reference is a kind (order, hold…) and a positive id.", code="invalid_reference"
        )
    with transaction.atomic():
        client = _survivor_of(client_id)
        if client is None:
            return None
        fields = {
            "boutique_id": client.boutique_id,
            "kind": kind,
            "ref_kind": ref_kind or "",
            "ref_id": ref_id,
        }
        if ref_id is not None:
            existing = TimelineEvent.objects.filter(**fields).first()
            if existing is not None:
                return existing
        try:
            with transaction.atomic():
                return TimelineEvent.objects.create(
                    **fields, client=client, occurred_at=occurred_at, summary=summary,
                    data=json.loads(json.dumps(data, default=str)), associate_id=associate_id,
                )  # fmt: skip
        except IntegrityError:
            if ref_id is None:
                raise
            return TimelineEvent.objects.get(**fields)  # written by a concurrent call


# --- purchase stats --------------------------------------------------------------------------


def _stats_update(client_id: int, changes) -> None:
    """Apply `changes(currency)` (F() expressions) to the live client `client_id` stands for, with
    a conditional UPDATE: if a merge moved her away between the read and the write, follow."""
    with transaction.atomic():
        for _ in range(MAX_MERGE_HOPS):
            client = _survivor_of(client_id)
            if client is None:
                return  # erased: nothing is kept about her
            updated = Client.objects.filter(
                pk=client.pk, merged_into__isnull=True, erased_at__isnull=True
            ).update(**changes(client.boutique.currency), updated_at=timezone.now())
            if updated:
                return
            client_id = client.pk
        raise Conflict("This client keeps being merged; try again.", code="client_busy")


def client_stats_add(*, client_id: int, amount: int, occurred_at: datetime) -> None:
    """A paid order: lifetime spend += amount (minor units), one more order, last purchase at
    the latest of the two; the tier follows. For orders to call when an order is paid."""
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= 10**13:
        raise InvalidInput("amount is a non-negative amount in minor units.", code="invalid_amount")
    _aware(occurred_at, "occurred_at")

    def changes(currency: str) -> dict:
        later = Q(last_purchase_at__isnull=True) | Q(last_purchase_at__lt=occurred_at)
        return {
            "lifetime_spend": F("lifetime_spend") + amount,
            "orders_count": F("orders_count") + 1,
            "last_purchase_at": Case(When(later, then=Value(occurred_at)), default=F("last_purchase_at")),
            "tier": tier_case(F("lifetime_spend") + amount, currency),
        }

    _stats_update(client_id, changes)


def client_stats_remove(*, client_id: int, amount: int, orders: int = 0) -> None:
    """A refund or return: lifetime spend −= amount (never below 0); `orders` = 1 when a whole
    order is given back (cancelled after payment, fully refunded), 0 for part of one. The last
    purchase date stays. The tier follows."""
    for value, name in ((amount, "amount"), (orders, "orders")):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**13:
            raise InvalidInput(f"{name} is a non-negative whole number.", code="invalid_amount")

    def changes(currency: str) -> dict:
        spend = Greatest(F("lifetime_spend") - amount, Value(0))
        return {
            "lifetime_spend": spend,
            "orders_count": Greatest(F("orders_count") - orders, Value(0)),
            "tier": tier_case(spend, currency),
        }

    _stats_update(client_id, changes)
