from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "omnipresence.inventory"
    label = "inventory"

    def ready(self) -> None:
        from omnipresence.core.hooks import on_sweep
        from omnipresence.inventory.services import holds_sweep

        on_sweep("holds", holds_sweep)
