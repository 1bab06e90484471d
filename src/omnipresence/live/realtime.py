"""Realtime events of a live event: one group per event (`live.<id>`), every viewer's socket and
the host's in it. Each change is one `group_send` after its transaction commits, carrying what the
sockets forward as it is (no socket reads the database for it):

    {"type": "live.event", "event": {"kind": ..., ...}}

Kinds: `chat` {message}, `chat_hidden` {ids}, `pinned` {product, pinned_at}, `featured`
{products}, `status` {status, started_at, ended_at, replay_url}, `slow_mode` {seconds},
`details` {title, description, event_kind, starts_at, ends_at}.

Stock is not sent here: the inventory announces every change of a product's availability on its
own group (inventory.services.availability_group), whatever channel made it, and each server
process turns those into one read and one `stock` frame per event (live.presence.Room).
Viewer counts are worked out by each process from the presence table (live.presence too).
"""

import asyncio
import logging

from channels.layers import get_channel_layer
from django.db import transaction

from omnipresence.core.events import group_send_on_commit

log = logging.getLogger(__name__)
STATE_KINDS = frozenset({"pinned", "featured", "status", "slow_mode", "details"})
# The event loop of this server process's live sockets (set by live.presence when a room opens).
_server_loop: asyncio.AbstractEventLoop | None = None
_sending: set[asyncio.Task] = set()  # the sends in flight (the loop keeps only weak references)


def event_group(event_id: int) -> str:
    return f"live.{event_id}"


def serve_loop(loop: asyncio.AbstractEventLoop) -> None:
    global _server_loop
    _server_loop = loop


def emit(event_id: int, kind: str, /, **data) -> None:
    """Send one event to everyone watching, after the current transaction commits."""
    group, message = event_group(event_id), {"type": "live.event", "event": {"kind": kind, **data}}
    loop = _server_loop
    if loop is None or loop.is_closed() or not loop.is_running():
        group_send_on_commit(group, message)
        return

    def send() -> None:
        # From a database thread of the process that serves sockets (a chat message posted on a
        # socket, a request): hand the send to the event loop and go on, rather than wait for the
        # loop, which may be busy writing the previous message to 1,000 sockets. Callbacks run in
        # the order they were handed over, so events keep their commit order.
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            _start(group, message)
        else:
            loop.call_soon_threadsafe(_start, group, message)

    transaction.on_commit(send)


def _start(group: str, message: dict) -> None:
    task = asyncio.get_running_loop().create_task(_send(group, message))
    _sending.add(task)
    task.add_done_callback(_sending.discard)


async def _send(group: str, message: dict) -> None:
    try:
        layer = get_channel_layer()
        if layer is not None:
            await layer.group_send(group, message)
    except Exception:  # a realtime push must never undo a committed write
        log.exception("live: the event to %s could not be sent", group)
