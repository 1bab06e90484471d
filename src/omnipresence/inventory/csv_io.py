"""Stock CSV: import a shelf count (location, sku, on_hand) and export stock levels.

An import is a count: each location's good rows go through services.count_apply in one transaction,
so differences become `count` movements and the ledger still adds up. Bad rows are reported by line
and left out; the reading rules (encoding, delimiter, header, limits) are the catalog import's.
"""

import re
from collections.abc import Iterator
from typing import Any

from django.db import transaction

from omnipresence.catalog.csv_io import (
    CsvRow,
    ImportResult,
    Progress,
    read_table,
    run_import,
)
from omnipresence.catalog.models import Variant
from omnipresence.catalog.selectors import variants_by_sku
from omnipresence.core.errors import DomainError
from omnipresence.inventory import services
from omnipresence.inventory.models import CycleCountLine, Stock
from omnipresence.inventory.selectors import stock_levels
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Boutique, Location
from omnipresence.stores.selectors import location_list

REQUIRED_COLUMNS = ("location", "sku", "on_hand")
IGNORED_COLUMNS = ("held", "available")  # written by the export, informational on import
EXPORT_COLUMNS = ("location", "sku", "on_hand", "held", "available")
LOOKUP_CHUNK = 500


def stock_import(
    *, actor: Actor, content: bytes, dry_run: bool = False, progress: Progress | None = None, note: str = ""
) -> ImportResult:
    """Apply a stock count from CSV; rows of one location form one cycle count."""
    actor.require("inventory.count")
    table = read_table(content, columns=REQUIRED_COLUMNS, required=REQUIRED_COLUMNS, ignored=IGNORED_COLUMNS)
    result = ImportResult(rows_total=table.rows_total, errors=list(table.bad_lines), dry_run=dry_run)

    def work() -> None:
        by_location = _validate(actor, table.rows, result)
        done, total = len(table.rows) - sum(len(lines) for lines in by_location.values()), len(table.rows)
        for location, lines in by_location.items():
            _apply(actor, location, lines, result, note=note or "CSV stock import")
            done += len(lines)
            if progress:
                progress(done, total)
        if progress and not by_location:
            progress(total, total)

    return run_import(result, work)


def _validate(
    actor: Actor, rows: list[CsvRow], result: ImportResult
) -> dict[Location, list[tuple[int, Variant, int]]]:
    locations = {location.code.lower(): location for location in location_list(boutique=actor.boutique)}
    skus = sorted({row.values["sku"] for row in rows if row.values["sku"]})
    variants: dict[str, Variant] = {}
    for start in range(0, len(skus), LOOKUP_CHUNK):
        variants.update(variants_by_sku(boutique=actor.boutique, skus=skus[start : start + LOOKUP_CHUNK]))
    seen: dict[tuple[int, str], int] = {}
    by_location: dict[Location, list[tuple[int, Variant, int]]] = {}
    for row in rows:
        code, sku, on_hand = row.values["location"], row.values["sku"], row.values["on_hand"]
        errors: list[tuple[str, str]] = []
        location = locations.get(code.lower())
        if not code:
            errors.append(("missing_field", "location is required."))
        elif location is None:
            errors.append(("location_not_found", f"no active location '{code[:40]}' in this boutique."))
        variant = variants.get(sku)
        if not sku:
            errors.append(("missing_field", "sku is required."))
        elif variant is None:
            errors.append(("variant_not_found", f"no variant with SKU '{sku[:64]}' in this boutique."))
        counted = _count(on_hand, errors)
        if location is not None and variant is not None:
            first = seen.setdefault((location.pk, sku), row.line)
            if first != row.line:
                errors.append(
                    ("duplicate_line", f"{sku} at {location.code} is already counted on line {first}.")
                )
        if errors:
            for error_code, message in errors:
                result.add_error(row.line, error_code, message)
            continue
        by_location.setdefault(location, []).append((row.line, variant, counted))
    return by_location


def _count(text: str, errors: list[tuple[str, str]]) -> int:
    if not text:
        errors.append(("invalid_quantity", "on_hand is required."))
    elif re.fullmatch(r"-\s*\d+", text):
        errors.append(("invalid_quantity", f"on_hand cannot be negative ({text[:20]})."))
    elif not re.fullmatch(r"\+?\d{1,9}", text):
        errors.append(("invalid_quantity", f"on_hand '{text[:20]}' is not a whole number."))
    elif int(text) > services.MAX_QUANTITY:
        errors.append(("invalid_quantity", f"on_hand must be at most {services.MAX_QUANTITY:,}."))
    else:
        return int(text)
    return 0


def _apply(actor: Actor, location: Location, lines: list[tuple[int, Variant, int]], result: ImportResult,
           *, note: str) -> None:  # fmt: skip
    existing = set(
        Stock.objects.filter(
            location=location, variant_id__in=[variant.pk for _, variant, _ in lines]
        ).values_list("variant_id", flat=True)
    )
    try:
        with transaction.atomic():
            count = services.count_apply(
                actor=actor,
                location=location,
                counts=[(variant, counted) for _, variant, counted in lines],
                note=note,
            )
    except DomainError as err:
        # Rows are checked above, so this is a race (a variant deleted meanwhile): the location's
        # rows are reported together, as one count.
        for line, _, _ in lines:
            result.add_error(line, err.code, f"{location.code}: {err.message}")
        return
    expected = dict(
        CycleCountLine.objects.filter(count=count).values_list("variant_id", "expected").order_by()
    )
    for _, variant, counted in lines:
        if counted == expected.get(variant.pk, counted):
            result.unchanged += 1
        elif variant.pk not in existing:
            result.created += 1
        else:
            result.updated += 1


def stock_export_rows(*, actor: Actor) -> Iterator[list[Any]]:
    """The header, then location, sku, on hand, held (active holds) and available per stock row."""
    actor.require("inventory.view")  # checked now, not when the first row is read
    return _stock_rows(actor.boutique)


def _stock_rows(boutique: Boutique) -> Iterator[list[Any]]:
    yield list(EXPORT_COLUMNS)
    rows = (
        stock_levels(boutique=boutique)
        .order_by("location__priority", "location__code", "variant__sku")
        .values_list("location__code", "variant__sku", "on_hand", "active_held", "available")
    )
    for code, sku, on_hand, held, available in rows.iterator(chunk_size=2000):
        yield [code, sku, on_hand, held, available]
