"""Products CSV import and export, through csv_io (the functions the API, console and CLI call)."""

import codecs
import csv
import io

import pytest

from omnipresence.catalog.csv_io import (
    FileRejected,
    csv_lines,
    products_export_rows,
    products_import,
)
from omnipresence.catalog.models import Category, Product, Variant
from omnipresence.conftest import make_boutique
from omnipresence.core.errors import Forbidden, PayloadTooLarge

HEADER = "handle,title,brand,category,tags,description,status,sku,barcode,colour,size,material,price,compare_at_price,weight_grams\n"


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return (header + "".join(line + "\n" for line in lines)).encode()


def errors_of(result) -> list[tuple[int, str]]:
    return [(e["line"], e["code"]) for e in result.as_dict()["errors"]]


def catalog_state(boutique) -> list[tuple]:
    """Everything an import writes, comparable across boutiques."""
    return [
        (p.handle, p.title, p.brand, p.category.path if p.category else "", p.tags, p.description, p.status,
         [(v.sku, v.barcode, v.colour, v.size, v.material, v.price, v.compare_at_price, v.weight_grams, v.position)
          for v in p.variants.order_by("position", "id")])
        for p in Product.objects.filter(boutique=boutique).select_related("category").order_by("handle")
    ]  # fmt: skip


def test_good_file_creates_products_and_variants(world_a):
    actor = world_a["actor"]
    content = csv_bytes(
        'silk-scarf,Silk Scarf,Maison Bleue,Accessories > Scarves,"silk| gift",Hand-rolled edges,active,SCARF-RED,4006381333931,Red,,Silk,89.50,120.00,80',
        'silk-scarf,,,,,,,SCARF-BLU,,Blue,,Silk,"1 250,50",,80',
        "linen-shirt,Linen Shirt,,Men > Shirts,,,draft,SHIRT-M,,White,M,Linen,120,,250",
    )

    result = products_import(actor=actor, content=content)

    assert result.as_dict() == {
        "rows_total": 3, "created": 3, "updated": 0, "unchanged": 0, "failed": 0, "dry_run": False, "errors": [],
    }  # fmt: skip
    scarf = Product.objects.get(boutique=world_a["boutique"], handle="silk-scarf")
    assert (scarf.title, scarf.brand, scarf.category.path, scarf.tags, scarf.description, scarf.status) == (
        "Silk Scarf", "Maison Bleue", "accessories/scarves", ["silk", "gift"], "Hand-rolled edges", "active",
    )  # fmt: skip
    variants = list(scarf.variants.order_by("position").values_list("sku", "barcode", "colour", "price",
                                                                    "compare_at_price", "weight_grams", "position",
                                                                    "currency"))  # fmt: skip
    assert variants == [
        ("SCARF-RED", "4006381333931", "Red", 8950, 12000, 80, 0, "GBP"),
        ("SCARF-BLU", "", "Blue", 125050, None, 80, 1, "GBP"),
    ]
    shirt = Product.objects.get(boutique=world_a["boutique"], handle="linen-shirt")
    assert (shirt.status, shirt.category.path, shirt.variants.get().price) == ("draft", "men/shirts", 12000)


def test_reimporting_the_same_file_changes_nothing_and_an_edit_updates(world_a):
    actor = world_a["actor"]
    content = csv_bytes("scarf,Scarf,,,,,,SC-1,,Red,,,10.00,,0")
    products_import(actor=actor, content=content)

    again = products_import(actor=actor, content=content)
    edited = products_import(actor=actor, content=csv_bytes("scarf,Scarf,,,,,,SC-1,,Red,,,12.00,,0"))

    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert (edited.created, edited.updated, edited.unchanged) == (0, 1, 0)
    assert Variant.objects.get(sku="SC-1").price == 1200


def test_only_the_columns_present_are_touched(world_a):
    sku = world_a["variants"][0].sku
    content = csv_bytes(f"blue-statement-coat,{sku},399.00", header="handle,sku,price\n")

    result = products_import(actor=world_a["actor"], content=content)

    assert (result.updated, result.errors) == (1, [])
    product = Product.objects.get(pk=world_a["product"].pk)
    assert (product.title, product.brand, product.tags, product.category.path) == (
        "Blue Statement Coat", "Maison Bleue", ["wool", "winter"], "women/coats",
    )  # fmt: skip
    variant = Variant.objects.get(sku=sku)
    assert (variant.price, variant.colour, variant.size) == (39900, "Blue", "S")


def test_mixed_file_imports_good_rows_and_reports_every_bad_one_without_half_rows(world_a):
    actor = world_a["actor"]
    before_categories = Category.objects.count()
    content = csv_bytes(
        "good-tee,Good Tee,,,,,,TEE-S,,,S,,25.00,,",  # 2 ok
        "good-tee,,,,,,,TEE-M,,,M,,abc,,",  # 3 bad price
        "bad-hat,Bad Hat,,Hats > Winter,,,,HAT-1,,,,,12.345,,",  # 4 three decimals; no product may remain
        "good-tee,Other Title,,,,,,TEE-L,,,L,,25.00,,",  # 5 conflicts with line 2
        "good-tee,,,,,,,TEE-S,,,S,,26.00,,",  # 6 duplicate SKU of line 2
        ",No Handle,,,,,,NOHANDLE-1,,,,,10,,",  # 7
        "socks,Socks,,,,,,SOCK-1,,,,,5.00,,heavy",  # 8 bad weight
        "socks,,,,,,,bad sku!,,,,,5.00,,",  # 9 bad SKU
        "cap,Cap,,,,,sold-out,CAP-1,,,,,5.00,,",  # 10 unknown status (refused by the service)
        f"cap2,Cap 2,,,,,,{world_a['variants'][0].sku},,,,,5.00,,",  # 11 SKU of another product
        "dup-barcode,Dup,,,,,,DB-1,4006381333931,,,,5.00,,",  # 12 ok
        "dup-barcode,,,,,,,DB-2,4006381333931,,,,5.00,,",  # 13 barcode taken by line 12
        "good-tee,,,,,,,TEE-XL,,,XL,,27.00,,",  # 14 ok
        "only,Only,,,,,,ONLY-1,,,,,,,",  # 15 price missing
        "one,two",  # 16 too few values
    )

    result = products_import(actor=actor, content=content)

    assert errors_of(result) == [
        (3, "invalid_price"), (4, "invalid_price"), (5, "product_conflict"), (6, "duplicate_sku"),
        (7, "invalid_handle"), (8, "invalid_weight"), (9, "invalid_sku"), (10, "invalid_status"),
        (11, "sku_on_other_product"), (13, "variant_exists"), (15, "invalid_price"), (16, "missing_values"),
    ]  # fmt: skip
    assert (result.rows_total, result.created, result.updated, result.unchanged, result.failed) == (
        15,
        3,
        0,
        0,
        12,
    )
    messages = {e.line: e.message for e in result.errors}
    assert messages[5] == "title differs from line 2 of the same handle ('Good Tee')."
    assert messages[6] == "SKU TEE-S already appears on line 2."
    assert messages[4] == "price: '12.345' has more decimals than GBP allows (2)."
    # Exactly the good rows were written; the bad rows left nothing behind (no product, no category).
    assert [row for row in catalog_state(world_a["boutique"]) if row[0] != "blue-statement-coat"] == [
        ("dup-barcode", "Dup", "", "", [], "", "active",
         [("DB-1", "4006381333931", "", "", "", 500, None, 0, 0)]),
        ("good-tee", "Good Tee", "", "", [], "", "active",
         [("TEE-S", "", "", "S", "", 2500, None, 0, 0), ("TEE-XL", "", "", "XL", "", 2700, None, 0, 1)]),
    ]  # fmt: skip
    assert not Product.objects.filter(handle__in=["bad-hat", "socks", "cap", "cap2", "only"]).exists()
    assert Category.objects.count() == before_categories


def test_a_bad_first_row_does_not_stop_the_good_rows_of_its_product(world_a):
    content = csv_bytes("hat,Hat,,,,,,HAT-1,,,,,oops,,", "hat,,,,,,,HAT-2,,,,,9.00,,")

    result = products_import(actor=world_a["actor"], content=content)

    assert errors_of(result) == [(2, "invalid_price")]
    hat = Product.objects.get(handle="hat")
    assert (hat.title, list(hat.variants.values_list("sku", flat=True))) == ("Hat", ["HAT-2"])


def test_a_new_product_needs_a_title(world_a):
    result = products_import(actor=world_a["actor"], content=csv_bytes("untitled,,,,,,,U-1,,,,,9.00,,"))
    assert errors_of(result) == [(2, "missing_field")]
    assert result.errors[0].message == "title is required for a new product."
    assert not Product.objects.filter(handle="untitled").exists()


def test_currency_column_must_match_the_boutique(world_a):
    content = csv_bytes("a,A,A-1,9.00,GBP", "b,B,B-1,9.00,EUR", header="handle,title,sku,price,currency\n")
    result = products_import(actor=world_a["actor"], content=content)
    assert errors_of(result) == [(3, "currency_mismatch")]
    assert result.errors[0].message == "currency is EUR, but this boutique's prices are in GBP."


def test_prices_follow_the_currency_exponent(db):
    world = make_boutique("tokyo", currency="JPY", country="JP", language="ja", tz="Asia/Tokyo", city="Tokyo")
    content = csv_bytes("a,A,A-1,4500", "b,B,B-1,4500.50", header="handle,title,sku,price\n")
    result = products_import(actor=world["actor"], content=content)
    assert errors_of(result) == [(3, "invalid_price")]
    assert Variant.objects.get(sku="A-1").price == 4500


def test_dry_run_reports_but_writes_nothing(world_a):
    before = catalog_state(world_a["boutique"])
    content = csv_bytes("new,New,,,,,,NEW-1,,,,,9.00,,", "new,,,,,,,NEW-2,,,,,x,,")

    result = products_import(actor=world_a["actor"], content=content, dry_run=True)

    assert (result.dry_run, result.created, errors_of(result)) == (True, 1, [(3, "invalid_price")])
    assert catalog_state(world_a["boutique"]) == before


def test_semicolon_bom_crlf_and_quoted_newlines(world_a):
    text = (
        "handle;title;description;sku;price\r\n"
        'robe;Robe d\'été;"Ligne 1\r\nLigne 2";ROBE-1;129,90\r\n'
        "robe;;;ROBE-2;1 299,00\r\n"
        "\r\n"  # a blank line is skipped, not counted
        ";;;;\r\n"
        "jupe;Jupe;;JUPE-1;abc\r\n"
    )
    result = products_import(actor=world_a["actor"], content=codecs.BOM_UTF8 + text.encode())

    assert (result.rows_total, result.created, errors_of(result)) == (3, 2, [(6, "invalid_price")])
    robe = Product.objects.get(handle="robe")
    assert (robe.title, robe.description) == ("Robe d'été", "Ligne 1\r\nLigne 2")
    assert list(robe.variants.values_list("price", flat=True).order_by("position")) == [12990, 129900]


def test_windows_1252_file_is_rejected_with_a_hint(world_a):
    content = "handle,title,sku,price\nrobe,Robe d'été,R-1,9\n".encode("cp1252")
    with pytest.raises(FileRejected) as err:
        products_import(actor=world_a["actor"], content=content)
    assert err.value.code == "not_utf8" and err.value.status == 422
    assert err.value.message == (
        "The file is not UTF-8 (it looks like Windows-1252/Latin-1; the first unreadable byte is on line 2). "
        "Re-save it as UTF-8 (in Excel: “CSV UTF-8”) and try again."
    )
    assert not Product.objects.filter(handle="robe").exists()


def test_utf16_file_is_rejected(world_a):
    content = "handle,title,sku,price\n".encode("utf-16")
    with pytest.raises(FileRejected) as err:
        products_import(actor=world_a["actor"], content=content)
    assert err.value.code == "not_utf8"


@pytest.mark.parametrize(
    ("content", "code", "fragment"),
    [
        (b"", "empty_file", "The file is empty."),
        (b"  \n\n", "empty_file", "The file is empty."),
        (b"handle,title,price\n", "invalid_header", "missing column: sku"),
        (b"handle,sku,price,prcie\n", "invalid_header", "unknown column: prcie"),
        (b"handle,sku,price,SKU\n", "invalid_header", "duplicate column: sku"),
        (b"handle,,sku,price\n", "invalid_header", "column 2 has no name"),
        (b'handle,sku,price\na,"B-1,9\n', "malformed_csv", "not valid CSV near line"),
    ],
)
def test_unusable_files_are_rejected_whole(world_a, content, code, fragment):
    with pytest.raises(FileRejected) as err:
        products_import(actor=world_a["actor"], content=content)
    assert err.value.code == code
    assert fragment in err.value.message


def test_header_is_forgiving_about_case_spaces_and_trailing_empty_columns(world_a):
    content = b"Handle,Title,SKU,Price,Compare at price,Color,,\nx,X,X-1,9,10,Red,,\n"
    result = products_import(actor=world_a["actor"], content=content)
    assert result.errors == []
    assert Variant.objects.filter(sku="X-1").values_list("compare_at_price", "colour").get() == (1000, "Red")


def test_nul_bytes_extra_values_and_overlong_cells_are_row_errors(world_a):
    long = "x" * 10_001
    content = csv_bytes(
        "a,A,A-1,9", "b,B\x00,B-1,9", "c,C,C-1,1,50", f"d,{long},D-1,9", header="handle,title,sku,price\n"
    )
    result = products_import(actor=world_a["actor"], content=content)
    assert errors_of(result) == [(3, "nul_character"), (4, "extra_values"), (5, "too_long")]
    assert "decimal comma" in result.errors[1].message
    assert list(Product.objects.filter(handle__in="abcd").values_list("handle", flat=True)) == ["a"]


def test_too_large_and_too_many_rows(world_a, settings):
    settings.IMPORT_MAX_BYTES = 100
    with pytest.raises(PayloadTooLarge) as err:
        products_import(actor=world_a["actor"], content=csv_bytes(*["a,A,,,,,,A-1,,,,,9,,"] * 10))
    assert err.value.status == 413
    settings.IMPORT_MAX_BYTES = 10_000
    settings.IMPORT_MAX_ROWS = 3
    rows = [f"p{i},P,P-{i},9" for i in range(4)]
    with pytest.raises(PayloadTooLarge) as err:
        products_import(actor=world_a["actor"], content=csv_bytes(*rows, header="handle,title,sku,price\n"))
    assert err.value.code == "too_many_rows"
    assert not Product.objects.filter(handle="p0").exists()


def test_importing_needs_catalog_edit(world_a, associate_actor):
    with pytest.raises(Forbidden):
        products_import(actor=associate_actor, content=csv_bytes("a,A,,,,,,A-1,,,,,9,,"))
    assert not Product.objects.filter(handle="a").exists()


def export_text(actor) -> str:
    return "".join(csv_lines(products_export_rows(actor=actor)))


def test_export_escapes_formulas_and_round_trips_into_an_empty_boutique(world_a):
    actor = world_a["actor"]
    evil = io.StringIO()
    csv.writer(evil).writerow([
        "=cmd", '=HYPERLINK("http://evil")', "@brand", "Women > Coats > Long", "a, b", "+line one\nline two",
        "draft", "EV-1", "", "-red", "", "", "1250.50", "2000.00", "900",
    ])  # fmt: skip
    imported = products_import(
        actor=actor, content=csv_bytes(evil.getvalue().strip(), "bare,Bare product,,,,,,,,,,,,,")
    )
    assert (imported.created, imported.errors) == (2, [])
    text = export_text(actor)

    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "handle", "title", "brand", "category", "tags", "description", "status", "sku", "barcode", "colour",
        "size", "material", "price", "compare_at_price", "weight_grams", "currency",
    ]  # fmt: skip
    assert rows[-2] == [
        "cmd", "'=HYPERLINK(\"http://evil\")", "'@brand", "Women > Coats > Long", "a, b", "'+line one\nline two",
        "draft", "EV-1", "", "'-red", "", "", "1250.50", "2000.00", "900", "GBP",
    ]  # fmt: skip
    assert rows[-1] == ["bare", "Bare product", "", "", "", "", "active", *[""] * 9]
    assert rows[1][:8] == [
        "blue-statement-coat", "Blue Statement Coat", "Maison Bleue", "Women > Coats", "wool, winter",
        "A long blue wool coat.", "active", "atelier-a-COAT-BLU-S",
    ]  # fmt: skip

    empty = make_boutique("empty-shop")
    Product.objects.filter(boutique=empty["boutique"]).delete()
    result = products_import(actor=empty["actor"], content=text.encode())

    assert result.errors == [] and result.rows_total == 5
    assert catalog_state(empty["boutique"]) == catalog_state(world_a["boutique"])
    assert export_text(empty["actor"]).replace("empty-shop", "atelier-a") == text


def test_export_needs_catalog_view(world_a):
    from dataclasses import replace

    with pytest.raises(Forbidden):
        products_export_rows(actor=replace(world_a["actor"], permissions=frozenset()))
