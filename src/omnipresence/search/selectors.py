"""Faceted product search — the interface every channel uses.

INTERIM implementation (plain LIKE filters) so pages can be built; the search module replaces the
internals with SQLite FTS5 / PostgreSQL tsvector behind the same signatures.
"""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q

from omnipresence.catalog.models import Product, Variant
from omnipresence.stores.models import Boutique

SORTS = ("relevance", "price_asc", "price_desc", "newest")


@dataclass(frozen=True)
class SearchFilters:
    boutique: Boutique | None = None  # None: the whole hub
    city: str | None = None  # hub-wide: only boutiques in this city
    category: str | None = None  # category path prefix, e.g. "women/coats"
    brands: tuple[str, ...] = ()
    colours: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    price_min: int | None = None  # minor units
    price_max: int | None = None
    in_stock_at: str | None = None  # a location code of `boutique`: available there now
    in_stock_online: bool = False


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class SearchHit:
    product: Product
    variants: list[Variant]  # the variants that match the filters
    price_min: int
    price_max: int
    currency: str


@dataclass
class SearchResult:
    hits: list[SearchHit]
    count: int
    page: int
    page_size: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)  # "category", "brand", "colour", "size"
    query: str = ""
    corrected_terms: dict[str, list[str]] = field(default_factory=dict)  # typo → words searched instead


def search_products(
    *, query: str = "", filters: SearchFilters, sort: str = "relevance", page: int = 1, page_size: int = 24
) -> SearchResult:
    variants = Variant.objects.filter(is_active=True, product__status=Product.Status.ACTIVE)
    if filters.boutique is not None:
        variants = variants.filter(boutique=filters.boutique)
    for word in query.split():
        variants = variants.filter(
            Q(product__title__icontains=word) | Q(product__brand__icontains=word) | Q(product__description__icontains=word)
        )
    if filters.colours:
        variants = variants.filter(colour__in=filters.colours)
    if filters.sizes:
        variants = variants.filter(size__in=filters.sizes)
    if filters.price_min is not None:
        variants = variants.filter(price__gte=filters.price_min)
    if filters.price_max is not None:
        variants = variants.filter(price__lte=filters.price_max)
    products = Product.objects.filter(Exists(variants.filter(product=OuterRef("pk")))).order_by("-created_at")
    count = products.count()
    start = (page - 1) * page_size
    hits = []
    for product in products.prefetch_related("variants", "images")[start : start + page_size]:
        vs = [v for v in product.variants.all() if v.is_active]
        prices = [v.price for v in vs] or [0]
        hits.append(SearchHit(product, vs, min(prices), max(prices), vs[0].currency if vs else ""))
    return SearchResult(hits=hits, count=count, page=page, page_size=page_size, query=query)
