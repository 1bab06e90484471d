from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "omnipresence.catalog"
    label = "catalog"
