from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "omnipresence.storefront"
    label = "storefront"
