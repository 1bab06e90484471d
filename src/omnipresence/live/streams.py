"""Where an event's video comes from, behind one small interface per kind of stream:

- `livekit`: a LiveKit room. The host publishes with a token that may publish, viewers get one
  that may only subscribe (LiveKit access tokens: a JWT signed HS256 with the API secret, `iss` the
  API key, `sub` the participant's identity, a `video` grant). Going live creates the room through
  LiveKit's RoomService (Twirp, `POST /twirp/livekit.RoomService/CreateRoom`), so a wrong key or an
  unreachable server is found before viewers are told the event is live.
- `hls` / `embed`: a stream from any streaming service: an https HLS playlist or player URL. We
  never fetch it ourselves (an address typed by staff is not one our server should call).
- `local`: the demo's stream, a test card served from our own static files: no network at all.

Settings: LIVEKIT_URL (wss://…), LIVEKIT_API_KEY, LIVEKIT_API_SECRET, LIVE_PROVIDER_TIMEOUT.
"""

import http.client
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote, urlsplit

import jwt
from django.conf import settings
from django.templatetags.static import static

from omnipresence.core.errors import Conflict, InvalidInput
from omnipresence.live.errors import StreamUnavailable

LOCAL_STREAM = "live/local-stream.svg"
VIEWER_TOKEN_SECONDS = 6 * 3600
HOST_TOKEN_SECONDS = 12 * 3600
ADMIN_TOKEN_SECONDS = 60
EMPTY_TIMEOUT_SECONDS = 30 * 60  # LiveKit closes the room this long after the last participant left
MAX_URL = 500


class StreamUnconfigured(Conflict):
    code = "stream_unconfigured"
    default_message = "LiveKit is not configured here: set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET."


class StreamProvider(Protocol):
    name: str

    def clean_url(self, url: str) -> str:
        """The URL to store for this kind of stream ("" when it needs none), or InvalidInput."""

    def prepare(self, *, room: str) -> None:
        """Just before the event goes live (may call the provider; no database lock is held)."""

    def player(self, *, room: str, url: str, identity: str | None) -> dict:
        """What a viewer's page needs to play the stream (with a token for `identity`, if any)."""

    def publisher(self, *, room: str, url: str, identity: str, name: str) -> dict:
        """What the host's broadcasting tool needs."""


def https_url(url: str, *, field: str = "stream_url") -> str:
    """An absolute https URL with a host, without credentials or spaces, at most 500 characters."""
    url = (url or "").strip()
    if not url:
        raise InvalidInput(f"{field} is required for this kind of stream.", code="invalid_stream_url",
                           details={"field": field})  # fmt: skip
    if len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in url):
        raise InvalidInput(f"{field} must be a URL of at most {MAX_URL} characters without spaces.",
                           code="invalid_stream_url", details={"field": field})  # fmt: skip
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        parts = None
    if parts is None or parts.scheme != "https" or not parts.hostname or "@" in parts.netloc:
        raise InvalidInput(f"{field} must be an https:// address of the streaming service.",
                           code="invalid_stream_url", details={"field": field})  # fmt: skip
    return url


@dataclass(frozen=True)
class UrlStream:
    """An HLS playlist or an embeddable player from any streaming service."""

    name: str  # "hls" or "embed"

    def clean_url(self, url: str) -> str:
        return https_url(url)

    def prepare(self, *, room: str) -> None:
        return None

    def player(self, *, room: str, url: str, identity: str | None) -> dict:
        return {"provider": self.name, "url": url}

    def publisher(self, *, room: str, url: str, identity: str, name: str) -> dict:
        return {"provider": self.name, "url": url, "note": "Broadcast with your streaming service's own tool."}


class LocalStream:
    """The demo's stream: a test card from our static files (no network, no account)."""

    name = "local"

    def clean_url(self, url: str) -> str:
        return ""

    def prepare(self, *, room: str) -> None:
        return None

    def player(self, *, room: str, url: str, identity: str | None) -> dict:
        return {"provider": "local", "url": static(LOCAL_STREAM), "placeholder": True}

    def publisher(self, *, room: str, url: str, identity: str, name: str) -> dict:
        return {"provider": "local", "url": static(LOCAL_STREAM), "note": "The demo stream needs no camera."}


class LiveKitStream:
    name = "livekit"

    def __init__(self, *, url: str, api_key: str, api_secret: str, timeout: float = 10.0):
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.api_secret = api_secret
        self.timeout = timeout

    @property
    def configured(self) -> bool:
        return bool(self.url and self.api_key and self.api_secret)

    def _require(self) -> None:
        if not self.configured:
            raise StreamUnconfigured()

    def access_token(self, *, identity: str, video: dict, name: str = "", seconds: int,
                     now: int | None = None) -> str:  # fmt: skip
        """A LiveKit access token: HS256 with the API secret, iss = API key, sub = identity."""
        self._require()
        now = int(time.time()) if now is None else now
        claims = {"iss": self.api_key, "sub": identity, "nbf": now, "exp": now + seconds, "video": video}
        if name:
            claims["name"] = name
        return jwt.encode(claims, self.api_secret, algorithm="HS256")

    def join_token(self, *, room: str, identity: str, name: str = "", publish: bool) -> str:
        video = {"roomJoin": True, "room": room, "canPublish": publish, "canSubscribe": True,
                 "canPublishData": publish}  # fmt: skip
        return self.access_token(identity=identity, video=video, name=name,
                                 seconds=HOST_TOKEN_SECONDS if publish else VIEWER_TOKEN_SECONDS)  # fmt: skip

    def api_base(self) -> str:
        """The server API's address: LIVEKIT_URL with wss → https (ws → http), as LiveKit's SDKs do."""
        parts = urlsplit(self.url)
        scheme = {"wss": "https", "ws": "http"}.get(parts.scheme, parts.scheme)
        return f"{scheme}://{parts.netloc}{parts.path}".rstrip("/")

    def clean_url(self, url: str) -> str:
        return ""

    def prepare(self, *, room: str) -> None:
        """Create the room (LiveKit answers with the existing one if it is there already)."""
        self._require()
        token = self.access_token(identity="omnipresence", video={"roomCreate": True}, seconds=ADMIN_TOKEN_SECONDS)
        body = json.dumps({"name": room, "empty_timeout": EMPTY_TIMEOUT_SECONDS}).encode()
        request = urllib.request.Request(
            f"{self.api_base()}/twirp/livekit.RoomService/CreateRoom", data=body, method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )  # fmt: skip
        try:
            with urllib.request.build_opener().open(request, timeout=self.timeout) as response:
                answer = json.loads(response.read(64 * 1024) or b"{}")
        except urllib.error.HTTPError as error:
            text = error.read(4096).decode(errors="replace")
            error.close()
            try:
                detail = json.loads(text).get("msg", "")
            except (ValueError, AttributeError):
                detail = ""
            raise StreamUnavailable(
                f"LiveKit refused to create the room ({error.code}{': ' + detail[:200] if detail else ''}).",
                details={"status": error.code},
            ) from error
        except (OSError, http.client.HTTPException, ValueError) as error:
            raise StreamUnavailable(f"LiveKit could not be reached: {error.__class__.__name__}.") from error
        if not isinstance(answer, dict) or answer.get("name") != room:
            raise StreamUnavailable("LiveKit answered without the room.")

    def meet_url(self, token: str) -> str:
        """LiveKit's own web app (LIVEKIT_MEET_URL) in this room with this token: where a viewer
        watches, and the host publishes from her phone, without a player of ours."""
        return f"{settings.LIVEKIT_MEET_URL}?liveKitUrl={quote(self.url, safe='')}&token={quote(token, safe='')}"

    def player(self, *, room: str, url: str, identity: str | None) -> dict:
        self._require()
        data = {"provider": "livekit", "url": self.url, "room": room}
        if identity is not None:
            data["token"] = self.join_token(room=room, identity=identity, publish=False)
            data["watch_url"] = self.meet_url(data["token"])
        return data

    def publisher(self, *, room: str, url: str, identity: str, name: str) -> dict:
        token = self.join_token(room=room, identity=identity, name=name, publish=True)
        return {"provider": "livekit", "url": self.url, "room": room, "token": token,
                "publish_url": self.meet_url(token)}  # fmt: skip


def livekit() -> LiveKitStream:
    return LiveKitStream(url=settings.LIVEKIT_URL, api_key=settings.LIVEKIT_API_KEY,
                         api_secret=settings.LIVEKIT_API_SECRET, timeout=settings.LIVE_PROVIDER_TIMEOUT)  # fmt: skip


def provider_for(name: str) -> StreamProvider:
    if name == "livekit":
        return livekit()
    if name in ("hls", "embed"):
        return UrlStream(name)
    if name == "local":
        return LocalStream()
    raise InvalidInput(f"Unknown stream provider '{name[:20]}'.", code="invalid_stream_provider")
