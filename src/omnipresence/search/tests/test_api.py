"""GET /api/v1/boutiques/{slug}/search and GET /api/v1/search: public, validated, {code, message}."""

import pytest
from django.test import Client


@pytest.fixture
def client():
    return Client()


def test_boutique_search_answers_hits_facets_and_corrections(shop, client):
    response = client.get("/api/v1/boutiques/atelier-a/search", {"q": "statment", "colour": ["Blue"]})
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["page_size"]) == (1, 1, 24)
    assert body["corrected_terms"] == {"statment": ["statement"]}
    assert body["hits"] == [{
        "handle": "blue-statement-coat", "title": "Blue Statement Coat", "brand": "Maison Bleue",
        "boutique": "atelier-a", "price_min": 45000, "price_max": 45000, "currency": "GBP", "thumbnail": None,
        "variants": [{"sku": f"atelier-a-COAT-BLU-{s}", "colour": "Blue", "size": s, "price": 45000} for s in "SML"],
    }]  # fmt: skip
    assert body["facets"]["colour"] == [{"value": "blue", "label": "Blue", "count": 1, "selected": True}]
    assert set(body["facets"]) == {"category", "brand", "colour", "size"}


def test_repeatable_filters_stock_online_sort_and_paging(shop, client):
    url = "/api/v1/boutiques/atelier-a/search"
    body = client.get(url, {"colour": ["blue", "camel"], "size": ["M"], "sort": "price_desc"}).json()
    assert [h["handle"] for h in body["hits"]] == ["camel-wrap-coat", "blue-statement-coat", "linen-shirt"]
    body = client.get(url, {"in_stock_at": "soho", "price_min": 1000, "price_max": 10000}).json()
    assert [h["handle"] for h in body["hits"]] == ["silk-scarf"]
    body = client.get(url, {"online": "true", "brand": ["Atelier Nord"], "page_size": 1, "page": 2}).json()
    assert (body["count"], [h["handle"] for h in body["hits"]]) == (2, ["camel-wrap-coat"])
    body = client.get(url, {"category": "women/coats", "sort": "newest"}).json()
    assert [h["handle"] for h in body["hits"]] == ["camel-wrap-coat", "blue-statement-coat"]


def test_hub_search_with_boutique_and_city_filters(shop, client):
    body = client.get("/api/v1/search", {"q": "blue statement"}).json()
    assert [h["boutique"] for h in body["hits"]] == ["boutique-b", "atelier-a"]
    body = client.get("/api/v1/search", {"q": "coat", "city": "London"}).json()
    assert {h["boutique"] for h in body["hits"]} == {"atelier-a"}
    body = client.get("/api/v1/search", {"q": "coat", "boutique": ["boutique-b", "atelier-a"]}).json()
    assert body["count"] == 3
    body = client.get("/api/v1/search", {"q": "coat", "boutique": ["boutique-b"]}).json()
    assert [h["currency"] for h in body["hits"]] == ["EUR"]


@pytest.mark.parametrize(
    "params",
    [
        {"price_min": "-1"},
        {"price_min": "abc"},
        {"price_min": "500", "price_max": "100"},
        {"sort": "cheapest"},
        {"page": "0"},
        {"page_size": "0"},
        {"page_size": "101"},
        {"q": "x" * 201},
        {"online": "perhaps"},
    ],
)
def test_bad_parameters_answer_422(shop, client, params):
    for url in ("/api/v1/boutiques/atelier-a/search", "/api/v1/search"):
        response = client.get(url, params)
        assert response.status_code == 422, (url, params)
        assert response.json()["code"] in {"invalid_input", "invalid_price_range"}


def test_unknown_boutique_or_location_answer_404(shop, client):
    response = client.get("/api/v1/boutiques/nowhere/search")
    assert (response.status_code, response.json()["code"]) == (404, "boutique_not_found")
    response = client.get("/api/v1/boutiques/atelier-a/search", {"in_stock_at": "atlantis"})
    assert (response.status_code, response.json()["code"]) == (404, "location_not_found")
    response = client.get("/api/v1/search", {"boutique": "nowhere"})
    assert (response.status_code, response.json()["code"]) == (404, "boutique_not_found")


def test_strange_text_is_just_words(shop, client):
    for q in ['"', "NEAR(coat", "coat*^", "-:()", "'; DROP TABLE search_document; --", "\x00coat"]:
        response = client.get("/api/v1/boutiques/atelier-a/search", {"q": q})
        assert response.status_code == 200, q


def test_a_thumbnail_is_the_first_images_thumbnail(shop, client):
    import io

    from PIL import Image

    from omnipresence.catalog import services as catalog

    picture = io.BytesIO()
    Image.new("RGB", (40, 50), "navy").save(picture, "PNG")
    image = catalog.product_image_add(actor=shop["a"]["actor"], product=shop["scarf"], content=picture.getvalue(),
                                      filename="scarf.png")  # fmt: skip
    body = Client().get("/api/v1/boutiques/atelier-a/search", {"q": "scarf"}).json()
    assert body["hits"][0]["thumbnail"] == image.thumbnail.url
