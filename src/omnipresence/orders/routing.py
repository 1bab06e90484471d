"""Which location sends a delivered line: the boutique's routing rule orders the locations that
ship and feed the online channel (the pickup shop's own lines never come here: they are filled at
their shop first). Pure: no database."""

import math
from collections.abc import Iterable

from omnipresence.stores.models import Boutique, Location

EARTH_KM = 6371.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(a))


def _nearness(location: Location, *, country: str, address: str, lat: float | None, lon: float | None) -> tuple:
    """Coordinates when both sides have them; otherwise the same postcode area or city written in
    the address, then the same country. Ties go to priority."""
    if lat is not None and lon is not None and location.latitude is not None and location.longitude is not None:
        return (0, distance_km(lat, lon, location.latitude, location.longitude))
    text = f" {address.lower()} "
    postcode_area = location.postcode.split(" ")[0].lower() if location.postcode else ""
    same_area = bool(postcode_area) and f" {postcode_area}" in text
    same_city = bool(location.city) and location.city.lower() in text
    same_country = bool(country) and location.country.upper() == country.upper()
    return (1, 0 if same_area else 1 if same_city else 2 if same_country else 3)


def route(
    rule: str, shippers: Iterable[Location], *, free: dict[int, int], country: str = "", address: str = "",
    lat: float | None = None, lon: float | None = None,
) -> list[Location]:  # fmt: skip
    """The shipping locations in the order a line should be filled from (`free`: units available at
    each location for this line's variant)."""
    by_priority = sorted(shippers, key=lambda loc: (loc.priority, loc.pk))
    if rule == Boutique.RoutingRule.MOST_STOCK:
        return sorted(by_priority, key=lambda loc: -free.get(loc.pk, 0))
    if rule == Boutique.RoutingRule.NEAREST:
        return sorted(by_priority, key=lambda loc: _nearness(loc, country=country, address=address, lat=lat, lon=lon))
    return by_priority
