"""API for CSV imports and exports: products and stock of one boutique (format: docs/csv-format.md).

An import answers 200 with the result even when some rows failed (they are listed by line), 422
when the file as a whole is unusable, 413 when it is too large.
"""

from django.http import StreamingHttpResponse
from django.utils import timezone
from ninja import File, Router, Schema, UploadedFile

from omnipresence.catalog import csv_io
from omnipresence.core.api import AUTH, ERRORS, SLUG, request_actor
from omnipresence.inventory import csv_io as stock_csv_io

router = Router(tags=["imports"])


class RowErrorOut(Schema):
    line: int
    code: str
    message: str


class ImportResultOut(Schema):
    rows_total: int
    created: int
    updated: int
    unchanged: int
    failed: int
    dry_run: bool
    errors: list[RowErrorOut]


CSV_RESPONSE = {
    "responses": {
        200: {
            "description": "A CSV file (UTF-8, comma-separated, header on line 1).",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
}


def _upload(file: UploadedFile) -> bytes:
    csv_io.check_size(file.size or 0)
    return file.read()


def csv_download(rows, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_io.csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def export_filename(slug: str, kind: str) -> str:
    return f"{slug}-{kind}-{timezone.now():%Y%m%d-%H%M}.csv"


@router.post("/boutiques/{slug}/imports/products", response={200: ImportResultOut, **ERRORS}, auth=AUTH)
def import_products(request, slug: SLUG, file: File[UploadedFile], dry_run: bool = False):
    """Create or update products and variants from a products CSV (multipart field `file`)."""
    actor = request_actor(request, slug)
    actor.require("imports.run")
    result = csv_io.products_import(actor=actor, content=_upload(file), dry_run=dry_run)
    return result.as_dict()


@router.post("/boutiques/{slug}/imports/stock", response={200: ImportResultOut, **ERRORS}, auth=AUTH)
def import_stock(request, slug: SLUG, file: File[UploadedFile], dry_run: bool = False):
    """Apply a stock count (location, sku, on_hand) from CSV; differences become count movements."""
    actor = request_actor(request, slug)
    actor.require("imports.run")
    name = (file.name or "upload.csv")[:80]
    result = stock_csv_io.stock_import(
        actor=actor, content=_upload(file), dry_run=dry_run, note=f"CSV stock import: {name}"
    )
    return result.as_dict()


@router.get("/boutiques/{slug}/exports/products.csv", response=ERRORS, auth=AUTH, openapi_extra=CSV_RESPONSE)
def export_products(request, slug: SLUG):
    """Every product and active variant as CSV, in the import format."""
    actor = request_actor(request, slug)
    return csv_download(csv_io.products_export_rows(actor=actor), export_filename(slug, "products"))


@router.get("/boutiques/{slug}/exports/stock.csv", response=ERRORS, auth=AUTH, openapi_extra=CSV_RESPONSE)
def export_stock(request, slug: SLUG):
    """Stock per location and SKU: on hand, held by active holds, available."""
    actor = request_actor(request, slug)
    return csv_download(stock_csv_io.stock_export_rows(actor=actor), export_filename(slug, "stock"))
