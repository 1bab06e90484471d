from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "omnipresence.inbox"
    label = "inbox"

    def ready(self):
        from omnipresence.clients.hooks import on_merge, on_privacy
        from omnipresence.core.hooks import on_sweep
        from omnipresence.inbox import media_fetch, routing, services

        on_sweep("inbox_outbox", services.outbox_sweep)
        on_sweep("inbox_routing", routing.routing_sweep)  # conversations that waited for someone free
        on_sweep("inbox_media", media_fetch.media_sweep)  # her photos a provider could not give at once
        on_merge("inbox", merge=services.merge_conversations, undo=services.merge_conversations_undo)
        on_privacy("inbox", export=services.privacy_export, erase=services.privacy_erase)
