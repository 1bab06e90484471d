"""Realtime events go out only after the transaction that caused them commits."""

import asyncio
import logging
import threading

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def group_send_now(group: str, message: dict) -> None:
    """Send one message to a group at once, from sync code. Raises what the layer raises (Redis
    down, channel full); callers decide how loud that is."""
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, InMemoryChannelLayer) and not layer.groups.get(group):
        return  # nobody listens in this process: skip the event-loop round trip
    if not _loop_running():
        async_to_sync(layer.group_send)(group, message)
        return
    # Sync code on a thread that runs an event loop (async_to_sync refuses there): send from a
    # thread of its own and wait for it, so the event is out when this returns.
    failed: list[BaseException] = []

    def run() -> None:
        try:
            async_to_sync(layer.group_send)(group, message)
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            failed.append(error)

    worker = threading.Thread(target=run, name="realtime-send")
    worker.start()
    worker.join(timeout=10)
    if failed:
        raise failed[0]


def group_send_on_commit(group: str, message: dict) -> None:
    def send() -> None:
        try:
            group_send_now(group, message)
        except Exception:  # a realtime push must never undo a committed write
            log.exception("realtime event to %s failed", group)

    transaction.on_commit(send)
