"""`omnipresence export_products --boutique SLUG [FILE|-]`: the catalog in the import format."""

from omnipresence.catalog.csv_io import products_export_rows
from omnipresence.catalog.management.commands._csv import CsvExportCommand


class Command(CsvExportCommand):
    help = "Write every product and active variant as CSV (the import format) to FILE or standard output."
    what = "variant"

    def export_rows(self, *, actor):
        return products_export_rows(actor=actor)
