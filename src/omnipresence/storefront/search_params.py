"""The storefront's search query string, parsed and checked: ?q=&category=&brand=&colour=&size=
&min=&max=&shop=&online=1&sort=&page=. Prices arrive in major units and become minor units."""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import QueryDict
from django.utils.translation import gettext as _

from omnipresence.core.errors import InvalidInput
from omnipresence.core.money import parse_price
from omnipresence.search.selectors import SORTS, SearchFilters
from omnipresence.stores.models import Boutique

MAX_QUERY = 200
MAX_VALUES = 30
MAX_PAGE = 1000
MULTI = ("brand", "colour", "size")


@dataclass
class SearchParams:
    query: str = ""
    category: str = ""
    brand: list[str] = field(default_factory=list)
    colour: list[str] = field(default_factory=list)
    size: list[str] = field(default_factory=list)
    price_min_text: str = ""
    price_max_text: str = ""
    price_min: int | None = None
    price_max: int | None = None
    shop: str = ""
    online: bool = False
    sort: str = "relevance"
    page: int = 1
    errors: list[str] = field(default_factory=list)

    def filters(self, boutique: Boutique | None) -> SearchFilters:
        return SearchFilters(
            boutique=boutique,
            category=self.category or None,
            brands=tuple(self.brand),
            colours=tuple(self.colour),
            sizes=tuple(self.size),
            price_min=self.price_min,
            price_max=self.price_max,
            in_stock_at=self.shop or None,
            in_stock_online=self.online,
        )

    @property
    def narrowed(self) -> bool:
        return bool(
            self.category or self.brand or self.colour or self.size or self.price_min is not None
            or self.price_max is not None or self.shop or self.online
        )  # fmt: skip

    def as_pairs(self, *, page: int | None = None) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        if self.query:
            pairs.append(("q", self.query))
        if self.category:
            pairs.append(("category", self.category))
        for name in MULTI:
            pairs.extend((name, value) for value in getattr(self, name))
        if self.price_min_text:
            pairs.append(("min", self.price_min_text))
        if self.price_max_text:
            pairs.append(("max", self.price_max_text))
        if self.shop:
            pairs.append(("shop", self.shop))
        if self.online:
            pairs.append(("online", "1"))
        if self.sort != "relevance":
            pairs.append(("sort", self.sort))
        if page and page > 1:
            pairs.append(("page", str(page)))
        return pairs

    def url_for_page(self, page: int) -> str:
        return "?" + urlencode(self.as_pairs(page=page))

    def url_without(self, name: str, value: str | None = None) -> str:
        """The current search with one filter value removed (for the "active filter" chips)."""
        pairs = [
            (k, v) for k, v in self.as_pairs()
            if not (k == name and (value is None or v == value))
        ]  # fmt: skip
        return "?" + urlencode(pairs)


def _clean_text(value: str, limit: int) -> str:
    return value.replace("\x00", "").strip()[:limit]


def parse_search(
    data: QueryDict, *, currency: str | None, shop_codes: set[str] | None = None
) -> SearchParams:
    """Read the query string; problems are collected in `errors` (the page shows them, answers 400)."""
    params = SearchParams(query=_clean_text(data.get("q", ""), MAX_QUERY))
    params.category = _clean_text(data.get("category", ""), 400)
    for name in MULTI:
        values = [_clean_text(v, 80) for v in data.getlist(name)]
        values = list(dict.fromkeys(v for v in values if v))
        if len(values) > MAX_VALUES:
            params.errors.append(_("Too many values chosen for %(name)s.") % {"name": name})
            values = values[:MAX_VALUES]
        setattr(params, name, values)
    if currency:
        for key, attr in (("min", "price_min"), ("max", "price_max")):
            text = _clean_text(data.get(key, ""), 30)
            if not text:
                continue
            setattr(params, f"{attr}_text", text)
            try:
                setattr(params, attr, parse_price(text, currency))
            except InvalidInput:
                label = _("Minimum price") if key == "min" else _("Maximum price")
                params.errors.append(
                    _("%(label)s “%(value)s” is not a price.") % {"label": label, "value": text}
                )
        if (
            params.price_min is not None
            and params.price_max is not None
            and params.price_min > params.price_max
        ):
            params.errors.append(_("The minimum price is higher than the maximum price."))
            params.price_min = params.price_max = None
    shop = _clean_text(data.get("shop", ""), 40)
    if shop:
        if shop_codes is not None and shop not in shop_codes:
            params.errors.append(_("There is no shop “%(code)s” here.") % {"code": shop})
        else:
            params.shop = shop
    params.online = data.get("online", "") in {"1", "on", "true"}
    sort = data.get("sort", "relevance") or "relevance"
    if sort not in SORTS:
        params.errors.append(_("Unknown sort order."))
        sort = "relevance"
    params.sort = sort
    page_text = data.get("page", "1") or "1"
    if not page_text.isdigit() or not 1 <= int(page_text) <= MAX_PAGE:
        params.errors.append(_("The page number must be between 1 and %(max)s.") % {"max": MAX_PAGE})
    else:
        params.page = int(page_text)
    return params
