from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "omnipresence.console"
    label = "console"
