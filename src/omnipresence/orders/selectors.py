"""Reads for carts, orders and promotions. Accessors turn a user-supplied id or code into an
object of the actor's boutique (another boutique's is simply not found)."""

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from omnipresence.core.errors import NotFound
from omnipresence.inventory.models import Hold
from omnipresence.orders.models import (
    Campaign,
    Cart,
    CartLine,
    Code,
    Order,
    OrderAllocation,
    OrderLine,
    Redemption,
    ShippingRule,
)
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Boutique, StaffMember

SELL = "inventory.hold"  # associates selling and checking out (no orders.* permissions yet)


def cart_queryset(*, boutique: Boutique) -> QuerySet[Cart]:
    return Cart.objects.filter(boutique=boutique).prefetch_related(
        Prefetch(
            "lines",
            queryset=CartLine.objects.select_related("variant__product__category", "location").order_by("id"),
        )
    )


def access_cart(actor: Actor, cart_id: int) -> Cart:
    actor.require(SELL)
    cart = cart_queryset(boutique=actor.boutique).filter(pk=cart_id).first()
    if cart is None:
        raise NotFound(f"No cart {cart_id}.", code="cart_not_found")
    return cart


def order_queryset(*, boutique: Boutique) -> QuerySet[Order]:
    return (
        Order.objects.filter(boutique=boutique)
        .select_related("associate")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.select_related("location").prefetch_related(
                    Prefetch(
                        "allocations", queryset=OrderAllocation.objects.select_related("location", "hold")
                    )
                ),
            )
        )
    )


def access_order(actor: Actor, order_id: int) -> Order:
    actor.require(SELL)
    order = order_queryset(boutique=actor.boutique).filter(pk=order_id).first()
    if order is None:
        raise NotFound(f"No order {order_id}.", code="order_not_found")
    return order


def order_list(
    *, actor: Actor, channel: str | None = None, status: str | None = None, associate_id: int | None = None
) -> QuerySet[Order]:
    actor.require(SELL)
    qs = order_queryset(boutique=actor.boutique)
    if channel:
        qs = qs.filter(channel=channel)
    if status:
        qs = qs.filter(status=status)
    if associate_id:
        qs = qs.filter(associate_id=associate_id)
    return qs


def access_campaign(actor: Actor, campaign_id: int) -> Campaign:
    actor.require("catalog.view")
    campaign = Campaign.objects.filter(boutique=actor.boutique, pk=campaign_id).first()
    if campaign is None:
        raise NotFound(f"No campaign {campaign_id}.", code="campaign_not_found")
    return campaign


def campaign_list(*, actor: Actor) -> QuerySet[Campaign]:
    actor.require("catalog.view")
    return Campaign.objects.filter(boutique=actor.boutique).prefetch_related(
        Prefetch("codes", queryset=Code.objects.filter(kind=Code.Kind.SHARED))
    )


def code_find(*, boutique: Boutique, code: str) -> Code | None:
    return (
        Code.objects.select_related("campaign").filter(boutique=boutique, code=code.strip().upper()).first()
    )


def automatic_campaigns(*, boutique: Boutique, client_ref: str = "", now=None) -> list[Campaign]:
    """Automatic campaigns live now, not used up, and usable by this client (one with a per-client
    limit needs a known client under it). The counters are re-checked at checkout."""
    now = now or timezone.now()
    live = [
        c
        for c in Campaign.objects.filter(boutique=boutique, automatic=True, is_active=True).order_by("pk")
        if (c.starts_at is None or c.starts_at <= now)
        and (c.ends_at is None or c.ends_at > now)
        and (c.usage_limit is None or c.used < c.usage_limit)
    ]
    limited = [c.pk for c in live if c.per_client_limit]
    if not limited:
        return live
    uses = dict(
        Redemption.objects.filter(
            campaign_id__in=limited, client_ref=client_ref, status=Redemption.Status.REDEEMED
        )
        .values("campaign_id")
        .annotate(n=Count("pk"))
        .values_list("campaign_id", "n")
    )
    return [
        c for c in live if not c.per_client_limit or (client_ref and uses.get(c.pk, 0) < c.per_client_limit)
    ]


def shipping_rules(*, boutique: Boutique) -> list[ShippingRule]:
    return list(ShippingRule.objects.filter(boutique=boutique, is_active=True).order_by("pk"))


def access_associate(actor: Actor, username: str):
    """A user on the actor's boutique staff, by username (to credit a sale to)."""
    member = (
        StaffMember.objects.select_related("user")
        .filter(boutique=actor.boutique, is_active=True, user__username=username)
        .first()
    )
    if member is None:
        raise NotFound(f"No associate '{username[:150]}' in this boutique.", code="associate_not_found")
    return member.user


def order_handed_over(order: Order) -> bool:
    """Whether any of the order's units have left (a consumed allocation hold): then it cannot be
    cancelled, only returned."""
    return Hold.objects.filter(
        pk__in=OrderAllocation.objects.filter(line__order=order).values("hold_id"), status=Hold.Status.CONSUMED
    ).exists()


def personal_codes_issued(*, actor: Actor, mine: bool = True, limit: int = 50) -> list[Code]:
    """Personal single-use codes issued in this boutique (by this associate, unless mine=False)."""
    actor.require(SELL)
    qs = Code.objects.filter(boutique=actor.boutique, kind=Code.Kind.PERSONAL).select_related("campaign", "issued_by")
    if mine:
        qs = qs.filter(issued_by_id=actor.user_id)
    return list(qs.order_by("-created_at", "-pk")[:limit])


def campaigns_for_personal_codes(*, actor: Actor) -> list[Campaign]:
    """Live code-based campaigns an associate may give a client a personal code of."""
    actor.require(SELL)
    now = timezone.now()
    return [
        c
        for c in Campaign.objects.filter(boutique=actor.boutique, automatic=False, is_active=True).order_by("name")
        if (c.ends_at is None or c.ends_at > now) and (c.usage_limit is None or c.used < c.usage_limit)
    ]


def clients_seen(*, actor: Actor, query: str, limit: int = 8) -> list[dict]:
    """Clients who bought here before, by name, email or phone (the till's "find the client" until
    client records exist): their details as last given, how many orders, the last one's date."""
    from django.db.models import Max, Q

    actor.require(SELL)
    query = (query or "").strip()[:120]
    if len(query) < 2:
        return []
    digits = "".join(ch for ch in query if ch.isdigit())
    match = Q(client_name__icontains=query) | Q(client_email__icontains=query)
    if len(digits) >= 4:
        match |= Q(client_phone__contains=digits)
    rows = (
        Order.objects.filter(match, boutique=actor.boutique)
        .exclude(client_name="", client_email="", client_phone="")
        .values("client_name", "client_email", "client_phone")
        .annotate(orders=Count("pk"), last=Max("created_at"))
        .order_by("-last")[:limit]
    )
    return list(rows)
