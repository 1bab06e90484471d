from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "omnipresence.accounts"
    label = "accounts"

    def ready(self) -> None:
        from omnipresence.accounts.client_link import register

        register()  # merges move her wishlist and product views; exports and erasures include them
