"""API for clients: find or recognise a client, her profile, consent, timeline, duplicates and
merges. Every channel (console, chat, storefront, integrations) calls these."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictBool

from omnipresence.clients import services
from omnipresence.clients.attempts import logged_attempts
from omnipresence.clients.models import Client, ConsentChannel, ConsentPurpose, MergeRecord, TimelineEvent
from omnipresence.clients.selectors import (
    CLIENTS_EDIT,
    MAX_TIMELINE_PAGE,
    BookFilters,
    access_associate,
    access_client,
    access_merge,
    client_book,
    consent_state,
    duplicate_suggestions,
    timeline_page,
)
from omnipresence.core.api import AUTH, ERRORS, ID, PAGE, SLUG, Input, Num, Text, query_text, request_actor
from omnipresence.core.errors import InvalidInput
from omnipresence.core.pagination import MAX_PAGE_SIZE, page_bounds

router = Router(tags=["clients"])

PAGE_SIZE = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
HandleKind = Literal["instagram", "facebook", "x", "web_session", "loyalty_card"]
IdentityKind = Literal[
    "email", "phone", "whatsapp", "instagram", "facebook", "x", "web_session", "loyalty_card"
]
ChannelName = Literal[tuple(ConsentChannel.values)]
PreferredChannel = Literal["email", "sms", "whatsapp", "phone", "none"]
Word = Text(40, min_length=1)


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


class ClientSummaryOut(Schema):
    id: int
    display_name: str
    tier: str
    lifetime_spend: int
    orders_count: int
    last_purchase_at: datetime | None
    primary_associate: str | None
    tags: list[str]


def _summary_out(c: Client) -> dict:
    return {
        "id": c.pk, "display_name": c.display_name, "tier": c.tier, "lifetime_spend": c.lifetime_spend,
        "orders_count": c.orders_count, "last_purchase_at": c.last_purchase_at,
        "primary_associate": _username(c.primary_associate), "tags": c.tags,
    }  # fmt: skip


class IdentityOut(Schema):
    id: int
    kind: str
    value: str
    verified: bool


class ImportantDate(Input):
    label: Text(40, min_length=1)
    date: str = Field(
        pattern=r"^(\d{4}|-)-\d{2}-\d{2}$", description="1984-03-07, or --03-07 without the year"
    )


class ClientOut(ClientSummaryOut):
    currency: str
    preferred_channel: str
    preferred_language: str
    secondary_associate: str | None
    sizes: dict[str, str]
    fit_notes: str
    colours: list[str]
    brands: list[str]
    styles: list[str]
    price_band_min: int | None
    price_band_max: int | None
    important_dates: list[dict[str, str]]
    notes: str
    identities: list[IdentityOut]
    consent: dict[str, bool]
    created_at: datetime
    updated_at: datetime


def _client_out(c: Client) -> dict:
    return {
        **_summary_out(c), "currency": c.boutique.currency, "preferred_channel": c.preferred_channel,
        "preferred_language": c.preferred_language, "secondary_associate": _username(c.secondary_associate),
        "sizes": c.sizes, "fit_notes": c.fit_notes, "colours": c.colours, "brands": c.brands, "styles": c.styles,
        "price_band_min": c.price_band_min, "price_band_max": c.price_band_max,
        "important_dates": c.important_dates, "notes": c.notes,
        "identities": [{"id": i.pk, "kind": i.kind, "value": i.value, "verified": i.verified}
                       for i in c.identities.all()],
        "consent": consent_state(c), "created_at": c.created_at, "updated_at": c.updated_at,
    }  # fmt: skip


class TimelineEventOut(Schema):
    id: int
    kind: str
    occurred_at: datetime
    summary: str
    data: dict[str, Any]
    ref_kind: str
    ref_id: int | None
    associate: str | None


def _event_out(e: TimelineEvent) -> dict:
    return {"id": e.pk, "kind": e.kind, "occurred_at": e.occurred_at, "summary": e.summary, "data": e.data,
            "ref_kind": e.ref_kind, "ref_id": e.ref_id, "associate": _username(e.associate)}  # fmt: skip


class TimelinePageOut(Schema):
    items: list[TimelineEventOut]
    next_before_at: datetime | None = Field(description="Send as before_at (with before_id) for older events")
    next_before_id: int | None


class ResolveIn(Input):
    email: Text(254) = ""
    phone: Text(40) = ""
    whatsapp: Text(40) = ""
    handles: dict[HandleKind, Text(120)] = Field(default_factory=dict)
    name: Text(120) = ""
    verified_kind: IdentityKind | Literal[""] = Field(
        "", description="The identifier the caller has proved (a confirmed email, a logged-in session)"
    )
    channel: ChannelName | Literal[""] = ""


class ClientPatchIn(Input):
    display_name: Text(120) | None = None
    preferred_channel: PreferredChannel | None = None
    preferred_language: str | None = Field(None, pattern=r"^([A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2})?$")
    primary_associate: Text(150) | None = Field(None, description="Username; empty: nobody")
    secondary_associate: Text(150) | None = Field(None, description="Username; empty: nobody")
    sizes: dict[Word, Text(20, min_length=1)] | None = Field(None, max_length=30)
    fit_notes: Text(500) | None = None
    colours: list[Word] | None = Field(None, max_length=30)
    brands: list[Word] | None = Field(None, max_length=30)
    styles: list[Word] | None = Field(None, max_length=30)
    tags: list[Word] | None = Field(None, max_length=50)
    price_band_min: Num(ge=0, le=10**11) | None = None
    price_band_max: Num(ge=0, le=10**11) | None = None
    important_dates: list[ImportantDate] | None = Field(None, max_length=20)
    notes: Text(5000) | None = None


class NoteIn(Input):
    text: Text(2000, min_length=1)


class ConsentIn(Input):
    purpose: Text(40, min_length=1) = Field(description=f"One of {', '.join(ConsentPurpose.values)}")
    granted: StrictBool
    channel: ChannelName
    wording: Text(2000, min_length=1) = Field(description="The words the client was shown")


class ConsentOut(Schema):
    id: int
    purpose: str
    granted: bool
    channel: str
    wording: str
    actor: str
    created_at: datetime
    state: dict[str, bool]


class DuplicateOut(Schema):
    first: ClientSummaryOut
    second: ClientSummaryOut
    reasons: list[str]


class MergeIn(Input):
    merged_id: Num(ge=1, le=2**62) = Field(description="The client folded into this one")


class MergeOut(Schema):
    id: int
    survivor_id: int
    merged_id: int
    moved: dict[str, int]
    actor: str
    created_at: datetime
    undone_at: datetime | None


def _merge_out(r: MergeRecord) -> dict:
    moved = {k: len(v) for k, v in r.moved.items() if isinstance(v, list)}
    return {"id": r.pk, "survivor_id": r.survivor_id, "merged_id": r.merged_id, "moved": moved,
            "actor": r.actor_label, "created_at": r.created_at, "undone_at": r.undone_at}  # fmt: skip


@router.get("/boutiques/{slug}/clients", response={200: list[ClientSummaryOut], **ERRORS}, auth=AUTH)
def clients(request, slug: SLUG, q: query_text(120) = None, associate: query_text(150) = None,
            lapsing_days: Annotated[int | None, Query(ge=1, le=3660)] = None,
            birthday_within_days: Annotated[int | None, Query(ge=0, le=366)] = None,
            high_value: bool = False, open_holds: bool = False, unpaid_pay_links: bool = False,
            new_arrivals: bool = False, page: PAGE = 1, page_size: PAGE_SIZE = 50):  # fmt: skip
    """Search by name, email, phone or handle (`q`), or a book: an associate's clients, lapsing
    (bought, but not in N days), a birthday in the next N days, VIPs, with something on hold,
    with a pay link still unpaid, with a new arrival in her size and colour."""
    actor = request_actor(request, slug)
    start, end = page_bounds(page, page_size)
    filters = BookFilters(query=q or "", lapsing_days=lapsing_days, birthday_within_days=birthday_within_days,
                          high_value=high_value, open_holds=open_holds, unpaid_pay_links=unpaid_pay_links,
                          new_arrivals=new_arrivals)  # fmt: skip
    owner = access_associate(actor, associate) if associate else None
    return [_summary_out(c) for c in client_book(actor=actor, associate=owner, filters=filters)[start:end]]


@router.post(
    "/boutiques/{slug}/clients/resolve", response={200: ClientOut, 201: ClientOut, **ERRORS}, auth=AUTH
)
@logged_attempts("resolve", target_kwarg=None)
def client_resolve(request, slug: SLUG, payload: ResolveIn):
    """The client these identifiers belong to (200), or a new one (201): verified identifier,
    then email, then phone, then handles; never merges two clients."""
    actor = request_actor(request, slug)
    actor.require(CLIENTS_EDIT)
    client, created = services.client_identify(
        boutique=actor.boutique, email=payload.email, phone=payload.phone, whatsapp=payload.whatsapp,
        handles=dict(payload.handles), name=payload.name, verified_kind=payload.verified_kind,
        channel=payload.channel or "api", actor_label=actor.label,
    )  # fmt: skip
    return Status(201 if created else 200, _client_out(access_client(actor, client.pk)))


@router.get("/boutiques/{slug}/clients/duplicates", response={200: list[DuplicateOut], **ERRORS}, auth=AUTH)
def duplicates(request, slug: SLUG, limit: Annotated[int, Query(ge=1, le=MAX_TIMELINE_PAGE)] = 50):
    """Pairs that look like one person, for a manager to merge (or not)."""
    actor = request_actor(request, slug)
    return [
        {"first": _summary_out(p.first), "second": _summary_out(p.second), "reasons": list(p.reasons)}
        for p in duplicate_suggestions(actor=actor, limit=limit)
    ]


@router.get("/boutiques/{slug}/clients/{client_id}", response={200: ClientOut, **ERRORS}, auth=AUTH)
@logged_attempts("view", target_kwarg="client_id")
def client_detail(request, slug: SLUG, client_id: ID):
    """Her profile, identities and consent; opening it is recorded (who viewed it, when)."""
    actor = request_actor(request, slug)
    return _client_out(access_client(actor, client_id))


@router.patch("/boutiques/{slug}/clients/{client_id}", response={200: ClientOut, **ERRORS}, auth=AUTH)
@logged_attempts("update", target_kwarg="client_id")
def client_update(request, slug: SLUG, client_id: ID, payload: ClientPatchIn):
    """Change profile fields; only those sent change (null: leave as is)."""
    actor = request_actor(request, slug)
    client = access_client(actor, client_id)
    changes = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    for field in ("primary_associate", "secondary_associate"):
        if field in changes:
            changes[field] = access_associate(actor, changes[field]) if changes[field] else None
    services.client_update(actor=actor, client=client, **changes)
    return _client_out(access_client(actor, client.pk))


@router.get(
    "/boutiques/{slug}/clients/{client_id}/timeline", response={200: TimelinePageOut, **ERRORS}, auth=AUTH
)
@logged_attempts("timeline", target_kwarg="client_id")
def client_timeline(request, slug: SLUG, client_id: ID, before_at: datetime | None = None,
                    before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
                    limit: Annotated[int, Query(ge=1, le=MAX_TIMELINE_PAGE)] = 50):  # fmt: skip
    """Newest first; pass the previous page's next_before_at and next_before_id for older ones."""
    actor = request_actor(request, slug)
    if (before_at is None) != (before_id is None) or (before_at is not None and before_at.tzinfo is None):
        raise InvalidInput("Send both before_at (with its time zone) and before_id, or neither.",
                           code="invalid_cursor")  # fmt: skip
    page = timeline_page(client=access_client(actor, client_id),
                         before=(before_at, before_id) if before_at else None, limit=limit)  # fmt: skip
    at, last_id = page.next_before or (None, None)
    return {"items": [_event_out(e) for e in page.events], "next_before_at": at, "next_before_id": last_id}


@router.post(
    "/boutiques/{slug}/clients/{client_id}/notes", response={201: TimelineEventOut, **ERRORS}, auth=AUTH
)
@logged_attempts("note", target_kwarg="client_id")
def client_note_add(request, slug: SLUG, client_id: ID, payload: NoteIn):
    actor = request_actor(request, slug)
    event = services.client_note_add(actor=actor, client=access_client(actor, client_id), text=payload.text)
    return Status(201, _event_out(event))


@router.post(
    "/boutiques/{slug}/clients/{client_id}/consents", response={201: ConsentOut, **ERRORS}, auth=AUTH
)
@logged_attempts("consent", target_kwarg="client_id")
def consent_record(request, slug: SLUG, client_id: ID, payload: ConsentIn):
    """Record a yes or a no for one purpose, where it was given and the words shown (a ledger:
    the latest event of a purpose is its state)."""
    actor = request_actor(request, slug)
    actor.require(CLIENTS_EDIT)
    client = access_client(actor, client_id)
    event = services.consent_record(
        actor_label=actor.label, client=client, purpose=payload.purpose, granted=payload.granted,
        channel=payload.channel, wording=payload.wording,
    )  # fmt: skip
    return Status(201, {"id": event.pk, "purpose": event.purpose, "granted": event.granted, "channel": event.channel,
                        "wording": event.wording, "actor": event.actor_label, "created_at": event.created_at,
                        "state": consent_state(client)})  # fmt: skip


class IdentityIn(Input):
    kind: IdentityKind
    value: Text(254, min_length=1)
    verified: StrictBool = Field(False, description="True only when she proved it (a code, a link)")


@router.post(
    "/boutiques/{slug}/clients/{client_id}/identities", response={201: IdentityOut, **ERRORS}, auth=AUTH
)
@logged_attempts("identity_add", target_kwarg="client_id")
def identity_add(request, slug: SLUG, client_id: ID, payload: IdentityIn):
    """Add an email, phone, WhatsApp number or handle to her (409 identity_taken when another
    client has it: merge them instead)."""
    actor = request_actor(request, slug)
    identity = services.identity_add(actor=actor, client=access_client(actor, client_id), kind=payload.kind,
                                     value=payload.value, verified=payload.verified)  # fmt: skip
    return Status(201, {"id": identity.pk, "kind": identity.kind, "value": identity.value,
                        "verified": identity.verified})  # fmt: skip


@router.delete(
    "/boutiques/{slug}/clients/{client_id}/identities/{identity_id}", response={204: None, **ERRORS}, auth=AUTH
)
@logged_attempts("identity_remove", target_kwarg="client_id")
def identity_remove(request, slug: SLUG, client_id: ID, identity_id: ID):
    """Take a wrong or old identifier off her (never the last one: 409 last_identity)."""
    actor = request_actor(request, slug)
    services.identity_remove(actor=actor, client=access_client(actor, client_id), identity_id=identity_id)
    return Status(204, None)


@router.post("/boutiques/{slug}/clients/{client_id}/merge", response={201: MergeOut, **ERRORS}, auth=AUTH)
@logged_attempts("merge", target_kwarg="client_id")
def client_merge(request, slug: SLUG, client_id: ID, payload: MergeIn):
    """Fold `merged_id` into this client (managers): 409 conflicting_identities when both have a
    verified identifier of one kind. Undo within 30 days."""
    actor = request_actor(request, slug)
    actor.require("clients.merge")
    survivor = access_client(actor, client_id)
    merged = access_client(actor, payload.merged_id, follow_merged=False)
    return Status(201, _merge_out(services.client_merge(actor=actor, survivor=survivor, merged=merged)))


@router.post("/boutiques/{slug}/merges/{merge_id}/undo", response={200: MergeOut, **ERRORS}, auth=AUTH)
@logged_attempts("merge_undo", target_kwarg="merge_id")
def client_merge_undo(request, slug: SLUG, merge_id: ID):
    """Put back what the merge moved (409 merge_too_old after 30 days)."""
    actor = request_actor(request, slug)
    return _merge_out(services.client_merge_undo(actor=actor, record=access_merge(actor, merge_id)))
