"""The stream providers. LiveKit is checked against a local fake of its server that verifies what
LiveKit verifies: the access token (HS256 with the API secret, iss = API key, the video grant) and
the RoomService's Twirp request (POST /twirp/livekit.RoomService/CreateRoom, JSON body)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from django.test import Client as HttpClient

from omnipresence.live import selectors, services, streams
from omnipresence.live.errors import StreamUnavailable
from omnipresence.live.models import LiveEvent
from omnipresence.live.tests.conftest import make_event

pytestmark = pytest.mark.django_db
KEY, SECRET = "APIfakeKey123", "fake-secret-of-at-least-32-characters!"


class FakeLiveKit:
    """A LiveKit server's RoomService, as far as CreateRoom goes."""

    def __init__(self, *, secret: str = SECRET, fail_with: int | None = None):
        self.secret, self.fail_with = secret, fail_with
        self.requests: list[dict] = []
        self.rooms: dict[str, dict] = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, answer = fake.handle(self.path, dict(self.headers), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.server_address[1]}"

    def handle(self, path: str, headers: dict, body: bytes) -> tuple[int, dict]:
        self.requests.append({"path": path, "headers": headers, "body": body})
        if self.fail_with:
            return self.fail_with, {"code": "internal", "msg": "something broke"}
        if path != "/twirp/livekit.RoomService/CreateRoom":
            return 404, {"code": "bad_route", "msg": f"no handler for {path}"}
        if headers.get("Content-Type") != "application/json":
            return 415, {"code": "malformed", "msg": "JSON only"}
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return 401, {"code": "unauthenticated", "msg": "authorization header missing"}
        try:
            claims = jwt.decode(auth[7:], self.secret, algorithms=["HS256"])
        except jwt.PyJWTError as error:
            return 401, {"code": "unauthenticated", "msg": f"invalid token: {error}"}
        if claims.get("iss") != KEY:
            return 401, {"code": "unauthenticated", "msg": "unknown API key"}
        if not claims.get("video", {}).get("roomCreate"):
            return 403, {"code": "permission_denied", "msg": "no permission to create rooms"}
        request = json.loads(body)
        room = self.rooms.setdefault(request["name"], {
            "sid": f"RM_{len(self.rooms) + 1}", "name": request["name"],
            "empty_timeout": request.get("empty_timeout", 300), "creation_time": int(time.time()),
        })  # fmt: skip
        return 200, room

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def livekit_settings(settings):
    def use(url: str, secret: str = SECRET):
        settings.LIVEKIT_URL, settings.LIVEKIT_API_KEY, settings.LIVEKIT_API_SECRET = url, KEY, secret

    return use


def test_tokens_follow_livekits_claims_publish_for_the_host_subscribe_for_viewers(livekit_settings):
    livekit_settings("wss://demo.livekit.cloud")
    provider = streams.livekit()
    before = int(time.time())
    viewer = jwt.decode(provider.join_token(room="shop-1", identity="viewer-abc", publish=False), SECRET,
                        algorithms=["HS256"])  # fmt: skip
    host = jwt.decode(provider.join_token(room="shop-1", identity="host-7", name="Alice", publish=True), SECRET,
                      algorithms=["HS256"])  # fmt: skip
    assert (viewer["iss"], viewer["sub"]) == (KEY, "viewer-abc")
    assert viewer["video"] == {"roomJoin": True, "room": "shop-1", "canPublish": False, "canSubscribe": True,
                               "canPublishData": False}  # fmt: skip
    assert host["video"]["canPublish"] is True and host["name"] == "Alice" and host["sub"] == "host-7"
    assert before <= viewer["nbf"] <= int(time.time())
    assert viewer["exp"] - viewer["nbf"] == streams.VIEWER_TOKEN_SECONDS
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(provider.join_token(room="r", identity="v", publish=False), "another-secret-entirely-different",
                   algorithms=["HS256"])  # fmt: skip
    assert provider.api_base() == "https://demo.livekit.cloud"


def test_going_live_creates_the_livekit_room(world_a, host_actor, livekit_settings, settings):
    with FakeLiveKit() as fake:
        livekit_settings(fake.url)
        event = make_event(world_a, host_actor, stream="livekit")
        assert event.stream_room.startswith("atelier-a-")
        live = services.live_event_start(actor=host_actor, event=event)
        assert live.status == "live"
        (request,) = fake.requests
        assert json.loads(request["body"]) == {"name": event.stream_room, "empty_timeout": streams.EMPTY_TIMEOUT_SECONDS}
        assert set(fake.rooms) == {event.stream_room}
        player = selectors.stream_data(live, identity="viewer-xyz")
        assert (player["provider"], player["url"], player["room"]) == ("livekit", fake.url, event.stream_room)
        assert jwt.decode(player["token"], SECRET, algorithms=["HS256"])["video"]["canPublish"] is False
        assert "token" not in selectors.stream_data(live)  # the public read carries no token
        publisher = services.host_stream(actor=host_actor, event=live)
        claims = jwt.decode(publisher["token"], SECRET, algorithms=["HS256"])
        assert (claims["sub"], claims["video"]["canPublish"]) == (f"host-{host_actor.user_id}", True)
        # Viewers watch, and the host publishes from her phone, in LiveKit's own web app.
        from urllib.parse import parse_qs, urlsplit

        watch = urlsplit(player["watch_url"])
        assert f"{watch.scheme}://{watch.netloc}{watch.path}" == settings.LIVEKIT_MEET_URL
        assert parse_qs(watch.query) == {"liveKitUrl": [fake.url], "token": [player["token"]]}
        assert parse_qs(urlsplit(publisher["publish_url"]).query)["token"] == [publisher["token"]]
        page = HttpClient().get(f"/atelier-a/live/{live.pk}/").content.decode()
        assert 'id="watch-livekit"' in page and "token=" in page


@pytest.mark.parametrize("fault", ["wrong_secret", "server_error", "unreachable"])
def test_when_livekit_refuses_the_event_stays_scheduled(world_a, host_actor, livekit_settings, fault):
    with FakeLiveKit(secret="the-server-knows-another-secret-value", fail_with=500 if fault == "server_error" else None) as fake:
        url = fake.url if fault != "unreachable" else "ws://127.0.0.1:9"
        livekit_settings(url)
        event = make_event(world_a, host_actor, stream="livekit")
        with pytest.raises(StreamUnavailable) as refused:
            services.live_event_start(actor=host_actor, event=event)
    assert (refused.value.code, refused.value.status) == ("stream_unavailable", 502)
    if fault == "wrong_secret":
        assert "401" in refused.value.message and "invalid token" in refused.value.message
    event.refresh_from_db()
    assert (event.status, event.started_at) == ("scheduled", None)


def test_livekit_without_settings_is_a_clear_409(world_a, host_actor, livekit_settings):
    livekit_settings("", "")
    event = make_event(world_a, host_actor, stream="livekit")
    with pytest.raises(streams.StreamUnconfigured) as refused:
        services.live_event_start(actor=host_actor, event=event)
    assert (refused.value.code, refused.value.status) == ("stream_unconfigured", 409)
    assert LiveEvent.objects.get(pk=event.pk).status == "scheduled"
    assert selectors.stream_data(event) == {"provider": "livekit", "unavailable": True}
