"""Video rooms behind one small interface: a provider names a room for an appointment and makes
a join link for one participant, valid from shortly before the start until the hard cap (the
token's `nbf` / `exp`; the API refuses to hand one out after the cap as well).

- local: a room page on our own site, with a token signed by SECRET_KEY (the demo, offline);
- jitsi: a room on JITSI_BASE_URL (default https://meet.jit.si); with JITSI_APP_ID and
  JITSI_APP_SECRET the link carries Jitsi's JWT (aud "jitsi", iss the app id, sub the domain,
  room, context.user with moderator for the associate), HS256 with the secret;
- livekit: a room on LIVEKIT_URL and a LiveKit access token built here with PyJWT from LiveKit's
  documented claims (iss = API key, sub = identity, name, nbf, exp, video grant {roomJoin, room,
  canPublish, canSubscribe, roomAdmin for the associate}), HS256 with the API secret — no SDK;
- external: a Zoom, Meet or FaceTime link the associate pasted on the appointment.
Nothing here calls a provider over the network: a link is all a participant needs.
"""

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlparse

import jwt
from django.conf import settings

from omnipresence.core.errors import Conflict, InvalidInput

PROVIDERS = ("local", "jitsi", "livekit", "external")
CLIENT_EARLY = timedelta(minutes=10)  # she may join this long before the start
HOST_EARLY = timedelta(minutes=30)


class ProviderNotConfigured(InvalidInput):
    code = "video_provider_not_configured"
    default_message = "That video provider is not configured on this server."


@dataclass(frozen=True)
class JoinLink:
    provider: str
    room: str
    url: str
    token: str | None
    not_before: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Participant:
    identity: str  # "client-12", "associate-3"
    name: str
    email: str = ""
    host: bool = False


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def new_room_name(slug: str) -> str:
    # Unguessable: on a public Jitsi server the room name is the only lock without a JWT.
    return f"{slug[:40]}-{secrets.token_urlsafe(12).replace('_', 'x').replace('-', 'y').lower()}"


class VideoProvider:
    name = ""

    def check(self) -> None:
        """Raise ProviderNotConfigured if this server cannot make links for it."""

    def join(self, *, appointment, participant: Participant) -> JoinLink:
        raise NotImplementedError

    @staticmethod
    def window(appointment, participant: Participant) -> tuple[datetime, datetime]:
        early = HOST_EARLY if participant.host else CLIENT_EARLY
        return appointment.starts_at - early, appointment.cap_ends_at


class LocalProvider(VideoProvider):
    name = "local"

    def join(self, *, appointment, participant: Participant) -> JoinLink:
        nbf, exp = self.window(appointment, participant)
        token = jwt.encode(
            {"aud": "omnipresence-room", "room": appointment.video_room, "sub": participant.identity,
             "name": participant.name, "host": participant.host, "nbf": _epoch(nbf), "exp": _epoch(exp)},
            settings.SECRET_KEY, algorithm="HS256",
        )  # fmt: skip
        url = f"{settings.SITE_URL}/{appointment.boutique.slug}/appointments/room/{appointment.video_room}/?t={token}"
        return JoinLink(self.name, appointment.video_room, url, token, nbf, exp)


class JitsiProvider(VideoProvider):
    name = "jitsi"

    def join(self, *, appointment, participant: Participant) -> JoinLink:
        nbf, exp = self.window(appointment, participant)
        base = settings.JITSI_BASE_URL.rstrip("/")
        url = f"{base}/{quote(appointment.video_room)}"
        token = None
        if settings.JITSI_APP_ID and settings.JITSI_APP_SECRET:
            user = {"id": participant.identity, "name": participant.name, "moderator": participant.host}
            if participant.email:
                user["email"] = participant.email
            token = jwt.encode(
                {"aud": "jitsi", "iss": settings.JITSI_APP_ID, "sub": settings.JITSI_DOMAIN or urlparse(base).hostname,
                 "room": appointment.video_room, "nbf": _epoch(nbf), "exp": _epoch(exp), "iat": int(time.time()),
                 "context": {"user": user}},
                settings.JITSI_APP_SECRET, algorithm="HS256",
            )  # fmt: skip
            url = f"{url}?jwt={token}"
        return JoinLink(self.name, appointment.video_room, url, token, nbf, exp)


class LiveKitProvider(VideoProvider):
    name = "livekit"

    def check(self) -> None:
        if not (settings.LIVEKIT_URL and settings.LIVEKIT_API_KEY and settings.LIVEKIT_API_SECRET):
            raise ProviderNotConfigured("LiveKit needs LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET.")

    def access_token(self, *, room: str, participant: Participant, not_before: datetime, expires_at: datetime) -> str:
        self.check()
        grant = {"roomJoin": True, "room": room, "canPublish": True, "canSubscribe": True, "canPublishData": True}
        if participant.host:
            grant["roomAdmin"] = True
        return jwt.encode(
            {"iss": settings.LIVEKIT_API_KEY, "sub": participant.identity, "name": participant.name,
             "nbf": _epoch(not_before), "exp": _epoch(expires_at), "video": grant},
            settings.LIVEKIT_API_SECRET, algorithm="HS256",
        )  # fmt: skip

    def join(self, *, appointment, participant: Participant) -> JoinLink:
        nbf, exp = self.window(appointment, participant)
        token = self.access_token(room=appointment.video_room, participant=participant, not_before=nbf, expires_at=exp)
        url = f"{settings.LIVEKIT_MEET_URL}?liveKitUrl={quote(settings.LIVEKIT_URL, safe='')}&token={token}"
        return JoinLink(self.name, appointment.video_room, url, token, nbf, exp)


class ExternalProvider(VideoProvider):
    name = "external"

    def join(self, *, appointment, participant: Participant) -> JoinLink:
        nbf, exp = self.window(appointment, participant)
        if not appointment.external_url:
            raise Conflict("The associate has not added the meeting link yet.", code="meeting_link_missing")
        return JoinLink(self.name, "", appointment.external_url, None, nbf, exp)


_PROVIDERS: dict[str, type[VideoProvider]] = {
    "local": LocalProvider, "jitsi": JitsiProvider, "livekit": LiveKitProvider, "external": ExternalProvider,
}  # fmt: skip


def provider_name(configured: str = "") -> str:
    name = configured or settings.APPOINTMENTS_VIDEO_PROVIDER
    if name not in _PROVIDERS:
        raise InvalidInput(f"The video provider is one of {', '.join(PROVIDERS)}.", code="invalid_video_provider")
    return name


def provider_for(name: str) -> VideoProvider:
    return _PROVIDERS[provider_name(name)]()


def external_url_clean(url: str) -> str:
    """A pasted meeting link: https only, a host, at most 500 characters."""
    url = (url or "").strip()
    parsed = urlparse(url)
    if len(url) > 500 or parsed.scheme != "https" or not parsed.hostname or any(c.isspace() for c in url):
        raise InvalidInput("The meeting link must be an https:// address.", code="invalid_meeting_link")
    return url
