"""The appointment room's socket, ws/appointments/<slug>/room/<room>/?t=<room token>: her and the
associate, each with the token of the room page (appointments.room).

On connect the socket sends the shared cart's state (`{"kind": "cart", ...}`, room.room_state) and
again after every change, by whoever made it (the group `appointment-room-<id>` is told after
commit). The page itself writes over HTTP; the socket also takes the same changes as frames:
`{"type": "cart.set", "variant_id", "quantity"}` (0 takes it out), `{"type": "cart.add",
"variant_id" | "sku", "quantity"?}` and `{"type": "ping"}`. A refused frame gets
`{"kind": "error", code, message}` and the socket stays open; an accepted one `{"kind": "ack"}`.

Close codes: 4404 no such boutique, room, or a token that is not for it; 4403 outside the room's
window (before it opens, after the hard cap, a cancelled appointment)."""

import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

from omnipresence.appointments import room
from omnipresence.core.errors import DomainError, NotFound
from omnipresence.core.frames import frame_read, query_param
from omnipresence.stores.access import boutique_by_slug

log = logging.getLogger(__name__)

MAX_FRAME = 2000
FRAMES = {"cart.set", "cart.add"}


class RoomConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.group = None
        kwargs = self.scope["url_route"]["kwargs"]
        try:
            token = query_param(self.scope, "t", limit=2000)
            self.entry = await database_sync_to_async(self._enter)(kwargs["slug"], kwargs["room"], token)
        except NotFound:
            await self.close(code=4404)
            return
        except DomainError:
            await self.close(code=4403)
            return
        # In the group before the state is read, so no change falls between the read and the group.
        self.group = room.room_group(self.entry.appointment_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._send_state()

    @staticmethod
    def _enter(slug: str, room_name: str, token: str):
        entry, _appointment = room.room_enter(boutique=boutique_by_slug(slug), room=room_name, token=token)
        return entry

    async def disconnect(self, code):
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None

    async def _send_state(self):
        try:
            state = await database_sync_to_async(room.room_state)(self.entry.appointment_id)
        except Exception:
            log.exception("appointment room %s: the state could not be read", self.entry.appointment_id)
            await self._error("server_error", _("Something went wrong: reload the page."))
            return
        await self.send_json(state)

    async def room_changed(self, event):
        await self._send_state()

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        content, refused = frame_read(text_data, limit=MAX_FRAME)
        if refused is not None:
            await self._error(*refused)
            return
        kind = content["type"]
        if kind == "ping":
            await self.send_json({"kind": "pong"})
            return
        if kind not in FRAMES:
            await self._error("unknown_type", _("Unknown frame type."))
            return
        try:
            await database_sync_to_async(self._act)(kind, content)
        except DomainError as error:
            await self.send_json(room.domain_error_frame(error))
            return
        except Exception:  # never let one frame take the socket down
            log.exception("appointment room: frame %s failed", kind)
            await self._error("server_error", _("Something went wrong: try again."))
            return
        await self.send_json({"kind": "ack", "type": kind})

    def _act(self, kind: str, content: dict) -> None:
        variant_ref = content.get("variant_id") if "variant_id" in content else content.get("sku")
        if kind == "cart.set":
            room.room_cart_set(entry=self.entry, variant_ref=variant_ref, quantity=content.get("quantity"))
        else:
            room.room_cart_add(entry=self.entry, variant_ref=variant_ref, quantity=content.get("quantity", 1))

    async def _error(self, code: str, message: str) -> None:
        await self.send_json({"kind": "error", "code": code, "message": message})
