"""The associate's inbox socket: ws/console/<slug>/inbox/, staff session of that boutique only.

It joins the boutique's team group and forwards every `inbox.event` as JSON (docs/inbox.md,
"Realtime"). From the associate it takes `typing` (relayed to the team and to the client's widget,
at most once a second per conversation), `read` (unread back to 0, through the service) and `ping`
(her heartbeat for routing). Close codes as the walk-in alerts: 4401 not logged in, 4404 no such
boutique, 4403 not on this boutique's staff. A bad frame is answered with an error frame; the
socket stays open."""

import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

from omnipresence.core.errors import DomainError, NotFound, Unauthenticated
from omnipresence.inbox import realtime, services
from omnipresence.inbox.selectors import access_conversation
from omnipresence.stores.access import Actor, actor_for_user, boutique_by_slug

TYPING_INTERVAL = 1.0  # seconds between two relayed typing events of one conversation
PING_INTERVAL = 5.0  # heartbeats closer together than this are answered but not written down
MAX_FRAME = 4096  # characters; the associate only ever sends small control frames
TYPING_MEMORY = 256  # conversations whose last typing time the socket remembers
MAX_ID = 2**62  # as the API's ids: larger numbers do not fit the database's integers


def _agent_seen(actor: Actor) -> None:
    from omnipresence.inbox import routing  # the routing module owns presence (AgentStatus)

    routing.agent_seen(boutique_id=actor.boutique.pk, user_id=actor.user_id)


class StaffInboxConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.group = None
        self.typing_at: dict[int, float] = {}
        self.seen_at = 0.0
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        try:
            self.actor = await database_sync_to_async(self._actor)(
                user, self.scope["url_route"]["kwargs"]["slug"]
            )
        except Unauthenticated:
            await self.close(code=4401)
            return
        except NotFound:
            await self.close(code=4404)
            return
        except DomainError:
            await self.close(code=4403)
            return
        self.group = realtime.team_group(self.actor.boutique.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.seen_at = time.monotonic()

    @staticmethod
    def _actor(user, slug: str) -> Actor:
        actor = actor_for_user(user, boutique_by_slug(slug))
        actor.require("clients.view")
        _agent_seen(actor)
        return actor

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    # --- from the server ---------------------------------------------------------------------

    async def dispatch(self, message):
        if message["type"] == "inbox.event":
            # Channels closes stale database connections before every handler, one hop to its
            # database thread per message: for a group of 1,000 sockets, 1,000 hops per event,
            # which held the fan-out to ~1k deliveries/s (bench/inbox_fanout.py; docs/inbox.md).
            # Forwarding an event touches no database; the handlers that do go through
            # database_sync_to_async, which closes stale connections itself.
            await self.inbox_event(message)
            return
        await super().dispatch(message)

    async def inbox_event(self, message):
        await self.send_json(message["event"])

    # --- from the associate ------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None:
            await self._error("invalid_frame", _("Send JSON text frames."))
            return
        if len(text_data) > MAX_FRAME:
            await self._error("frame_too_large", _("This frame is too large."))
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            await self._error("invalid_json", _("This frame is not JSON."))
            return
        if not isinstance(content, dict):
            await self._error("invalid_frame", _('Send a JSON object with a "type".'))
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type")
        if kind == "ping":
            await self._ping()
        elif kind in ("typing", "read"):
            conversation_id = content.get("conversation_id")
            if type(conversation_id) is not int or not 0 < conversation_id <= MAX_ID:
                await self._error(
                    "invalid_conversation_id", _("conversation_id must be a positive whole number.")
                )
            elif kind == "typing":
                await self._typing(conversation_id)
            else:
                await self._read(conversation_id)
        else:
            await self._error("unknown_type", _('"type" is one of typing, read or ping.'))

    async def _typing(self, conversation_id: int) -> None:
        now = time.monotonic()
        last = self.typing_at.get(conversation_id)
        if last is not None and now - last < TYPING_INTERVAL:
            return  # she is still typing: the others were told less than a second ago
        try:
            await database_sync_to_async(access_conversation)(self.actor, conversation_id)
        except DomainError as error:
            await self._error(error.code, error.message)
            return
        if len(self.typing_at) >= TYPING_MEMORY:
            self.typing_at = {k: v for k, v in self.typing_at.items() if now - v < TYPING_INTERVAL}
        self.typing_at[conversation_id] = now
        event = {"kind": "typing", "conversation_id": conversation_id, "who": "associate"}
        # The team sees which associate types (her own screen ignores her own user_id); the client
        # sees only that her associate is typing.
        await self.channel_layer.group_send(
            self.group, {"type": "inbox.event", "event": {**event, "user_id": self.actor.user_id}}
        )
        await self.channel_layer.group_send(
            realtime.conversation_group(conversation_id), {"type": "inbox.event", "event": event}
        )

    async def _read(self, conversation_id: int) -> None:
        try:
            await database_sync_to_async(self._conversation_read)(conversation_id)
        except DomainError as error:
            await self._error(error.code, error.message)

    def _conversation_read(self, conversation_id: int) -> None:
        conversation = access_conversation(self.actor, conversation_id)
        services.conversation_read(actor=self.actor, conversation=conversation)  # emits the new unread

    async def _ping(self) -> None:
        now = time.monotonic()
        if now - self.seen_at >= PING_INTERVAL:
            self.seen_at = now
            try:
                self.actor = await database_sync_to_async(self._actor)(
                    self.actor.user, self.scope["url_route"]["kwargs"]["slug"]
                )
            except DomainError:  # no longer on this boutique's staff
                await self.close(code=4403)
                return
        await self.send_json({"kind": "pong"})

    async def _error(self, code: str, message: str) -> None:
        await self.send_json({"kind": "error", "code": code, "message": message})
