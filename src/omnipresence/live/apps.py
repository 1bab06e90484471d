from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "omnipresence.live"
    label = "live"

    def ready(self) -> None:
        from omnipresence.core.hooks import on_sweep
        from omnipresence.live import services

        on_sweep("live", services.live_sweep)
