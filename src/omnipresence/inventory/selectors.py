"""Reads for the inventory. Every channel (storefront, console, API) reads availability here."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from omnipresence.catalog.models import Product, Variant
from omnipresence.core.errors import NotFound
from omnipresence.inventory.models import Hold, Movement, Stock, Transfer
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Boutique, Location
from omnipresence.stores.selectors import location_list, next_pickup


def active_holds_filter(now: datetime | None = None) -> Q:
    now = now or timezone.now()
    return Q(status=Hold.Status.ACTIVE) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def held_subquery(now: datetime | None = None) -> Subquery:
    """Units held by active, unexpired holds of the outer stock row (expired ones are ignored
    here even before the sweeper marks them)."""
    holds = (
        Hold.objects.filter(active_holds_filter(now), stock_id=OuterRef("pk"))
        .order_by()
        .values("stock_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return Coalesce(Subquery(holds, output_field=IntegerField()), Value(0))


def stock_levels(*, boutique: Boutique) -> QuerySet[Stock]:
    """Stock rows annotated with `active_held` and `available` (never below zero)."""
    return (
        Stock.objects.filter(boutique=boutique)
        .annotate(active_held=held_subquery())
        .annotate(available=Greatest(F("on_hand") - F("active_held"), Value(0)))
    )


def stock_available(stock_id: int) -> int:
    row = Stock.objects.filter(pk=stock_id).annotate(active_held=held_subquery()).values("on_hand", "active_held").first()
    return max(row["on_hand"] - row["active_held"], 0) if row else 0


@dataclass
class LocationAvailability:
    location: Location
    on_hand: int
    held: int
    available: int
    pickup_at: datetime | None = None  # when a click & collect order could be ready

    @property
    def can_pickup(self) -> bool:
        return self.location.offers_pickup and self.available > 0 and self.pickup_at is not None


@dataclass
class VariantAvailability:
    variant: Variant
    locations: list[LocationAvailability] = field(default_factory=list)

    @property
    def online(self) -> int:
        """Units the web can sell: available at locations that feed the online channel."""
        return sum(la.available for la in self.locations if la.location.feeds_online)

    @property
    def total(self) -> int:
        return sum(la.available for la in self.locations)

    @property
    def ship_to_home(self) -> bool:
        return any(la.available > 0 and la.location.fulfils_online and la.location.feeds_online for la in self.locations)

    @property
    def ship_from(self) -> list[LocationAvailability]:
        """Shops (not only the warehouse) that can send it: "sold here, shipped from there"."""
        return [la for la in self.locations if la.available > 0 and la.location.fulfils_online]

    @property
    def pickup(self) -> list[LocationAvailability]:
        return sorted((la for la in self.locations if la.can_pickup), key=lambda la: la.pickup_at)


def availability_for_variants(
    *, boutique: Boutique, variants: list[Variant], now: datetime | None = None
) -> dict[int, VariantAvailability]:
    """Availability of each variant at every active location, with the ways to get it.

    Three queries: locations (+ two prefetches for hours), then every stock row of the variants.
    """
    now = now or timezone.now()
    locations = list(location_list(boutique=boutique, with_hours=True))
    pickup_times = {loc.pk: next_pickup(loc, now=now) if loc.offers_pickup else None for loc in locations}
    rows = {
        (r["variant_id"], r["location_id"]): r
        for r in Stock.objects.filter(boutique=boutique, variant_id__in=[v.pk for v in variants])
        .annotate(active_held=held_subquery(now))
        .values("variant_id", "location_id", "on_hand", "active_held")
    }
    result = {}
    for variant in variants:
        entry = VariantAvailability(variant=variant)
        for loc in locations:
            row = rows.get((variant.pk, loc.pk))
            on_hand = row["on_hand"] if row else 0
            held = row["active_held"] if row else 0
            entry.locations.append(
                LocationAvailability(
                    location=loc,
                    on_hand=on_hand,
                    held=held,
                    available=max(on_hand - held, 0),
                    pickup_at=pickup_times[loc.pk],
                )
            )
        result[variant.pk] = entry
    return result


def availability_for_product(*, boutique: Boutique, product: Product) -> dict[int, VariantAvailability]:
    return availability_for_variants(boutique=boutique, variants=list(product.variants.all()))


def access_hold(actor: Actor, hold_id: int) -> Hold:
    actor.require("inventory.view")
    hold = (
        Hold.objects.select_related("variant__product", "location", "stock")
        .filter(boutique=actor.boutique, pk=hold_id)
        .first()
    )
    if hold is None:
        raise NotFound(f"No hold {hold_id}.", code="hold_not_found")
    return hold


def hold_list(
    *, actor: Actor, status: str | None = Hold.Status.ACTIVE, location: Location | None = None,
    variant: Variant | None = None, client: str | None = None,
) -> QuerySet[Hold]:  # fmt: skip
    actor.require("inventory.view")
    qs = Hold.objects.filter(boutique=actor.boutique).select_related("variant__product", "location")
    if status == Hold.Status.ACTIVE:
        qs = qs.filter(active_holds_filter())
    elif status:
        qs = qs.filter(status=status)
    if location is not None:
        qs = qs.filter(location=location)
    if variant is not None:
        qs = qs.filter(variant=variant)
    if client:
        qs = qs.filter(Q(client_name__icontains=client) | Q(client_contact__icontains=client))
    return qs


def movement_list(*, actor: Actor, location: Location | None = None, variant: Variant | None = None) -> QuerySet[Movement]:
    actor.require("inventory.view")
    qs = Movement.objects.filter(boutique=actor.boutique).select_related("variant", "location")
    if location is not None:
        qs = qs.filter(location=location)
    if variant is not None:
        qs = qs.filter(variant=variant)
    return qs


def access_transfer(actor: Actor, transfer_id: int) -> Transfer:
    actor.require("inventory.view")
    transfer = (
        Transfer.objects.select_related("source", "destination")
        .prefetch_related("lines__variant")
        .filter(boutique=actor.boutique, pk=transfer_id)
        .first()
    )
    if transfer is None:
        raise NotFound(f"No transfer {transfer_id}.", code="transfer_not_found")
    return transfer


def in_transit(*, boutique: Boutique, variant: Variant) -> int:
    return (
        Transfer.objects.filter(boutique=boutique, status=Transfer.Status.IN_TRANSIT, lines__variant=variant)
        .aggregate(total=Coalesce(Sum("lines__quantity"), 0))["total"]
    )


@dataclass
class LedgerProblem:
    stock_id: int
    sku: str
    location: str
    kind: str  # "on_hand" or "held"
    recorded: int
    expected: int


def ledger_check(*, boutique: Boutique | None = None) -> list[LedgerProblem]:
    """Every stock row's on-hand must equal the sum of its movements, and its held counter the sum
    of its active holds (expired-but-unswept holds still count until swept)."""
    qs = Stock.objects.all() if boutique is None else Stock.objects.filter(boutique=boutique)
    movement_sum = (
        Movement.objects.filter(stock_id=OuterRef("pk")).order_by().values("stock_id")
        .annotate(total=Sum("quantity")).values("total")
    )  # fmt: skip
    holds_sum = (
        Hold.objects.filter(stock_id=OuterRef("pk"), status=Hold.Status.ACTIVE).order_by().values("stock_id")
        .annotate(total=Sum("quantity")).values("total")
    )  # fmt: skip
    rows = (
        qs.annotate(
            ledger=Coalesce(Subquery(movement_sum, output_field=IntegerField()), Value(0)),
            holds_total=Coalesce(Subquery(holds_sum, output_field=IntegerField()), Value(0)),
        )
        .filter(~Q(on_hand=F("ledger")) | ~Q(held=F("holds_total")))
        .values("pk", "variant__sku", "location__code", "on_hand", "held", "ledger", "holds_total")
    )
    problems = []
    for row in rows:
        if row["on_hand"] != row["ledger"]:
            problems.append(LedgerProblem(row["pk"], row["variant__sku"], row["location__code"], "on_hand", row["on_hand"], row["ledger"]))
        if row["held"] != row["holds_total"]:
            problems.append(LedgerProblem(row["pk"], row["variant__sku"], row["location__code"], "held", row["held"], row["holds_total"]))
    return problems
