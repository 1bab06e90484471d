from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "omnipresence.visits"
    label = "visits"

    def ready(self) -> None:
        from omnipresence.clients.hooks import on_merge, on_privacy
        from omnipresence.visits import services

        on_merge("visits", merge=services.visits_merge, undo=services.visits_merge_undo)
        on_privacy("visits", export=services.visits_export, erase=services.visits_erase)
