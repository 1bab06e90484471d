"""CSV import and export of the catalog (one row per variant), and the CSV reading that every import
shares (encoding, delimiter, header, limits, the result object). See docs/csv-format.md.

Rows are independent units: each row is written in its own transaction through the catalog services,
or not at all, and every bad row is reported by the line number a spreadsheet shows (header = 1).
"""

import codecs
import csv
import io
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.db.models import Count
from django.utils.text import slugify

from omnipresence.catalog import services
from omnipresence.catalog.models import Category, Product, Variant
from omnipresence.catalog.selectors import product_list
from omnipresence.core.errors import DomainError, InvalidInput, PayloadTooLarge
from omnipresence.core.money import minor_exponent, parse_price
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Boutique

DEFAULT_MAX_ROWS = 200_000
MAX_CELL_CHARS = 10_000  # the longest field of any model (a product description)
LOOKUP_CHUNK = 500  # ids per `__in` query, well under SQLite's parameter limit
BATCH_ROWS = 100  # rows per commit; SQLite's single writer is never held for long
# Cells a spreadsheet would run as a formula; exports prefix them with a quote, imports remove it.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
HEADER_ALIASES = {"color": "colour", "compare_at": "compare_at_price", "weight": "weight_grams"}

Progress = Callable[[int, int], None]  # (rows done, rows total)


# --- The result every import returns (API, console and CLI show the same shape) ------------------


@dataclass
class RowError:
    line: int
    code: str
    message: str


@dataclass
class ImportResult:
    rows_total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def failed(self) -> int:
        """Rows that were not imported (a row may carry several errors)."""
        return len({error.line for error in self.errors})

    def add_error(self, line: int, code: str, message: str) -> None:
        self.errors.append(RowError(line=line, code=code, message=message))

    def as_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["failed"] = self.failed
        body["errors"] = sorted(body["errors"], key=lambda e: e["line"])
        return body


class FileRejected(InvalidInput):
    """The whole file is unusable (encoding, header, quoting): nothing was imported."""

    code = "file_rejected"
    default_message = "The file could not be read as CSV."


# --- Reading: bytes → header-checked rows --------------------------------------------------------


@dataclass
class CsvRow:
    line: int  # as a spreadsheet numbers it: the header is line 1
    values: dict[str, str]  # normalised column → stripped cell (formula quote removed)


@dataclass
class CsvTable:
    columns: list[str]
    delimiter: str
    rows: list[CsvRow]
    bad_lines: list[RowError]  # rows broken before any column is read (cell count, NUL, size)

    @property
    def rows_total(self) -> int:
        return len(self.rows) + len({error.line for error in self.bad_lines})


def max_rows() -> int:
    return int(getattr(settings, "IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


def check_size(size: int) -> None:
    limit = settings.IMPORT_MAX_BYTES
    if size > limit:
        raise PayloadTooLarge(
            f"The file is {_megabytes(size)}; imports are limited to {_megabytes(limit)} "
            "(IMPORT_MAX_BYTES). Split it into smaller files."
        )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def decode_csv(content: bytes) -> str:
    """UTF-8, with or without a BOM. Anything else is refused with a hint, never guessed."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _looks_utf16(content[:4096]):
        raise FileRejected(
            "The file is UTF-16 (Excel's “Unicode Text”), not UTF-8. Re-save it as “CSV UTF-8” and try again.",
            code="not_utf8",
        )
    if content.startswith(codecs.BOM_UTF8):
        content = content[len(codecs.BOM_UTF8) :]
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as err:
        line = content[: err.start].count(b"\n") + 1
        try:
            content.decode("cp1252")
            guess = "it looks like Windows-1252/Latin-1"
        except UnicodeDecodeError:
            guess = "its encoding is unknown"
        raise FileRejected(
            f"The file is not UTF-8 ({guess}; the first unreadable byte is on line {line}). "
            "Re-save it as UTF-8 (in Excel: “CSV UTF-8”) and try again.",
            code="not_utf8",
            details={"line": line},
        )


def _looks_utf16(sample: bytes) -> bool:
    # UTF-16 text without a BOM decodes as "valid" UTF-8 full of NULs; a real CSV has none.
    return len(sample) >= 8 and sample.count(b"\x00") > len(sample) // 4


def sniff_delimiter(text: str) -> str:
    """`,` or `;` (European Excel) or a tab, whichever the header line uses most."""
    header = text.split("\n", 1)[0]
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def normalise_column(name: str) -> str:
    name = re.sub(r"[\s\-]+", "_", name.replace("\ufeff", "").strip().lower())
    return HEADER_ALIASES.get(name, name)


def _unquote_formula(cell: str) -> str:
    if cell.startswith("'") and cell[1:2] and cell[1] in FORMULA_PREFIXES:
        return cell[1:]
    return cell


def read_table(
    content: bytes, *, columns: Iterable[str], required: Iterable[str], ignored: Iterable[str] = ()
) -> CsvTable:
    """Decode, sniff and check the header; every data row becomes a CsvRow or a bad line.

    Raises FileRejected (422) when the file as a whole is unusable, PayloadTooLarge (413) when it is
    too big or has too many rows. Blank rows are skipped and not counted.
    """
    check_size(len(content))
    text = decode_csv(content)
    if not text.strip():
        raise FileRejected("The file is empty.", code="empty_file")
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    known, required, ignored = list(columns), list(required), list(ignored)
    limit = max_rows()
    try:
        header = next(reader)
        columns = _check_header(header, known=known, required=required, ignored=ignored)
        rows: list[CsvRow] = []
        bad: list[RowError] = []
        for line, cells in enumerate(reader, start=2):
            if line - 1 > limit:
                raise PayloadTooLarge(
                    f"The file has more than {limit:,} rows; split it into smaller files.",
                    code="too_many_rows",
                )
            cells = [cell.strip() for cell in cells]
            if not any(cells):
                continue
            problem = _row_problem(cells, columns)
            if problem:
                bad.append(RowError(line, *problem))
                continue
            values = {
                column: _unquote_formula(cell)
                for column, cell in zip(columns, cells, strict=False)
                if column not in ignored
            }
            rows.append(CsvRow(line=line, values=values))
    except csv.Error as err:
        line = reader.line_num
        hint = "a field is too long — is a closing quote missing?" if "field limit" in str(err) else str(err)
        raise FileRejected(
            f'The file is not valid CSV near line {line}: {hint}. Check the quotes (") around that line.',
            code="malformed_csv",
            details={"line": line},
        )
    return CsvTable(columns=columns, delimiter=delimiter, rows=rows, bad_lines=bad)


def _check_header(
    header: list[str], *, known: list[str], required: list[str], ignored: list[str]
) -> list[str]:
    names = [normalise_column(name) for name in header]
    while names and not names[-1]:  # a spreadsheet's trailing empty columns
        names.pop()
    problems: list[str] = []
    details: dict[str, list[str]] = {}
    if "" in names:
        problems.append(f"column {names.index('') + 1} has no name")
        details["unnamed"] = [str(i + 1) for i, name in enumerate(names) if not name]
    duplicate = sorted({name for name in names if name and names.count(name) > 1})
    unknown = [name for name in names if name and name not in known and name not in ignored]
    missing = [name for name in required if name not in names]
    for label, items in (("missing", missing), ("unknown", unknown), ("duplicate", duplicate)):
        if items:
            problems.append(f"{label} column{'s' if len(items) > 1 else ''}: {', '.join(items)}")
            details[label] = items
    if problems:
        raise FileRejected(
            f"The header row is not valid ({'; '.join(problems)}). Line 1 names the columns, from: "
            f"{', '.join(known)} (required: {', '.join(required)}).",
            code="invalid_header",
            details=details,
        )
    return names


def _row_problem(cells: list[str], columns: list[str]) -> tuple[str, str] | None:
    if len(cells) < len(columns):
        return "missing_values", f"the row has {len(cells)} values but the header has {len(columns)} columns."
    if any(cells[len(columns) :]):
        return (
            "extra_values",
            f"the row has {len(cells)} values but the header has {len(columns)} columns "
            "(an unquoted comma inside a value, such as a decimal comma?).",
        )
    for column, cell in zip(columns, cells, strict=False):
        if "\x00" in cell:
            return "nul_character", f"{column} contains a NUL character."
        if len(cell) > MAX_CELL_CHARS:
            return "too_long", f"{column} is longer than {MAX_CELL_CHARS:,} characters."
    return None


# --- Writing ---------------------------------------------------------------------------------------


def safe_cell(value: Any) -> str:
    """Text for a cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[Any]], *, bom: bool = False) -> Iterator[str]:
    """Each row as one line of CSV text (for a streaming response or a file)."""
    writer = csv.writer(_Echo())
    if bom:
        yield "\ufeff"
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def format_price(amount: int | None, currency: str) -> str:
    if amount is None:
        return ""
    exponent = minor_exponent(currency)
    return format(Decimal(amount).scaleb(-exponent), f".{exponent}f")


def run_import(result: ImportResult, work: Callable[[], None]) -> ImportResult:
    """Run `work`; in a dry run everything happens inside one transaction that is rolled back."""
    if not result.dry_run:
        work()
        return result
    with transaction.atomic():
        work()
        transaction.set_rollback(True)
    return result


# --- Products ---------------------------------------------------------------------------------------

PRODUCT_COLUMNS = ("handle", "title", "brand", "category", "tags", "description", "status")
VARIANT_COLUMNS = (
    "sku",
    "barcode",
    "colour",
    "size",
    "material",
    "price",
    "compare_at_price",
    "weight_grams",
)
EXPORT_COLUMNS = (*PRODUCT_COLUMNS, *VARIANT_COLUMNS, "currency")
REQUIRED_COLUMNS = ("handle", "sku", "price")
VARIANT_TEXT = ("barcode", "colour", "size", "material")
# Product cells compared between rows of one handle, keyed by the service's field name.
PRODUCT_FIELD_OF_COLUMN = {
    "title": "title",
    "brand": "brand",
    "category": "category_path",
    "tags": "tags",
    "description": "description",
    "status": "status",
}


@dataclass
class _ProductRow:
    line: int
    handle: str
    product: dict[str, Any]  # service field → value, only the non-blank cells
    sku: str
    variant: dict[str, Any]  # service field → value, for every variant column in the file
    errors: list[tuple[str, str]]  # (code, message): the row is reported, not written


def tag_list(text: str) -> list[str]:
    tags: list[str] = []
    for tag in re.split(r"[,;|]", text):
        tag = tag.strip().lower()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def category_key(text: str) -> str:
    """The slug path ("women/coats") that services.category_ensure files `text` under."""
    names = [p.strip() for p in re.split(r"\s*(?:>|/)\s*", text.strip()) if p.strip()]
    return "/".join(slugify(name) or uuid.uuid5(uuid.NAMESPACE_URL, name).hex[:8] for name in names)


def _comparable(name: str, value: Any) -> Any:
    return category_key(value) if name == "category_path" else value


def products_import(
    *, actor: Actor, content: bytes, dry_run: bool = False, progress: Progress | None = None
) -> ImportResult:
    """Create or update products (by handle) and variants (by SKU) from a products CSV."""
    actor.require("catalog.edit")
    table = read_table(content, columns=EXPORT_COLUMNS, required=REQUIRED_COLUMNS)
    result = ImportResult(rows_total=table.rows_total, errors=list(table.bad_lines), dry_run=dry_run)
    return run_import(result, lambda: _ProductImport(actor, table, result, progress).run())


class _ProductImport:
    def __init__(self, actor: Actor, table: CsvTable, result: ImportResult, progress: Progress | None):
        self.actor = actor
        self.boutique = actor.boutique
        self.currency = actor.boutique.currency
        self.columns = set(table.columns)
        self.table = table
        self.result = result
        self.progress = progress
        self.products: dict[str, Product | None] = {}
        self.variants: dict[str, Variant | None] = {}
        self.sku_lines: dict[str, int] = {}
        self.positions: dict[int, int] = {}  # product id → position of its next new variant

    def run(self) -> None:
        parsed = [self._parse(row) for row in self.table.rows]
        rows = [row for row in parsed if row is not None]
        specs = self._product_specs(rows)
        good = [row for row in rows if not row.errors and row.line not in specs.conflicts]
        self._preload({row.handle for row in good}, {row.sku for row in good if row.sku})
        total, done = len(self.table.rows), len(self.table.rows) - len(good)
        for row in rows:
            for code, message in row.errors:
                self.result.add_error(row.line, code, message)
            if row.line in specs.conflicts:
                self.result.errors.append(specs.conflicts[row.line])
        for start in range(0, len(good), BATCH_ROWS):
            # A batch commits together (fewer commits, one after-commit run of the change hooks);
            # inside it every row is still its own savepoint, written whole or not at all.
            with transaction.atomic():
                for row in good[start : start + BATCH_ROWS]:
                    self._write(row, specs.fields[row.handle])
            done += len(good[start : start + BATCH_ROWS])
            if self.progress:
                self.progress(done, total)
        if self.progress and not good:
            self.progress(total, total)

    # -- parsing: one row → values, or its errors --

    def _parse(self, row: CsvRow) -> _ProductRow | None:
        values = row.values
        errors: list[tuple[str, str]] = []
        handle = slugify(values["handle"])[:120]
        if not handle:
            return self._reject(
                row.line, "invalid_handle", "handle is required (letters, digits and dashes)."
            )
        product: dict[str, Any] = {}
        for column, name in PRODUCT_FIELD_OF_COLUMN.items():
            if values.get(column):
                cell = values[column]
                product[name] = (
                    tag_list(cell) if name == "tags" else cell.lower() if name == "status" else cell
                )
        sku = values["sku"]
        variant: dict[str, Any] = {}
        has_variant_cells = any(values.get(column) for column in VARIANT_COLUMNS)
        if has_variant_cells and not sku:
            errors.append(("missing_field", "sku is required when a row has variant values."))
        if sku:
            first = self.sku_lines.setdefault(sku, row.line)
            if first != row.line:
                errors.append(("duplicate_sku", f"SKU {sku} already appears on line {first}."))
            if not services.SKU_RE.match(sku):
                errors.append(
                    (
                        "invalid_sku",
                        f"'{sku[:70]}' is not a valid SKU (letters, digits, . _ - /; at most 64).",
                    )
                )
            for column in VARIANT_TEXT:
                if column in self.columns:
                    variant[column] = values[column]
            self._parse_prices(values, variant, errors)
            if "weight_grams" in self.columns:
                weight = values["weight_grams"]
                if not weight:
                    variant["weight_grams"] = 0
                elif re.fullmatch(r"\d{1,7}", weight) and int(weight) <= 1_000_000:
                    variant["weight_grams"] = int(weight)
                else:
                    errors.append(
                        (
                            "invalid_weight",
                            f"weight_grams '{weight[:20]}' is not a whole number from 0 to 1,000,000.",
                        )
                    )
            currency = values.get("currency", "").upper()
            if currency and currency != self.currency:
                errors.append(
                    (
                        "currency_mismatch",
                        f"currency is {currency[:10]}, but this boutique's prices are in {self.currency}.",
                    )
                )
        # A row with errors still declares its product's fields (it is only left out of the writes).
        return _ProductRow(
            line=row.line, handle=handle, product=product, sku=sku, variant=variant, errors=errors
        )

    def _reject(self, line: int, code: str, message: str) -> None:
        self.result.add_error(line, code, message)

    def _parse_prices(self, values: dict[str, str], variant: dict[str, Any], errors: list) -> None:
        for column in ("price", "compare_at_price"):
            if column not in self.columns:
                continue
            text = values[column]
            if not text:
                if column == "price":
                    errors.append(("invalid_price", "price is required."))
                else:
                    variant[column] = None
                continue
            try:
                variant[column] = parse_price(text, self.currency)
            except InvalidInput as err:
                errors.append((err.code, f"{column}: {err.message}"))

    # -- the product fields of each handle, and rows that contradict them --

    @dataclass
    class _Specs:
        fields: dict[str, dict[str, Any]]  # handle → product field → value
        conflicts: dict[int, RowError]

    def _product_specs(self, rows: list[_ProductRow]) -> "_ProductImport._Specs":
        """The first non-blank cell of each product column wins; a later different one is an error
        for its row. Blank cells repeat the product's value (so Shopify-style files work too)."""
        fields: dict[str, dict[str, Any]] = {}
        first_line: dict[tuple[str, str], int] = {}
        conflicts: dict[int, RowError] = {}
        for row in rows:
            spec = fields.setdefault(row.handle, {})
            clashes = []
            for name, value in row.product.items():
                if name not in spec:
                    continue
                if _comparable(name, value) != _comparable(name, spec[name]):
                    shown = ", ".join(spec[name]) if name == "tags" else spec[name]
                    clashes.append(f"{name.removesuffix('_path')} differs from line {first_line[row.handle, name]} "
                                   f"of the same handle ('{str(shown)[:60]}')")  # fmt: skip
            if clashes:
                conflicts[row.line] = RowError(row.line, "product_conflict", "; ".join(clashes) + ".")
                continue
            for name, value in row.product.items():
                if name not in spec:
                    spec[name] = value
                    first_line[row.handle, name] = row.line
        for spec in fields.values():
            for column, name in PRODUCT_FIELD_OF_COLUMN.items():
                if column in self.columns and name not in spec and name not in ("title", "status"):
                    spec[name] = [] if name == "tags" else ""  # a present, blank column clears the field
        return self._Specs(fields=fields, conflicts=conflicts)

    # -- writing: one row, one transaction --

    def _preload(self, handles: set[str], skus: set[str]) -> None:
        self.products.update(dict.fromkeys(handles))
        self.variants.update(dict.fromkeys(skus))
        for chunk in _chunks(sorted(handles)):
            products = {
                product.pk: product
                for product in Product.objects.filter(
                    boutique=self.boutique, handle__in=chunk
                ).select_related("category")
            }
            self.products.update({product.handle: product for product in products.values()})
            self.positions.update(dict.fromkeys(products, 0))
            counts = (
                Variant.objects.filter(product_id__in=list(products))
                .values("product_id")
                .annotate(n=Count("id"))
            )
            self.positions.update({row["product_id"]: row["n"] for row in counts.order_by()})
        for chunk in _chunks(sorted(skus)):
            for variant in Variant.objects.filter(boutique=self.boutique, sku__in=chunk).select_related(
                "product"
            ):
                self.variants[variant.sku] = variant

    def _product(self, handle: str) -> Product | None:
        if handle not in self.products:
            self.products[handle] = (
                Product.objects.filter(boutique=self.boutique, handle=handle)
                .select_related("category")
                .first()
            )
        return self.products[handle]

    def _variant(self, sku: str) -> Variant | None:
        if sku not in self.variants:
            self.variants[sku] = (
                Variant.objects.filter(boutique=self.boutique, sku=sku).select_related("product").first()
            )
        return self.variants[sku]

    def _write(self, row: _ProductRow, spec: dict[str, Any]) -> None:
        try:
            with transaction.atomic():
                outcome = self._write_row(row, spec)
        except DomainError as err:
            self._forget(row)
            self.result.add_error(row.line, err.code, err.message)
            return
        except (IntegrityError, DataError) as err:
            self._forget(row)
            self.result.add_error(row.line, "rejected", f"the database refused the row ({str(err)[:120]}).")
            return
        setattr(self.result, outcome, getattr(self.result, outcome) + 1)

    def _forget(self, row: _ProductRow) -> None:
        # The transaction rolled back: cached objects may hold values that were never saved.
        product = self.products.pop(row.handle, None)
        self.variants.pop(row.sku, None)
        if product is not None:
            self.positions.pop(product.pk, None)

    def _write_row(self, row: _ProductRow, spec: dict[str, Any]) -> str:
        variant = self._variant(row.sku) if row.sku else None
        product = self._product(row.handle)
        if variant is not None and (product is None or variant.product_id != product.pk):
            raise InvalidInput(
                f"SKU {row.sku} belongs to product '{variant.product.handle}'; a variant cannot move to another product.",
                code="sku_on_other_product",
            )
        outcome = "unchanged"
        if product is None:
            if not spec.get("title"):
                raise InvalidInput("title is required for a new product.", code="missing_field")
            product = services.product_create(
                actor=self.actor, handle=row.handle, title=spec["title"], brand=spec.get("brand", ""),
                description=spec.get("description", ""), category_path=spec.get("category_path", ""),
                tags=spec.get("tags", []), status=spec.get("status", Product.Status.ACTIVE),
            )  # fmt: skip
            self.products[row.handle] = product
            self.positions[product.pk] = 0
            outcome = "created"
        else:
            changes = {
                name: value for name, value in spec.items() if not self._product_has(product, name, value)
            }
            if changes:
                services.product_update(actor=self.actor, product=product, **changes)
                outcome = "updated"
        if not row.sku:
            return outcome
        if variant is None:
            fields = dict(row.variant)
            price = fields.pop("price", None)
            if price is None:
                raise InvalidInput("price is required for a new variant.", code="invalid_price")
            if product.pk not in self.positions:
                self.positions[product.pk] = product.variants.count()
            self.variants[row.sku] = services.variant_create(
                actor=self.actor, product=product, sku=row.sku, price=price,
                position=self.positions[product.pk], **fields,
            )  # fmt: skip
            self.positions[product.pk] += 1
            return "created"
        changes = {name: value for name, value in row.variant.items() if getattr(variant, name) != value}
        if changes:
            services.variant_update(actor=self.actor, variant=variant, **changes)
            return "updated"
        return outcome

    @staticmethod
    def _product_has(product: Product, name: str, value: Any) -> bool:
        if name == "category_path":
            return (product.category.path if product.category else "") == category_key(value)
        return getattr(product, name) == value


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), LOOKUP_CHUNK):
        yield items[start : start + LOOKUP_CHUNK]


def category_names(boutique: Boutique) -> dict[int, str]:
    """Category id → "Women > Coats", for every category of the boutique (one query)."""
    categories = {c.pk: c for c in Category.objects.filter(boutique=boutique).only("pk", "name", "parent_id")}
    names: dict[int, str] = {}

    def name_of(pk: int, depth: int = 0) -> str:
        if pk not in names:
            category = categories[pk]
            parent = category.parent_id
            prefix = name_of(parent, depth + 1) + " > " if parent in categories and depth < 10 else ""
            names[pk] = prefix + category.name
        return names[pk]

    for pk in categories:
        name_of(pk)
    return names


def products_export_rows(*, actor: Actor) -> Iterator[list[Any]]:
    """The header, then one row per active variant (a product without variants gets one row)."""
    actor.require("catalog.view")  # checked now, not when the first row is read
    return _product_rows(actor.boutique)


def _product_rows(boutique: Boutique) -> Iterator[list[Any]]:
    currency = boutique.currency
    categories = category_names(boutique)
    yield list(EXPORT_COLUMNS)
    products = product_list(boutique=boutique, include_unpublished=True).order_by("id")
    for product in products.iterator(chunk_size=500):
        head = [
            product.handle, product.title, product.brand, categories.get(product.category_id, ""),
            ", ".join(product.tags), product.description, product.status,
        ]  # fmt: skip
        variants = list(product.variants.all())
        if not variants:
            yield [*head, "", "", "", "", "", "", "", "", ""]
        for variant in variants:
            yield [
                *head, variant.sku, variant.barcode, variant.colour, variant.size, variant.material,
                format_price(variant.price, currency), format_price(variant.compare_at_price, currency),
                variant.weight_grams, currency,
            ]  # fmt: skip
