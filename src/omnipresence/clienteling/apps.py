from django.apps import AppConfig


class ClientelingConfig(AppConfig):
    name = "omnipresence.clienteling"
    label = "clienteling"
