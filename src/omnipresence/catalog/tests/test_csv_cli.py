"""The CSV commands: `omnipresence import_products / export_products`, their output and exit codes."""

import pytest
from django.core.management import CommandError, call_command

from omnipresence.catalog.models import Product, Variant


def write(tmp_path, content: bytes, name: str = "products.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_all_rows_imported_exits_0_with_a_summary(world_a, tmp_path, capsys):
    path = write(tmp_path, b"handle,title,sku,price\nscarf,Scarf,SC-1,10.00\nscarf,,SC-2,12.00\n")

    call_command("import_products", "--boutique", "atelier-a", path)

    out, err = capsys.readouterr()
    assert out == "Imported products: 2 rows — 2 created, 0 updated, 0 unchanged, 0 not imported.\n"
    assert Variant.objects.filter(product__handle="scarf").count() == 2


def test_some_rows_failed_exits_1_and_prints_each_line(world_a, tmp_path, capsys):
    path = write(
        tmp_path, b"handle,title,sku,price\nscarf,Scarf,SC-1,10.00\nscarf,,SC-2,x\nhat,Hat,bad sku,1\n"
    )

    with pytest.raises(CommandError) as err:
        call_command("import_products", "--boutique", "atelier-a", path)

    assert err.value.returncode == 1
    assert str(err.value) == "2 of 3 rows were not imported (see the lines above)."
    out, stderr = capsys.readouterr()
    assert stderr.splitlines() == [
        "line 3: price: 'x' is not a price.",
        "line 4: 'bad sku' is not a valid SKU (letters, digits, . _ - /; at most 64).",
    ]
    assert out == "Imported products: 3 rows — 1 created, 0 updated, 0 unchanged, 2 not imported.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--boutique", "nowhere", "FILE"], "No boutique 'nowhere'."),
        (["--boutique", "atelier-a", "/nonexistent/products.csv"], "No such file: /nonexistent/products.csv"),
        (
            ["--boutique", "atelier-a", "BADHEADER"],
            "The header row is not valid (missing columns: sku, price",
        ),
        (["--boutique", "atelier-a", "CP1252"], "The file is not UTF-8 (it looks like Windows-1252/Latin-1"),
    ],
)
def test_rejected_runs_exit_2_with_a_clean_message(world_a, tmp_path, args, message):
    files = {
        "FILE": write(tmp_path, b"handle,title,sku,price\n"),
        "BADHEADER": write(tmp_path, b"handle,title\nx,y\n", "bad.csv"),
        "CP1252": write(tmp_path, "handle,title,sku,price\nx,Caf\u00e9,X-1,1\n".encode("cp1252"), "cp.csv"),
    }
    with pytest.raises(CommandError) as err:
        call_command("import_products", *[files.get(a, a) for a in args])
    assert err.value.returncode == 2
    assert message in str(err.value)
    assert not Product.objects.filter(handle="x").exists()


def test_too_large_file_exits_2(world_a, tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 10
    with pytest.raises(CommandError) as err:
        call_command(
            "import_products", "--boutique", "atelier-a", write(tmp_path, b"handle,title,sku,price\n")
        )
    assert err.value.returncode == 2 and "imports are limited to" in str(err.value)


def test_dry_run_saves_nothing(world_a, tmp_path, capsys):
    call_command("import_products", "--boutique", "atelier-a", "--dry-run",
                 write(tmp_path, b"handle,title,sku,price\nscarf,Scarf,SC-1,10.00\n"))  # fmt: skip
    assert capsys.readouterr().out.startswith("Dry run, nothing saved: 1 rows — 1 created")
    assert not Product.objects.filter(handle="scarf").exists()


def test_export_to_stdout_and_to_a_file_round_trips(world_a, tmp_path, capsys):
    call_command("export_products", "--boutique", "atelier-a")
    stdout = capsys.readouterr().out
    target = tmp_path / "out.csv"
    call_command("export_products", "--boutique", "atelier-a", str(target))

    assert stdout.splitlines()[0].startswith("handle,title,brand,category")
    assert len(stdout.splitlines()) == 4
    assert target.read_bytes().decode().replace("\r\n", "\n") == stdout.replace("\r\n", "\n")
    assert capsys.readouterr().err == f"Wrote 3 variant rows to {target}.\n"
    call_command("import_products", "--boutique", "atelier-a", str(target))
    assert "0 created, 0 updated, 3 unchanged" in capsys.readouterr().out


def test_export_to_an_unwritable_place_exits_2(world_a):
    with pytest.raises(CommandError) as err:
        call_command("export_products", "--boutique", "atelier-a", "/nonexistent/dir/out.csv")
    assert err.value.returncode == 2
