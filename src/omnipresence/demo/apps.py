from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "omnipresence.demo"
    label = "demo"
