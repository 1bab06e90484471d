from django.apps import AppConfig


class FulfilmentConfig(AppConfig):
    name = "omnipresence.fulfilment"
    label = "fulfilment"
