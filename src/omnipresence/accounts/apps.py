from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "omnipresence.accounts"
    label = "accounts"
