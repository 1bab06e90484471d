"""`omnipresence import_products --boutique SLUG FILE [--dry-run]` (format: docs/csv-format.md)."""

from omnipresence.catalog.csv_io import products_import
from omnipresence.catalog.management.commands._csv import CsvImportCommand


class Command(CsvImportCommand):
    help = "Create or update products and variants from a products CSV. Exit 0: all rows, 1: some failed, 2: rejected."
    what = "products"

    def run_import(self, *, actor, content, dry_run, progress, source):
        return products_import(actor=actor, content=content, dry_run=dry_run, progress=progress)
