"""API for carts, checkout, orders, campaigns and personal codes: every channel calls these."""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictBool

from omnipresence.catalog.selectors import access_variant
from omnipresence.core.api import AUTH, ERRORS, ID, PAGE, SLUG, Input, Moment, Num, Text, request_actor
from omnipresence.core.pagination import MAX_PAGE_SIZE, page_bounds
from omnipresence.inventory.selectors import access_hold
from omnipresence.orders import services
from omnipresence.orders.models import Campaign, Cart, Code, Order
from omnipresence.orders.pricing import PriceBreakdown
from omnipresence.orders.selectors import (
    access_associate,
    access_campaign,
    access_cart,
    access_order,
    campaign_list,
    order_list,
    shipping_rules,
)
from omnipresence.stores.selectors import access_location

router = Router(tags=["orders"])

PAGE_SIZE = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
ChannelName = Literal["web", "shop", "phone", "chat", "social", "live", "appointment"]
SourceKindName = Literal["", "associate", "conversation", "appointment", "live_event", "hold", "share_link"]
FulfilmentName = Literal["ship", "pickup", "ship_from"]
LOCATION = r"^[A-Za-z0-9_-]{1,40}$"
SKU = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"
COUPON = r"^[A-Za-z0-9_-]{1,40}$"


class AttributionOut(Schema):
    channel: str
    associate: str | None
    source_kind: str
    source_ref: str
    client_name: str
    client_email: str
    client_phone: str
    client_ref: str
    shipping_country: str


def _attribution(obj: Cart | Order) -> dict:
    return {
        "channel": obj.channel, "associate": obj.associate.get_username() if obj.associate_id else None,
        "source_kind": obj.source_kind, "source_ref": obj.source_ref, "client_name": obj.client_name,
        "client_email": obj.client_email, "client_phone": obj.client_phone, "client_ref": obj.client_ref,
        "shipping_country": obj.shipping_country,
    }  # fmt: skip


class CartLineOut(Schema):
    id: int
    sku: str
    title: str
    quantity: int
    fulfilment: str
    location: str | None
    unit_price: int


class CartOut(AttributionOut):
    id: int
    status: str
    currency: str
    code: str
    lines: list[CartLineOut]


def _cart_out(cart: Cart) -> dict:
    return {
        **_attribution(cart), "id": cart.pk, "status": cart.status, "currency": cart.currency, "code": cart.code,
        "lines": [
            {"id": line.pk, "sku": line.variant.sku, "title": line.variant.product.title, "quantity": line.quantity,
             "fulfilment": line.fulfilment, "location": line.location.code if line.location_id else None,
             "unit_price": line.variant.price}
            for line in cart.lines.all()
        ],
    }  # fmt: skip


class ProblemOut(Schema):
    code: str
    message: str


class LinePriceOut(Schema):
    line_id: int
    unit_price: int
    quantity: int
    subtotal: int
    discount: int
    tax: int
    total: int


class PromotionOut(Schema):
    id: int
    name: str
    kind: str
    code: str
    amount: int


class PriceOut(Schema):
    currency: str
    lines: list[LinePriceOut]
    subtotal: int
    discount: int
    shipping: int
    shipping_discount: int
    tax: int
    total: int
    promotions: list[PromotionOut]
    coupon_problem: ProblemOut | None
    shipping_problem: ProblemOut | None


def _price_out(b: PriceBreakdown) -> dict:
    def problem(p):
        return {"code": p.code, "message": p.message} if p else None

    return {
        "currency": b.currency, "subtotal": b.subtotal, "discount": b.discount, "shipping": b.shipping,
        "shipping_discount": b.shipping_discount, "tax": b.tax, "total": b.total,
        "lines": [{"line_id": int(x.key), "unit_price": x.unit_price, "quantity": x.quantity, "subtotal": x.subtotal,
                   "discount": x.discount, "tax": x.tax, "total": x.total} for x in b.lines],
        "promotions": [vars(p) for p in b.promotions],
        "coupon_problem": problem(b.coupon_problem), "shipping_problem": problem(b.shipping_problem),
    }  # fmt: skip


class AllocationOut(Schema):
    location: str
    quantity: int
    hold_id: int
    hold_status: str


class OrderLineOut(Schema):
    id: int
    sku: str
    title: str
    variant_label: str
    quantity: int
    fulfilment: str
    location: str | None
    unit_price: int
    discount: int
    tax: int
    total: int
    allocations: list[AllocationOut]


class OrderOut(AttributionOut):
    id: int
    cart_id: int | None
    status: str
    currency: str
    prices_include_tax: bool
    subtotal: int
    discount: int
    shipping: int
    tax: int
    total: int
    code: str
    promotions: list[PromotionOut]
    payment_status: str
    amount_paid: int
    amount_refunded: int
    balance: int
    payment_due_at: datetime | None
    created_by: str
    created_at: datetime
    cancelled_at: datetime | None
    lines: list[OrderLineOut]


def _order_out(order: Order) -> dict:
    return {
        **_attribution(order), "id": order.pk, "cart_id": order.cart_id, "status": order.status,
        "currency": order.currency, "prices_include_tax": order.prices_include_tax, "subtotal": order.subtotal,
        "discount": order.discount, "shipping": order.shipping, "tax": order.tax, "total": order.total,
        "code": order.code, "promotions": order.promotions, "payment_status": order.payment_status,
        "amount_paid": order.amount_paid, "amount_refunded": order.amount_refunded, "balance": order.balance,
        "payment_due_at": order.payment_due_at, "created_by": order.created_by_label,
        "created_at": order.created_at, "cancelled_at": order.cancelled_at,
        "lines": [
            {"id": line.pk, "sku": line.sku, "title": line.title, "variant_label": line.variant_label,
             "quantity": line.quantity, "fulfilment": line.fulfilment,
             "location": line.location.code if line.location_id else None, "unit_price": line.unit_price,
             "discount": line.discount, "tax": line.tax, "total": line.total,
             "allocations": [{"location": a.location.code, "quantity": a.quantity, "hold_id": a.hold_id,
                              "hold_status": a.hold.status} for a in line.allocations.all()]}
            for line in order.lines.all()
        ],
    }  # fmt: skip


class CartIn(Input):
    channel: ChannelName = "web"
    client_name: Text(120) = ""
    client_email: Text(254) = ""
    client_phone: Text(20) = ""
    associate: Text(150) = Field("", description="Username of the associate credited; empty: nobody")
    source_kind: SourceKindName = ""
    source_ref: Text(120) = ""
    shipping_country: str = Field("", pattern=r"^([A-Za-z]{2})?$")
    shipping_address: Text(500) = ""


class LineIn(Input):
    sku: str = Field(pattern=SKU)
    quantity: Num(ge=0, le=1000)
    fulfilment: FulfilmentName = "ship"
    location: str | None = Field(None, pattern=LOCATION, description="Pickup shop or shipping location")


class CodeIn(Input):
    code: str = Field(pattern=COUPON)


class CheckoutIn(Input):
    idempotency_key: str = Field("", pattern=r"^[A-Za-z0-9_.:-]{0,80}$")
    shelf_override: StrictBool = Field(
        False, description="A manager confirms short shop lines are on the shelf: recorded as a count adjustment"
    )


@router.post("/boutiques/{slug}/carts", response={201: CartOut, **ERRORS}, auth=AUTH)
def cart_create(request, slug: SLUG, payload: CartIn):
    actor = request_actor(request, slug)
    associate = None
    if payload.associate:
        associate = access_associate(actor, payload.associate)
    cart = services.cart_create(
        actor=actor, channel=payload.channel, client_name=payload.client_name, client_email=payload.client_email,
        client_phone=payload.client_phone, associate=associate, source_kind=payload.source_kind,
        source_ref=payload.source_ref, shipping_country=payload.shipping_country,
        shipping_address=payload.shipping_address,
    )  # fmt: skip
    return Status(201, _cart_out(access_cart(actor, cart.pk)))


@router.get("/boutiques/{slug}/carts/{cart_id}", response={200: CartOut, **ERRORS}, auth=AUTH)
def cart_detail(request, slug: SLUG, cart_id: ID):
    actor = request_actor(request, slug)
    return _cart_out(access_cart(actor, cart_id))


class CartPatchIn(Input):
    channel: ChannelName | None = None
    client_name: Text(120) | None = None
    client_email: Text(254) | None = None
    client_phone: Text(20) | None = None
    associate: Text(150) | None = Field(None, description="Username; empty: nobody")
    source_kind: SourceKindName | None = None
    source_ref: Text(120) | None = None
    shipping_country: str | None = Field(None, pattern=r"^[A-Za-z]{2}$")
    shipping_address: Text(500) | None = None
    shipping_latitude: float | None = Field(None, ge=-90, le=90, description="For the nearest-location rule")
    shipping_longitude: float | None = Field(None, ge=-180, le=180)


@router.patch("/boutiques/{slug}/carts/{cart_id}", response={200: CartOut, **ERRORS}, auth=AUTH)
def cart_update(request, slug: SLUG, cart_id: ID, payload: CartPatchIn):
    """Change the client, attribution or destination of an open cart; only the fields sent change."""
    actor = request_actor(request, slug)
    cart = access_cart(actor, cart_id)
    changes = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    if "associate" in changes:
        changes["associate"] = access_associate(actor, changes["associate"]) if changes["associate"] else None
    return _cart_out(services.cart_update(actor=actor, cart=cart, **changes))


@router.put("/boutiques/{slug}/carts/{cart_id}/lines", response={200: CartOut, **ERRORS}, auth=AUTH)
def cart_line_set(request, slug: SLUG, cart_id: ID, payload: LineIn):
    """Set one line's quantity (0 removes it); a line is (SKU, fulfilment, location)."""
    actor = request_actor(request, slug)
    cart = access_cart(actor, cart_id)
    cart = services.cart_line_set(
        actor=actor, cart=cart, variant=access_variant(actor, payload.sku), quantity=payload.quantity,
        fulfilment=payload.fulfilment, location=access_location(actor, payload.location) if payload.location else None,
    )  # fmt: skip
    return _cart_out(cart)


@router.put("/boutiques/{slug}/carts/{cart_id}/code", response={200: CartOut, **ERRORS}, auth=AUTH)
def cart_code_apply(request, slug: SLUG, cart_id: ID, payload: CodeIn):
    """Apply a coupon code; refused with its reason (`coupon_expired`, `coupon_wrong_channel`, …)."""
    actor = request_actor(request, slug)
    return _cart_out(
        services.cart_code_apply(actor=actor, cart=access_cart(actor, cart_id), code=payload.code)
    )


@router.delete("/boutiques/{slug}/carts/{cart_id}/code", response={200: CartOut, **ERRORS}, auth=AUTH)
def cart_code_remove(request, slug: SLUG, cart_id: ID):
    actor = request_actor(request, slug)
    return _cart_out(services.cart_code_remove(actor=actor, cart=access_cart(actor, cart_id)))


@router.get("/boutiques/{slug}/carts/{cart_id}/price", response={200: PriceOut, **ERRORS}, auth=AUTH)
def cart_price(request, slug: SLUG, cart_id: ID):
    """What the cart costs now, line by line: the same function in every channel."""
    actor = request_actor(request, slug)
    return _price_out(services.cart_price(actor=actor, cart=access_cart(actor, cart_id)))


class CartHoldIn(Input):
    hold_id: Num(ge=1, le=2**62)


class FromHoldsIn(Input):
    hold_ids: list[Num(ge=1, le=2**62)] = Field(min_length=1, max_length=50)
    channel: ChannelName = "shop"
    client_email: Text(254) = ""
    idempotency_key: str = Field("", pattern=r"^[A-Za-z0-9_.:-]{0,80}$")


@router.post("/boutiques/{slug}/carts/{cart_id}/holds", response={200: CartOut, **ERRORS}, auth=AUTH)
def cart_hold_add(request, slug: SLUG, cart_id: ID, payload: CartHoldIn):
    """Put a client's held units in her cart; checkout turns the hold into the order's allocation."""
    actor = request_actor(request, slug)
    cart = services.cart_hold_add(actor=actor, cart=access_cart(actor, cart_id), hold=access_hold(actor, payload.hold_id))
    return _cart_out(cart)


@router.post("/boutiques/{slug}/orders/from-holds", response={201: OrderOut, **ERRORS}, auth=AUTH)
def order_from_holds(request, slug: SLUG, payload: FromHoldsIn):
    """A client's holds become her order without the units ever going back on sale."""
    actor = request_actor(request, slug)
    order = services.order_from_holds(
        actor=actor, holds=[access_hold(actor, hold_id) for hold_id in payload.hold_ids], channel=payload.channel,
        client_email=payload.client_email, idempotency_key=payload.idempotency_key or None,
    )  # fmt: skip
    return Status(201, _order_out(order))


@router.post("/boutiques/{slug}/carts/{cart_id}/checkout", response={201: OrderOut, **ERRORS}, auth=AUTH)
def cart_checkout(request, slug: SLUG, cart_id: ID, payload: CheckoutIn):
    """Place the order: allocation holds for every line or none (409 `insufficient_stock` lists the
    short lines). Repeating it returns the same order."""
    actor = request_actor(request, slug)
    order = services.cart_checkout(
        actor=actor, cart=access_cart(actor, cart_id), idempotency_key=payload.idempotency_key or None,
        shelf_override=payload.shelf_override,
    )
    return Status(201, _order_out(order))


@router.get("/boutiques/{slug}/orders", response={200: list[OrderOut], **ERRORS}, auth=AUTH)
def orders(request, slug: SLUG, channel: ChannelName | None = None,
           status: Literal["placed", "cancelled"] | None = None, page: PAGE = 1,
           page_size: PAGE_SIZE = 50):  # fmt: skip
    actor = request_actor(request, slug)
    start, end = page_bounds(page, page_size)
    return [_order_out(o) for o in order_list(actor=actor, channel=channel, status=status)[start:end]]


@router.get("/boutiques/{slug}/orders/{order_id}", response={200: OrderOut, **ERRORS}, auth=AUTH)
def order_detail(request, slug: SLUG, order_id: ID):
    actor = request_actor(request, slug)
    return _order_out(access_order(actor, order_id))


@router.post("/boutiques/{slug}/orders/{order_id}/cancel", response={200: OrderOut, **ERRORS}, auth=AUTH)
def order_cancel(request, slug: SLUG, order_id: ID):
    """Cancel: the allocation holds are released and coupon uses given back."""
    actor = request_actor(request, slug)
    return _order_out(services.order_cancel(actor=actor, order=access_order(actor, order_id)))


class CampaignOut(Schema):
    id: int
    name: str
    kind: str
    value: int
    currency: str
    min_spend: int
    starts_at: datetime | None
    ends_at: datetime | None
    channels: list[str]
    category_paths: list[str]
    product_ids: list[int]
    automatic: bool
    per_client_limit: int | None
    usage_limit: int | None
    used: int
    is_active: bool
    codes: list[str]


def _campaign_out(c: Campaign) -> dict:
    return {
        "id": c.pk, "name": c.name, "kind": c.kind, "value": c.value, "currency": c.currency,
        "min_spend": c.min_spend, "starts_at": c.starts_at, "ends_at": c.ends_at, "channels": c.channels,
        "category_paths": c.category_paths, "product_ids": c.product_ids, "automatic": c.automatic,
        "per_client_limit": c.per_client_limit, "usage_limit": c.usage_limit, "used": c.used,
        "is_active": c.is_active, "codes": [code.code for code in c.codes.all() if code.kind == Code.Kind.SHARED],
    }  # fmt: skip


class CampaignIn(Input):
    name: Text(120, min_length=1)
    kind: Literal["percentage", "fixed", "free_shipping"]
    value: Num(ge=0, le=10**11) = Field(
        0, description="Percentage: basis points (1000 = 10%); fixed: minor units"
    )
    min_spend: Num(ge=0, le=10**11) = 0
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    channels: list[ChannelName] = Field(
        default_factory=list, max_length=7, description="Empty: every channel"
    )
    category_paths: list[Text(200, min_length=1)] = Field(default_factory=list, max_length=50)
    product_ids: list[Num(ge=1, le=2**62)] = Field(default_factory=list, max_length=500)
    automatic: StrictBool = False
    per_client_limit: Num(ge=1, le=1000) | None = None
    usage_limit: Num(ge=1, le=10**9) | None = None
    code: str = Field("", pattern=r"^([A-Za-z0-9_-]{3,40})?$", description="A shared code; empty: none")
    code_usage_limit: Num(ge=1, le=10**9) | None = None


class CodeIssueIn(Input):
    client: Text(254, min_length=1) = Field(description="The client's email or E.164 phone")


class CodeOut(Schema):
    code: str
    kind: str
    campaign_id: int
    client_ref: str
    usage_limit: int | None
    used: int


@router.get("/boutiques/{slug}/campaigns", response={200: list[CampaignOut], **ERRORS}, auth=AUTH)
def campaigns(request, slug: SLUG, page: PAGE = 1, page_size: PAGE_SIZE = 50):
    actor = request_actor(request, slug)
    start, end = page_bounds(page, page_size)
    return [_campaign_out(c) for c in campaign_list(actor=actor)[start:end]]


@router.post("/boutiques/{slug}/campaigns", response={201: CampaignOut, **ERRORS}, auth=AUTH)
def campaign_create(request, slug: SLUG, payload: CampaignIn):
    actor = request_actor(request, slug)
    campaign = services.campaign_create(actor=actor, **payload.model_dump())
    return Status(201, _campaign_out(campaign))


@router.post("/boutiques/{slug}/campaigns/{campaign_id}/codes", response={201: CodeOut, **ERRORS}, auth=AUTH)
def code_issue(request, slug: SLUG, campaign_id: ID, payload: CodeIssueIn):
    """Issue a single-use personal code to one client (shown once here; share it with her)."""
    actor = request_actor(request, slug)
    code = services.code_issue(
        actor=actor, campaign=access_campaign(actor, campaign_id), client_ref=payload.client
    )
    return Status(201, {"code": code.code, "kind": code.kind, "campaign_id": code.campaign_id,
                        "client_ref": code.client_ref, "usage_limit": code.usage_limit, "used": code.used})  # fmt: skip


class ShippingRuleOut(Schema):
    id: int
    name: str
    countries: list[str]
    price: int
    free_above: int | None
    weight_brackets: list[list[int]]


class ShippingRuleIn(Input):
    name: Text(80, min_length=1)
    countries: list[str] = Field(min_length=1, max_length=250, description='ISO 3166-1 alpha-2 codes; "*" = the rest')
    price: Num(ge=0, le=10**11)
    free_above: Num(ge=0, le=10**11) | None = None
    weight_brackets: list[tuple[Num(ge=1, le=10**7), Num(ge=0, le=10**11)]] = Field(default_factory=list, max_length=20)


def _rule_out(rule) -> dict:
    return {
        "id": rule.pk, "name": rule.name, "countries": rule.countries, "price": rule.price,
        "free_above": rule.free_above, "weight_brackets": [list(b) for b in rule.weight_brackets],
    }  # fmt: skip


@router.get("/boutiques/{slug}/shipping-rules", response={200: list[ShippingRuleOut], **ERRORS}, auth=AUTH)
def shipping_rule_list(request, slug: SLUG):
    """The shipping zones, the same in every channel."""
    actor = request_actor(request, slug)
    actor.require("catalog.view")
    return [_rule_out(rule) for rule in shipping_rules(boutique=actor.boutique)]


@router.post("/boutiques/{slug}/shipping-rules", response={201: ShippingRuleOut, **ERRORS}, auth=AUTH)
def shipping_rule_create(request, slug: SLUG, payload: ShippingRuleIn):
    """A zone: a flat price, free above a shipped subtotal, or by weight brackets (managers)."""
    actor = request_actor(request, slug)
    rule = services.shipping_rule_create(
        actor=actor, name=payload.name, countries=payload.countries, price=payload.price,
        free_above=payload.free_above, weight_brackets=[tuple(b) for b in payload.weight_brackets],
    )  # fmt: skip
    return Status(201, _rule_out(rule))
