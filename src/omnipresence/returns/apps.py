from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "omnipresence.returns"
    label = "returns"
