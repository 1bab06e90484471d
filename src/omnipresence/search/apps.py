from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "omnipresence.search"
    label = "search"
