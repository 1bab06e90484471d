from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "omnipresence.privacy"
    label = "privacy"
