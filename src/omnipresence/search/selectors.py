"""Faceted product search — the interface every channel uses (storefront, hub, console, API).

Reads the search index (search.models, kept current by search.services): full text through
SQLite FTS5 or PostgreSQL tsvector, filters and disjunctive facet counts on the denormalised
variant table, stock from the inventory tables at query time. Relevance, typo correction and
tokenising are computed the same way on both databases, so both return the same results.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Prefetch
from django.db.models.expressions import RawSQL
from django.utils import timezone

from omnipresence.catalog.models import Category, Product, ProductImage, Variant
from omnipresence.core.errors import InvalidInput, NotFound
from omnipresence.core.pagination import MAX_PAGE_SIZE
from omnipresence.inventory.models import Hold, Stock
from omnipresence.search.backends import PostgresBackend, SqliteBackend, Term, current_backend
from omnipresence.search.models import SearchFacetLabel
from omnipresence.search.text import (
    MAX_QUERY_LENGTH,
    edit_distance,
    facet_key,
    fold,
    max_typos,
    query_words,
    size_sort_key,
)
from omnipresence.stores.models import Boutique, Location

# The SQL below is assembled from constant table and column names and "%s" placeholders; every
# value a user sent travels as a query parameter (hence the S608 exemptions).
SORTS = ("relevance", "price_asc", "price_desc", "newest")
FACETS = ("category", "brand", "colour", "size")
# Where a query word is found decides its share of the score; the description counts 1.
FIELD_WEIGHTS = (("title_words", 8), ("brand_words", 4), ("tag_words", 2))
DESCRIPTION_WEIGHT = 1
MAX_FACET_VALUES = 100
MAX_CORRECTIONS = 5


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
    boutiques: tuple[str, ...] = ()  # hub-wide: only these boutiques (slugs)


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


def _placeholders(values) -> str:
    return ", ".join(["%s"] * len(values))


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass
class _Plan:
    """A search turned into id lists and SQL conditions (None: no such filter)."""

    backend: SqliteBackend | PostgresBackend
    boutique_ids: list[int] | None
    category_ids: list[int] | None
    brand_keys: list[str]
    colour_keys: list[str]
    size_keys: list[str]
    price_min: int | None
    price_max: int | None
    stock_locations: list[list[int]]  # each: available > 0 at one of these locations
    terms: list[Term]
    # Per stock filter: the variants held to the last unit there but available once expired
    # holds are left out, as (SQL list or subquery, params); see _rescued.
    rescued: list[tuple[str, list]] = field(default_factory=list)

    @property
    def variant_level(self) -> bool:
        return bool(self.colour_keys or self.size_keys or self.stock_locations) or (
            self.price_min is not None or self.price_max is not None
        )

    def variant_level_except(self, facet: str) -> bool:
        return bool(
            (self.colour_keys and facet != "colour")
            or (self.size_keys and facet != "size")
            or self.stock_locations
            or self.price_min is not None
            or self.price_max is not None
        )

    @property
    def uses_base(self) -> bool:
        """Text, price or stock: conditions every facet and the page share, worth computing once."""
        return bool(self.terms or self.stock_locations) or self.price_min is not None or self.price_max is not None

    def base_conditions(self) -> tuple[list[str], list]:
        """Scope, text, price and stock over search_variant v: what search_base holds."""
        sql: list[str] = []
        params: list = []
        if self.boutique_ids is not None:
            sql.append(f"v.boutique_id IN ({_placeholders(self.boutique_ids)})")
            params += self.boutique_ids
        if self.terms:
            text_sql, text_params = self.backend.text_match(self.terms)
            sql.append(f"v.document_id IN ({text_sql})")
            params += text_params
        if self.price_min is not None:
            sql.append("v.price >= %s")
            params.append(self.price_min)
        if self.price_max is not None:
            sql.append("v.price <= %s")
            params.append(self.price_max)
        for index in range(len(self.stock_locations)):
            stock_sql, stock_params = self.stock_condition(index, few=bool(self.terms))
            sql.append(stock_sql)
            params += stock_params
        return sql, params

    def selection_conditions(self, alias: str, exclude: str | None = None) -> tuple[list[str], list]:
        """The facet selections (category, brand, colour, size) over rows of search_base."""
        sql: list[str] = []
        params: list = []
        if self.category_ids is not None and exclude != "category":
            if self.category_ids:
                sql.append(f"{alias}.category_id IN ({_placeholders(self.category_ids)})")
                params += self.category_ids
            else:
                sql.append("1 = 0")
        for facet in ("brand", "colour", "size"):
            keys = getattr(self, f"{facet}_keys")
            if keys and exclude != facet:
                sql.append(f"{alias}.{facet}_key IN ({_placeholders(keys)})")
                params += keys
        return sql, params

    def product_conditions(self, alias: str, id_column: str, exclude: str | None = None) -> tuple[list[str], list]:
        """Scope, text, category and brand: what a product must satisfy whatever its variants."""
        sql: list[str] = []
        params: list = []
        if self.boutique_ids is not None:
            sql.append(f"{alias}.boutique_id IN ({_placeholders(self.boutique_ids)})")
            params += self.boutique_ids
        if self.terms:
            text_sql, text_params = self.backend.text_match(self.terms)
            sql.append(f"{alias}.{id_column} IN ({text_sql})")
            params += text_params
        if self.category_ids is not None and exclude != "category":
            if self.category_ids:
                sql.append(f"{alias}.category_id IN ({_placeholders(self.category_ids)})")
                params += self.category_ids
            else:
                sql.append("1 = 0")
        if self.brand_keys and exclude != "brand":
            sql.append(f"{alias}.brand_key IN ({_placeholders(self.brand_keys)})")
            params += self.brand_keys
        return sql, params

    def variant_conditions(self, exclude: str | None = None, *, few: bool = False) -> tuple[list[str], list]:
        """Colour, size, price and stock: what one variant (alias v) must satisfy."""
        sql: list[str] = []
        params: list = []
        if self.colour_keys and exclude != "colour":
            sql.append(f"v.colour_key IN ({_placeholders(self.colour_keys)})")
            params += self.colour_keys
        if self.size_keys and exclude != "size":
            sql.append(f"v.size_key IN ({_placeholders(self.size_keys)})")
            params += self.size_keys
        if self.price_min is not None:
            sql.append("v.price >= %s")
            params.append(self.price_min)
        if self.price_max is not None:
            sql.append("v.price <= %s")
            params.append(self.price_max)
        for index in range(len(self.stock_locations)):
            stock_sql, stock_params = self.stock_condition(index, few=few)
            sql.append(stock_sql)
            params += stock_params
        return sql, params

    def stock_condition(self, index: int, *, few: bool = False) -> tuple[str, list]:
        """Variant v is available (on hand − active unexpired holds > 0) at one of the locations of
        stock filter `index`.

        `held` is the sum of the ACTIVE holds, kept in the same transaction as the holds, so
        `on_hand > held` proves availability from the stock row alone: an index-only read of
        inventory_stock (location, variant, on_hand, held). A row held to the last unit can still
        be available when some of its active holds have expired (before the sweeper marks them):
        those variants were found beforehand from the holds (`_rescued`). `few`: only a few
        candidate variants (text matched, or a page's), so each is probed (EXISTS) rather than
        collecting the locations' whole stock (IN); PostgreSQL plans both as a semi-join anyway."""
        location_ids = self.stock_locations[index]
        if not location_ids:
            return "1 = 0", []
        available = f"s.location_id IN ({_placeholders(location_ids)}) AND s.on_hand > s.held"
        params = list(location_ids)
        rescued_sql, rescued_params = self.rescued[index]
        if rescued_sql:
            # A row of another listed location may pass on a rescued variant's behalf: the variant
            # is then available at one of the locations, which is all this condition asks.
            available = (
                f"s.location_id IN ({_placeholders(location_ids)})"
                f" AND (s.on_hand > s.held OR s.variant_id IN ({rescued_sql}))"
            )
            params += rescued_params
        stock = Stock._meta.db_table
        if few:
            return f"EXISTS (SELECT 1 FROM {stock} s WHERE s.variant_id = v.variant_id AND {available})", params  # noqa: S608
        return f"v.variant_id IN (SELECT s.variant_id FROM {stock} s WHERE {available})", params  # noqa: S608

    def all_variant_conditions(self, exclude: str | None = None) -> tuple[list[str], list]:
        product_sql, product_params = self.product_conditions("v", "document_id", exclude)
        variant_sql, variant_params = self.variant_conditions(exclude)
        return product_sql + variant_sql, product_params + variant_params

    def score_sql(self) -> tuple[str, list]:
        """Per query word, the weight of the best field it occurs in; summed over the words."""
        parts: list[str] = []
        params: list = []
        for term in self.terms:
            cases = []
            for column, weight in FIELD_WEIGHTS:
                tests = [f"(' ' || d.{column}) LIKE %s"] + [f"(' ' || d.{column} || ' ') LIKE %s"] * len(
                    term.alternatives
                )
                cases.append(f"WHEN {' OR '.join(tests)} THEN {weight}")
                params += [f"% {term.prefix}%"] + [f"% {alt} %" for alt in term.alternatives]
            parts.append(f"(CASE {' '.join(cases)} ELSE {DESCRIPTION_WEIGHT} END)")
        return " + ".join(parts) or "0", params


def _where(conditions: list[str]) -> str:
    return ("WHERE " + " AND ".join(conditions)) if conditions else ""


def _boutique_ids(filters: SearchFilters) -> list[int] | None:
    if filters.boutique is None and not filters.boutiques and not filters.city:
        return None
    if filters.boutique is not None and not filters.boutiques and not filters.city:
        return [filters.boutique.pk]
    boutiques = list(Boutique.objects.values_list("pk", "slug", "city"))
    chosen = {pk for pk, _, _ in boutiques}
    if filters.boutique is not None:
        chosen &= {filters.boutique.pk}
    if filters.boutiques:
        slugs = set(filters.boutiques)
        unknown = slugs - {slug for _, slug, _ in boutiques}
        if unknown:
            raise NotFound(f"No boutique '{sorted(unknown)[0]}'.", code="boutique_not_found")
        chosen &= {pk for pk, slug, _ in boutiques if slug in slugs}
    if filters.city:
        city = facet_key(filters.city)
        chosen &= {pk for pk, _, c in boutiques if facet_key(c) == city}
    return sorted(chosen)


def _category_path(value: str) -> str:
    return "/".join(part for part in value.strip().lower().split("/") if part)


def _category_ids(path: str, boutique_ids: list[int] | None) -> list[int]:
    categories = Category.objects.filter(path=path) | Category.objects.filter(path__startswith=path + "/")
    if boutique_ids is not None:
        categories = categories.filter(boutique_id__in=boutique_ids)
    return sorted(categories.values_list("pk", flat=True))


def _stock_locations(filters: SearchFilters, boutique_ids: list[int] | None) -> list[list[int]]:
    locations = Location.objects.filter(is_active=True)
    if boutique_ids is not None:
        locations = locations.filter(boutique_id__in=boutique_ids)
    result = []
    if filters.in_stock_at:
        at = sorted(locations.filter(code=filters.in_stock_at).values_list("pk", flat=True))
        if not at:
            raise NotFound(f"No location '{filters.in_stock_at[:40]}'.", code="location_not_found")
        result.append(at)
    if filters.in_stock_online:
        result.append(sorted(locations.filter(feeds_online=True).values_list("pk", flat=True)))
    return result


MAX_RESCUED = 500


def _rescued(location_ids: list[int], now: datetime) -> tuple[str, list]:
    """Variants whose stock at one of these locations is held to the last unit (on_hand ≤ held)
    yet available, because some of those active holds have expired and the sweeper has not marked
    them yet: computed exactly from the holds of the few rows that have such a hold. Returned as
    an SQL list of ids ("" when none), or, if there are very many, as the subquery itself."""
    if not location_ids:
        return "", []
    places = _placeholders(location_ids)
    hold = Hold._meta.db_table
    sql = (
        f"SELECT s.variant_id FROM {Stock._meta.db_table} s JOIN {hold} h ON h.stock_id = s.id"  # noqa: S608 - identifiers and %s placeholders only
        f" WHERE h.status = %s AND s.location_id IN ({places}) AND s.on_hand <= s.held"
        f" AND s.id IN (SELECT x.stock_id FROM {hold} x"
        f" WHERE x.status = %s AND x.expires_at <= %s AND x.location_id IN ({places}))"
        " GROUP BY s.id, s.variant_id, s.on_hand"
        " HAVING s.on_hand > SUM(CASE WHEN h.expires_at IS NULL OR h.expires_at > %s THEN h.quantity ELSE 0 END)"
    )
    active, adapted = Hold.Status.ACTIVE.value, connection.ops.adapt_datetimefield_value(now)
    params = [active, *location_ids, active, adapted, *location_ids, adapted]
    ids = sorted({row[0] for row in _rows(f"{sql} LIMIT {MAX_RESCUED + 1}", params)})  # noqa: S608
    if len(ids) > MAX_RESCUED:
        return sql, params
    return _placeholders(ids), ids


def _terms(words: list[str], boutique_ids: list[int] | None, backend) -> tuple[list[Term], dict[str, list[str]]]:
    """A Term per query word; a word that starts no indexed word of the boutiques in scope is
    also matched by the nearest vocabulary words (1 edit up to 7 letters, 2 from 8)."""
    if not words:
        return [], {}
    scope_sql, scope_params = "", []
    if boutique_ids is not None:
        scope_sql = f" AND boutique_id IN ({_placeholders(boutique_ids)})"
        scope_params = list(boutique_ids)
    exists = ", ".join(
        f"EXISTS (SELECT 1 FROM search_term WHERE doc_count > 0{scope_sql} AND {backend.prefix_exists()})"  # noqa: S608 - identifiers and %s placeholders only
        for _ in words
    )
    params: list = []
    for word in words:
        params += scope_params + [backend.prefix_pattern(word)]
    found = _rows(f"SELECT {exists}", params)[0]  # noqa: S608 - placeholders only
    missing = [w for w, hit in zip(words, found, strict=True) if not hit and max_typos(w)]
    corrections: dict[str, list[str]] = {}
    if missing:
        low = min(len(w) - max_typos(w) for w in missing)
        high = max(len(w) + max_typos(w) for w in missing)
        vocabulary = _rows(
            "SELECT word, SUM(doc_count) FROM search_term WHERE doc_count > 0"  # noqa: S608
            f"{scope_sql} AND length BETWEEN %s AND %s GROUP BY word",
            scope_params + [low, high],
        )
        for word in missing:
            limit = max_typos(word)
            near = []
            for candidate, documents in vocabulary:
                distance = edit_distance(word, candidate, limit)
                if distance <= limit:
                    near.append((distance, -documents, candidate))
            if near:
                corrections[word] = [candidate for _, _, candidate in sorted(near)[:MAX_CORRECTIONS]]
    return [Term(w, tuple(corrections.get(w, ()))) for w in words], corrections


def _check(query: str, filters: SearchFilters, sort: str, page: int, page_size: int) -> None:
    if sort not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(SORTS)}.", code="invalid_sort")
    if page < 1:
        raise InvalidInput("page starts at 1.", code="invalid_page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"page_size must be between 1 and {MAX_PAGE_SIZE}.", code="invalid_page")
    if len(query or "") > MAX_QUERY_LENGTH:
        raise InvalidInput(f"The search text is longer than {MAX_QUERY_LENGTH} characters.", code="query_too_long")
    for name in ("price_min", "price_max"):
        value = getattr(filters, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise InvalidInput(f"{name} must be a whole number of minor units ≥ 0.", code="invalid_price")
    if filters.price_min is not None and filters.price_max is not None and filters.price_min > filters.price_max:
        raise InvalidInput("price_min is higher than price_max.", code="invalid_price_range")


def search_products(
    *, query: str = "", filters: SearchFilters, sort: str = "relevance", page: int = 1, page_size: int = 24
) -> SearchResult:
    """One page of products matching the text and filters, with facet counts: each facet counts
    the products matching every other facet's selection (OR within a facet, AND across)."""
    _check(query, filters, sort, page, page_size)
    backend = current_backend()
    boutique_ids = _boutique_ids(filters)
    result = SearchResult(hits=[], count=0, page=page, page_size=page_size, query=query,
                          facets={name: [] for name in FACETS})  # fmt: skip
    if boutique_ids == []:
        return result
    category = _category_path(filters.category or "")
    stock_locations = _stock_locations(filters, boutique_ids)
    terms, corrections = _terms(query_words(query), boutique_ids, backend)
    result.corrected_terms = corrections
    now = timezone.now()
    plan = _Plan(
        backend=backend,
        boutique_ids=boutique_ids,
        category_ids=_category_ids(category, boutique_ids) if category else None,
        brand_keys=sorted({facet_key(b) for b in filters.brands} - {""}),
        colour_keys=sorted({facet_key(c) for c in filters.colours} - {""}),
        size_keys=sorted({facet_key(s) for s in filters.sizes} - {""}),
        price_min=filters.price_min,
        price_max=filters.price_max,
        stock_locations=stock_locations,
        terms=terms,
        rescued=[_rescued(location_ids, now) for location_ids in stock_locations],
    )
    with _without_jit():
        counts, ranked, result.count = _run(plan, sort, page, page_size)
    result.facets = _facets(plan, counts, category)
    result.hits = _hits(plan, ranked)
    return result


FACET_CODES = {"category": "k", "brand": "b", "colour": "c", "size": "s"}
FACET_COLUMNS = {"category": "category_id", "brand": "brand_key", "colour": "colour_key", "size": "size_key"}
BASE = "search_base"
NO_NUMBER = "CAST(NULL AS BIGINT)"


def _facet_counts_usable(plan: _Plan, facet: str) -> bool:
    """A browse (no text, price or stock) whose only other selection is a category can add up
    the precomputed SearchFacetCount cells instead of counting products."""
    if plan.uses_base:
        return False
    return not any(
        getattr(plan, f"{other}_keys") for other in ("brand", "colour", "size") if other != facet
    )


def _present(column: str, facet: str) -> str:
    return f"{column} IS NOT NULL" if facet == "category" else f"{column} <> ''"


def _facet_sql(plan: _Plan, facet: str) -> tuple[str, list]:
    """SQL giving (key as text, number of products) for one facet, every other facet's selection
    applied."""
    code = FACET_CODES[facet]
    if _facet_counts_usable(plan, facet):
        conditions, params = ["c.facet = %s", "c.products > 0"], [code]
        if plan.boutique_ids is not None:
            conditions.append(f"c.boutique_id IN ({_placeholders(plan.boutique_ids)})")
            params += plan.boutique_ids
        if facet == "category":
            conditions.append("c.category_id <> 0")
        elif plan.category_ids is not None:
            conditions.append(f"c.category_id IN ({_placeholders(plan.category_ids)})" if plan.category_ids else "1 = 0")
            params += plan.category_ids
        key = "c.category_id" if facet == "category" else "c.key"
        table, counted, conditions_params = "search_facet_count c", "SUM(c.products)", (conditions, params)
    elif plan.uses_base:
        # Text, price and stock were applied once, in search_base; only the selections remain.
        # Distinct (value, product) pairs first, then a plain count: both databases hash or sort
        # the pairs once instead of keeping a sorted set of products per value.
        column = f"b.{FACET_COLUMNS[facet]}"
        conditions, params = plan.selection_conditions("b", exclude=facet)
        conditions.append(_present(column, facet))
        pairs = f"SELECT DISTINCT {column} AS value, b.document_id FROM {BASE} b {_where(conditions)}"  # noqa: S608
        key, table, counted, conditions_params = "x.value", f"({pairs}) x", "COUNT(*)", ([], params)
    elif facet in ("category", "brand") and not plan.variant_level_except(facet):
        # No variant-level filter: one row per product, no DISTINCT needed.
        key = f"d.{FACET_COLUMNS[facet]}"
        conditions, params = plan.product_conditions("d", "product_id", exclude=facet)
        conditions.append(_present(key, facet))
        table, counted, conditions_params = "search_document d", "COUNT(*)", (conditions, params)
    else:
        key = f"v.{FACET_COLUMNS[facet]}"
        conditions, params = plan.all_variant_conditions(exclude=facet)
        conditions.append(_present(key, facet))
        table, counted, conditions_params = "search_variant v", "COUNT(DISTINCT v.document_id)", (conditions, params)
    conditions, params = conditions_params
    sql = (
        f"SELECT '{code}', CAST({key} AS TEXT), {counted}, {NO_NUMBER}, {NO_NUMBER}, {NO_NUMBER}, {NO_NUMBER}"  # noqa: S608 - identifiers and %s placeholders only
        f" FROM {table} {_where(conditions)} GROUP BY {key}"
    )
    return sql, params


def _order_by(plan: _Plan, sort: str) -> str:
    """Over the columns of the page's ranked rows (product_id, price_min, price_max, created_at, score)."""
    newest = "created_at DESC, product_id DESC"
    if sort == "price_asc":
        return f"price_min ASC, {newest}"
    if sort == "price_desc":
        return f"price_max DESC, {newest}"
    if sort == "relevance" and plan.terms:
        return f"score DESC, {newest}"
    return newest


def _page_source(plan: _Plan) -> tuple[str, str, list]:
    """FROM … of the matching products (alias d for search_document) and their price columns."""
    if plan.uses_base or plan.variant_level:
        if plan.uses_base:
            conditions, params = plan.selection_conditions("b")
            grouped = f"SELECT b.document_id, MIN(b.price) AS price_min, MAX(b.price) AS price_max FROM {BASE} b"  # noqa: S608
        else:
            conditions, params = plan.all_variant_conditions()
            grouped = (
                "SELECT v.document_id, MIN(v.price) AS price_min, MAX(v.price) AS price_max FROM search_variant v"
            )
        source = (
            f"FROM ({grouped} {_where(conditions)} GROUP BY 1) m"  # noqa: S608 - identifiers and %s placeholders only
            " JOIN search_document d ON d.product_id = m.document_id"
        )
        return source, "m.price_min AS price_min, m.price_max AS price_max", params
    conditions, params = plan.product_conditions("d", "product_id")
    return f"FROM search_document d {_where(conditions)}", "d.price_min AS price_min, d.price_max AS price_max", params


def _page_sql(plan: _Plan, sort: str, page: int, page_size: int) -> tuple[str, list]:
    """The page's rows: ('p', NULL, product id, price min, price max, total count, position)."""
    score_sql, score_params = plan.score_sql() if sort == "relevance" and plan.terms else ("0", [])
    source, prices, params = _page_source(plan)
    order = _order_by(plan, sort)
    sql = (
        "SELECT * FROM (SELECT 'p', CAST(NULL AS TEXT), r.product_id, r.price_min, r.price_max,"  # noqa: S608
        f" COUNT(*) OVER (), ROW_NUMBER() OVER (ORDER BY {order})"
        f" FROM (SELECT d.product_id, {prices}, d.created_at, {score_sql} AS score {source}) r"
        f" ORDER BY {order} LIMIT %s OFFSET %s) page"
    )
    return sql, score_params + params + [page_size, (page - 1) * page_size]


def _with(plan: _Plan) -> tuple[str, list]:
    """The common table expression of the variants passing text, price and stock: computed once
    per statement and read by every facet and the page, instead of matching the text and probing
    the stock again for each of them."""
    if not plan.uses_base:
        return "", []
    conditions, params = plan.base_conditions()
    sql = (
        f"WITH {BASE} AS {plan.backend.materialized()}(SELECT v.document_id, v.category_id, v.brand_key,"  # noqa: S608
        f" v.colour_key, v.size_key, v.price FROM search_variant v {_where(conditions)}) "
    )
    return sql, params


@contextmanager
def _without_jit():
    """PostgreSQL only: no JIT compilation for the search statement. Its cost estimates (a probe
    per variant) pass jit_above_cost on a large catalog, and compiling then took 20-50 ms of a
    query that runs in 5. SET LOCAL lasts until the transaction ends, so the statement runs in its
    own transaction, or restores the setting when the caller already had one open."""
    if connection.vendor != "postgresql":
        yield
        return
    outer = connection.in_atomic_block
    # Inside the caller's transaction no savepoint is needed: this only reads.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
        previous = cursor.fetchone()[0]
        yield
        if outer:
            cursor.execute("SELECT set_config('jit', %s, true)", [previous])


def _run(plan: _Plan, sort: str, page: int, page_size: int):
    """One statement for the four facets and the page. Returns ({facet: {key: count}}, the page's
    [(product id, price min, price max)] in order, the total count)."""
    with_sql, with_params = _with(plan)
    parts = [_facet_sql(plan, facet) for facet in FACETS] + [_page_sql(plan, sort, page, page_size)]
    sql = with_sql + " UNION ALL ".join(part for part, _ in parts)
    params = with_params + [value for _, part_params in parts for value in part_params]
    counts: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
    by_code = {code: facet for facet, code in FACET_CODES.items()}
    ranked, total = [], 0
    for kind, key, n, price_min, price_max, count, position in _rows(sql, params):
        if kind == "p":
            total = int(count)
            ranked.append((int(position), (int(n), price_min, price_max)))
        else:
            counts[by_code[kind]][str(key)] = int(n)
    ranked.sort()
    if not ranked and page > 1:
        source, _, source_params = _page_source(plan)
        total = _rows(f"{with_sql}SELECT COUNT(*) {source}", with_params + source_params)[0][0]  # noqa: S608
    return counts, [row for _, row in ranked], total


def _facets(plan: _Plan, counts: dict[str, dict[str, int]], category: str) -> dict[str, list[FacetValue]]:
    keys = {(FACET_CODES[f], k) for f in ("brand", "colour", "size") for k in counts[f]}
    keys |= {(FACET_CODES[f], k) for f in ("brand", "colour", "size") for k in getattr(plan, f"{f}_keys")}
    labels = {}
    if keys:
        wanted = SearchFacetLabel.objects.filter(key__in={k for _, k in keys}).values_list("facet", "key", "label")
        labels = {(f, k): label for f, k, label in wanted}
    return {
        "category": _category_facet(counts["category"], category),
        "brand": _value_facet(counts["brand"], plan.brand_keys, labels, "b"),
        "colour": _value_facet(counts["colour"], plan.colour_keys, labels, "c"),
        "size": _value_facet(counts["size"], plan.size_keys, labels, "s", key=lambda v: size_sort_key(v.value)),
    }

def _value_facet(counts: dict[str, int], selected: list[str], labels: dict, code: str, key=None) -> list[FacetValue]:
    values = [
        FacetValue(value=k, label=labels.get((code, k), k), count=n, selected=k in selected) for k, n in counts.items()
    ]
    values += [
        FacetValue(value=k, label=labels.get((code, k), k), count=0, selected=True) for k in selected if k not in counts
    ]
    values.sort(key=key or (lambda v: (-v.count, fold(v.label), v.value)))
    if len(values) > MAX_FACET_VALUES:
        values = [v for i, v in enumerate(values) if i < MAX_FACET_VALUES or v.selected]
    return values


def _category_facet(counts: dict[str, int], selected: str) -> list[FacetValue]:
    """Counts per category path, each including its subcategories (a product is in one category,
    so adding the leaves up never counts a product twice). Paths of several boutiques merge."""
    categories = Category.objects.filter(pk__in=[int(k) for k in counts]).values_list("pk", "path")
    totals: dict[str, int] = {}
    for pk, path in categories:
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            totals[prefix] = totals.get(prefix, 0) + counts[str(pk)]
    if selected and selected not in totals:
        totals[selected] = 0
    names: dict[str, str] = {}
    for path, name in Category.objects.filter(path__in=list(totals)).order_by("path", "pk").values_list("path", "name"):
        names.setdefault(path, name)

    def label(path: str) -> str:
        parts = path.split("/")
        return " › ".join(names.get("/".join(parts[: i + 1]), parts[i]) for i in range(len(parts)))

    return [FacetValue(value=p, label=label(p), count=totals[p], selected=p == selected) for p in sorted(totals)]


def _hits(plan: _Plan, ranked: list[tuple[int, int, int]]) -> list[SearchHit]:
    if not ranked:
        return []
    ids = [product_id for product_id, _, _ in ranked]
    products = {
        p.pk: p
        for p in Product.objects.filter(pk__in=ids)
        .select_related("boutique", "category")
        .prefetch_related(Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")))
    }
    conditions, params = plan.variant_conditions(few=True)
    conditions.insert(0, f"v.document_id IN ({_placeholders(ids)})")
    matching = RawSQL(f"SELECT v.variant_id FROM search_variant v {_where(conditions)}", ids + params)  # noqa: S608
    variants: dict[int, list[Variant]] = {}
    for variant in Variant.objects.filter(pk__in=matching).order_by("product_id", "position", "id"):
        variants.setdefault(variant.product_id, []).append(variant)
    hits = []
    for product_id, price_min, price_max in ranked:
        product = products.get(product_id)
        if product is None:  # deleted since the index was read
            continue
        matched = variants.get(product_id, [])
        currency = matched[0].currency if matched else product.boutique.currency
        hits.append(SearchHit(product, matched, price_min, price_max, currency))
    return hits
