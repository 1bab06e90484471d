"""Demo data for orders: shipping rules, promotions, personal codes and a few orders from several
channels, credited to associates. Everything goes through the services, like a real week."""

from django.db.models import F

from omnipresence.core.errors import DomainError
from omnipresence.inventory.models import Stock
from omnipresence.orders import services
from omnipresence.orders.models import Campaign, Order
from omnipresence.stores.access import actor_for_user, system_actor
from omnipresence.stores.models import Boutique, Location, StaffMember

# (domestic flat, free above, abroad, rest of the world) in minor units, per currency.
SHIPPING = {
    "GBP": (495, 20000, 1500, 2500),
    "EUR": (590, 25000, 1500, 2900),
    "ZAR": (9900, 300000, 35000, 60000),
}
NEIGHBOURS = {
    "GB": ["IE", "FR", "DE", "NL", "BE"],
    "FR": ["BE", "DE", "ES", "IT", "LU", "NL"],
    "ZA": ["NA", "BW", "LS", "SZ"],
}
CLIENTS = [
    ("Clarissa Dalloway", "clarissa@example.com"),
    ("Elizabeth Bennet", "lizzy@example.com"),
    ("Nomvula Khumalo", "nomvula@example.com"),
    ("Amélie Poulain", "amelie@example.com"),
]


def _stock(boutique: Boutique, location: Location, exclude: set[int]) -> Stock | None:
    return (
        Stock.objects.filter(boutique=boutique, location=location, on_hand__gte=F("held") + 2)
        .exclude(variant_id__in=exclude)
        .select_related("variant__product")
        .order_by("pk")
        .first()
    )


def seed_orders(boutique: Boutique, *, log=print) -> int:
    """Seed one boutique's promotions and a handful of orders; skipped if it has orders. Returns the
    number of orders made."""
    if Order.objects.filter(boutique=boutique).exists():
        return 0
    owner = system_actor(boutique)
    domestic, free_above, abroad, world = SHIPPING.get(boutique.currency, SHIPPING["EUR"])
    services.shipping_rule_create(actor=owner, name="Domestic", countries=[boutique.country], price=domestic,
                                  free_above=free_above)  # fmt: skip
    neighbours = [c for c in NEIGHBOURS.get(boutique.country, []) if c != boutique.country]
    if neighbours:
        services.shipping_rule_create(actor=owner, name="Neighbours", countries=neighbours, price=abroad,
                                      weight_brackets=[(1000, abroad), (5000, abroad * 2)])  # fmt: skip
    services.shipping_rule_create(actor=owner, name="Rest of the world", countries=["*"], price=world)
    services.campaign_create(actor=owner, name="Knitwear week", kind="percentage", value=1500, automatic=True,
                             category_paths=["women/knitwear", "men/knitwear"])  # fmt: skip
    services.campaign_create(actor=owner, name="Welcome", kind="percentage", value=1000, code="WELCOME10",
                             per_client_limit=1)  # fmt: skip
    thanks = services.campaign_create(actor=owner, name="Thank you", kind="fixed", value=domestic * 4)

    members = list(
        StaffMember.objects.filter(boutique=boutique, is_active=True, role=StaffMember.Role.ASSOCIATE)
        .select_related("user", "home_location")
        .order_by("pk")
    )
    if not members:
        members = list(
            StaffMember.objects.filter(boutique=boutique, is_active=True).select_related(
                "user", "home_location"
            )
        )
    for (_, email), member in zip(CLIENTS[:3], members * 3, strict=False):
        services.code_issue(actor=actor_for_user(member.user, boutique), campaign=thanks, client_ref=email)

    locations = list(Location.objects.filter(boutique=boutique, is_active=True).order_by("priority", "pk"))
    shops = [loc for loc in locations if loc.offers_pickup]
    senders = [loc for loc in locations if loc.fulfils_online and loc.kind == Location.Kind.SHOP] or shops
    used: dict[int, set[int]] = {}  # location → variants already sold there in the demo
    plans = [
        ("web", "ship", None, "", CLIENTS[0]),
        ("shop", "pickup", shops[0] if shops else None, "associate", CLIENTS[1]),
        ("chat", "ship_from", senders[0] if senders else None, "conversation", CLIENTS[2]),
        ("web", "ship", None, "share_link", CLIENTS[3]),
    ]
    made = 0
    for n, (channel, fulfilment, location, source, (name, email)) in enumerate(plans):
        member = members[n % len(members)] if members else None
        actor = actor_for_user(member.user, boutique) if member else owner
        source_location = location or (locations[0] if locations else None)
        taken = used.setdefault(source_location.pk, set()) if source_location else set()
        stock = _stock(boutique, source_location, taken) if source_location else None
        if stock is None:
            continue
        taken.add(stock.variant_id)
        try:
            cart = services.cart_create(
                actor=actor, channel=channel, client_name=name, client_email=email,
                associate=member.user if member and source else None, source_kind=source,
                source_ref=f"demo-{channel}-{n}" if source else "",
            )  # fmt: skip
            services.cart_line_set(actor=actor, cart=cart, variant=stock.variant, quantity=1, fulfilment=fulfilment,
                                   location=location)  # fmt: skip
            if n == 0:
                services.cart_code_apply(actor=actor, cart=cart, code="WELCOME10")
            services.cart_checkout(actor=actor, cart=cart, idempotency_key=f"demo-{boutique.slug}-{n}")
            made += 1
        except DomainError as error:  # a demo week without that sale, never a broken seed
            log(f"  {boutique.name}: demo {channel} order skipped ({error.code})")
    log(f"  {boutique.name}: {made} orders, {Campaign.objects.filter(boutique=boutique).count()} campaigns")
    return made
