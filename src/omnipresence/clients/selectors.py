"""Reads for clients: the accessor every user-supplied client id goes through, search and the
associate's book, the timeline in keyset pages, consent state (and `consent_allows`, the one gate
for marketing and personalization), and duplicate suggestions."""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from omnipresence.clients.errors import ClientNotFound, UnknownPurpose
from omnipresence.clients.models import (
    Client,
    ConsentEvent,
    ConsentPurpose,
    Identity,
    MergeRecord,
    ProfileView,
    TimelineEvent,
)
from omnipresence.core.errors import InvalidInput, NotFound
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Boutique, StaffMember

CLIENTS_VIEW = "clients.view"
CLIENTS_EDIT = "clients.edit"
CLIENTS_MERGE = "clients.merge"

PHONE_KINDS = (Identity.Kind.PHONE, Identity.Kind.WHATSAPP)
# A person has one session per device: two profiles with verified sessions may still be one person.
CONFLICT_KINDS = tuple(kind for kind in Identity.Kind.values if kind != Identity.Kind.WEB_SESSION)
MAX_MERGE_HOPS = 10
MAX_TIMELINE_PAGE = 200


def name_fold(name: str) -> str:
    """A name without case, accents or punctuation: "  Zoë  O'Hara" → "zoe o hara"."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", plain).split())[:120]


def client_queryset(*, boutique: Boutique) -> QuerySet[Client]:
    return (
        Client.objects.filter(boutique=boutique)
        .select_related("boutique", "primary_associate", "secondary_associate")
        .prefetch_related(Prefetch("identities", queryset=Identity.objects.order_by("kind", "value")))
    )


def live_clients(*, boutique: Boutique) -> QuerySet[Client]:
    return Client.objects.filter(boutique=boutique, merged_into__isnull=True, erased_at__isnull=True)


def access_client(actor: Actor, client_id: int, *, follow_merged: bool = True) -> Client:
    """A client of the actor's boutique; a merged-away client is her survivor (unless
    follow_merged=False, for the merge itself). Opening a profile as staff is written to the
    audit log (ProfileView); integrations' reads are not, they have no person behind them."""
    actor.require(CLIENTS_VIEW)
    client = client_queryset(boutique=actor.boutique).filter(pk=client_id).first()
    hops = 0
    while client is not None and follow_merged and client.merged_into_id and hops < MAX_MERGE_HOPS:
        client = client_queryset(boutique=actor.boutique).filter(pk=client.merged_into_id).first()
        hops += 1
    if client is None or client.erased_at is not None:
        raise ClientNotFound(f"No client {client_id}.")
    if actor.user_id is not None:
        # The one write in this module: the audit row is part of reading a profile.
        ProfileView.objects.create(boutique=actor.boutique, client=client, staff_user_id=actor.user_id)
    return client


def access_associate(actor: Actor, username: str):
    """A user on the actor's boutique staff, by username (a client's associate, the book's owner)."""
    member = (
        StaffMember.objects.select_related("user")
        .filter(boutique=actor.boutique, is_active=True, user__username=username)
        .first()
    )
    if member is None:
        raise NotFound(f"No associate '{username[:150]}' in this boutique.", code="associate_not_found")
    return member.user


def access_merge(actor: Actor, merge_id: int) -> MergeRecord:
    actor.require(CLIENTS_MERGE)
    record = MergeRecord.objects.filter(boutique=actor.boutique, pk=merge_id).first()
    if record is None:
        raise NotFound(f"No merge {merge_id}.", code="merge_not_found")
    return record


# --- search and the book ---------------------------------------------------------------------


@dataclass(frozen=True)
class BookFilters:
    query: str = ""
    lapsing_days: int | None = None  # bought before, but nothing in the last N days
    birthday_within_days: int | None = None  # a date labelled "birthday" in the next N days
    high_value: bool = False  # tier vip
    open_holds: bool = False  # something put aside for her, still held
    unpaid_pay_links: bool = False  # a pay link sent to her, still waiting for payment
    new_arrivals: bool = False  # a product new in the last 14 days in her size and one of her colours


# Holds, pay links and products sit above clients: the clienteling app registers how each of
# those filters finds its clients (boutique → Q on Client), from its AppConfig.ready.
_book_filters: dict[str, Callable[[Boutique], Q]] = {}


def on_book_filter(name: str, callback: Callable[[Boutique], Q]) -> None:
    _book_filters[name] = callback


def _search_q(boutique: Boutique, query: str) -> Q:
    text = query.strip()
    lowered = text.lower()
    matches = Q(kind=Identity.Kind.EMAIL, value__startswith=lowered) if "@" in text else Q(pk__in=[])
    handle = lowered.lstrip("@")
    if handle:
        matches |= Q(kind__in=("instagram", "facebook", "x", "loyalty_card"), value=handle)
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 6 and "@" not in text:
        try:
            number = phonenumbers.parse(text, boutique.country or None)
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            matches |= Q(kind__in=PHONE_KINDS, value=e164)
        except phonenumbers.NumberParseException:
            pass
        matches |= Q(kind__in=PHONE_KINDS, value__endswith=digits[-9:])
    by_identity = Identity.objects.filter(matches, boutique=boutique).values("client_id")
    folded = name_fold(text)
    by_name = Q(name_key__contains=folded) if folded else Q(pk__in=[])
    return by_name | Q(pk__in=by_identity)


def _month_days(today: date, days: int) -> list[str]:
    window = [today + timedelta(days=offset) for offset in range(days + 1)]
    labels = {day.strftime("%m-%d") for day in window}
    # Born on 29 February: celebrated on the 28th in other years.
    if "02-28" in labels:
        labels.add("02-29")
    return sorted(labels)


def client_book(*, actor: Actor, associate=None, filters: BookFilters | None = None) -> QuerySet[Client]:
    """The associate's clients (primary or secondary), or every client, filtered; by name."""
    actor.require(CLIENTS_VIEW)
    filters = filters or BookFilters()
    qs = live_clients(boutique=actor.boutique).select_related("primary_associate", "secondary_associate")
    if associate is not None:
        qs = qs.filter(Q(primary_associate=associate) | Q(secondary_associate=associate))
    if filters.query.strip():
        qs = qs.filter(_search_q(actor.boutique, filters.query))
    if filters.lapsing_days is not None:
        if not 1 <= filters.lapsing_days <= 3660:
            raise InvalidInput("lapsing_days is between 1 and 3660.", code="invalid_filter")
        qs = qs.filter(last_purchase_at__lt=timezone.now() - timedelta(days=filters.lapsing_days))
    if filters.birthday_within_days is not None:
        if not 0 <= filters.birthday_within_days <= 366:
            raise InvalidInput("birthday_within_days is between 0 and 366.", code="invalid_filter")
        today = timezone.now().astimezone(ZoneInfo(actor.boutique.timezone)).date()
        qs = qs.filter(birthday_mmdd__in=_month_days(today, filters.birthday_within_days))
    if filters.high_value:
        qs = qs.filter(tier=Client.Tier.VIP)
    for name in ("open_holds", "unpaid_pay_links", "new_arrivals"):
        if getattr(filters, name):
            if name not in _book_filters:
                raise InvalidInput(f"The {name} filter is not available.", code="invalid_filter")
            qs = qs.filter(_book_filters[name](actor.boutique))
    return qs.order_by("name_key", "id")


def client_search(actor: Actor, query: str) -> QuerySet[Client]:
    """By name (any part, without case or accents), email (the start of it), phone (E.164 in the
    boutique's country, or its last digits) or social handle."""
    return client_book(actor=actor, filters=BookFilters(query=query))


# --- timeline --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelinePage:
    events: list[TimelineEvent]
    next_before: tuple[datetime, int] | None  # pass as `before` for the next (older) page


def timeline_page(
    *, client: Client, before: tuple[datetime, int] | None = None, limit: int = 50
) -> TimelinePage:
    """Newest first, in keyset pages (occurred_at, id): one query per page, however long the
    timeline; a page fetches one row more than it shows to know whether another follows."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_TIMELINE_PAGE:
        raise InvalidInput(f"limit is between 1 and {MAX_TIMELINE_PAGE}.", code="invalid_page")
    qs = TimelineEvent.objects.filter(client_id=client.pk).select_related("associate")
    if before is not None:
        at, last_id = before
        qs = qs.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, id__lt=last_id))
    rows = list(qs.order_by("-occurred_at", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return TimelinePage(events=rows, next_before=(rows[-1].occurred_at, rows[-1].pk) if more else None)


# --- consent ---------------------------------------------------------------------------------


def consent_state(client: Client) -> dict[str, bool]:
    """Every purpose → granted now (its latest event; no event: not granted)."""
    state = dict.fromkeys(ConsentPurpose.values, False)
    seen: set[str] = set()
    for purpose, granted in (
        ConsentEvent.objects.filter(client_id=client.pk)
        .order_by("-created_at", "-id")
        .values_list("purpose", "granted")
    ):
        if purpose not in seen:
            seen.add(purpose)
            state[purpose] = granted
    return state


def consent_allows(*, client: Client | None, purpose: str) -> bool:
    """THE check before any marketing message or personalization (recommendations from her
    history, recognising her when she walks in, sharing with the hub). Transactional messages —
    a receipt, "your order is ready", a pay link or a reply she asked for — do not need it.
    A merged-away client answers for her survivor; an erased or unknown client never allows."""
    if purpose not in ConsentPurpose.values:
        raise UnknownPurpose(
            f"Unknown consent purpose '{purpose}'.", details={"purposes": ConsentPurpose.values}
        )
    if client is None:
        return False
    target = client
    hops = 0
    while target is not None and target.merged_into_id and hops < MAX_MERGE_HOPS:
        target = (
            Client.objects.filter(pk=target.merged_into_id).only("pk", "merged_into_id", "erased_at").first()
        )
        hops += 1
    if target is None or target.erased_at is not None:
        return False
    latest = (
        ConsentEvent.objects.filter(client_id=target.pk, purpose=purpose)
        .order_by("-created_at", "-id")
        .values_list("granted", flat=True)
        .first()
    )
    return bool(latest)


def client_by_identity(*, boutique: Boutique, kind: str, value: str) -> Client | None:
    """The live client an identifier (already normalised) stands for now, following merges; None
    when nobody has it or she was erased. For services that know her only by a handle (the web
    chat's visitor)."""
    identity = Identity.objects.filter(boutique=boutique, kind=kind, value=value).first()
    client = Client.objects.filter(pk=identity.client_id).first() if identity else None
    hops = 0
    while client is not None and client.merged_into_id and hops < MAX_MERGE_HOPS:
        client = Client.objects.filter(pk=client.merged_into_id).first()
        hops += 1
    return client if client is not None and client.erased_at is None else None


# --- duplicates ------------------------------------------------------------------------------


def verified_conflicts(first: list[Identity], second: list[Identity]) -> list[str]:
    """Kinds for which both clients have a verified identifier: identifiers are unique per
    boutique, so two of one kind are two different values — two different people."""

    def kinds(identities):
        return {i.kind for i in identities if i.verified and i.kind in CONFLICT_KINDS}

    return sorted(kinds(first) & kinds(second))


@dataclass(frozen=True)
class DuplicatePair:
    first: Client  # the older profile: the suggested survivor
    second: Client
    reasons: tuple[str, ...]


def _email_locals(identities) -> set[str]:
    return {i.value.split("@", 1)[0].split("+", 1)[0] for i in identities if i.kind == Identity.Kind.EMAIL}


def _phone_tails(identities) -> set[str]:
    return {re.sub(r"\D", "", i.value)[-7:] for i in identities if i.kind in PHONE_KINDS}


MAX_DUPLICATE_CANDIDATES = 2000


def duplicate_suggestions(*, actor: Actor, limit: int = 50) -> list[DuplicatePair]:
    """Pairs of live clients with the same folded name that also share an email local part
    (before any "+tag") or the last 7 digits of a phone; never a pair with conflicting verified
    identifiers. Deterministic: by name, then by ids. Three queries."""
    actor.require(CLIENTS_MERGE)
    if not 1 <= limit <= MAX_TIMELINE_PAGE:
        raise InvalidInput(f"limit is between 1 and {MAX_TIMELINE_PAGE}.", code="invalid_page")
    live = live_clients(boutique=actor.boutique).exclude(name_key="")
    names = list(
        live.values("name_key").annotate(n=Count("id")).filter(n__gt=1).order_by("name_key")
        .values_list("name_key", flat=True)[:500]
    )  # fmt: skip
    candidates = list(
        live.filter(name_key__in=names)
        .prefetch_related(Prefetch("identities", queryset=Identity.objects.order_by("kind", "value")))
        .order_by("name_key", "id")[:MAX_DUPLICATE_CANDIDATES]
    )
    groups: dict[str, list[Client]] = {}
    for client in candidates:
        groups.setdefault(client.name_key, []).append(client)
    pairs: list[DuplicatePair] = []
    for group in groups.values():
        for i, first in enumerate(group):
            first_ids = list(first.identities.all())
            for second in group[i + 1 :]:
                second_ids = list(second.identities.all())
                reasons = ["same_name"]
                if _email_locals(first_ids) & _email_locals(second_ids):
                    reasons.append("email_local_part")
                if _phone_tails(first_ids) & _phone_tails(second_ids):
                    reasons.append("phone_last_digits")
                if len(reasons) == 1 or verified_conflicts(first_ids, second_ids):
                    continue
                pairs.append(DuplicatePair(first=first, second=second, reasons=tuple(reasons)))
                if len(pairs) >= limit:
                    return pairs
    return pairs
