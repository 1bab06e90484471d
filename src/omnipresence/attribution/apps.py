from django.apps import AppConfig


class AttributionConfig(AppConfig):
    name = "omnipresence.attribution"
    label = "attribution"

    def ready(self) -> None:
        from omnipresence.attribution.services import credit_order_id
        from omnipresence.core import hooks

        for event in ("order.placed", "order.paid", "order.cancelled"):
            hooks.subscribe(event, credit_order_id)
