"""Console pages for CSV imports (managers and owners) and export downloads (/console/<slug>/imports/)."""

from django.conf import settings
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from omnipresence.catalog.csv_io import (
    EXPORT_COLUMNS,
    ImportResult,
    check_size,
    csv_lines,
    products_export_rows,
    products_import,
)
from omnipresence.console.access import staff_view
from omnipresence.core.errors import DomainError, Forbidden
from omnipresence.inventory.csv_io import EXPORT_COLUMNS as STOCK_COLUMNS
from omnipresence.inventory.csv_io import stock_export_rows, stock_import
from omnipresence.stores.access import Actor

KINDS = ("products", "stock")


@require_http_methods(["GET", "POST"])
@staff_view
def imports_page(request, actor: Actor):
    if not actor.can("imports.run"):
        raise Forbidden(
            "Only managers and owners can import CSV files.", details={"permission": "imports.run"}
        )
    context = {
        "actor": actor,
        "boutique": actor.boutique,
        "max_bytes": settings.IMPORT_MAX_BYTES,
        "product_columns": EXPORT_COLUMNS,
        "stock_columns": STOCK_COLUMNS[:3],
        "kind": None,
        "result": None,
        "rejected": None,
        "dry_run": False,
    }
    status = 200
    if request.method == "POST":
        kind = request.POST.get("kind")
        upload = request.FILES.get("file")
        dry_run = request.POST.get("dry_run") == "1"
        context.update(kind=kind if kind in KINDS else None, dry_run=dry_run)
        try:
            if kind not in KINDS:
                raise DomainError("Choose what to import: products or stock.", code="invalid_kind")
            if upload is None:
                raise DomainError("Choose a CSV file to import.", code="missing_file")
            context["result"] = _run(actor, kind, upload, dry_run)
        except DomainError as err:
            context["rejected"] = err
            status = err.status
    return render(request, "console/imports.html", context, status=status)


def _run(actor: Actor, kind: str, upload, dry_run: bool) -> ImportResult:
    check_size(upload.size or 0)
    content = upload.read()
    if kind == "products":
        return products_import(actor=actor, content=content, dry_run=dry_run)
    note = f"CSV stock import: {(upload.name or 'upload.csv')[:80]} by {actor.label}"
    return stock_import(actor=actor, content=content, dry_run=dry_run, note=note)


def _download(rows, slug: str, kind: str) -> StreamingHttpResponse:
    # With a BOM, so that Excel opens the UTF-8 file with its accents intact.
    response = StreamingHttpResponse(csv_lines(rows, bom=True), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}-{kind}-{timezone.now():%Y%m%d-%H%M}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@staff_view
def export_products(request, actor: Actor):
    return _download(products_export_rows(actor=actor), actor.boutique.slug, "products")


@require_GET
@staff_view
def export_stock(request, actor: Actor):
    return _download(stock_export_rows(actor=actor), actor.boutique.slug, "stock")
