"""Stock CSV: a count import (through services.count_apply) and the stock export; API and CLI."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from omnipresence.catalog.csv_io import FileRejected
from omnipresence.core.errors import Forbidden
from omnipresence.inventory import services
from omnipresence.inventory.csv_io import stock_export_rows, stock_import
from omnipresence.inventory.models import CycleCount, Movement, Stock
from omnipresence.inventory.selectors import ledger_check


def on_hand(world) -> dict[tuple[str, str], int]:
    return {
        (s.location.code, s.variant.sku): s.on_hand
        for s in Stock.objects.filter(boutique=world["boutique"]).select_related("location", "variant")
    }


def test_count_import_records_count_movements_and_keeps_the_ledger(world_a):
    s, m, lg = (v.sku for v in world_a["variants"])
    content = (
        "location,sku,on_hand\n"
        f"soho,{s},3\n"  # 2 → 3
        f"soho,{m},2\n"  # unchanged
        f"chelsea,{lg},4\n"  # no stock row yet
        f"warehouse,{s},0\n"  # 5 → 0
    ).encode()

    result = stock_import(actor=world_a["actor"], content=content, note="spring count")

    assert result.as_dict() == {
        "rows_total": 4, "created": 1, "updated": 2, "unchanged": 1, "failed": 0, "dry_run": False, "errors": [],
    }  # fmt: skip
    levels = on_hand(world_a)
    assert (levels["soho", s], levels["soho", m], levels["chelsea", lg], levels["warehouse", s]) == (
        3,
        2,
        4,
        0,
    )
    counts = list(Movement.objects.filter(kind="count").order_by("id").values_list("location__code", "variant__sku",
                                                                                   "quantity"))  # fmt: skip
    assert sorted(counts) == sorted([("soho", s, 1), ("chelsea", lg, 4), ("warehouse", s, -5)])
    assert CycleCount.objects.filter(note="spring count").count() == 3  # one count per location
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_bad_rows_are_reported_and_the_good_ones_applied(world_a):
    s, m, lg = (v.sku for v in world_a["variants"])
    content = (
        "location;sku;on_hand\n"
        f"soho;{s};7\n"  # 2 ok
        f"nowhere;{s};1\n"  # 3 unknown location
        "soho;NO-SUCH-SKU;1\n"  # 4 unknown sku
        f"soho;{m};-2\n"  # 5 negative
        f"soho;{lg};1.5\n"  # 6 not an integer
        f"SOHO;{s};8\n"  # 7 duplicate of line 2 (codes are case-insensitive)
        f"chelsea;{m};\n"  # 8 missing count
        f"chelsea;{lg};100001\n"  # 9 too many
    ).encode()
    before = on_hand(world_a)

    result = stock_import(actor=world_a["actor"], content=content)

    assert [(e.line, e.code) for e in result.errors] == [
        (3, "location_not_found"), (4, "variant_not_found"), (5, "invalid_quantity"), (6, "invalid_quantity"),
        (7, "duplicate_line"), (8, "invalid_quantity"), (9, "invalid_quantity"),
    ]  # fmt: skip
    assert result.errors[2].message == "on_hand cannot be negative (-2)."
    assert result.errors[4].message == f"{s} at soho is already counted on line 2."
    assert (result.rows_total, result.updated, result.failed) == (8, 1, 7)
    assert on_hand(world_a) == {**before, ("soho", s): 7}
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_dry_run_and_permissions_change_nothing(world_a, associate_actor):
    sku = world_a["variants"][0].sku
    content = f"location,sku,on_hand\nsoho,{sku},9\n".encode()
    before = on_hand(world_a)

    dry = stock_import(actor=world_a["actor"], content=content, dry_run=True)
    with pytest.raises(Forbidden):
        stock_import(actor=associate_actor, content=content)

    assert (dry.updated, dry.dry_run) == (1, True)
    assert on_hand(world_a) == before
    assert Movement.objects.filter(kind="count").count() == 0


def test_the_export_can_be_imported_back_unchanged(world_a):
    services.hold_place(
        actor=world_a["actor"], location=world_a["shop"], variant=world_a["variants"][0], quantity=1
    )
    rows = list(stock_export_rows(actor=world_a["actor"]))
    sku = world_a["variants"][0].sku
    assert rows[0] == ["location", "sku", "on_hand", "held", "available"]
    assert ["soho", sku, 2, 1, 1] in rows

    text = "\n".join(",".join(str(cell) for cell in row) for row in rows).encode()
    result = stock_import(actor=world_a["actor"], content=text)
    assert (result.unchanged, result.errors) == (6, [])


def test_header_problems_reject_the_file(world_a):
    with pytest.raises(FileRejected) as err:
        stock_import(actor=world_a["actor"], content=b"location,sku,quantity\n")
    assert err.value.code == "invalid_header"
    assert "missing column: on_hand; unknown column: quantity" in err.value.message


def test_stock_api_import_and_tenancy(api_a, world_a, world_b):
    sku = world_a["variants"][0].sku
    url = "/api/v1/boutiques/{}/imports/stock"
    upload = {"file": SimpleUploadedFile("count.csv", f"location,sku,on_hand\nsoho,{sku},4\n".encode())}

    other = api_a.post(url.format("boutique-b"), dict(upload))
    upload["file"].seek(0)
    response = api_a.post(url.format("atelier-a"), upload)

    assert other.status_code == 403
    assert response.status_code == 200 and response.json()["updated"] == 1
    assert Stock.objects.get(location=world_a["shop"], variant=world_a["variants"][0]).on_hand == 4
    assert Movement.objects.get(kind="count").reason == "cycle count"
    assert CycleCount.objects.get().note == "CSV stock import: count.csv"


def test_stock_commands(world_a, tmp_path, capsys):
    s, m, _ = (v.sku for v in world_a["variants"])
    path = tmp_path / "count.csv"
    path.write_text(f"location,sku,on_hand\nsoho,{s},5\nsoho,{m},x\n")

    with pytest.raises(CommandError) as err:
        call_command("import_stock", "--boutique", "atelier-a", str(path))

    assert err.value.returncode == 1
    out, stderr = capsys.readouterr()
    assert stderr == "line 3: on_hand 'x' is not a whole number.\n"
    assert out == "Imported stock: 2 rows — 0 created, 1 updated, 0 unchanged, 1 not imported.\n"
    call_command("export_stock", "--boutique", "atelier-a")
    assert f"soho,{s},5,0,5\r\n" in capsys.readouterr().out
    assert ledger_check(boutique=world_a["boutique"]) == []
