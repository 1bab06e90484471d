from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "omnipresence.visits"
    label = "visits"
