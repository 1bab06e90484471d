"""Realtime events go out only after the transaction that caused them commits."""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


def group_send_on_commit(group: str, message: dict) -> None:
    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        if isinstance(layer, InMemoryChannelLayer) and not layer.groups.get(group):
            return  # nobody listens in this process: skip the event-loop round trip
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        try:
            if loop is not None:
                # Called from a thread that runs an event loop (async_to_sync would refuse).
                loop.create_task(layer.group_send(group, message))
            else:
                async_to_sync(layer.group_send)(group, message)
        except Exception:  # a realtime push must never undo a committed write
            log.exception("realtime event to %s failed", group)

    transaction.on_commit(send)
