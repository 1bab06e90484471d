from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "omnipresence.orders"
    label = "orders"
