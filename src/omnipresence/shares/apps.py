from django.apps import AppConfig


class SharesConfig(AppConfig):
    name = "omnipresence.shares"
    label = "shares"
