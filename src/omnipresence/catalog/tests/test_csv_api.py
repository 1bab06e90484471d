"""CSV imports and exports through the API and the console page: permissions, tenancy, status codes."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from omnipresence.catalog.models import Product, Variant
from omnipresence.inventory.models import Movement

PRODUCTS_URL = "/api/v1/boutiques/atelier-a/imports/products"
GOOD = b"handle,title,sku,price\nscarf,Scarf,SC-1,10.00\nscarf,,SC-2,oops\n"


def upload(content: bytes, name: str = "products.csv") -> dict:
    return {"file": SimpleUploadedFile(name, content, content_type="text/csv")}


def test_import_answers_200_with_every_bad_row(api_a, world_a):
    response = api_a.post(PRODUCTS_URL, upload(GOOD))

    assert response.status_code == 200
    assert response.json() == {
        "rows_total": 2, "created": 1, "updated": 0, "unchanged": 0, "failed": 1, "dry_run": False,
        "errors": [{"line": 3, "code": "invalid_price", "message": "price: 'oops' is not a price."}],
    }  # fmt: skip
    assert list(Variant.objects.filter(product__handle="scarf").values_list("sku", flat=True)) == ["SC-1"]


def test_dry_run_through_the_api_saves_nothing(api_a, world_a):
    response = api_a.post(PRODUCTS_URL + "?dry_run=true", upload(GOOD))
    assert (response.status_code, response.json()["created"], response.json()["dry_run"]) == (200, 1, True)
    assert not Product.objects.filter(handle="scarf").exists()


def test_unusable_file_is_422_and_too_large_is_413(api_a, world_a, settings):
    header = api_a.post(PRODUCTS_URL, upload(b"handle,title\nx,y\n"))
    encoding = api_a.post(PRODUCTS_URL, upload("handle,title,sku,price\nx,Caf\u00e9,X,1\n".encode("cp1252")))
    empty = api_a.post(PRODUCTS_URL, upload(b""))
    settings.IMPORT_MAX_BYTES = 10
    large = api_a.post(PRODUCTS_URL, upload(GOOD))

    assert (header.status_code, header.json()["code"]) == (422, "invalid_header")
    assert header.json()["details"] == {"missing": ["sku", "price"]}
    assert (encoding.status_code, encoding.json()["code"]) == (422, "not_utf8")
    assert "re-save it as utf-8" in encoding.json()["message"].lower()
    assert (empty.status_code, empty.json()["code"]) == (422, "empty_file")
    assert (large.status_code, large.json()["code"]) == (413, "payload_too_large")
    assert not Product.objects.filter(handle__in=["x", "scarf"]).exists()


def test_another_boutiques_token_cannot_import(world_a, world_b):
    from omnipresence.stores import services as stores

    _, key_b = stores.api_token_create(boutique=world_b["boutique"], name="b")
    client_b = Client(headers={"Authorization": f"Bearer {key_b}"})

    response = client_b.post(PRODUCTS_URL, upload(GOOD))
    export = client_b.get("/api/v1/boutiques/atelier-a/exports/products.csv")

    assert (response.status_code, response.json()["code"]) == (403, "wrong_boutique")
    assert export.status_code == 403
    assert not Product.objects.filter(handle="scarf").exists()


def test_read_only_token_and_anonymous_are_refused(world_a):
    from omnipresence.stores import services as stores

    _, key = stores.api_token_create(boutique=world_a["boutique"], name="ro", scopes=["catalog:read"])
    read_only = Client(headers={"Authorization": f"Bearer {key}"})

    assert read_only.post(PRODUCTS_URL, upload(GOOD)).status_code == 403
    assert read_only.get("/api/v1/boutiques/atelier-a/exports/products.csv").status_code == 200
    assert Client().post(PRODUCTS_URL, upload(GOOD)).status_code == 401
    assert not Product.objects.filter(handle="scarf").exists()


def test_associate_session_gets_403_on_import(world_a, associate_a):
    client = Client()
    client.force_login(associate_a)
    response = client.post(PRODUCTS_URL, upload(GOOD))
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert not Product.objects.filter(handle="scarf").exists()


def test_exports_are_csv_downloads(api_a, world_a):
    products = api_a.get("/api/v1/boutiques/atelier-a/exports/products.csv")
    stock = api_a.get("/api/v1/boutiques/atelier-a/exports/stock.csv")

    assert products.status_code == 200 and products["Content-Type"] == "text/csv; charset=utf-8"
    assert products["Content-Disposition"].startswith('attachment; filename="atelier-a-products-')
    body = b"".join(products.streaming_content).decode()
    assert body.splitlines()[1] == (
        'blue-statement-coat,Blue Statement Coat,Maison Bleue,Women > Coats,"wool, winter",'
        "A long blue wool coat.,active,atelier-a-COAT-BLU-S,,Blue,S,,450.00,,0,GBP"
    )
    assert b"".join(stock.streaming_content).decode().splitlines()[:2] == [
        "location,sku,on_hand,held,available",
        "warehouse,atelier-a-COAT-BLU-L,5,0,5",
    ]


def test_openapi_documents_the_endpoints(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    post = schema["paths"]["/api/v1/boutiques/{slug}/imports/products"]["post"]
    export = schema["paths"]["/api/v1/boutiques/{slug}/exports/products.csv"]["get"]
    assert {"200", "403", "413", "422"} <= set(post["responses"])
    assert "text/csv" in export["responses"]["200"]["content"]
    assert {"401", "403", "404"} <= set(export["responses"])


# --- The console page ---------------------------------------------------------------------------------

PAGE = "/console/atelier-a/imports/"


def test_manager_imports_from_the_console_and_sees_the_bad_rows(world_a, manager_a):
    client = Client()
    client.force_login(manager_a)

    page = client.get(PAGE)
    response = client.post(PAGE, {"kind": "products", **upload(GOOD)})

    assert page.status_code == 200
    assert (
        b'<label for="products-file">' in page.content
        and b'href="/console/atelier-a/imports/stock.csv"' in page.content
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 rows: 1 created, 0 updated, 0 unchanged, 1 not imported." in html
    assert (
        '<tr><th scope="row">3</th><td>price: &#x27;oops&#x27; is not a price. <small><code>invalid_price'
        in html
    )
    assert Variant.objects.filter(sku="SC-1").exists()


def test_console_rejects_a_bad_file_with_its_message(world_a, manager_a):
    client = Client()
    client.force_login(manager_a)
    response = client.post(PAGE, {"kind": "stock", **upload(b"location,sku\n")})
    assert response.status_code == 422
    assert "missing column: on_hand" in response.content.decode()
    assert Movement.objects.filter(kind="count").count() == 0


def test_console_import_page_is_for_managers_only(world_a, world_b, associate_a, associate_b):
    client = Client()
    client.force_login(associate_a)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"kind": "products", **upload(GOOD)}).status_code == 403
    assert client.get(PAGE + "products.csv").status_code == 200  # associates may read the catalog
    client.force_login(associate_b)
    assert client.get(PAGE + "products.csv").status_code == 403
    assert not Product.objects.filter(handle="scarf").exists()


def test_console_download_has_a_bom_for_excel(world_a, manager_a):
    client = Client()
    client.force_login(manager_a)
    response = client.get(PAGE + "stock.csv")
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbflocation,sku,on_hand,held,available\r\n")
