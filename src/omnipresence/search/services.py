"""Writes to the search index: re-index some products (after a catalog change) or rebuild in bulk.

The catalog calls `omnipresence.core.hooks.products_changed`; SearchConfig.ready() registers
`search_index_products` for it, so the index follows every product or variant write once its
transaction commits. `search_index_rebuild` rebuilds a boutique (or the hub) in bulk, for the
seeder and `manage.py search_reindex`.
"""

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import astuple, dataclass, fields

from django.db import connection, transaction
from django.db.models import F

from omnipresence.catalog.models import Product, Variant
from omnipresence.search.models import (
    SearchDocument,
    SearchFacetCount,
    SearchFacetLabel,
    SearchTerm,
    SearchVariant,
)
from omnipresence.search.text import facet_key, words
from omnipresence.stores.models import Boutique

log = logging.getLogger(__name__)

BATCH = 2000
PRODUCT_FIELDS = ("id", "boutique_id", "category_id", "title", "brand", "description", "tags", "created_at")
VARIANT_FIELDS = ("id", "product_id", "boutique_id", "colour", "size", "price", "currency")


@dataclass(slots=True)
class _Doc:
    product_id: int
    boutique_id: int
    category_id: int | None
    brand_key: str
    brand: str
    created_at: object
    price_min: int
    price_max: int
    currency: str
    title_words: str
    brand_words: str
    tag_words: str
    body: str


@dataclass(slots=True)
class _Row:
    variant_id: int
    document_id: int
    boutique_id: int
    category_id: int | None
    brand_key: str
    brand: str
    colour_key: str
    colour: str
    size_key: str
    size: str
    price: int


DOC_COLUMNS = [f.name for f in fields(_Doc)]
ROW_COLUMNS = [f.name for f in fields(_Row)]


def _document(product: dict, variants: list[dict]) -> tuple[_Doc, list[_Row]]:
    tags = product["tags"] if isinstance(product["tags"], list) else []
    title_words = words(product["title"])
    brand_words = words(product["brand"])
    tag_words = words(" ".join(str(t) for t in tags))
    body = dict.fromkeys(title_words + brand_words + tag_words + words(product["description"]))
    brand_key = facet_key(product["brand"])[:80]
    brand = " ".join(product["brand"].split())[:80]
    prices = [v["price"] for v in variants]
    document = _Doc(
        product["id"], product["boutique_id"], product["category_id"], brand_key, brand, product["created_at"],
        min(prices), max(prices), variants[0]["currency"], " ".join(title_words), " ".join(brand_words),
        " ".join(tag_words), " ".join(body),
    )  # fmt: skip
    rows = [
        _Row(
            v["id"], product["id"], product["boutique_id"], product["category_id"], brand_key, brand,
            facet_key(v["colour"])[:40], " ".join(v["colour"].split())[:40],
            facet_key(v["size"])[:20], " ".join(v["size"].split())[:20], v["price"],
        )  # fmt: skip
        for v in variants
    ]
    return document, rows


def _build(products: list[dict]) -> tuple[list[_Doc], list[_Row]]:
    """Documents for the products that are sellable: active, with at least one active variant."""
    by_product: dict[int, list[dict]] = {p["id"]: [] for p in products}
    variants = (
        Variant.objects.filter(product_id__in=list(by_product), is_active=True)
        .order_by("product_id", "position", "id")
        .values(*VARIANT_FIELDS)
    )
    for variant in variants:
        by_product[variant["product_id"]].append(variant)
    documents, rows = [], []
    for product in products:
        if by_product[product["id"]]:
            document, variant_rows = _document(product, by_product[product["id"]])
            documents.append(document)
            rows.extend(variant_rows)
    return documents, rows


def _insert(documents: list[_Doc], rows: list[_Row]) -> None:
    """Plain multi-row INSERTs: bulk_create's per-object work was most of a rebuild's time."""
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for table, columns, items in (
            ("search_document", DOC_COLUMNS, [astuple(d) for d in documents]),
            ("search_variant", ROW_COLUMNS, [astuple(r) for r in rows]),
        ):
            if table == "search_document":
                at = columns.index("created_at")
                items = [(*item[:at], adapt(item[at]), *item[at + 1 :]) for item in items]
            one = "(" + ", ".join(["%s"] * len(columns)) + ")"
            per_statement = 500
            for start in range(0, len(items), per_statement):
                chunk = items[start : start + per_statement]
                values = ", ".join([one] * len(chunk))
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}"  # noqa: S608 - constant names
                cursor.execute(sql, [value for item in chunk for value in item])


def _memberships(
    boutique_id: int, category_id: int | None, brand_key: str, colour_keys, size_keys
) -> set[tuple[int, int, str, str]]:
    """The SearchFacetCount cells one product counts in."""
    cell = (boutique_id, category_id or 0)
    found = {(*cell, "k", "")}
    if brand_key:
        found.add((*cell, "b", brand_key))
    found |= {(*cell, "c", key) for key in colour_keys if key}
    found |= {(*cell, "s", key) for key in size_keys if key}
    return found


def _document_memberships(document: _Doc, rows: list[_Row]) -> set:
    return _memberships(
        document.boutique_id, document.category_id, document.brand_key,
        {r.colour_key for r in rows}, {r.size_key for r in rows},
    )  # fmt: skip


def _labels(documents: list[_Doc], rows: list[_Row]) -> dict[tuple[str, str], str]:
    labels: dict[tuple[str, str], str] = {}
    pairs = [("b", d.brand_key, d.brand) for d in documents]
    pairs += [("c", r.colour_key, r.colour) for r in rows] + [("s", r.size_key, r.size) for r in rows]
    for facet, key, label in pairs:
        if key and ((facet, key) not in labels or label < labels[(facet, key)]):
            labels[(facet, key)] = label
    return labels


def _counts_add(delta: Counter) -> None:
    """Like _vocabulary_add, for the facet counts of browsing."""
    delta = Counter({key: n for key, n in delta.items() if n})
    if not delta:
        return
    SearchFacetCount.objects.bulk_create(
        [SearchFacetCount(boutique_id=b, category_id=c, facet=f, key=k, products=0) for (b, c, f, k), n in delta.items()],
        ignore_conflicts=True,
        batch_size=BATCH,
    )
    for (boutique_id, category_id, facet, key), n in sorted(delta.items()):
        SearchFacetCount.objects.filter(boutique_id=boutique_id, category_id=category_id, facet=facet, key=key).update(
            products=F("products") + n
        )


def _vocabulary_add(delta: Counter) -> None:
    """Apply +/- document counts per (boutique id, word). Rows are created at 0 first, then every
    change is one atomic UPDATE, so concurrent re-indexes never lose a count."""
    delta = Counter({key: n for key, n in delta.items() if n})
    if not delta:
        return
    SearchTerm.objects.bulk_create(
        [SearchTerm(boutique_id=b, word=w, length=len(w), doc_count=0) for (b, w), n in delta.items() if n > 0],
        ignore_conflicts=True,
        batch_size=BATCH,
    )
    groups: dict[tuple[int, int], list[str]] = {}
    for (boutique_id, word), n in delta.items():
        groups.setdefault((boutique_id, n), []).append(word)
    for (boutique_id, n), group in sorted(groups.items()):
        for start in range(0, len(group), 500):
            SearchTerm.objects.filter(boutique_id=boutique_id, word__in=group[start : start + 500]).update(
                doc_count=F("doc_count") + n
            )


def search_index_products(*, product_ids: Iterable[int]) -> int:
    """Re-index these products (new, changed, unpublished or gone); returns how many are indexed."""
    ids = sorted(set(product_ids))
    if not ids:
        return 0
    with transaction.atomic():
        # Serialise re-indexes of the same products so the vocabulary counts stay exact (a row
        # lock on PostgreSQL; SQLite's IMMEDIATE transactions serialise writers anyway).
        list(Product.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
        delta: Counter = Counter()
        counts: Counter = Counter()
        old_rows: dict[int, list[tuple[str, str]]] = {}
        for row in SearchVariant.objects.filter(document_id__in=ids).values_list("document_id", "colour_key", "size_key"):
            old_rows.setdefault(row[0], []).append(row[1:])
        old = SearchDocument.objects.filter(pk__in=ids).values_list(
            "product_id", "boutique_id", "category_id", "brand_key", "body"
        )
        for product_id, boutique_id, category_id, brand_key, body in old:
            for word in set(body.split()):
                delta[(boutique_id, word)] -= 1
            variant_keys = old_rows.get(product_id, [])
            counts.subtract(_memberships(
                boutique_id, category_id, brand_key, {c for c, _ in variant_keys}, {s for _, s in variant_keys}
            ))  # fmt: skip
        products = list(
            Product.objects.filter(pk__in=ids, status=Product.Status.ACTIVE).order_by("pk").values(*PRODUCT_FIELDS)
        )
        documents, rows = _build(products)
        SearchVariant.objects.filter(document_id__in=ids).delete()
        SearchDocument.objects.filter(pk__in=ids).delete()
        _insert(documents, rows)
        by_document: dict[int, list[_Row]] = {}
        for row in rows:
            by_document.setdefault(row.document_id, []).append(row)
        for document in documents:
            for word in set(document.body.split()):
                delta[(document.boutique_id, word)] += 1
            counts.update(_document_memberships(document, by_document[document.product_id]))
        _vocabulary_add(delta)
        _counts_add(counts)
        SearchFacetLabel.objects.bulk_create(
            [SearchFacetLabel(facet=f, key=k, label=label) for (f, k), label in sorted(_labels(documents, rows).items())],
            ignore_conflicts=True,
        )
    return len(documents)


def _product_batches(boutique: Boutique | None) -> Iterator[list[dict]]:
    products = Product.objects.filter(status=Product.Status.ACTIVE)
    if boutique is not None:
        products = products.filter(boutique=boutique)
    last = 0
    while True:
        batch = list(products.filter(pk__gt=last).order_by("pk").values(*PRODUCT_FIELDS)[:BATCH])
        if not batch:
            return
        yield batch
        last = batch[-1]["id"]


def search_index_rebuild(*, boutique: Boutique | None = None) -> int:
    """Rebuild the index of one boutique, or of the whole hub, in bulk; returns the number of
    products indexed. One transaction: searches keep seeing the old index until it commits."""
    where, params = ("WHERE boutique_id = %s", [boutique.pk]) if boutique is not None else ("", [])
    count = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            for table in ("search_variant", "search_document", "search_term", "search_facet_count"):
                cursor.execute(f"DELETE FROM {table} {where}", params)  # noqa: S608 - constant names
        vocabulary: Counter = Counter()
        counts: Counter = Counter()
        labels: dict[tuple[str, str], str] = {}
        for products in _product_batches(boutique):
            documents, rows = _build(products)
            _insert(documents, rows)
            by_document: dict[int, list[_Row]] = {}
            for row in rows:
                by_document.setdefault(row.document_id, []).append(row)
            for document in documents:
                vocabulary.update((document.boutique_id, word) for word in set(document.body.split()))
                counts.update(_document_memberships(document, by_document[document.product_id]))
            for key, label in _labels(documents, rows).items():
                if key not in labels or label < labels[key]:
                    labels[key] = label
            count += len(documents)
        SearchFacetCount.objects.bulk_create(
            (SearchFacetCount(boutique_id=b, category_id=c, facet=f, key=k, products=n)
             for (b, c, f, k), n in counts.items()),
            batch_size=BATCH,
        )  # fmt: skip
        if boutique is None:
            SearchFacetLabel.objects.all().delete()
        SearchFacetLabel.objects.bulk_create(
            [SearchFacetLabel(facet=f, key=k, label=label) for (f, k), label in sorted(labels.items())],
            ignore_conflicts=True,
            batch_size=BATCH,
        )
        SearchTerm.objects.bulk_create(
            (SearchTerm(boutique_id=b, word=w, length=len(w), doc_count=n) for (b, w), n in vocabulary.items()),
            batch_size=BATCH,
        )
        with connection.cursor() as cursor:
            for table in ("search_document", "search_variant", "search_term", "search_facet_count"):
                cursor.execute(f"ANALYZE {table}")
    return count


def products_changed_callback(product_ids: list[int]) -> None:
    """Registered with core.hooks: runs after the catalog's transaction committed. A failure
    must not turn a saved product into an error page; it is logged and a rebuild repairs it."""
    try:
        search_index_products(product_ids=product_ids)
    except Exception:
        log.exception("re-indexing products %s for search failed", product_ids[:20])
