"""Faceted search through the selector: text, typos, facets, stock, sorting, the hub, tenancy.

These run on SQLite and on PostgreSQL (the CI's two passes) with the same expected values, which
is what makes the two backends' results identical.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from omnipresence.catalog import services as catalog
from omnipresence.core.errors import InvalidInput, NotFound
from omnipresence.inventory import services as inventory
from omnipresence.inventory.models import Hold
from omnipresence.search.models import SearchDocument, SearchTerm
from omnipresence.search.selectors import SearchFilters, search_products
from omnipresence.search.services import search_index_products, search_index_rebuild
from omnipresence.stores import services as stores


def titles(result):
    return [hit.product.title for hit in result.hits]


def facet(result, name):
    return {v.value: (v.count, v.selected) for v in result.facets[name]}


def in_a(shop, query="", sort="relevance", **filters):
    return search_products(query=query, filters=SearchFilters(boutique=shop["a"]["boutique"], **filters), sort=sort)


def test_text_matches_title_brand_tags_description_best_field_first(shop):
    assert titles(in_a(shop, "blue")) == ["Blue Statement Coat", "Silk Scarf"]  # title 8 > description 1
    # Same score (tag "wool" in both): newest first.
    assert titles(in_a(shop, "wool")) == ["Camel Wrap Coat", "Blue Statement Coat"]
    assert titles(in_a(shop, "atelier")) == ["Linen Shirt", "Camel Wrap Coat"]  # brand
    assert titles(in_a(shop, "gift")) == ["Silk Scarf"]  # tag
    assert titles(in_a(shop, "breathable")) == ["Linen Shirt"]  # description


def test_every_word_must_match_and_prefixes_count(shop):
    assert titles(in_a(shop, "coa")) == ["Camel Wrap Coat", "Blue Statement Coat"]
    assert titles(in_a(shop, "blue coat")) == ["Blue Statement Coat"]
    assert titles(in_a(shop, "linen shi")) == ["Linen Shirt"]
    assert in_a(shop, "silk coat").count == 0


def test_accents_and_case_do_not_matter(shop):
    b = shop["b"]["boutique"]
    for query in ("elegant", "ÉLÉGANT", "Elég"):
        result = search_products(query=query, filters=SearchFilters(boutique=b))
        assert titles(result) == ["Manteau Élégant"]


@pytest.mark.parametrize(
    "query, expected, corrected",
    [
        ("statment", ["Blue Statement Coat"], {"statment": ["statement"]}),
        ("cot", ["Camel Wrap Coat", "Blue Statement Coat"], {"cot": ["coat"]}),
        ("blu coat", ["Blue Statement Coat"], {}),
        ("blue caot", ["Blue Statement Coat"], {"caot": ["coat"]}),  # swapped letters
        ("scraf", ["Silk Scarf"], {"scraf": ["scarf"]}),
        ("brethable", ["Linen Shirt"], {"brethable": ["breathable"]}),
        ("xq", [], {}),  # too short to correct
        ("zzzzzz", [], {}),
    ],
)
def test_typos_are_corrected_from_the_boutique_vocabulary(shop, query, expected, corrected):
    result = in_a(shop, query)
    assert titles(result) == expected
    assert result.corrected_terms == corrected


def test_corrections_only_use_words_of_the_boutiques_searched(shop):
    # "manteau" exists only in boutique B.
    result = in_a(shop, "manteu")
    assert (titles(result), result.corrected_terms) == ([], {})
    hub = search_products(query="manteu", filters=SearchFilters())
    assert (titles(hub), hub.corrected_terms) == (["Manteau Élégant"], {"manteu": ["manteau"]})


def test_strange_characters_never_fail(shop):
    for query in ['"coat', "NEAR(coat blue)", "coat*", "^coat", "-coat", "title:coat", "(coat) AND OR NOT",
                  "coat's", "co-at", "' OR 1=1 --", "\\", "%_", "☃ coat"]:  # fmt: skip
        result = in_a(shop, query)
        assert result.count >= 0
    assert titles(in_a(shop, "(coat* ^blue) -:")) == ["Blue Statement Coat"]
    assert in_a(shop, "!!! ???").count == 4  # no words: browse everything


def test_drafts_archived_and_inactive_variants_are_never_found(shop):
    result = in_a(shop)
    assert titles(result) == ["Linen Shirt", "Silk Scarf", "Camel Wrap Coat", "Blue Statement Coat"]
    assert in_a(shop, "trench").count == 0
    assert in_a(shop, "archived").count == 0
    assert in_a(shop, "jumper").count == 0


def test_facet_counts_without_selection(shop):
    result = in_a(shop)
    assert facet(result, "colour") == {"blue": (3, False), "camel": (1, False), "cream": (1, False), "white": (1, False)}
    assert [v.label for v in result.facets["colour"]][:1] == ["Blue"]
    assert facet(result, "size") == {"s": (2, False), "m": (3, False), "l": (2, False), "one size": (1, False)}
    assert [v.value for v in result.facets["size"]] == ["s", "m", "l", "one size"]
    assert facet(result, "brand") == {"maison bleue": (2, False), "atelier nord": (2, False)}
    assert {v.value: v.label for v in result.facets["brand"]} == {
        "maison bleue": "Maison Bleue", "atelier nord": "Atelier Nord"
    }  # fmt: skip
    assert facet(result, "category") == {
        "accessories": (1, False), "accessories/scarves": (1, False), "men": (1, False), "men/shirts": (1, False),
        "women": (2, False), "women/coats": (2, False),
    }  # fmt: skip
    assert {v.value: v.label for v in result.facets["category"]}["women/coats"] == "Women › Coats"


def test_selected_facet_keeps_its_own_counts_and_narrows_the_others(shop):
    result = in_a(shop, colours=("Blue",))
    assert titles(result) == ["Linen Shirt", "Silk Scarf", "Blue Statement Coat"]
    assert facet(result, "colour") == {"blue": (3, True), "camel": (1, False), "cream": (1, False), "white": (1, False)}
    assert facet(result, "size") == {"s": (1, False), "m": (2, False), "l": (2, False), "one size": (1, False)}
    assert facet(result, "brand") == {"maison bleue": (2, False), "atelier nord": (1, False)}
    # Matching variants only, and their prices.
    shirt = next(hit for hit in result.hits if hit.product.title == "Linen Shirt")
    assert [v.sku for v in shirt.variants] == ["atelier-a-SHIRT-BLU-M", "atelier-a-SHIRT-BLU-L"]
    assert (shirt.price_min, shirt.price_max, shirt.currency) == (12500, 12500, "GBP")


def test_or_within_a_facet_and_across_facets(shop):
    result = in_a(shop, colours=("blue", "camel"), sizes=("M",))
    assert titles(result) == ["Linen Shirt", "Camel Wrap Coat", "Blue Statement Coat"]
    assert facet(result, "colour") == {"blue": (2, True), "camel": (1, True), "white": (1, False)}
    assert facet(result, "size") == {"s": (2, False), "m": (3, True), "l": (2, False), "one size": (1, False)}
    # Variant level: the coat must have one variant that is both blue (or camel) and M.
    result = in_a(shop, colours=("white",), sizes=("L",))
    assert result.count == 0
    assert facet(result, "colour") == {"blue": (2, False), "white": (0, True)}  # blue L: coat, shirt
    assert facet(result, "size") == {"m": (1, False), "l": (0, True)}


def test_brand_and_category_filters(shop):
    assert titles(in_a(shop, brands=("maison bleue",))) == ["Silk Scarf", "Blue Statement Coat"]
    result = in_a(shop, category="women")
    assert titles(result) == ["Camel Wrap Coat", "Blue Statement Coat"]
    assert facet(result, "category")["women"] == (2, True)
    assert facet(result, "category")["men"] == (1, False)  # other categories still counted
    assert facet(result, "brand") == {"maison bleue": (1, False), "atelier nord": (1, False)}
    assert titles(in_a(shop, category="women/coats")) == ["Camel Wrap Coat", "Blue Statement Coat"]
    assert titles(in_a(shop, category="/Men/")) == ["Linen Shirt"]
    assert in_a(shop, category="wom").count == 0  # a path prefix is whole segments
    assert in_a(shop, category="nowhere").count == 0
    result = in_a(shop, category="men", brands=("maison bleue",))
    assert result.count == 0
    assert facet(result, "brand") == {"atelier nord": (1, False), "maison bleue": (0, True)}


def test_price_range_is_on_variant_prices(shop):
    result = in_a(shop, price_min=10000, price_max=50000)
    assert titles(result) == ["Linen Shirt", "Blue Statement Coat"]
    assert [(h.price_min, h.price_max) for h in result.hits] == [(12000, 12500), (45000, 45000)]
    result = in_a(shop, price_min=12500, price_max=12500)
    assert [v.sku for v in result.hits[0].variants] == ["atelier-a-SHIRT-BLU-M", "atelier-a-SHIRT-BLU-L"]
    assert facet(result, "colour") == {"blue": (1, False)}
    with pytest.raises(InvalidInput):
        in_a(shop, price_min=5, price_max=4)


def test_in_stock_at_a_location_and_a_hold_on_the_last_unit(shop):
    assert titles(in_a(shop, in_stock_at="soho")) == ["Silk Scarf", "Blue Statement Coat"]
    assert titles(in_a(shop, in_stock_at="chelsea")) == ["Camel Wrap Coat"]
    result = in_a(shop, in_stock_at="soho")
    scarf = next(hit for hit in result.hits if hit.product.title == "Silk Scarf")
    assert [v.sku for v in scarf.variants] == ["atelier-a-SCARF-BLU"]  # the cream one is not at Soho
    assert facet(result, "colour") == {"blue": (2, False)}

    hold = inventory.hold_place(actor=shop["a"]["actor"], location=shop["a"]["shop"],
                                variant=shop["scarf_variants"]["SCARF-BLU"], quantity=1)  # fmt: skip
    assert titles(in_a(shop, in_stock_at="soho")) == ["Blue Statement Coat"]
    # An expired hold no longer counts, even before the sweeper marks it.
    Hold.objects.filter(pk=hold.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert titles(in_a(shop, in_stock_at="soho")) == ["Silk Scarf", "Blue Statement Coat"]
    with pytest.raises(NotFound) as error:
        in_a(shop, in_stock_at="atlantis")
    assert error.value.code == "location_not_found"
    with pytest.raises(NotFound):
        in_a(shop, in_stock_at="soho", boutiques=("nowhere",))


def test_online_counts_only_locations_that_feed_online(shop):
    assert titles(in_a(shop, in_stock_online=True)) == [
        "Linen Shirt", "Silk Scarf", "Camel Wrap Coat", "Blue Statement Coat"
    ]  # fmt: skip
    stores.location_update(actor=shop["a"]["actor"], location=shop["a"]["shop2"], feeds_online=False)
    assert titles(in_a(shop, in_stock_online=True)) == ["Linen Shirt", "Silk Scarf", "Blue Statement Coat"]
    assert titles(in_a(shop, in_stock_online=True, in_stock_at="chelsea")) == []


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("price_asc", ["Silk Scarf", "Linen Shirt", "Blue Statement Coat", "Camel Wrap Coat"]),
        ("price_desc", ["Camel Wrap Coat", "Blue Statement Coat", "Linen Shirt", "Silk Scarf"]),
        ("newest", ["Linen Shirt", "Silk Scarf", "Camel Wrap Coat", "Blue Statement Coat"]),
        ("relevance", ["Linen Shirt", "Silk Scarf", "Camel Wrap Coat", "Blue Statement Coat"]),
    ],
)
def test_sort_orders(shop, sort, expected):
    assert titles(in_a(shop, sort=sort)) == expected


def test_price_sort_uses_the_matching_variants(shop):
    # Blue only: the shirt's blue variants cost 12500, the scarf 9000.
    result = in_a(shop, sort="price_desc", colours=("blue",))
    assert [(h.product.title, h.price_max) for h in result.hits] == [
        ("Blue Statement Coat", 45000), ("Linen Shirt", 12500), ("Silk Scarf", 9000)
    ]  # fmt: skip


def test_paging(shop):
    pages = [
        search_products(query="", filters=SearchFilters(boutique=shop["a"]["boutique"]), page=p, page_size=3)
        for p in (1, 2, 3)
    ]
    assert [titles(p) for p in pages] == [
        ["Linen Shirt", "Silk Scarf", "Camel Wrap Coat"], ["Blue Statement Coat"], []
    ]  # fmt: skip
    assert [p.count for p in pages] == [4, 4, 4]
    with pytest.raises(InvalidInput):
        search_products(query="", filters=SearchFilters(), page=0)
    with pytest.raises(InvalidInput):
        search_products(query="", filters=SearchFilters(), sort="cheapest")
    with pytest.raises(InvalidInput):
        search_products(query="x" * 201, filters=SearchFilters())


def test_hub_search_boutique_and_city_filters(shop):
    hub = search_products(query="coat", filters=SearchFilters())
    assert [(h.product.title, h.product.boutique.slug) for h in hub.hits] == [
        ("Camel Wrap Coat", "atelier-a"), ("Blue Statement Coat", "boutique-b"), ("Blue Statement Coat", "atelier-a"),
    ]  # fmt: skip
    assert [h.currency for h in hub.hits] == ["GBP", "EUR", "GBP"]
    paris = search_products(query="coat", filters=SearchFilters(city="paris"))
    assert [h.product.boutique.slug for h in paris.hits] == ["boutique-b"]
    only_a = search_products(query="coat", filters=SearchFilters(boutiques=("atelier-a",)))
    assert [h.product.boutique.slug for h in only_a.hits] == ["atelier-a", "atelier-a"]
    both = search_products(query="statement", filters=SearchFilters(boutiques=("atelier-a", "boutique-b")))
    assert both.count == 2
    assert search_products(query="coat", filters=SearchFilters(city="Milan")).count == 0
    hub = search_products(query="", filters=SearchFilters(city="Paris"))
    assert facet(hub, "category") == {
        "femme": (1, False), "femme/manteaux": (1, False), "women": (1, False), "women/coats": (1, False)
    }  # fmt: skip
    with pytest.raises(NotFound) as error:
        search_products(query="", filters=SearchFilters(boutiques=("nowhere",)))
    assert error.value.code == "boutique_not_found"


def test_hub_in_stock_at_looks_at_that_code_in_every_boutique(shop):
    hub = search_products(query="", filters=SearchFilters(in_stock_at="soho"))
    assert [h.product.title for h in hub.hits] == [
        "Manteau Élégant", "Silk Scarf", "Blue Statement Coat", "Blue Statement Coat"
    ]  # fmt: skip


def test_a_boutique_search_never_shows_another_boutiques_products(shop):
    for query in ("", "statement", "manteau", "coat", "laine"):
        for result in (in_a(shop, query), in_a(shop, query, in_stock_online=True)):
            assert {h.product.boutique_id for h in result.hits} <= {shop["a"]["boutique"].pk}
    result = in_a(shop, "")
    assert "femme" not in facet(result, "category")
    assert "noir" not in facet(result, "colour")


def test_the_index_follows_product_and_variant_changes(shop, django_capture_on_commit_callbacks):
    actor = shop["a"]["actor"]
    with django_capture_on_commit_callbacks(execute=True):
        catalog.product_update(actor=actor, product=shop["coat"], title="Midnight Parka")
    assert titles(in_a(shop, "parka")) == ["Midnight Parka"]
    assert in_a(shop, "statement").count == 0
    assert titles(in_a(shop, "parkka")) == ["Midnight Parka"]  # the vocabulary learnt the new word
    assert not SearchTerm.objects.filter(boutique=shop["a"]["boutique"], word="statement", doc_count__gt=0).exists()

    with django_capture_on_commit_callbacks(execute=True):
        catalog.variant_update(actor=actor, variant=shop["shirt_variants"]["SHIRT-WHT-M"], colour="Green")
    assert titles(in_a(shop, colours=("green",))) == ["Linen Shirt"]
    assert facet(in_a(shop), "colour")["blue"] == (3, False)
    assert "white" not in facet(in_a(shop), "colour")

    with django_capture_on_commit_callbacks(execute=True):
        catalog.product_update(actor=actor, product=shop["scarf"], status="draft")
    assert in_a(shop, "scarf").count == 0
    assert facet(in_a(shop), "category").get("accessories") is None

    with django_capture_on_commit_callbacks(execute=True):
        product = catalog.product_create(actor=actor, title="Velvet Blazer", category_path="Women > Jackets")
        catalog.variant_create(actor=actor, product=product, sku="BLAZER-1", price=30000, colour="Black", size="M")
    assert titles(in_a(shop, "velvet")) == ["Velvet Blazer"]


def test_incremental_index_equals_a_rebuild(shop, django_capture_on_commit_callbacks):
    actor = shop["a"]["actor"]
    with django_capture_on_commit_callbacks(execute=True):
        catalog.product_update(actor=actor, product=shop["camel"], title="Camel Cashmere Coat", tags=["cashmere"],
                               category_path="Women > Knitwear")  # fmt: skip
        catalog.variant_update(actor=actor, variant=shop["camel_variants"]["CAMEL-M"], is_active=False)
    search_index_products(product_ids=[shop["scarf"].pk])  # twice is harmless

    def snapshot():
        from omnipresence.search.models import SearchFacetCount

        terms = sorted(SearchTerm.objects.filter(doc_count__gt=0).values_list("boutique_id", "word", "doc_count"))
        counts = sorted(
            SearchFacetCount.objects.filter(products__gt=0).values_list("boutique_id", "category_id", "facet", "key",
                                                                         "products")
        )  # fmt: skip
        docs = sorted(SearchDocument.objects.values_list("product_id", "body", "price_min", "price_max"))
        return terms, counts, docs

    incremental = snapshot()
    search_index_rebuild()
    assert snapshot() == incremental
    search_index_rebuild(boutique=shop["b"]["boutique"])
    assert snapshot() == incremental


def test_query_count_is_bounded(shop, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        result = in_a(shop, "coat blu", colours=("blue",), in_stock_online=True, category="women", sort="price_asc")
    with django_assert_max_num_queries(0):
        [(h.product.boutique.slug, list(h.product.images.all()), h.variants) for h in result.hits]


def test_search_reindex_command(shop):
    from io import StringIO

    from django.core.management import CommandError, call_command

    SearchDocument.objects.all().delete()
    out = StringIO()
    call_command("search_reindex", "--boutique", "atelier-a", stdout=out)
    assert out.getvalue().startswith("Indexed 4 products of boutique atelier-a")
    assert in_a(shop, "coat").count == 2
    call_command("search_reindex", stdout=out)
    assert SearchDocument.objects.count() == 6
    with pytest.raises(CommandError):
        call_command("search_reindex", "--boutique", "nowhere")


@pytest.mark.parametrize("many_expired", [False, True])
def test_expired_holds_never_hide_stock_on_any_path(shop, monkeypatch, many_expired):
    """`held` counts every ACTIVE hold, expired-but-unswept ones too, so on_hand ≤ held does not
    prove a variant sold out. Browse (the locations' stock set), text (a probe per candidate), the
    hub and the hit's matching variants must all see the same availability; also when so many
    rows wait for the sweeper that they are checked by subquery instead of by id."""
    if many_expired:
        monkeypatch.setattr("omnipresence.search.selectors.MAX_RESCUED", 0)
    a, scarf = shop["a"], shop["scarf_variants"]["SCARF-BLU"]
    inventory.stock_receive(actor=a["actor"], location=a["shop"], variant=scarf, quantity=1)  # 2 at Soho
    expired = inventory.hold_place(actor=a["actor"], location=a["shop"], variant=scarf, quantity=1)
    Hold.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    inventory.hold_place(actor=a["actor"], location=a["shop"], variant=scarf, quantity=1)
    # on hand 2, held 2 (one of them expired): 1 available.

    def at_soho():
        browse = titles(in_a(shop, in_stock_at="soho"))
        text = in_a(shop, "silk", in_stock_at="soho")
        hub = [h.product.title for h in search_products(query="", filters=SearchFilters(in_stock_at="soho")).hits]
        skus = [v.sku for h in text.hits for v in h.variants]
        return "Silk Scarf" in browse, titles(text) == ["Silk Scarf"], "Silk Scarf" in hub, skus

    assert at_soho() == (True, True, True, ["atelier-a-SCARF-BLU"])
    assert facet(in_a(shop, in_stock_at="soho"), "colour")["blue"] == (2, False)
    inventory.hold_place(actor=a["actor"], location=a["shop"], variant=scarf, quantity=1)
    # on hand 2, held 3, two unexpired: sold out, although one hold has expired.
    assert at_soho() == (False, False, False, [])
    assert facet(in_a(shop, in_stock_at="soho"), "colour")["blue"] == (1, False)
