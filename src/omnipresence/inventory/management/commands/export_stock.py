"""`omnipresence export_stock --boutique SLUG [FILE|-]`: stock levels per location and SKU."""

from omnipresence.catalog.management.commands._csv import CsvExportCommand
from omnipresence.inventory.csv_io import stock_export_rows


class Command(CsvExportCommand):
    help = "Write location, sku, on_hand, held and available for every stock row to FILE or standard output."
    what = "stock"

    def export_rows(self, *, actor):
        return stock_export_rows(actor=actor)
