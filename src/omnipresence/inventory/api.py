"""API for stock, the movement ledger, holds, transfers, counts and availability."""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Query, Router, Schema, Status

from omnipresence.catalog.selectors import access_variant, product_get, published_variant_get
from omnipresence.core.api import (
    AUTH,
    ERRORS,
    ID,
    PAGE,
    PRODUCT_REF,
    PUBLIC_ERRORS,
    QUERY_CODE,
    QUERY_SKU,
    SKU_REF,
    SLUG,
    Input,
    Moment,
    Num,
    Text,
    query_text,
    request_actor,
)
from omnipresence.core.pagination import MAX_PAGE_SIZE, page_bounds
from omnipresence.inventory import services
from omnipresence.inventory.models import Hold, Movement
from omnipresence.inventory.selectors import (
    VariantAvailability,
    access_hold,
    access_transfer,
    availability_for_product,
    availability_for_variants,
    hold_list,
    movement_list,
    stock_levels,
)
from omnipresence.stores.access import boutique_by_slug
from omnipresence.stores.selectors import access_location

router = Router(tags=["inventory"])

PAGE_SIZE = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
# Inline enums (Hold.Kind / Hold.Status): named enums clashed with Location.Kind / Product.Status.
HoldKind = Literal["cart", "client", "order", "live"]
HoldStatusFilter = Literal["active", "released", "expired", "consumed", "all"]
LOCATION = r"^[A-Za-z0-9_-]{1,40}$"
SKU = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"


class LocationAvailabilityOut(Schema):
    code: str
    name: str
    kind: str
    available: int
    pickup: bool
    pickup_at: datetime | None
    ships: bool


class AvailabilityOut(Schema):
    sku: str
    online: int
    total: int
    ship_to_home: bool
    ship_from: list[str]
    pickup: list[str]
    locations: list[LocationAvailabilityOut]


def _availability_out(entry: VariantAvailability) -> dict:
    return {
        "sku": entry.variant.sku,
        "online": entry.online,
        "total": entry.total,
        "ship_to_home": entry.ship_to_home,
        "ship_from": [la.location.code for la in entry.ship_from],
        "pickup": [la.location.code for la in entry.pickup],
        "locations": [
            {
                "code": la.location.code,
                "name": la.location.name,
                "kind": la.location.kind,
                "available": la.available,
                "pickup": la.can_pickup,
                "pickup_at": la.pickup_at if la.can_pickup else None,
                "ships": la.available > 0 and la.location.fulfils_online,
            }
            for la in entry.locations
        ],
    }


@router.get("/boutiques/{slug}/availability/{sku}", response={200: AvailabilityOut, **PUBLIC_ERRORS})
def variant_availability(request, slug: SLUG, sku: SKU_REF):
    """Available units of a variant at each location and the ways to get it (public)."""
    boutique = boutique_by_slug(slug)
    variant = published_variant_get(boutique=boutique, variant_ref=sku)  # drafts stay private
    return _availability_out(availability_for_variants(boutique=boutique, variants=[variant])[variant.pk])


@router.get(
    "/boutiques/{slug}/products/{ref}/availability", response={200: list[AvailabilityOut], **PUBLIC_ERRORS}
)
def product_availability(request, slug: SLUG, ref: PRODUCT_REF):
    boutique = boutique_by_slug(slug)
    product = product_get(boutique=boutique, product_id=ref)
    return [_availability_out(e) for e in availability_for_product(boutique=boutique, product=product).values()]


class StockOut(Schema):
    sku: str
    location: str
    on_hand: int
    held: int
    available: int


class StockPage(Schema):
    count: int
    items: list[StockOut]


@router.get("/boutiques/{slug}/stock", response={200: StockPage, **ERRORS}, auth=AUTH)
def stock(request, slug: SLUG, location: QUERY_CODE = None, sku: QUERY_SKU = None, page: PAGE = 1,
          page_size: PAGE_SIZE = 100):  # fmt: skip
    actor = request_actor(request, slug)
    actor.require("inventory.view")
    start, end = page_bounds(page, page_size)
    qs = stock_levels(boutique=actor.boutique).select_related("variant", "location").order_by("pk")
    if location:
        qs = qs.filter(location=access_location(actor, location))
    if sku:
        qs = qs.filter(variant=access_variant(actor, sku))
    items = [
        {"sku": s.variant.sku, "location": s.location.code, "on_hand": s.on_hand, "held": s.active_held,
         "available": s.available}
        for s in qs[start:end]
    ]  # fmt: skip
    return {"count": qs.count(), "items": items}


class MovementOut(Schema):
    id: int
    kind: str
    sku: str
    location: str
    quantity: int
    reason: str
    reference: str
    actor: str
    created_at: datetime


def _movement_out(m: Movement) -> dict:
    return {"id": m.pk, "kind": m.kind, "sku": m.variant.sku, "location": m.location.code, "quantity": m.quantity,
            "reason": m.reason, "reference": m.reference, "actor": m.actor_label, "created_at": m.created_at}  # fmt: skip


@router.get("/boutiques/{slug}/movements", response={200: list[MovementOut], **ERRORS}, auth=AUTH)
def movements(request, slug: SLUG, location: QUERY_CODE = None, sku: QUERY_SKU = None, page: PAGE = 1,
              page_size: PAGE_SIZE = 100):  # fmt: skip
    actor = request_actor(request, slug)
    start, end = page_bounds(page, page_size)
    qs = movement_list(
        actor=actor,
        location=access_location(actor, location) if location else None,
        variant=access_variant(actor, sku) if sku else None,
    )
    return [_movement_out(m) for m in qs[start:end]]


class ReceiptIn(Input):
    location: str = Field(pattern=LOCATION)
    sku: str = Field(pattern=SKU)
    quantity: Num(ge=1, le=100_000)
    reason: Text(200) = ""
    reference: Text(80) = ""


class AdjustmentIn(Input):
    location: str = Field(pattern=LOCATION)
    sku: str = Field(pattern=SKU)
    delta: Num(ge=-100_000, le=100_000, json_schema_extra={"not": {"const": 0}}, description="Never 0")
    reason: Text(200, min_length=1)


@router.post("/boutiques/{slug}/stock/receipts", response={201: MovementOut, **ERRORS}, auth=AUTH)
def receipt(request, slug: SLUG, payload: ReceiptIn):
    actor = request_actor(request, slug)
    movement = services.stock_receive(
        actor=actor, location=access_location(actor, payload.location), variant=access_variant(actor, payload.sku),
        quantity=payload.quantity, reason=payload.reason, reference=payload.reference,
    )  # fmt: skip
    return Status(201, _movement_out(movement))


@router.post("/boutiques/{slug}/stock/adjustments", response={201: MovementOut, **ERRORS}, auth=AUTH)
def adjustment(request, slug: SLUG, payload: AdjustmentIn):
    actor = request_actor(request, slug)
    movement = services.stock_adjust(
        actor=actor, location=access_location(actor, payload.location), variant=access_variant(actor, payload.sku),
        delta=payload.delta, reason=payload.reason,
    )  # fmt: skip
    return Status(201, _movement_out(movement))


class HoldOut(Schema):
    id: int
    sku: str
    product: str
    location: str
    kind: str
    quantity: int
    status: str
    client_name: str
    client_contact: str
    note: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None


def _hold_out(h: Hold) -> dict:
    return {"id": h.pk, "sku": h.variant.sku, "product": h.variant.product.title, "location": h.location.code,
            "kind": h.kind, "quantity": h.quantity, "status": h.status, "client_name": h.client_name,
            "client_contact": h.client_contact, "note": h.note, "created_by": h.created_by_label,
            "created_at": h.created_at, "expires_at": h.expires_at}  # fmt: skip


class HoldIn(Input):
    location: str = Field(pattern=LOCATION)
    sku: str = Field(pattern=SKU)
    quantity: Num(ge=1, le=1000) = 1
    kind: HoldKind = "client"
    client_name: Text(120) = ""
    client_contact: Text(120) = ""
    note: Text(500) = ""
    expires_at: Moment | None = None
    ttl_minutes: Num(ge=1, le=30 * 1440) | None = None


class ExtendIn(Input):
    expires_at: Moment | None = None
    ttl_minutes: Num(ge=1, le=30 * 1440) | None = None


@router.get("/boutiques/{slug}/holds", response={200: list[HoldOut], **ERRORS}, auth=AUTH)
def holds(request, slug: SLUG, status: HoldStatusFilter = "active", location: QUERY_CODE = None,
          sku: QUERY_SKU = None, client: query_text(120) = None, page: PAGE = 1,
          page_size: PAGE_SIZE = 100):  # fmt: skip
    actor = request_actor(request, slug)
    start, end = page_bounds(page, page_size)
    qs = hold_list(
        actor=actor, status=None if status == "all" else status,
        location=access_location(actor, location) if location else None,
        variant=access_variant(actor, sku) if sku else None, client=client,
    )  # fmt: skip
    return [_hold_out(h) for h in qs[start:end]]


@router.post("/boutiques/{slug}/holds", response={201: HoldOut, **ERRORS}, auth=AUTH)
def hold_place(request, slug: SLUG, payload: HoldIn):
    """Put units aside (409 `insufficient_stock` when they are not available)."""
    actor = request_actor(request, slug)
    hold = services.hold_place(
        actor=actor, location=access_location(actor, payload.location), variant=access_variant(actor, payload.sku),
        quantity=payload.quantity, kind=payload.kind, client_name=payload.client_name,
        client_contact=payload.client_contact, note=payload.note, expires_at=payload.expires_at,
        ttl_minutes=payload.ttl_minutes,
    )  # fmt: skip
    return Status(201, _hold_out(access_hold(actor, hold.pk)))


@router.get("/boutiques/{slug}/holds/{hold_id}", response={200: HoldOut, **ERRORS}, auth=AUTH)
def hold_detail(request, slug: SLUG, hold_id: ID):
    actor = request_actor(request, slug)
    return _hold_out(access_hold(actor, hold_id))


@router.post("/boutiques/{slug}/holds/{hold_id}/extend", response={200: HoldOut, **ERRORS}, auth=AUTH)
def hold_extend(request, slug: SLUG, hold_id: ID, payload: ExtendIn):
    actor = request_actor(request, slug)
    hold = services.hold_extend(
        actor=actor, hold=access_hold(actor, hold_id), expires_at=payload.expires_at, ttl_minutes=payload.ttl_minutes
    )
    return _hold_out(access_hold(actor, hold.pk))


@router.post("/boutiques/{slug}/holds/{hold_id}/release", response={200: HoldOut, **ERRORS}, auth=AUTH)
def hold_release(request, slug: SLUG, hold_id: ID):
    actor = request_actor(request, slug)
    hold = services.hold_release(actor=actor, hold=access_hold(actor, hold_id))
    return _hold_out(access_hold(actor, hold.pk))


class TransferLineIn(Input):
    sku: str = Field(pattern=SKU)
    quantity: Num(ge=1, le=100_000)


class TransferIn(Input):
    source: str = Field(pattern=LOCATION)
    destination: str = Field(pattern=LOCATION)
    lines: list[TransferLineIn] = Field(min_length=1, max_length=500)
    note: Text(200) = ""


class TransferLineOut(Schema):
    sku: str
    quantity: int
    received_quantity: int


class TransferOut(Schema):
    id: int
    source: str
    destination: str
    status: str
    note: str
    shipped_at: datetime
    received_at: datetime | None
    lines: list[TransferLineOut]


def _transfer_out(t) -> dict:
    return {"id": t.pk, "source": t.source.code, "destination": t.destination.code, "status": t.status,
            "note": t.note, "shipped_at": t.shipped_at, "received_at": t.received_at,
            "lines": [{"sku": line.variant.sku, "quantity": line.quantity, "received_quantity": line.received_quantity}
                      for line in t.lines.all()]}  # fmt: skip


class ReceiveIn(Input):
    lines: list[TransferLineIn] | None = Field(None, max_length=500, description="Omit when all arrived")


@router.post("/boutiques/{slug}/transfers", response={201: TransferOut, **ERRORS}, auth=AUTH)
def transfer_create(request, slug: SLUG, payload: TransferIn):
    actor = request_actor(request, slug)
    transfer = services.transfer_create(
        actor=actor, source=access_location(actor, payload.source),
        destination=access_location(actor, payload.destination),
        lines=[(access_variant(actor, line.sku), line.quantity) for line in payload.lines], note=payload.note,
    )  # fmt: skip
    return Status(201, _transfer_out(access_transfer(actor, transfer.pk)))


@router.get("/boutiques/{slug}/transfers/{transfer_id}", response={200: TransferOut, **ERRORS}, auth=AUTH)
def transfer_detail(request, slug: SLUG, transfer_id: ID):
    actor = request_actor(request, slug)
    return _transfer_out(access_transfer(actor, transfer_id))


@router.post("/boutiques/{slug}/transfers/{transfer_id}/receive", response={200: TransferOut, **ERRORS}, auth=AUTH)
def transfer_receive(request, slug: SLUG, transfer_id: ID, payload: ReceiveIn):
    actor = request_actor(request, slug)
    transfer = access_transfer(actor, transfer_id)
    received = None
    if payload.lines is not None:
        received = {}
        for line in payload.lines:
            variant = access_variant(actor, line.sku)
            received[variant.pk] = received.get(variant.pk, 0) + line.quantity
    services.transfer_receive(actor=actor, transfer=transfer, received=received)
    return _transfer_out(access_transfer(actor, transfer_id))


class CountLineIn(Input):
    sku: str = Field(pattern=SKU)
    counted: Num(ge=0, le=100_000)


class CountIn(Input):
    location: str = Field(pattern=LOCATION)
    lines: list[CountLineIn] = Field(min_length=1, max_length=5000)
    note: Text(200) = ""


class CountLineOut(Schema):
    sku: str
    expected: int
    counted: int
    difference: int


class CountOut(Schema):
    id: int
    location: str
    lines: list[CountLineOut]


@router.post("/boutiques/{slug}/counts", response={201: CountOut, **ERRORS}, auth=AUTH)
def count_apply(request, slug: SLUG, payload: CountIn):
    """A cycle count: differences are booked as `count` movements."""
    actor = request_actor(request, slug)
    location = access_location(actor, payload.location)
    count = services.count_apply(
        actor=actor, location=location,
        counts=[(access_variant(actor, line.sku), line.counted) for line in payload.lines], note=payload.note,
    )  # fmt: skip
    lines = [{"sku": line.variant.sku, "expected": line.expected, "counted": line.counted, "difference": line.difference}
             for line in count.lines.select_related("variant")]  # fmt: skip
    return Status(201, {"id": count.pk, "location": location.code, "lines": lines})
