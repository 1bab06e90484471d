"""The room's socket (ws/appointments/<slug>/room/<room>/) over the real ASGI application, with the
in-memory channel layer: refused tokens, the cart's state on connect, a change made on one socket
(or over HTTP) arriving on the other, and bad frames answered, never a crash."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.test import Client as HttpClient
from django.utils import timezone

from omnipresence.appointments import room
from omnipresence.appointments.models import Appointment
from omnipresence.appointments.tests.test_room import room_url, room_world
from omnipresence.asgi import application
from omnipresence.orders.models import CartLine

pytestmark = pytest.mark.django_db(transaction=True)  # changes go out on commit: real commits

HEADERS = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


@pytest.fixture(autouse=True)
def fresh_layer():
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def booked(world_a, associate_a):
    return room_world(world_a, associate_a)


def run_async(function):
    """The async body in a thread of its own (a browser test may leave a loop running here)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(async_to_sync(function)).result()


def socket_path(appointment, *, host: bool) -> str:
    link = room.room_link(appointment, host=host)
    return f"/ws/appointments/{appointment.boutique.slug}/room/{link.room}/?t={link.token}"


def _socket(path: str) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, path, headers=HEADERS)


async def _until(communicator, kind: str, timeout: float = 5) -> dict:
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame.get("kind") == kind:
            return frame


def test_tokens_refused(booked, world_b):
    appointment = booked["appointment"]
    good = socket_path(appointment, host=False)
    paths = [
        good[:-3] + "xyz",  # tampered
        good.split("?")[0],  # none
        good.replace("/atelier-a/", "/boutique-b/"),  # another boutique
        good.replace("/atelier-a/", "/no-such-shop/"),
        good.replace(f"/room/{appointment.video_room}/", "/room/atelier-a-another-room/"),
    ]

    async def run():
        codes = []
        for path in paths:
            codes.append(await _socket(path).connect())
        return codes

    assert run_async(run) == [(False, 4404)] * 5
    Appointment.objects.filter(pk=appointment.pk).update(cap_ends_at=timezone.now() - timedelta(seconds=1))

    async def late():
        return await _socket(good).connect()

    assert run_async(late) == (False, 4403)


def test_state_on_connect_and_a_change_arrives_at_the_other(booked):
    appointment, small, medium = booked["appointment"], booked["small"], booked["medium"]
    hers, his = socket_path(appointment, host=False), socket_path(appointment, host=True)
    url = room_url(appointment, host=False)
    path, query = url.split("?")

    def post_remove():
        return HttpClient().post(path + "action/", {"t": query[2:], "action": "remove", "variant": str(small.pk)},
                                 headers={"Accept": "application/json"})  # fmt: skip

    async def run():
        client, host = _socket(hers), _socket(his)
        assert (await client.connect())[0] and (await host.connect())[0]
        first = [await _until(client, "cart"), await _until(host, "cart")]
        await host.send_json_to({"type": "cart.add", "variant_id": small.pk})
        ack = await _until(host, "ack")
        at_client = await _until(client, "cart")
        await _until(host, "cart")
        await client.send_json_to({"type": "cart.set", "variant_id": medium.pk, "quantity": 1})
        await _until(client, "ack")
        at_host = await _until(host, "cart")
        await _until(client, "cart")
        response = await sync_to_async(post_remove)()  # a change over HTTP reaches both sockets too
        after_http = [await _until(client, "cart"), await _until(host, "cart")]
        await client.disconnect()
        await host.disconnect()
        return first, ack, at_client, at_host, response, after_http

    first, ack, at_client, at_host, response, after_http = run_async(run)
    assert [f["lines"] for f in first] == [[], []] and [i["sku"] for i in first[0]["pull_list"]] == [small.sku, medium.sku]
    assert first[0]["open"] is True and first[0]["cap_ends_at"] == appointment.cap_ends_at.isoformat()
    assert ack == {"kind": "ack", "type": "cart.add"}
    assert [(line["sku"], line["quantity"]) for line in at_client["lines"]] == [(small.sku, 1)]
    assert at_client["totals"]["total"] == "£450.00"
    assert [(line["sku"], line["quantity"]) for line in at_host["lines"]] == [(small.sku, 1), (medium.sku, 1)]
    assert at_host["totals"]["total_minor"] == 90000
    assert response.status_code == 200
    assert [[line["sku"] for line in f["lines"]] for f in after_http] == [[medium.sku], [medium.sku]]
    assert after_http[0]["totals"] == after_http[1]["totals"]


def test_bad_frames_get_error_frames_and_the_socket_stays(booked, world_b):
    appointment, small = booked["appointment"], booked["small"]
    hers = socket_path(appointment, host=False)

    async def run():
        client = _socket(hers)
        assert (await client.connect())[0]
        await _until(client, "cart")
        answers = []
        for text in ["not json", json.dumps([1, 2]), json.dumps({"no": "type"}), "x" * 3000,
                     json.dumps({"type": "explode"}),
                     json.dumps({"type": "cart.set", "variant_id": small.pk, "quantity": -1}),
                     json.dumps({"type": "cart.set", "variant_id": world_b["variants"][0].pk, "quantity": 1}),
                     json.dumps({"type": "cart.add", "sku": world_b["variants"][0].sku}),
                     json.dumps({"type": "cart.add", "variant_id": {"a": 1}}),
                     json.dumps({"type": "cart.add", "sku": "BOUTIQUE-A-NOT-A-SKU"})]:  # fmt: skip
            await client.send_to(text_data=text)
            frame = await client.receive_json_from(timeout=5)
            answers.append(frame.get("code"))
        await client.send_json_to({"type": "ping"})
        pong = await client.receive_json_from(timeout=5)
        nothing = await client.receive_nothing(timeout=0.3)
        await client.disconnect()
        return answers, pong, nothing

    answers, pong, nothing = run_async(run)
    assert answers == ["invalid_frame", "invalid_frame", "invalid_frame", "invalid_frame", "unknown_type",
                       "invalid_quantity", "variant_not_found", "variant_not_found", "invalid_variant",
                       "variant_not_found"]  # fmt: skip
    assert pong == {"kind": "pong"} and nothing is True  # no state was broadcast: nothing changed
    assert not CartLine.objects.exists()
    assert urlparse(hers).path.endswith(f"/room/{appointment.video_room}/")
