from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "omnipresence.inventory"
    label = "inventory"
