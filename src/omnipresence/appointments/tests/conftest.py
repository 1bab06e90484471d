"""A boutique with appointment types at Soho and two associates who take appointments there."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient

from omnipresence.appointments import services
from omnipresence.clients import services as clients
from omnipresence.conftest import make_staff
from omnipresence.stores.access import actor_for_user
from omnipresence.testing.browser import *  # noqa: F403 - fixtures for the browser tests

LONDON = ZoneInfo("Europe/London")
API = "/api/v1/boutiques"


def every_day(opens="09:00", closes="18:00"):
    return [(d, time.fromisoformat(opens), time.fromisoformat(closes)) for d in range(7)]


def next_day(weekday: int, at: str = "10:00", *, weeks_ahead: int = 1, zone=LONDON) -> datetime:
    """The given weekday (0 = Monday) `weeks_ahead` weeks from now, at a wall-clock time of `zone`."""
    today = datetime.now(zone).date()
    day = today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * (weeks_ahead - 1))
    if day <= today:
        day += timedelta(days=7)
    return datetime.combine(day, time.fromisoformat(at), tzinfo=zone)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def manager_actor(world_a, manager_a):
    return actor_for_user(manager_a, world_a["boutique"])


@pytest.fixture
def beth(world_a):
    return make_staff(world_a, "beth", "associate")


@pytest.fixture
def calendar(world_a, manager_actor, associate_a, beth):
    """Alice and Beth take appointments at Soho every day 09:00–18:00; a 30-minute video
    consultation (cap 45, 10 minutes after, four at once) and a 60-minute in-store styling (capacity 1)."""
    for user in (associate_a, beth):
        services.working_hours_set(actor=manager_actor, associate=user, location=world_a["shop"], periods=every_day())
    video = services.type_create(
        actor=manager_actor, location=world_a["shop"], kind="video_consultation", name="Video consultation",
        duration_minutes=30, cap_minutes=45, buffer_after_minutes=10, min_notice_minutes=60, horizon_days=30, capacity=4,
    )  # fmt: skip
    styling = services.type_create(
        actor=manager_actor, location=world_a["shop"], kind="in_store_styling", name="In-store styling",
        duration_minutes=60, capacity=1, min_notice_minutes=60, horizon_days=30,
    )  # fmt: skip
    return {"video": video, "styling": styling, "alice": associate_a, "beth": beth, "shop": world_a["shop"]}


@pytest.fixture
def ada(world_a):
    return clients.client_resolve(boutique=world_a["boutique"], email="ada@example.com", name="Ada Lovelace")


def staff_http(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def post(http, url, body=None):
    import json

    return http.post(url, json.dumps(body or {}), content_type="application/json")


def book_body(starts_at: datetime, key: str = "booking-key-0001", **extra) -> dict:
    return {"starts_at": iso(starts_at), "name": "Grace Hopper", "email": "grace@example.com",
            "idempotency_key": key, **extra}  # fmt: skip
