from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "omnipresence.clients"
    label = "clients"
