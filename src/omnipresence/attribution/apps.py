from django.apps import AppConfig


class AttributionConfig(AppConfig):
    name = "omnipresence.attribution"
    label = "attribution"
