from django.apps import AppConfig


class SharesConfig(AppConfig):
    name = "omnipresence.shares"
    label = "shares"

    def ready(self) -> None:
        from omnipresence.shares import client_link

        client_link.register()
