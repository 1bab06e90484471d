"""The catalog API through HTTP: the public catalog, product and variant writes, images."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from omnipresence.catalog import services
from omnipresence.catalog.models import Product, ProductImage, Variant

API = "/api/v1/boutiques/atelier-a"


def session(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def send(client, url, body, method="post"):
    return getattr(client, method)(url, body, content_type="application/json")


def error(response) -> tuple[int, str]:
    body = response.json()
    assert body["message"]
    return response.status_code, body["code"]


def png(size=(800, 1000)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 40, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def test_public_catalog_lists_published_products_with_exact_values(client, world_a):
    services.product_create(actor=world_a["actor"], title="Hidden Draft", status="draft")
    response = client.get(f"{API}/products")
    assert response.status_code == 200
    page = response.json()
    assert (page["count"], page["page"], page["page_size"]) == (1, 1, 50)
    product = page["items"][0]
    assert {k: product[k] for k in ("handle", "title", "brand", "category", "tags", "status")} == {
        "handle": "blue-statement-coat", "title": "Blue Statement Coat", "brand": "Maison Bleue",
        "category": "women/coats", "tags": ["wool", "winter"], "status": "active",
    }  # fmt: skip
    assert product["variants"][0] == {
        "id": world_a["variants"][0].pk, "sku": "atelier-a-COAT-BLU-S", "barcode": "", "colour": "Blue",
        "size": "S", "material": "", "price": 45000, "compare_at_price": None, "currency": "GBP", "weight_grams": 0,
    }  # fmt: skip
    assert client.get(f"{API}/products/blue-statement-coat").json()["id"] == world_a["product"].pk


@pytest.mark.parametrize("query", [{"page": 0}, {"page_size": 0}, {"page_size": 201}, {"page": "x"}])
def test_paging_is_bounded(client, world_a, query):
    assert error(client.get(f"{API}/products", query)) == (422, "invalid_input")


def test_manager_creates_a_product_with_variants(world_a, manager_a):
    response = send(session(manager_a), f"{API}/products", {
        "title": "Red Wrap Dress", "brand": "Rosa", "category": "Women > Dresses", "tags": ["Silk", "silk"],
        "variants": [{"sku": "DRESS-RED-S", "price": 12000, "size": "S", "currency": "GBP"},
                     {"sku": "DRESS-RED-M", "price": 12000.0, "size": "M", "barcode": "5012345678900"}],
    })  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["handle"], body["category"], body["tags"]) == ("red-wrap-dress", "women/dresses", ["silk"])
    assert [(v["sku"], v["price"], v["currency"]) for v in body["variants"]] == [
        ("DRESS-RED-S", 12000, "GBP"), ("DRESS-RED-M", 12000, "GBP"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "price", [True, "12", 12.5, -1, 10**11 + 1, None, [12], {"amount": 12}],
)
def test_bad_prices_are_refused_and_nothing_is_created(world_a, manager_a, price):
    response = send(session(manager_a), f"{API}/products",
                    {"title": "Cheap Trick", "variants": [{"sku": "TRICK-1", "price": price}]})  # fmt: skip
    assert error(response) == (422, "invalid_input")
    assert not Product.objects.filter(title="Cheap Trick").exists()
    assert not Variant.objects.filter(sku="TRICK-1").exists()


def test_wrong_currency_rolls_back_the_whole_product(world_a, manager_a):
    response = send(session(manager_a), f"{API}/products",
                    {"title": "Euro Coat", "variants": [{"sku": "EURO-1", "price": 100, "currency": "EUR"}]})  # fmt: skip
    assert error(response) == (422, "currency_mismatch")
    assert not Product.objects.filter(title="Euro Coat").exists()


@pytest.mark.parametrize(
    "body,status,code",
    [
        ({"title": ""}, 422, "invalid_input"),
        ({"title": "  "}, 422, "invalid_input"),
        ({"title": "x" * 201}, 422, "invalid_input"),
        ({"title": "X", "description": "d" * 10_001}, 422, "invalid_input"),
        ({"title": "X", "tags": ["t"] * 31}, 422, "invalid_input"),
        ({"title": "X", "status": "deleted"}, 422, "invalid_input"),
        ({"title": "X", "handle": "not a handle"}, 422, "invalid_input"),
        ({"title": "X", "variants": [{"sku": "bad sku", "price": 1}]}, 422, "invalid_input"),
        ({"title": "X", "variants": [{"sku": "atelier-a-COAT-BLU-S", "price": 1}]}, 409, "variant_exists"),
        ({"title": "Blue Statement Coat"}, 409, "product_exists"),
        ({"title": "X", "category": "a>b>c>d>e>f>g"}, 422, "invalid_category"),
        ('"AAA"', 422, "invalid_input"),  # was a product titled "Aaa" (str.title)
        ("{not json", 400, "malformed_request"),
    ],
)
def test_bad_product_input(world_a, manager_a, body, status, code):
    count = Product.objects.count(), Variant.objects.count()
    assert error(send(session(manager_a), f"{API}/products", body)) == (status, code)
    assert (Product.objects.count(), Variant.objects.count()) == count


def test_associate_and_read_token_cannot_write_the_catalog(world_a, associate_a):
    from omnipresence.stores.services import api_token_create

    _, key = api_token_create(boutique=world_a["boutique"], name="feed", scopes=["catalog:read"])
    for client in (session(associate_a), Client(headers={"Authorization": f"Bearer {key}"})):
        assert error(send(client, f"{API}/products", {"title": "Nope"})) == (403, "forbidden")
        assert error(send(client, f"{API}/products/{world_a['product'].pk}", {"title": "Nope"}, "patch")) == (
            403, "forbidden"
        )  # fmt: skip
        assert error(send(client, f"{API}/variants/atelier-a-COAT-BLU-S", {"price": 1}, "patch")) == (
            403, "forbidden"
        )  # fmt: skip
    assert Product.objects.count() == 1
    assert Variant.objects.get(sku="atelier-a-COAT-BLU-S").price == 45000


def test_product_patch_and_draft_disappears_from_public(client, world_a, manager_a):
    product = world_a["product"]
    response = send(session(manager_a), f"{API}/products/{product.handle}",
                    {"title": "Navy Statement Coat", "category": "Women > Outerwear", "status": "draft"}, "patch")  # fmt: skip
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["category"]) == ("Navy Statement Coat", "women/outerwear")
    assert error(client.get(f"{API}/products/{product.pk}")) == (404, "product_not_found")
    assert client.get(f"{API}/products").json()["count"] == 0
    # Staff still reach drafts through the authenticated routes.
    assert send(session(manager_a), f"{API}/products/{product.pk}", {"status": "active"}, "patch").status_code == 200


def test_variant_create_and_update(world_a, manager_a):
    client = session(manager_a)
    product = world_a["product"]
    response = send(client, f"{API}/products/{product.pk}/variants", {"sku": "atelier-a-COAT-BLU-XL", "price": 47000,
                                                                      "size": "XL"})  # fmt: skip
    assert response.status_code == 201
    assert response.json()["currency"] == "GBP"
    assert Variant.objects.get(sku="atelier-a-COAT-BLU-XL").position == 3

    response = send(client, f"{API}/variants/atelier-a-COAT-BLU-XL",
                    {"price": 46000, "compare_at_price": 52000, "colour": None}, "patch")  # fmt: skip
    assert response.status_code == 200
    assert (response.json()["price"], response.json()["compare_at_price"]) == (46000, 52000)
    response = send(client, f"{API}/variants/atelier-a-COAT-BLU-XL", {"compare_at_price": None, "is_active": None},
                    "patch")  # fmt: skip
    variant = Variant.objects.get(sku="atelier-a-COAT-BLU-XL")
    assert (variant.compare_at_price, variant.is_active, variant.price) == (None, True, 46000)

    assert error(send(client, f"{API}/variants/NOPE-1", {"price": 1}, "patch")) == (404, "variant_not_found")
    assert error(send(client, f"{API}/variants/atelier-a-COAT-BLU-XL", {"price": True}, "patch")) == (
        422, "invalid_input"
    )  # fmt: skip
    assert error(send(client, f"{API}/products/999999/variants", {"sku": "Z-1", "price": 1})) == (
        404, "product_not_found"
    )  # fmt: skip


def test_real_png_is_stored_with_a_thumbnail(world_a, manager_a):
    upload = SimpleUploadedFile("Blue Coat Front.png", png(), content_type="image/png")
    response = session(manager_a).post(f"{API}/products/{world_a['product'].pk}/images?alt=Front", {"image": upload})
    assert response.status_code == 201, response.content
    picture = ProductImage.objects.get()
    assert response.json() == {"url": picture.image.url, "thumbnail_url": picture.thumbnail.url, "alt": "Front"}
    assert picture.image.name.endswith(".jpg") and "blue-coat-front" in picture.image.name
    with Image.open(picture.thumbnail.path) as thumb:
        assert thumb.format == "JPEG" and thumb.width <= 480 and thumb.height <= 600
    with Image.open(picture.image.path) as full:
        assert full.size == (800, 1000)


def test_text_renamed_png_is_refused(world_a, manager_a):
    upload = SimpleUploadedFile("evil.png", b"<?php echo 'hi'; ?>", content_type="image/png")
    response = session(manager_a).post(f"{API}/products/{world_a['product'].pk}/images", {"image": upload})
    assert error(response) == (422, "invalid_image")
    assert ProductImage.objects.count() == 0


def test_too_large_image_is_refused(world_a, manager_a, settings):
    settings.IMAGE_MAX_BYTES = 1024
    upload = SimpleUploadedFile("big.png", png((600, 600)) + b"\0" * 2048, content_type="image/png")
    response = session(manager_a).post(f"{API}/products/{world_a['product'].pk}/images", {"image": upload})
    assert error(response) == (413, "payload_too_large")
    assert ProductImage.objects.count() == 0


def test_multipart_without_boundary_is_a_400_not_a_500(world_a, manager_a):
    response = session(manager_a).generic("POST", f"{API}/products/{world_a['product'].pk}/images", b"--x\r\n",
                                          content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


def test_missing_image_field(world_a, manager_a):
    response = session(manager_a).post(f"{API}/products/{world_a['product'].pk}/images", {})
    assert error(response) == (422, "invalid_input")
