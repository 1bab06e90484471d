"""API for the fulfilment queue: list and read fulfilments, and move them forward (pick, pack, ready,
ship, collect). Path parameters name the kind a step applies to: `{pickup_id}` for ready and
collect, `{delivery_id}` for ship, `{fulfilment_id}` for any."""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Query, Router, Schema
from pydantic import StrictBool

from omnipresence.core.api import AUTH, ERRORS, ID, PAGE, SLUG, Input, Text, request_actor
from omnipresence.core.pagination import MAX_PAGE_SIZE, page_bounds
from omnipresence.fulfilment import services
from omnipresence.fulfilment.codes import code_display
from omnipresence.fulfilment.models import Fulfilment
from omnipresence.fulfilment.selectors import access_fulfilment, fulfilment_queue
from omnipresence.fulfilment.services import MAX_CODE_ATTEMPTS
from omnipresence.stores.selectors import access_location

router = Router(tags=["fulfilment"])

PAGE_SIZE = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
QUERY_LOCATION = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,40}$", description="Location code")]
StatusName = Literal["to_pick", "picked", "packed", "ready", "collected", "shipped", "cancelled", "released"]


class FulfilmentLineOut(Schema):
    order_line_id: int
    sku: str
    title: str
    variant_label: str
    quantity: int
    hold_id: int
    hold_status: str


class FulfilmentOut(Schema):
    id: int
    order_id: int
    method: str
    status: str
    location: str
    location_name: str
    client_name: str
    client_email: str
    client_phone: str
    order_status: str
    payment_status: str
    lines: list[FulfilmentLineOut]
    created_at: datetime
    picked_at: datetime | None
    picked_by: str
    packed_at: datetime | None
    packed_by: str
    ready_at: datetime | None
    ready_by: str
    shipped_at: datetime | None
    shipped_by: str
    collected_at: datetime | None
    collected_by: str
    collected_via: str
    cancelled_at: datetime | None
    released_at: datetime | None
    carrier: str
    tracking_code: str
    pickup_code_attempts: int
    pickup_code_locked: bool


class FulfilmentReadyOut(FulfilmentOut):
    pickup_code: str | None = Field(
        description="ABCD-EFGH, returned once when the pickup becomes ready (null on a repeat)"
    )


def _fulfilment_out(f: Fulfilment) -> dict:
    order = f.order
    return {
        "id": f.pk, "order_id": f.order_id, "method": f.method, "status": f.status, "location": f.location.code,
        "location_name": f.location.name, "client_name": order.client_name, "client_email": order.client_email,
        "client_phone": order.client_phone, "order_status": order.status, "payment_status": order.payment_status,
        "lines": [
            {"order_line_id": line.order_line_id, "sku": line.order_line.sku, "title": line.order_line.title,
             "variant_label": line.order_line.variant_label, "quantity": line.quantity,
             "hold_id": line.allocation.hold_id, "hold_status": line.allocation.hold.status}
            for line in f.lines.all()
        ],
        "created_at": f.created_at, "picked_at": f.picked_at, "picked_by": f.picked_by_label,
        "packed_at": f.packed_at, "packed_by": f.packed_by_label, "ready_at": f.ready_at,
        "ready_by": f.ready_by_label, "shipped_at": f.shipped_at, "shipped_by": f.shipped_by_label,
        "collected_at": f.collected_at, "collected_by": f.collected_by_label, "collected_via": f.collected_via,
        "cancelled_at": f.cancelled_at, "released_at": f.released_at, "carrier": f.carrier,
        "tracking_code": f.tracking_code, "pickup_code_attempts": f.pickup_code_attempts,
        "pickup_code_locked": f.pickup_code_attempts >= MAX_CODE_ATTEMPTS,
    }  # fmt: skip


class ShipIn(Input):
    carrier: Text(60, min_length=1)
    tracking_code: Text(120) = Field("", description="Empty for a parcel without tracking")


class CollectIn(Input):
    code: Text(20) = Field(
        "", description="The client's pickup code, e.g. ABCD-EFGH (any case, dash optional)"
    )
    manager_override: StrictBool = Field(
        False, description="Hand over without the code (needs inventory.adjust); recorded"
    )


@router.get("/boutiques/{slug}/fulfilments", response={200: list[FulfilmentOut], **ERRORS}, auth=AUTH)
def fulfilments(request, slug: SLUG, location: QUERY_LOCATION = None, status: StatusName | None = None,
                page: PAGE = 1, page_size: PAGE_SIZE = 50):  # fmt: skip
    """The queue: open fulfilments (no `status`) oldest first; a finished status newest first."""
    actor = request_actor(request, slug)
    place = access_location(actor, location) if location else None
    start, end = page_bounds(page, page_size)
    return [
        _fulfilment_out(f) for f in fulfilment_queue(actor=actor, location=place, status=status)[start:end]
    ]


@router.get(
    "/boutiques/{slug}/fulfilments/{fulfilment_id}", response={200: FulfilmentOut, **ERRORS}, auth=AUTH
)
def fulfilment_detail(request, slug: SLUG, fulfilment_id: ID):
    actor = request_actor(request, slug)
    return _fulfilment_out(access_fulfilment(actor, fulfilment_id))


@router.post(
    "/boutiques/{slug}/fulfilments/{fulfilment_id}/pick", response={200: FulfilmentOut, **ERRORS}, auth=AUTH
)
def fulfilment_pick(request, slug: SLUG, fulfilment_id: ID):
    """The pieces are off the shelf. A repeat returns the fulfilment unchanged."""
    actor = request_actor(request, slug)
    fulfilment = access_fulfilment(actor, fulfilment_id)
    return _fulfilment_out(services.fulfilment_pick(actor=actor, fulfilment=fulfilment))


@router.post(
    "/boutiques/{slug}/fulfilments/{fulfilment_id}/pack", response={200: FulfilmentOut, **ERRORS}, auth=AUTH
)
def fulfilment_pack(request, slug: SLUG, fulfilment_id: ID):
    actor = request_actor(request, slug)
    fulfilment = access_fulfilment(actor, fulfilment_id)
    return _fulfilment_out(services.fulfilment_pack(actor=actor, fulfilment=fulfilment))


@router.post(
    "/boutiques/{slug}/fulfilments/{pickup_id}/ready", response={200: FulfilmentReadyOut, **ERRORS}, auth=AUTH
)
def fulfilment_ready(request, slug: SLUG, pickup_id: ID):
    """A pickup waits at the counter: the client is emailed her pickup code, which is also in this
    answer, once."""
    actor = request_actor(request, slug)
    fulfilment, code = services.fulfilment_ready(actor=actor, fulfilment=access_fulfilment(actor, pickup_id))
    return {**_fulfilment_out(fulfilment), "pickup_code": code_display(code) if code else None}


@router.post(
    "/boutiques/{slug}/fulfilments/{delivery_id}/ship", response={200: FulfilmentOut, **ERRORS}, auth=AUTH
)
def fulfilment_ship(request, slug: SLUG, delivery_id: ID, payload: ShipIn):
    """The parcel leaves: its units are sold (409 `order_unpaid` unless the order is paid in full)."""
    actor = request_actor(request, slug)
    fulfilment = access_fulfilment(actor, delivery_id)
    return _fulfilment_out(services.fulfilment_ship(
        actor=actor, fulfilment=fulfilment, carrier=payload.carrier, tracking_code=payload.tracking_code
    ))  # fmt: skip


@router.post(
    "/boutiques/{slug}/fulfilments/{pickup_id}/collect", response={200: FulfilmentOut, **ERRORS}, auth=AUTH
)
def fulfilment_collect(request, slug: SLUG, pickup_id: ID, payload: CollectIn):
    """The client takes her pickup: 409 `pickup_code_wrong` (counted), `pickup_code_locked` after
    five, `order_unpaid` unless paid in full."""
    actor = request_actor(request, slug)
    fulfilment = access_fulfilment(actor, pickup_id)
    return _fulfilment_out(services.fulfilment_collect(
        actor=actor, fulfilment=fulfilment, code=payload.code, manager_override=payload.manager_override
    ))  # fmt: skip
