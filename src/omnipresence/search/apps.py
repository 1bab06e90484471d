from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "omnipresence.search"
    label = "search"

    def ready(self) -> None:
        from omnipresence.core.hooks import on_products_changed
        from omnipresence.search.services import products_changed_callback

        # The catalog announces changed products after commit; the index follows them.
        on_products_changed(products_changed_callback)
