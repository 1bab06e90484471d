"""Public search API: a boutique's catalog, or the whole hub, with facets (no authentication)."""

from typing import Literal

from ninja import Field, Query, Router, Schema

from omnipresence.core.api import PUBLIC_ERRORS
from omnipresence.core.errors import InvalidInput
from omnipresence.core.money import MAX_PRICE_MINOR
from omnipresence.search.selectors import SearchFilters, SearchHit, SearchResult, search_products
from omnipresence.search.text import MAX_QUERY_LENGTH
from omnipresence.stores.access import boutique_by_slug

router = Router(tags=["search"])

MAX_VALUES = 30
Sort = Literal["relevance", "price_asc", "price_desc", "newest"]


class SearchParams(Schema):
    q: str = Field("", max_length=MAX_QUERY_LENGTH, description="Free text (title, brand, tags, description)")
    category: str | None = Field(None, max_length=400, description="Category path, subcategories included")
    brand: list[str] = Field(default_factory=list, max_length=MAX_VALUES)
    colour: list[str] = Field(default_factory=list, max_length=MAX_VALUES)
    size: list[str] = Field(default_factory=list, max_length=MAX_VALUES)
    price_min: int | None = Field(None, ge=0, le=MAX_PRICE_MINOR, description="Minor units")
    price_max: int | None = Field(None, ge=0, le=MAX_PRICE_MINOR, description="Minor units")
    in_stock_at: str | None = Field(None, max_length=40, description="A location code: available there now")
    online: bool = Field(False, description="Only products available to the online channel")
    sort: Sort = "relevance"
    page: int = Field(1, ge=1, le=10_000)
    page_size: int = Field(24, ge=1, le=100)


class HubSearchParams(SearchParams):
    boutique: list[str] = Field(default_factory=list, max_length=MAX_VALUES, description="Boutique slugs")
    city: str | None = Field(None, max_length=120)


class VariantHitOut(Schema):
    sku: str
    colour: str
    size: str
    price: int


class HitOut(Schema):
    handle: str
    title: str
    brand: str
    boutique: str
    price_min: int
    price_max: int
    currency: str
    thumbnail: str | None
    variants: list[VariantHitOut]


class FacetValueOut(Schema):
    value: str
    label: str
    count: int
    selected: bool


class SearchOut(Schema):
    count: int
    page: int
    page_size: int
    hits: list[HitOut]
    facets: dict[str, list[FacetValueOut]]
    corrected_terms: dict[str, list[str]]


def _hit(hit: SearchHit) -> dict:
    product = hit.product
    images = list(product.images.all())
    thumbnail = None
    if images:
        picture = images[0]
        thumbnail = (picture.thumbnail or picture.image).url
    return {
        "handle": product.handle,
        "title": product.title,
        "brand": product.brand,
        "boutique": product.boutique.slug,
        "price_min": hit.price_min,
        "price_max": hit.price_max,
        "currency": hit.currency,
        "thumbnail": thumbnail,
        "variants": [{"sku": v.sku, "colour": v.colour, "size": v.size, "price": v.price} for v in hit.variants],
    }


def _out(result: SearchResult) -> dict:
    return {
        "count": result.count,
        "page": result.page,
        "page_size": result.page_size,
        "hits": [_hit(hit) for hit in result.hits],
        "facets": result.facets,
        "corrected_terms": result.corrected_terms,
    }


def _search(params: SearchParams, **scope) -> dict:
    if params.price_min is not None and params.price_max is not None and params.price_min > params.price_max:
        raise InvalidInput("price_min is higher than price_max.", code="invalid_price_range")
    filters = SearchFilters(
        category=params.category or None,
        brands=tuple(params.brand),
        colours=tuple(params.colour),
        sizes=tuple(params.size),
        price_min=params.price_min,
        price_max=params.price_max,
        in_stock_at=params.in_stock_at or None,
        in_stock_online=params.online,
        **scope,
    )
    result = search_products(
        query=params.q, filters=filters, sort=params.sort, page=params.page, page_size=params.page_size
    )
    return _out(result)


@router.get("/boutiques/{slug}/search", response={200: SearchOut, **PUBLIC_ERRORS})
def boutique_search(request, slug: str, params: Query[SearchParams]):
    """Search one boutique's published catalog, with facet counts (public)."""
    return _search(params, boutique=boutique_by_slug(slug))


@router.get("/search", response={200: SearchOut, **PUBLIC_ERRORS})
def hub_search(request, params: Query[HubSearchParams]):
    """Search every boutique of the hub, optionally only some boutiques or one city (public)."""
    return _search(params, boutiques=tuple(params.boutique), city=params.city or None)
