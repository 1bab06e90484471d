from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "omnipresence.inbox"
    label = "inbox"

    def ready(self):
        from omnipresence.clients.hooks import on_merge, on_privacy
        from omnipresence.core.hooks import on_sweep
        from omnipresence.inbox import routing, services

        on_sweep("inbox_outbox", services.outbox_sweep)
        on_sweep("inbox_routing", routing.routing_sweep)  # conversations that waited for someone free
        on_merge("inbox", merge=services.merge_conversations, undo=services.merge_conversations_undo)
        on_privacy("inbox", export=services.privacy_export, erase=services.privacy_erase)
