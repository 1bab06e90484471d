from django.apps import AppConfig


def _order_placed(*, order_id: int, **_) -> None:
    from omnipresence.fulfilment.services import fulfilments_create_for_order

    fulfilments_create_for_order(order_id=order_id)


def _order_cancelled(*, order_id: int, **_) -> None:
    from omnipresence.fulfilment.services import fulfilment_cancel_for_order

    fulfilment_cancel_for_order(order_id=order_id)


class FulfilmentConfig(AppConfig):
    name = "omnipresence.fulfilment"
    label = "fulfilment"

    def ready(self) -> None:
        from omnipresence.core import hooks
        from omnipresence.fulfilment.services import fulfilments_release_uncollected

        # Orders emit these inside their transaction: the fulfilments commit or roll back with it.
        hooks.subscribe("order.placed", _order_placed)
        hooks.subscribe("order.cancelled", _order_cancelled)
        hooks.on_sweep("uncollected_pickups", fulfilments_release_uncollected)
