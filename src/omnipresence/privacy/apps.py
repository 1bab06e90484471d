from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "omnipresence.privacy"
    label = "privacy"

    def ready(self):
        from omnipresence.privacy import handlers

        handlers.register()
