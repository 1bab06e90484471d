"""/console/<slug>/imports/: CSV import form and export downloads."""

from django.urls import path

from omnipresence.console import import_views

urlpatterns = [
    path("", import_views.imports_page, name="imports"),
    path("products.csv", import_views.export_products, name="imports_export_products"),
    path("stock.csv", import_views.export_stock, name="imports_export_stock"),
]
