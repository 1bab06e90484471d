"""The live event socket, ws/live/<slug>/<event_id>/: viewers (with the viewer token from joining,
`?token=…`) and staff (their console session). The event's group is joined once per server
process by its Room (live.presence), which hands each frame, encoded once, to every socket.

Frames out (`kind`): `hello` {role, event, viewers}, then `chat`, `chat_hidden`, `pinned`,
`featured`, `status`, `slow_mode`, `details` (live.realtime), `stock` and `viewers`
(live.presence), `ack` {id} for a message posted here, `pong`, `error` {code, message, details?},
and `batch` {frames: [...]}: several of those, in order, when the socket has fallen behind.
Frames in (JSON objects with `type`): `ping`; `chat` {name, text} from a viewer, {text} from staff;
staff only: `hide` / `ban` / `unban` {message_id}, `slow_mode` {seconds}, `pin` {product_id | null}.
A refused frame gets an error frame (the same codes as the API) and the socket stays open.

Close codes: 4401 no valid viewer token and no staff login, 4403 staff of another boutique,
4404 no such boutique or event, 4008 too slow to keep up (reconnect: the greeting is current).
"""

import asyncio
import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

from omnipresence.catalog.selectors import access_product
from omnipresence.core.errors import DomainError, InvalidInput, NotFound, Unauthenticated
from omnipresence.core.frames import frame_read, query_param
from omnipresence.live import presence, selectors, services, viewers
from omnipresence.live.models import LiveEvent, LiveFeatured
from omnipresence.stores.access import actor_for_user, boutique_by_slug

log = logging.getLogger(__name__)

MAX_FRAME = 2000
BATCH_MAX = 100  # frames in one `batch` frame
STAFF_FRAMES = {"hide", "ban", "unban", "slow_mode", "pin"}


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """One socket. It joins no group itself: its process's Room does, once for all its sockets,
    and hands each frame, already encoded, to `deliver` (live.presence)."""

    async def connect(self):
        self.room = None
        self.ready = False
        self.pending: list[str] = []
        self.outbox: asyncio.Queue | None = None
        self.writer: asyncio.Task | None = None
        kwargs = self.scope["url_route"]["kwargs"]
        slug, event_id, token = kwargs["slug"], kwargs["event_id"], query_param(self.scope, "token", limit=300)
        try:
            known = presence.room_if_any(event_id)
            if token and known is not None and not known.closed and known.slug == slug:
                # A viewer of an event this process already serves: her signed token is all there
                # is to check, so a crowd joining costs no database query at all.
                self.event_id, self.boutique_id, self.actor, product_ids = event_id, known.boutique_id, None, []
                self.viewer_key = viewers.viewer_key_of(token, event_id=event_id)
            else:
                event, self.actor, self.viewer_key, product_ids = await database_sync_to_async(self._identify)(
                    slug, event_id, token, self.scope.get("user")
                )
                self.event_id, self.boutique_id = event.pk, event.boutique_id
        except Unauthenticated:
            await self.close(code=4401)
            return
        except NotFound:
            await self.close(code=4404)
            return
        except DomainError:
            await self.close(code=4403)
            return
        await self.accept()
        try:
            # Subscribed before the state is read, so no change falls between the read and the group.
            while True:
                room = presence.room_for(self.event_id, self.boutique_id, slug)
                await room.open(product_ids)
                if not room.closed:
                    break
            room.add(self, viewer=self.actor is None)
            self.room = room
            state = await room.state_json()
            stored = (await room.state())["viewers"]
        except Exception:
            log.exception("live: the state of event %s could not be read", self.event_id)
            await self.close(code=1011)
            return
        count = room.viewers
        greeting = {"kind": "hello", "role": "viewer" if self.actor is None else "staff",
                    "viewers": {"now": count[0], "peak": count[1]} if count else stored}  # fmt: skip
        # The state is encoded once per room (room.state_json); only the frame around it is per socket.
        await self.send(text_data=json.dumps(greeting)[:-1] + ', "event": ' + state + "}")
        self.outbox = asyncio.Queue()
        for text in self.pending:  # what happened while the greeting was read
            self.outbox.put_nowait(text)
        self.pending = []
        self.ready = True
        self.writer = asyncio.ensure_future(self._write_loop())

    @staticmethod
    def _identify(slug: str, event_id: int, token: str, user):
        boutique = boutique_by_slug(slug)
        event = selectors.event_get(boutique=boutique, event_id=event_id)
        actor, key = None, None
        if token:
            key = viewers.viewer_key_of(token, event_id=event.pk)
        elif user is not None and user.is_authenticated:
            actor = actor_for_user(user, boutique)
            actor.require("live.moderate")
        else:
            raise Unauthenticated("Join the event first.", code="invalid_viewer_token")
        product_ids = list(LiveFeatured.objects.filter(event=event).values_list("product_id", flat=True))
        return event, actor, key, product_ids

    def deliver(self, text: str) -> None:
        """A frame of the room for this socket (called for every socket: no await, no encoding)."""
        if not self.ready:
            self.pending.append(text)
        elif self.outbox.qsize() >= presence.SOCKET_BACKLOG:
            # Too slow to keep up: close; the page reconnects and is greeted with the current state.
            self.ready = False
            asyncio.ensure_future(self.close(code=4008))
        else:
            self.outbox.put_nowait(text)

    async def _write_loop(self) -> None:
        while True:
            text = await self.outbox.get()
            if self.outbox.empty():
                await self.send(text_data=text)
                continue
            # Behind (a busy chat, a slow phone): what has piled up goes as one `batch` frame of
            # the frames, already encoded, in order — one write instead of many, so a socket that
            # fell behind catches up instead of falling further behind.
            texts = [text]
            while not self.outbox.empty() and len(texts) < BATCH_MAX:
                texts.append(self.outbox.get_nowait())
            await self.send(text_data='{"kind": "batch", "frames": [' + ", ".join(texts) + "]}")

    async def disconnect(self, code):
        self.ready = False
        if self.writer is not None:
            self.writer.cancel()
            self.writer = None
        if self.room is not None:
            await self.room.remove(self)
            self.room = None

    # --- from the viewer or the host --------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        content, refused = frame_read(text_data, limit=MAX_FRAME)
        if refused is not None:
            await self._error(*refused)
            return
        kind = content["type"]
        if kind == "ping":
            await self.send_json({"kind": "pong"})
            return
        if kind != "chat" and kind not in STAFF_FRAMES:
            await self._error("unknown_type", _("Unknown frame type."))
            return
        if kind in STAFF_FRAMES and self.actor is None:
            await self._error("forbidden", _("Only the boutique's staff can do this."))
            return
        try:
            answer = await database_sync_to_async(self._act)(kind, content)
        except DomainError as error:
            await self._error(error.code, error.message, error.details)
            return
        except Exception:  # never let one frame take the socket down
            log.exception("live: frame %s failed", kind)
            await self._error("server_error", _("Something went wrong: try again."))
            return
        if answer is not None:
            await self.send_json(answer)

    def _act(self, kind: str, content: dict) -> dict | None:
        if kind == "chat":
            event = LiveEvent(pk=self.event_id, boutique_id=self.boutique_id)  # the services read what they need
            if self.actor is None:
                message = services.chat_post(event=event, viewer_key=self.viewer_key, name=content.get("name"),
                                             text=content.get("text"))  # fmt: skip
            else:
                message = services.chat_post_staff(actor=self.actor, event=event, text=content.get("text"))
            return {"kind": "ack", "id": message.pk}
        event = LiveEvent.objects.select_related("boutique", "location").get(pk=self.event_id)
        if kind == "slow_mode":
            services.slow_mode_set(actor=self.actor, event=event, seconds=content.get("seconds"))
            return None
        if kind == "pin":
            product_id = content.get("product_id")
            product = None
            if product_id is not None:
                if type(product_id) is not int or product_id <= 0:
                    raise InvalidInput(_("product_id is a positive whole number."), code="invalid_product_id")
                product = access_product(self.actor, product_id)
            services.product_pin(actor=self.actor, event=event, product=product)
            return None
        message_id = content.get("message_id")
        if type(message_id) is not int or message_id <= 0:
            raise InvalidInput(_("message_id is a positive whole number."), code="invalid_message_id")
        message = selectors.access_message(event, message_id)
        if kind == "hide":
            services.message_hide(actor=self.actor, event=event, message=message)
        elif kind == "ban":
            services.viewer_ban(actor=self.actor, event=event, message=message)
        else:
            services.viewer_unban(actor=self.actor, event=event, message=message)
        return None

    async def _error(self, code: str, message: str, details=None) -> None:
        frame = {"kind": "error", "code": code, "message": message}
        if details:
            frame["details"] = details
        await self.send_json(frame)
