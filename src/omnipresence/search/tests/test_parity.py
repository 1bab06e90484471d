"""The same data and queries give exactly these results on SQLite and on PostgreSQL: this file
runs in both CI passes with one table of expected answers (order, counts, corrections)."""

import pytest
from django.db import connection

from omnipresence.search.selectors import SearchFilters, search_products

CASES = [
    # (query, filters, sort, expected [(boutique slug, handle)], count, corrected terms)
    ("coat", {}, "relevance", [("atelier-a", "camel-wrap-coat"), ("boutique-b", "blue-statement-coat"),
                               ("atelier-a", "blue-statement-coat")], 3, {}),  # fmt: skip
    ("co", {"boutiques": ("atelier-a",)}, "relevance", [("atelier-a", "camel-wrap-coat"),
                                                        ("atelier-a", "blue-statement-coat")], 2, {}),  # fmt: skip
    ("wool blu", {}, "relevance", [("boutique-b", "blue-statement-coat"), ("atelier-a", "blue-statement-coat")], 2, {}),
    ("statment coat", {}, "price_desc", [("boutique-b", "blue-statement-coat"), ("atelier-a", "blue-statement-coat")],
     2, {"statment": ["statement"]}),  # fmt: skip
    ("manteu laine", {}, "relevance", [("boutique-b", "manteau-elegant")], 1, {"manteu": ["manteau"]}),
    ("", {"colours": ("blue",), "sizes": ("m", "one size")}, "price_asc",
     [("atelier-a", "silk-scarf"), ("atelier-a", "linen-shirt"), ("boutique-b", "blue-statement-coat"),
      ("atelier-a", "blue-statement-coat")], 4, {}),  # fmt: skip
    ("", {"city": "London", "category": "women"}, "newest", [("atelier-a", "camel-wrap-coat"),
                                                             ("atelier-a", "blue-statement-coat")], 2, {}),  # fmt: skip
    ("", {"in_stock_online": True, "price_min": 40000}, "price_asc",
     [("boutique-b", "blue-statement-coat"), ("atelier-a", "blue-statement-coat"), ("atelier-a", "camel-wrap-coat"),
      ("boutique-b", "manteau-elegant")], 4, {}),  # fmt: skip
    ("silk OR \"blue*\" NEAR(", {}, "relevance", [], 0, {}),
    ("silk \"blue*\" (", {}, "relevance", [("atelier-a", "silk-scarf")], 1, {}),
]


@pytest.mark.parametrize("query, filters, sort, expected, count, corrected", CASES)
def test_same_results_on_both_databases(shop, query, filters, sort, expected, count, corrected):
    result = search_products(query=query, filters=SearchFilters(**filters), sort=sort)
    got = [(hit.product.boutique.slug, hit.product.handle) for hit in result.hits]
    assert (got, result.count, result.corrected_terms) == (expected, count, corrected), connection.vendor


def test_facets_are_the_same_on_both_databases(shop):
    result = search_products(query="blue", filters=SearchFilters(colours=("Blue",)))
    facets = {name: [(v.value, v.label, v.count, v.selected) for v in values] for name, values in result.facets.items()}
    assert facets == {
        "category": [("accessories", "Accessories", 1, False), ("accessories/scarves", "Accessories › Scarves", 1, False),
                     ("women", "Women", 2, False), ("women/coats", "Women › Coats", 2, False)],
        "brand": [("maison bleue", "Maison Bleue", 3, False)],
        "colour": [("blue", "Blue", 3, True), ("cream", "Cream", 1, False)],
        "size": [("s", "S", 2, False), ("m", "M", 2, False), ("l", "L", 2, False), ("one size", "One size", 1, False)],
    }  # fmt: skip
