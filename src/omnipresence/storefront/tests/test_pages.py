"""Storefront pages through Django's test client: content, bad input, tenancy, query counts."""

import pytest
from django.urls import reverse

from omnipresence.catalog import services as catalog
from omnipresence.catalog.models import Product
from omnipresence.inventory import services as inventory
from omnipresence.search.services import search_index_rebuild
from omnipresence.storefront.search_params import parse_search
from omnipresence.stores import services as stores


@pytest.fixture
def dress(world_a):
    actor = world_a["actor"]
    product = catalog.product_create(actor=actor, title="Black Silk Dress", brand="Atelier Nord",
                                     category_path="Women > Dresses", description="Bias cut.")  # fmt: skip
    variant = catalog.variant_create(actor=actor, product=product, sku="DRESS-BLK-S", price=28000, colour="Black",
                                     size="S", compare_at_price=35000)  # fmt: skip
    inventory.stock_receive(actor=actor, location=world_a["shop2"], variant=variant, quantity=4)
    return product


@pytest.fixture
def indexed():
    """The search index of what earlier fixtures made: with the `db` fixture nothing commits, so
    the catalog's after-commit hook that feeds the index never runs. List it after the data."""
    search_index_rebuild()


# ---------- Hub ----------


def test_hub_lists_every_boutique_with_city_and_tagline(client, world_a, world_b):
    stores.boutique_create(name="Tide <b>", slug="tide", country="GB", currency="GBP", city="Leith",
                           tagline="Knits & <script>alert(1)</script>")  # fmt: skip
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Atelier A" in html and "Boutique B" in html and "Paris" in html
    assert "Knits &amp; &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert 'lang="en"' in html and 'class="skip-link"' in html


def test_hub_search_finds_pieces_of_every_boutique(client, world_a, world_b, indexed):
    response = client.get("/", {"q": "coat"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="product-card"') == 2
    assert "/atelier-a/p/blue-statement-coat/" in html and "/boutique-b/p/blue-statement-coat/" in html
    assert "£450.00" in html and "450,00\xa0€" in html  # each boutique's currency and language


def test_hub_search_query_count_is_bounded(client, world_a, world_b, django_assert_max_num_queries, indexed):
    # boutiques 1 + search (terms, facets, page, products, images, variants) — not one per hit
    with django_assert_max_num_queries(16):
        assert client.get("/", {"q": "coat"}).status_code == 200


# ---------- Boutique page ----------


def test_boutique_page_lists_published_products_only(client, world_a, dress, indexed):
    catalog.product_create(actor=world_a["actor"], title="Secret Draft", status=Product.Status.DRAFT)
    search_index_rebuild()
    response = client.get("/atelier-a/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Blue Statement Coat" in html and "Black Silk Dress" in html and "Secret Draft" not in html
    assert "2 pieces" in html
    assert (
        'name="colour"' in html
        and 'name="size"' in html
        and 'name="shop"' in html
        and 'name="online"' in html
    )


def test_colour_facet_narrows_results(client, world_a, dress, indexed):
    response = client.get("/atelier-a/", {"colour": "Black"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Black Silk Dress" in html and "Blue Statement Coat" not in html
    assert "1 piece" in html


def test_price_range_is_read_in_major_units(client, world_a, dress, indexed):
    response = client.get("/atelier-a/", {"min": "100", "max": "300"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Black Silk Dress" in html and "Blue Statement Coat" not in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"min": "cheap"}, "is not a price"),
        ({"min": "500", "max": "100"}, "higher than the maximum"),
        ({"page": "0"}, "page number"),
        ({"page": "abc"}, "page number"),
        ({"sort": "random"}, "Unknown sort"),
        ({"shop": "nowhere"}, "no shop"),
        ({"min": "1.234"}, "is not a price"),
    ],
)
def test_bad_search_input_is_a_400_with_a_message(client, world_a, params, message):
    response = client.get("/atelier-a/", params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'role="alert"' in response.content.decode()


def test_search_text_is_escaped(client, world_a):
    response = client.get("/atelier-a/", {"q": '"><script>alert(1)</script>'})
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.content.decode()


def test_htmx_request_gets_only_the_catalog_region(client, world_a, dress, indexed):
    response = client.get(
        "/atelier-a/", {"colour": "Black"}, headers={"HX-Request": "true", "HX-Target": "catalog"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div id="catalog"')
    assert "<html" not in html
    assert 'id="catalog-status" hx-swap-oob="innerHTML"' in html
    assert "HX-Request" in response["Vary"]


def test_boutique_page_query_count_is_bounded(client, world_a, dress, django_assert_max_num_queries, indexed):
    with django_assert_max_num_queries(15):
        assert client.get("/atelier-a/", {"colour": "Black", "online": "1"}).status_code == 200


def test_unknown_boutique_is_404(client, db):
    response = client.get("/nowhere/")
    assert response.status_code == 404
    assert "could not find" in response.content.decode()


def test_brand_colour_that_is_not_a_colour_is_ignored(client, world_a):
    boutique = world_a["boutique"]
    boutique.brand_colour = '#"><x;}'  # the column holds 7 characters
    boutique.save()
    html = client.get("/atelier-a/").content.decode()
    assert "--accent: #1f2937;" in html and '"><x' not in html


# ---------- Product page ----------


def test_product_page_shows_price_variants_and_availability(client, world_a):
    response = client.get("/atelier-a/p/blue-statement-coat/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Blue Statement Coat" in html and "Maison Bleue" in html and "£450.00" in html
    assert html.count('name="size"') == 3
    assert "2 left at Soho — pickup" in html
    assert "Out of stock at Chelsea" in html
    assert "Ship to home" in html
    assert "Warehouse" not in html.split('id="availability-body"')[1].split("</section>")[0]
    assert "/ws/availability/atelier-a/" in html
    assert 'aria-live="polite"' in html


def test_product_page_formats_money_in_the_boutique_language(client, world_b):
    html = client.get("/boutique-b/p/blue-statement-coat/").content.decode()
    assert "450,00\xa0€" in html


def test_variant_picker_selects_by_colour_and_size(client, world_a):
    response = client.get("/atelier-a/p/blue-statement-coat/", {"colour": "Blue", "size": "L"})
    html = response.content.decode()
    assert "atelier-a-COAT-BLU-L" in html
    assert 'value="L" checked' in html


def test_pickup_time_is_shown_in_the_shop_zone(client, world_a, settings):
    html = client.get("/atelier-a/p/blue-statement-coat/").content.decode()
    assert "pickup today from" in html or "pickup tomorrow from" in html


def test_a_hold_takes_units_out_of_the_availability(client, world_a):
    variant = world_a["variants"][0]
    inventory.hold_place(actor=world_a["actor"], location=world_a["shop"], variant=variant, quantity=2,
                         client_name="Jane")  # fmt: skip
    response = client.get(reverse("storefront:availability", args=["atelier-a", "blue-statement-coat"]),
                          {"sku": variant.sku})  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert "Out of stock at Soho" in html and "Ship to home" in html
    assert "<html" not in html
    assert response["Cache-Control"] == "no-store"


def test_product_page_query_count(client, world_a, django_assert_num_queries, django_assert_max_num_queries):
    # boutique 1 + product with variants and images 3 + availability 4 (locations, hours, exceptions, stock)
    # + the web chat launcher 1 (inbox.templatetags.webchat)
    with django_assert_num_queries(9):
        assert client.get("/atelier-a/p/blue-statement-coat/").status_code == 200
    with django_assert_max_num_queries(8):  # the htmx / websocket refresh of the block alone
        assert client.get("/atelier-a/p/blue-statement-coat/availability/").status_code == 200


def test_product_of_another_boutique_is_404(client, world_a, world_b, dress):
    assert client.get("/boutique-b/p/black-silk-dress/").status_code == 404
    assert client.get("/atelier-a/p/black-silk-dress/").status_code == 200


def test_draft_product_is_404(client, world_a):
    catalog.product_create(actor=world_a["actor"], title="Secret Draft", status=Product.Status.DRAFT)
    assert client.get("/atelier-a/p/secret-draft/").status_code == 404


def test_storefront_is_read_only(client, world_a):
    assert client.post("/atelier-a/").status_code == 405
    assert client.post("/atelier-a/p/blue-statement-coat/").status_code == 405


def test_parse_search_converts_major_to_minor_units():
    from django.http import QueryDict

    params = parse_search(QueryDict("min=250&max=1000.50&colour=Blue&colour=Blue"), currency="GBP")
    assert (params.price_min, params.price_max, params.colour, params.errors) == (25000, 100050, ["Blue"], [])
    params = parse_search(QueryDict("min=250"), currency="JPY")
    assert params.price_min == 250
