"""What one server process does for an event it has sockets on (a `Room`), so that 1,000 viewers
cost the database, the channel layer and the event loop as little as possible:

- **One layer channel per process, not per socket.** The room's own channel is the one member of
  the event's group (and of the inventory's availability groups of the featured products) in this
  process. Each message is encoded to JSON once and handed to every socket's own outbox; a writer
  task per socket sends it, so a slow viewer delays only herself (past SOCKET_BACKLOG frames she is
  disconnected and reconnects to a fresh greeting). Channels' per-consumer path — a queue, a
  dispatch and an encoding per socket and message — capped the fan-out far below what the
  sockets can take (bench/live_event.py).
- **Viewer count.** Joining and leaving change an in-memory count, nothing else. Every
  LIVE_PRESENCE_SECONDS the room writes that count (one upsert: LivePresence(event, process)) and
  reads the event's total over every process seen recently, which also raises the stored peak;
  the total goes to the room's sockets as a `viewers` frame when it changed. A crowd of 1,000
  arriving in a second is one write, not a thousand.
- **The greeting** (the event, featured products with stock, pinned) is read once and shared by
  every socket that joins until something changes it. A generation counter, raised by every state
  event and stock change the room hears, makes sure a read that started before a change is never
  kept as current. Frames that arrive while a socket waits for its greeting are sent after it.
- **Stock.** The inventory announces each availability change once per product; the room reads
  the numbers once — after a short pause that lets a burst arrive — and sends one `stock` frame. A
  change heard while that read runs causes one more read, so the last frame is never older than
  the last change.

Rooms are per event loop (a test's loop, a server worker's loop) and vanish with their last socket.
"""

import asyncio
import json
import logging
import os
import secrets
import socket

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

log = logging.getLogger(__name__)

PROCESS = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"
STOCK_PAUSE = 0.02  # seconds: the notifications of one change reach the room within this
MAX_RETRIES = 3  # state reads discarded by a change before one is served anyway (it is then re-sent)
SOCKET_BACKLOG = 500  # frames waiting for one socket before it is closed as too slow

_rooms: dict[tuple[int, int], "Room"] = {}


def _read_state(event_id: int) -> dict:
    from omnipresence.live import selectors
    from omnipresence.live.models import LiveEvent
    from omnipresence.live.services import _jsonable

    event = LiveEvent.objects.select_related("boutique", "location", "host").get(pk=event_id)
    return _jsonable(selectors.event_public_data(event))


def _read_stock(event_id: int) -> list[dict]:
    from omnipresence.live import selectors
    from omnipresence.live.models import LiveEvent

    event = LiveEvent.objects.only("pk", "location_id").get(pk=event_id)
    return selectors.stock_data(event)


def _record(event_id: int, count: int, fresh: float) -> tuple[int, int] | None:
    from omnipresence.live import services

    return services.presence_record(process=PROCESS, counts={event_id: count}, fresh_seconds=fresh).get(event_id)


class Room:
    def __init__(self, event_id: int, boutique_id: int, slug: str = ""):
        self.event_id, self.boutique_id, self.slug = event_id, boutique_id, slug
        self.sockets: set = set()
        self.viewer_sockets: set = set()
        self.generation = 0
        self._snapshot: dict | None = None
        self._snapshot_json = ""
        self._snapshot_generation = -1
        self._computing: asyncio.Future | None = None
        self._computing_generation = -1
        self._stock_dirty = False
        self._tasks: dict[str, asyncio.Task] = {}
        self._layer = None
        self._channel: str | None = None
        self._groups: list[str] = []
        self._opening: asyncio.Future | None = None
        self.closed = False
        self.viewers: tuple[int, int] | None = None  # (now, peak) as last read
        self.reads = 0  # database reads made for the room (state and stock), for tests and benchmarks

    # --- the room's channel ----------------------------------------------------------------------

    async def open(self, product_ids) -> None:
        """Join the event's group and the featured products' availability groups (once)."""
        if self._opening is None:
            self._opening = asyncio.ensure_future(self._open())
        await asyncio.shield(self._opening)
        for product_id in product_ids:
            await self._join(self._availability_group(product_id))

    async def _open(self) -> None:
        from omnipresence.live.realtime import event_group, serve_loop

        serve_loop(asyncio.get_running_loop())
        self._layer = get_channel_layer()
        self._channel = await self._layer.new_channel(prefix="live.room.")
        await self._join(event_group(self.event_id))
        self._tasks["receive"] = asyncio.ensure_future(self._receive_loop())
        self._tasks["flush"] = asyncio.ensure_future(self._flush_loop())

    def _availability_group(self, product_id: int) -> str:
        from omnipresence.inventory.services import availability_group

        return availability_group(self.boutique_id, product_id)

    async def _join(self, group: str) -> None:
        if group not in self._groups:
            self._groups.append(group)
            await self._layer.group_add(group, self._channel)

    async def _receive_loop(self) -> None:
        from omnipresence.live.realtime import STATE_KINDS

        while True:
            message = await self._layer.receive(self._channel)
            try:
                kind = message.get("type")
                if kind == "availability.changed":
                    self.stock_changed()
                elif kind == "live.event":
                    event = message["event"]
                    if event.get("kind") in STATE_KINDS:
                        self.invalidate()
                    if event.get("kind") == "featured":
                        for product in event.get("products", []):
                            await self._join(self._availability_group(product["product_id"]))
                    self.broadcast(event)
            except Exception:  # one odd message must not stop the room
                log.exception("live: a message to event %s's room failed", self.event_id)

    # --- sockets ---------------------------------------------------------------------------------

    def add(self, consumer, *, viewer: bool) -> None:
        self.sockets.add(consumer)
        if viewer:
            self.viewer_sockets.add(consumer)

    async def remove(self, consumer) -> None:
        self.sockets.discard(consumer)
        self.viewer_sockets.discard(consumer)
        if self.sockets:
            return
        self.closed = True  # a socket arriving from now on opens a new room
        _rooms.pop((id(asyncio.get_running_loop()), self.event_id), None)
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()
        if self._layer is not None and self._channel is not None:
            for group in self._groups:
                await self._layer.group_discard(group, self._channel)
        await self.flush()  # this process no longer has anyone on the event

    def broadcast(self, frame: dict) -> None:
        """Encode once; every socket's writer sends it (never blocks on a slow socket)."""
        text = json.dumps(frame)
        for consumer in list(self.sockets):
            consumer.deliver(text)

    # --- the greeting state ----------------------------------------------------------------------

    def invalidate(self) -> None:
        self.generation += 1

    async def state_json(self) -> str:
        """The greeting state, encoded once for every socket that joins while it is current."""
        state = await self.state()
        if self._snapshot is state and self._snapshot_json:
            return self._snapshot_json
        text = json.dumps(state)
        if self._snapshot is state:
            self._snapshot_json = text
        return text

    async def state(self) -> dict:
        for _ in range(MAX_RETRIES):
            if self._snapshot is not None and self._snapshot_generation == self.generation:
                return self._snapshot
            if self._computing is None or self._computing_generation != self.generation:
                self._computing_generation = self.generation
                self._computing = asyncio.ensure_future(self._read(_read_state))
            generation, computing = self._computing_generation, self._computing
            try:
                result = await asyncio.shield(computing)
            finally:
                if self._computing is computing and computing.done():
                    self._computing = None
            if generation == self.generation:
                self._snapshot, self._snapshot_json, self._snapshot_generation = result, "", generation
                return result
        return result  # changing fast: serve the last read; the change's own frame follows it

    async def _read(self, reader):
        self.reads += 1
        return await database_sync_to_async(reader)(self.event_id)

    # --- stock -----------------------------------------------------------------------------------

    def stock_changed(self) -> None:
        self.generation += 1
        self._stock_dirty = True
        task = self._tasks.get("stock")
        if task is None or task.done():
            self._tasks["stock"] = asyncio.ensure_future(self._stock_loop())

    async def _stock_loop(self) -> None:
        while self._stock_dirty:
            await asyncio.sleep(STOCK_PAUSE)
            self._stock_dirty = False  # a change heard from here on causes one more read
            try:
                products = await self._read(_read_stock)
            except Exception:
                log.exception("live: reading the stock of event %s failed", self.event_id)
                return
            self.broadcast({"kind": "stock", "products": products})

    # --- viewer count ----------------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        interval = float(settings.LIVE_PRESENCE_SECONDS)
        await asyncio.sleep(min(interval, 1.0))  # the first count soon after the first socket
        while True:
            await self.flush()
            await asyncio.sleep(interval)

    async def flush(self) -> None:
        interval = float(settings.LIVE_PRESENCE_SECONDS)
        count = len(self.viewer_sockets)
        try:
            totals = await database_sync_to_async(_record)(self.event_id, count, interval * 3)
        except Exception:
            log.exception("live: recording the viewers of event %s failed", self.event_id)
            return
        if totals is None:
            return
        if totals != self.viewers:
            self.viewers = totals
            if self.sockets:
                self.broadcast({"kind": "viewers", "now": totals[0], "peak": totals[1]})


def room_for(event_id: int, boutique_id: int, slug: str) -> Room:
    key = (id(asyncio.get_running_loop()), event_id)
    room = _rooms.get(key)
    if room is None:
        room = _rooms[key] = Room(event_id, boutique_id, slug)
    return room


def room_if_any(event_id: int) -> Room | None:
    try:
        return _rooms.get((id(asyncio.get_running_loop()), event_id))
    except RuntimeError:
        return None
