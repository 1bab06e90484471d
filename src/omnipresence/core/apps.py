from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "omnipresence.core"
    label = "core"
