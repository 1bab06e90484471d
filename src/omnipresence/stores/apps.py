from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "omnipresence.stores"
    label = "stores"
    verbose_name = "Boutiques and locations"
