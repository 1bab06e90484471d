from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "omnipresence.orders"
    label = "orders"

    def ready(self) -> None:
        from omnipresence.orders.client_link import register

        register()  # a merge of two clients re-points their orders
