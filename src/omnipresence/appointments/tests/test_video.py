"""Video providers: the shape of each join link and token (decoded and checked claim by claim),
and the room's hard cap through the API."""

from datetime import timedelta
from unittest import mock
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from omnipresence.appointments import invitations, links, services, video
from omnipresence.appointments.tests.conftest import API, next_day, post, staff_http


@pytest.fixture
def booked(calendar, ada):
    appointment, _ = services.appointment_book(appointment_type=calendar["video"], client=ada,
                                               starts_at=next_day(0, "10:00"), via="staff")  # fmt: skip
    return appointment


def _claims(token: str, secret: str, **options) -> dict:
    return jwt.decode(token, secret, algorithms=["HS256"], options={"verify_nbf": False}, **options)


def test_local_room_link_is_signed_for_the_window(booked, settings):
    link = invitations.join_link(booked, host=False)
    assert link.provider == "local" and link.url.startswith(f"{settings.SITE_URL}/atelier-a/appointments/room/")
    claims = _claims(link.token, settings.SECRET_KEY, audience="omnipresence-room")
    assert claims["room"] == booked.video_room and claims["sub"] == f"client-{booked.client_id}"
    assert claims["nbf"] == int((booked.starts_at - timedelta(minutes=10)).timestamp())
    assert claims["exp"] == int(booked.cap_ends_at.timestamp()) and claims["host"] is False


def test_jitsi_without_a_secret_is_a_plain_room_link(booked, settings):
    settings.JITSI_BASE_URL, settings.JITSI_APP_ID, settings.JITSI_APP_SECRET = "https://meet.example.org", "", ""
    booked.video_provider = "jitsi"
    link = invitations.join_link(booked, host=False)
    assert (link.url, link.token) == (f"https://meet.example.org/{booked.video_room}", None)


def test_jitsi_jwt_has_jitsis_claims(booked, settings):
    settings.JITSI_BASE_URL = "https://meet.example.org"
    settings.JITSI_APP_ID, settings.JITSI_APP_SECRET, settings.JITSI_DOMAIN = "omni-app", "s3cret-jitsi-0123456789abcdef0123456789", ""
    booked.video_provider = "jitsi"
    host = invitations.join_link(booked, host=True)
    assert host.url == f"https://meet.example.org/{booked.video_room}?jwt={host.token}"
    assert jwt.get_unverified_header(host.token)["alg"] == "HS256"
    claims = _claims(host.token, "s3cret-jitsi-0123456789abcdef0123456789", audience="jitsi")
    assert (claims["iss"], claims["sub"], claims["room"]) == ("omni-app", "meet.example.org", booked.video_room)
    assert claims["context"]["user"] == {"id": f"associate-{booked.associate_id}", "name": "alice", "moderator": True}
    assert claims["nbf"] == int((booked.starts_at - timedelta(minutes=30)).timestamp())
    assert claims["exp"] == int(booked.cap_ends_at.timestamp())
    guest = _claims(invitations.join_link(booked, host=False).token, "s3cret-jitsi-0123456789abcdef0123456789", audience="jitsi")
    assert guest["context"]["user"]["moderator"] is False and guest["context"]["user"]["email"] == "ada@example.com"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(host.token, "another-secret", algorithms=["HS256"], audience="jitsi", options={"verify_nbf": False})


def test_livekit_access_token_follows_livekits_claims(booked, settings):
    settings.LIVEKIT_URL, settings.LIVEKIT_API_KEY, settings.LIVEKIT_API_SECRET = "wss://lk.example.org", "APIkey1", "lk-secret-0123456789abcdef0123456789abcd"
    booked.video_provider = "livekit"
    link = invitations.join_link(booked, host=False)
    query = parse_qs(urlparse(link.url).query)
    assert link.url.startswith(settings.LIVEKIT_MEET_URL + "?")
    assert query["liveKitUrl"] == ["wss://lk.example.org"] and query["token"] == [link.token]
    claims = _claims(link.token, "lk-secret-0123456789abcdef0123456789abcd")
    assert claims["iss"] == "APIkey1" and claims["sub"] == f"client-{booked.client_id}" and claims["name"] == "Ada Lovelace"
    assert claims["video"] == {"roomJoin": True, "room": booked.video_room, "canPublish": True, "canSubscribe": True,
                               "canPublishData": True}  # fmt: skip
    assert claims["exp"] == int(booked.cap_ends_at.timestamp())
    host = _claims(invitations.join_link(booked, host=True).token, "lk-secret-0123456789abcdef0123456789abcd")
    assert host["video"]["roomAdmin"] is True and host["sub"] == f"associate-{booked.associate_id}"


def test_livekit_unconfigured_is_refused(booked, settings):
    settings.LIVEKIT_URL = settings.LIVEKIT_API_KEY = settings.LIVEKIT_API_SECRET = ""
    booked.video_provider = "livekit"
    with pytest.raises(video.ProviderNotConfigured):
        invitations.join_link(booked, host=False)


def test_the_associate_pastes_her_own_link(booked, associate_a):
    http = staff_http(associate_a)
    url = f"{API}/atelier-a/appointments/{booked.pk}/meeting-link"
    bad = http.put(url, {"external_url": "http://zoom.example/j/1"}, content_type="application/json")
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_meeting_link")
    good = http.put(url, {"external_url": "https://zoom.example/j/123"}, content_type="application/json")
    assert good.status_code == 200 and good.json()["video_provider"] == "external"
    booked.refresh_from_db()
    assert invitations.join_link(booked, host=False).url == "https://zoom.example/j/123"


def test_joining_is_refused_before_the_room_opens_and_after_the_cap(booked, associate_a):
    token = links.appointment_token(booked)
    url = f"{API}/atelier-a/appointment-links/{token}/join"
    http = HttpClient()
    early = http.get(url)
    assert (early.status_code, early.json()["code"]) == (409, "room_not_open")
    for moment, status in ((booked.starts_at - timedelta(minutes=5), 200), (booked.cap_ends_at - timedelta(seconds=1), 200),
                           (booked.cap_ends_at, 409), (booked.cap_ends_at + timedelta(hours=1), 409)):  # fmt: skip
        with mock.patch("django.utils.timezone.now", return_value=moment):
            response = http.get(url)
            host = post(staff_http(associate_a), f"{API}/atelier-a/appointments/{booked.pk}/join")
        assert response.status_code == status and host.status_code == status, (moment, response.content)
        if status == 200:
            body = response.json()
            assert body["cap_ends_at"] == booked.cap_ends_at.isoformat().replace("+00:00", "Z")
            assert body["expires_at"] == body["cap_ends_at"]
        else:
            assert response.json()["code"] == "room_closed"
    assert timezone.now() < booked.starts_at
