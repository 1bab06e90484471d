"""The client's bag on the storefront: which cart her session holds for a boutique, and what the
bag shows of it (each line with its photo, the ways to get it, and whether that way has stock).

The storefront writes as the boutique's web channel (`system_actor`). The cart id kept in the
session is only a hint: it becomes a cart through `orders.selectors.access_cart`, so another
boutique's id, or a cart of another channel, is no bag at all.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from omnipresence.catalog.models import ProductImage
from omnipresence.core.errors import NotFound
from omnipresence.core.templatetags.omni import pickup_when
from omnipresence.inventory.selectors import VariantAvailability, availability_for_variants
from omnipresence.orders.models import Cart, CartLine, Channel, Fulfilment
from omnipresence.orders.pricing import PriceBreakdown
from omnipresence.orders.selectors import access_cart
from omnipresence.orders.services import cart_price
from omnipresence.stores.access import Actor, system_actor
from omnipresence.stores.models import Boutique, Location

SHIP = "ship"
PICKUP_PREFIX = "pickup:"


def web_actor(boutique: Boutique) -> Actor:
    """Who writes for a storefront client: the boutique's own web channel."""
    return system_actor(boutique)


def session_key(boutique: Boutique) -> str:
    return f"cart:{boutique.slug}"


def session_cart(request, boutique: Boutique, *, open_only: bool = True) -> Cart | None:
    """The cart this session holds for the boutique, or None. A checked-out cart stays in the
    session (a second click on "Pay" must find its order) but is no longer a bag."""
    raw = request.session.get(session_key(boutique))
    if raw is None:
        return None
    try:
        cart = access_cart(web_actor(boutique), int(raw))
    except (NotFound, TypeError, ValueError):
        cart = None
    if cart is None or cart.channel != Channel.WEB:
        request.session.pop(session_key(boutique), None)
        return None
    if open_only and cart.status != Cart.Status.OPEN:
        return None
    return cart


def session_cart_keep(request, boutique: Boutique, cart: Cart) -> None:
    request.session[session_key(boutique)] = cart.pk


def bag_count(request, boutique: Boutique) -> int:
    """Pieces in the bag, for the header (without a session cookie, no query)."""
    cart = session_cart(request, boutique)
    return sum(line.quantity for line in cart.lines.all()) if cart else 0


# ---------- Ways to get a piece ----------


def way_of(line: CartLine) -> str:
    if line.fulfilment == Fulfilment.PICKUP and line.location is not None:
        return PICKUP_PREFIX + line.location.code
    return SHIP


def _ships(location: Location) -> bool:
    return location.fulfils_online and location.feeds_online


def _pickup_places(entry: VariantAvailability) -> list:
    return [la for la in entry.locations if la.location.offers_pickup and la.location.is_active]


def way_parse(value: str, entry: VariantAvailability | None) -> tuple[str, Location | None] | None:
    """("ship", None) or ("pickup", a shop of this boutique that offers pickup), or None when the
    form sent anything else. The shop is looked up among the boutique's own locations."""
    if value == SHIP:
        return Fulfilment.SHIP, None
    if entry is None or not value.startswith(PICKUP_PREFIX):
        return None
    code = value[len(PICKUP_PREFIX) :]
    place = next((la for la in _pickup_places(entry) if la.location.code == code), None)
    return (Fulfilment.PICKUP, place.location) if place is not None else None


@dataclass
class Way:
    value: str
    label: str
    detail: str
    available: int
    selected: bool = False
    note: str = ""  # the short form, for a select: "2 left", "not in stock"


def ship_units(entry: VariantAvailability) -> int:
    return sum(la.available for la in entry.locations if _ships(la.location))


def ways_for(entry: VariantAvailability, current: str = "", *, with_empty: bool = False) -> list[Way]:
    """Collect at each pickup shop (with when it could be ready), then delivery. Shops without
    the piece are left out unless asked for (the bag keeps the current choice visible)."""
    ways = []
    for la in sorted(
        _pickup_places(entry), key=lambda la: (la.pickup_at is None, la.pickup_at or 0, la.location.pk)
    ):
        value = PICKUP_PREFIX + la.location.code
        if not (la.can_pickup or with_empty or value == current):
            continue
        if la.can_pickup:
            detail = _("Ready %(when)s · %(stock)s") % {
                "when": pickup_when(la.pickup_at, la.location), "stock": _stock_text(la.available)}  # fmt: skip
        else:
            detail = _("Not in stock at this shop")
        note = _stock_text(la.available) if la.can_pickup else _("not in stock")
        ways.append(Way(value, _("Collect at %(shop)s") % {"shop": la.location.name}, detail,
                        la.available if la.can_pickup else 0, value == current, note))  # fmt: skip
    units = ship_units(entry)
    if units > 0 or with_empty or current == SHIP:
        detail = _("Delivered to your door") if units > 0 else _("Not available for delivery")
        note = "" if units > 0 else _("not available")
        ways.append(Way(SHIP, _("Deliver to me"), detail, units, current == SHIP, note))
    return ways


def _stock_text(units: int) -> str:
    if units > 3:
        return _("in stock")
    return ngettext("%(count)s left", "%(count)s left", units) % {"count": units}


# ---------- The bag ----------


@dataclass
class BagLine:
    line: CartLine
    image: ProductImage | None
    ways: list[Way]
    way: str
    way_label: str
    way_phrase: str  # "to collect at Soho", "for delivery": what a sentence about the line says
    available: int  # units this line can have by its way, after the bag's other lines
    pickup_at: datetime | None = None
    subtotal: int = 0
    discount: int = 0
    total: int = 0

    @property
    def short(self) -> bool:
        return self.available < self.line.quantity

    @property
    def net(self) -> int:
        """The line's merchandise after discounts (tax inclusive or not, as the boutique prices)."""
        return self.subtotal - self.discount


@dataclass
class Bag:
    cart: Cart
    lines: list[BagLine]
    price: PriceBreakdown
    count: int = 0
    ships: bool = False
    short_lines: list[BagLine] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return bool(self.short_lines) or not self.lines


def _units_for_lines(lines: list[CartLine], availability: dict[int, VariantAvailability]) -> dict[int, int]:
    """How many units each line could have, the way checkout allocates (orders._allocation_plan):
    lines bound to a shop first, then delivered lines from the locations that ship."""
    free = {
        (vid, la.location.pk): la.available for vid, entry in availability.items() for la in entry.locations
    }
    units = {}
    for line in sorted(lines, key=lambda line: (line.fulfilment == Fulfilment.SHIP, line.pk)):
        entry = availability.get(line.variant_id)
        if entry is None:
            units[line.pk] = 0
            continue
        if line.location_id is not None:
            places = [line.location_id]
        else:
            places = [la.location.pk for la in sorted(entry.locations, key=lambda la: (la.location.priority, la.location.pk))
                      if _ships(la.location)]  # fmt: skip
        could = sum(free.get((line.variant_id, pk), 0) for pk in places)
        units[line.pk] = could
        remaining = line.quantity
        for pk in places:
            take = min(remaining, free.get((line.variant_id, pk), 0))
            free[(line.variant_id, pk)] -= take
            remaining -= take
    return units


def bag_read(*, actor: Actor, cart: Cart) -> Bag:
    """Everything the bag and checkout pages show: lines, photos, ways, stock, and the price.
    A bounded number of queries whatever the number of lines."""
    lines = list(cart.lines.all())
    prefetch_related_objects([line.variant.product for line in lines], "images")
    availability = availability_for_variants(
        boutique=actor.boutique, variants=[line.variant for line in lines]
    )
    units = _units_for_lines(lines, availability)
    price = cart_price(actor=actor, cart=cart)
    priced = {p.key: p for p in price.lines}
    bag_lines = []
    for line in lines:
        entry = availability[line.variant_id]
        current = way_of(line)
        images = list(line.variant.product.images.all())
        place = next((la for la in entry.locations if la.location.pk == line.location_id), None)
        if line.fulfilment == Fulfilment.PICKUP and line.location is not None:
            label = _("Collect at %(shop)s") % {"shop": line.location.name}
            phrase = _("to collect at %(shop)s") % {"shop": line.location.name}
        elif line.fulfilment == Fulfilment.SHIP_FROM and line.location is not None:
            label = _("Delivered to you from %(shop)s") % {"shop": line.location.name}
            phrase = _("for delivery from %(shop)s") % {"shop": line.location.name}
        else:
            label, phrase = _("Delivered to you"), _("for delivery")
        p = priced.get(str(line.pk))
        bag_lines.append(BagLine(
            line=line, image=images[0] if images else None, ways=ways_for(entry, current, with_empty=True),
            way=current, way_label=label, way_phrase=phrase, available=units[line.pk],
            pickup_at=place.pickup_at if place is not None and line.fulfilment == Fulfilment.PICKUP else None,
            subtotal=p.subtotal if p else 0, discount=p.discount if p else 0, total=p.total if p else 0,
        ))  # fmt: skip
    return Bag(
        cart=cart, lines=bag_lines, price=price, count=sum(line.quantity for line in lines),
        ships=any(line.fulfilment != Fulfilment.PICKUP for line in lines),
        short_lines=[b for b in bag_lines if b.short],
    )  # fmt: skip
