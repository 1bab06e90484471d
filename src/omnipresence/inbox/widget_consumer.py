"""The web chat widget's socket, `ws/chat/<key>/`: one visitor, no login.

Frames in (JSON objects, `type`): `hello` {visitor} first (a missing or malformed visitor id gets
a new one), then `message` {text, uuid}, `identify` {email | phone}, `typing`.
Frames out (`kind`): `hello` {visitor, conversation_id, messages, identified}, `ack` {uuid,
message, created}, `identified`, `error` {code, message, uuid?}, and the conversation's realtime
events (`message`, `message_status`, `typing`, `read`). A bad frame gets an error frame; the
socket stays open.

The widget page is served from our own origin (inside an iframe on other sites), so the
AllowedHostsOriginValidator in asgi.py lets this socket through and refuses pages elsewhere.
"""

import logging
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

from omnipresence.core.errors import DomainError
from omnipresence.core.frames import frame_read
from omnipresence.inbox import realtime, webchat

log = logging.getLogger(__name__)

MAX_FRAME = 16_000  # characters; a message is at most 4,000
TYPING_EVERY = 2.0  # seconds between two typing events passed on to the team
IDENTIFY_PER_SOCKET = 5
# What the widget may hear of the conversation's group (realtime.py sends nothing internal there;
# this is the second lock on that door).
FORWARDED = {"message", "message_status", "typing", "read"}


class WidgetConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.key = self.scope["url_route"]["kwargs"]["key"]
        self.visitor = None
        self.group = None
        self.conversation_id = None
        self.typing_sent = 0.0
        self.identify_left = IDENTIFY_PER_SOCKET
        try:
            inbox = await database_sync_to_async(webchat.webchat_inbox)(key=self.key)
        except DomainError:
            await self.close(code=4404)
            return
        self.inbox_id, self.boutique_id = inbox.pk, inbox.boutique_id
        await self.accept()

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        content, refused = frame_read(text_data, limit=MAX_FRAME)
        if refused is not None:
            await self.error(*refused)
            return
        handler = {
            "hello": self.on_hello, "message": self.on_message, "identify": self.on_identify,
            "typing": self.on_typing,
        }.get(content["type"])  # fmt: skip
        ref = content.get("uuid") if isinstance(content.get("uuid"), str) else None
        if handler is None:
            await self.error("unknown_type", _("Unknown frame type."), ref=ref)
            return
        if self.visitor is None and handler != self.on_hello:
            await self.error("hello_first", _("Say hello first."), ref=ref)
            return
        try:
            await handler(content)
        except DomainError as error:
            await self.error(error.code, error.message, ref=ref, details=error.details)
        except Exception:  # never let one frame take the visitor's socket down
            log.exception("webchat: frame %s failed", content["type"])
            await self.error("server_error", _("Something went wrong: try again."), ref=ref)

    async def error(self, code: str, message: str, *, ref=None, details=None):
        frame = {"kind": "error", "code": code, "message": message}
        if ref:
            frame["uuid"] = ref[:64]
        if details:
            frame["details"] = details
        await self.send_json(frame)

    async def join(self, conversation_id):
        group = realtime.conversation_group(conversation_id) if conversation_id else None
        if group == self.group:
            return
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if group:
            await self.channel_layer.group_add(group, self.channel_name)
        self.group = group
        self.conversation_id = conversation_id

    # --- frames in -----------------------------------------------------------------------------

    async def on_hello(self, content):
        if self.visitor is not None:
            await self.error("already_said_hello", _("This socket already has a visitor."))
            return
        visitor = content.get("visitor")
        if not webchat.visitor_valid(visitor):
            visitor = webchat.visitor_id_new()
        history = await database_sync_to_async(self._history)(visitor)
        self.visitor = visitor
        await self.join(history["conversation_id"])
        await self.send_json({"kind": "hello", "visitor": visitor, **history})

    def _history(self, visitor):
        return webchat.webchat_history(inbox=webchat.webchat_inbox(key=self.key), visitor_id=visitor)

    async def on_message(self, content):
        message_uuid = content.get("uuid")
        data, conversation_id, created = await database_sync_to_async(self._receive)(
            content.get("text"), message_uuid
        )
        await self.join(conversation_id)
        await self.send_json({"kind": "ack", "uuid": message_uuid, "message": data, "created": created})

    def _receive(self, text, message_uuid):
        inbox = webchat.webchat_inbox(key=self.key)  # switched off since she connected: refused
        message, created = webchat.webchat_message_receive(inbox=inbox, visitor_id=self.visitor, text=text,
                                                           message_uuid=message_uuid)  # fmt: skip
        return webchat.widget_message(message), message.conversation_id, created

    async def on_identify(self, content):
        if self.identify_left <= 0:
            await self.error("rate_limited", _("Too many tries: reload the page to try again."))
            return
        self.identify_left -= 1
        email, phone = content.get("email") or "", content.get("phone") or ""
        await database_sync_to_async(self._identify)(email, phone)
        await self.send_json({"kind": "identified", "channel": "email" if email else "phone"})

    def _identify(self, email, phone):
        inbox = webchat.webchat_inbox(key=self.key)
        webchat.webchat_identify(inbox=inbox, visitor_id=self.visitor, email=email, phone=phone)

    async def on_typing(self, content):
        now = time.monotonic()
        if not self.group or now - self.typing_sent < TYPING_EVERY:
            return
        self.typing_sent = now
        event = {"kind": "typing", "who": "client", "conversation_id": self.conversation_id}
        await self.channel_layer.group_send(realtime.team_group(self.boutique_id),
                                            {"type": "inbox.event", "event": event})  # fmt: skip

    # --- events out ----------------------------------------------------------------------------

    async def inbox_event(self, event):
        payload = event.get("event") or {}
        if payload.get("kind") not in FORWARDED:
            return
        if payload.get("kind") == "typing" and payload.get("who") == "client":
            return  # her own typing, should it ever come back here
        if payload.get("kind") == "message":
            # Drawn again for the widget: the associate's first name, not her login name.
            message = await database_sync_to_async(webchat.widget_message_by_id)(
                message_id=(payload.get("message") or {}).get("id"), conversation_id=self.conversation_id
            )
            if message is None:
                return
            payload = {"kind": "message", "message": message}
        await self.send_json(payload)
