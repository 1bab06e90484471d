"""`omnipresence import_stock --boutique SLUG FILE [--dry-run]`: a stock count from CSV."""

from pathlib import Path

from omnipresence.catalog.management.commands._csv import CsvImportCommand
from omnipresence.inventory.csv_io import stock_import


class Command(CsvImportCommand):
    help = "Apply a stock count (location, sku, on_hand) from CSV. Exit 0: all rows, 1: some failed, 2: rejected."
    what = "stock"

    def run_import(self, *, actor, content, dry_run, progress, source):
        note = f"CSV stock import: {Path(source).name[:80]}"
        return stock_import(actor=actor, content=content, dry_run=dry_run, progress=progress, note=note)
