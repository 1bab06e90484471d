"""The fulfilment API with a token and a staff session: the queue, every step, the codes of what
goes wrong ({code, message}, never a 500), and refusals that change nothing."""

import json

import pytest
from django.test import Client

from omnipresence.fulfilment.models import Fulfilment
from omnipresence.fulfilment.tests.conftest import checkout, fulfilment_of, pay, state
from omnipresence.stores import services as stores

pytestmark = pytest.mark.django_db
A = "/api/v1/boutiques/atelier-a"


def send(client, method, url, body=None):
    if body is None:
        return client.generic(method, url)
    return client.generic(method, url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def order(world_a, seller, uk_shipping):
    return checkout(
        seller, world_a, (0, 1, "pickup", "soho"), (1, 2, "ship", None), client_phone="+447700900123"
    )


@pytest.fixture
def alice_client(associate_a):
    client = Client()
    client.force_login(associate_a)
    return client


def test_the_queue_and_one_fulfilment(api_a, order):
    pickup, delivery = fulfilment_of(order, "pickup"), fulfilment_of(order, "delivery")
    queue = api_a.get(f"{A}/fulfilments")
    assert queue.status_code == 200
    assert [(f["id"], f["method"], f["location"], f["status"]) for f in queue.json()] == [
        (pickup.pk, "pickup", "soho", "to_pick"), (delivery.pk, "delivery", "warehouse", "to_pick")
    ]  # fmt: skip
    assert [f["id"] for f in api_a.get(f"{A}/fulfilments", {"location": "soho"}).json()] == [pickup.pk]
    assert api_a.get(f"{A}/fulfilments", {"status": "shipped"}).json() == []
    body = api_a.get(f"{A}/fulfilments/{pickup.pk}").json()
    assert body["lines"] == [{
        "order_line_id": pickup.lines.get().order_line_id, "sku": "atelier-a-COAT-BLU-S", "title": "Blue Statement Coat",
        "variant_label": body["lines"][0]["variant_label"], "quantity": 1,
        "hold_id": pickup.lines.get().allocation.hold_id, "hold_status": "active",
    }]  # fmt: skip
    assert (body["client_name"], body["client_email"], body["payment_status"]) == (
        "Jane Doe",
        "jane@example.com",
        "unpaid",
    )
    assert (body["pickup_code_attempts"], body["pickup_code_locked"]) == (0, False)
    assert "pickup_code_hash" not in body


def test_every_step_through_the_api(api_a, world_a, order):
    pickup, delivery = fulfilment_of(order, "pickup"), fulfilment_of(order, "delivery")
    assert send(api_a, "POST", f"{A}/fulfilments/{pickup.pk}/pick").json()["status"] == "picked"
    assert send(api_a, "POST", f"{A}/fulfilments/{pickup.pk}/pack").json()["status"] == "packed"
    made_ready = send(api_a, "POST", f"{A}/fulfilments/{pickup.pk}/ready")
    assert made_ready.status_code == 200
    code = made_ready.json()["pickup_code"]
    assert len(code) == 9 and code[4] == "-"
    assert made_ready.json()["ready_by"] == "token:integration"
    assert send(api_a, "POST", f"{A}/fulfilments/{pickup.pk}/ready").json()["pickup_code"] is None
    pay(order)
    collected = send(api_a, "POST", f"{A}/fulfilments/{pickup.pk}/collect", {"code": code.lower()})
    assert (collected.status_code, collected.json()["status"], collected.json()["collected_via"]) == (
        200,
        "collected",
        "code",
    )
    assert collected.json()["lines"][0]["hold_status"] == "consumed"
    shipped = send(
        api_a, "POST", f"{A}/fulfilments/{delivery.pk}/ship", {"carrier": "DPD", "tracking_code": "15501234"}
    )
    assert (shipped.status_code, shipped.json()["status"], shipped.json()["tracking_code"]) == (
        200,
        "shipped",
        "15501234",
    )
    assert [f["id"] for f in api_a.get(f"{A}/fulfilments", {"status": "shipped"}).json()] == [delivery.pk]
    assert api_a.get(f"{A}/fulfilments").json() == []


@pytest.mark.parametrize(
    "path,body,status,code",
    [
        ("{delivery}/ship", {"carrier": "DPD"}, 409, "order_unpaid"),
        ("{pickup}/ship", {"carrier": "DPD"}, 409, "wrong_fulfilment_method"),
        ("{delivery}/ready", None, 409, "wrong_fulfilment_method"),
        ("{pickup}/collect", {"code": "ABCD-EFGH"}, 409, "pickup_not_ready"),
        ("{pickup}/collect", {"code": "ABCD-EFGH", "manager_override": True}, 403, "forbidden"),
        ("{delivery}/ship", {"carrier": ""}, 422, "invalid_input"),
        ("{delivery}/ship", {"tracking_code": "X"}, 422, "invalid_input"),
        ("{delivery}/ship", {"carrier": "DPD", "surprise": 1}, 422, "invalid_input"),
        ("{delivery}/ship", {"carrier": "DPD\u0000"}, 422, "invalid_input"),
        ("{pickup}/collect", {"code": "ABCD-EFGH", "manager_override": "yes"}, 422, "invalid_input"),
        ("{pickup}/collect", {"code": "X" * 21}, 422, "invalid_input"),
        ("999999/pick", None, 404, "fulfilment_not_found"),
        ("0/pick", None, 422, "invalid_input"),
    ],
)
def test_what_goes_wrong_has_a_code_and_changes_nothing(
    alice_client, world_a, order, path, body, status, code
):
    ids = {"pickup": fulfilment_of(order, "pickup").pk, "delivery": fulfilment_of(order, "delivery").pk}
    before = state(world_a["boutique"])
    response = send(alice_client, "POST", f"{A}/fulfilments/{path.format(**ids)}", body)
    assert (response.status_code, response.json()["code"]) == (status, code), response.content
    assert response.json()["message"]
    assert state(world_a["boutique"]) == before


def test_wrong_codes_lock_the_pickup_until_a_manager_overrides(alice_client, api_a, world_a, order):
    pickup = fulfilment_of(order, "pickup")
    pay(order)
    send(alice_client, "POST", f"{A}/fulfilments/{pickup.pk}/ready")
    for left in (4, 3, 2, 1, 0):
        wrong = send(alice_client, "POST", f"{A}/fulfilments/{pickup.pk}/collect", {"code": "2222-2222"})
        assert (wrong.status_code, wrong.json()["code"], wrong.json()["details"]) == (
            409, "pickup_code_wrong", {"attempts_left": left}
        )  # fmt: skip
    locked = send(alice_client, "POST", f"{A}/fulfilments/{pickup.pk}/collect", {"code": "2222-2222"})
    assert (locked.status_code, locked.json()["code"]) == (409, "pickup_code_locked")
    assert alice_client.get(f"{A}/fulfilments/{pickup.pk}").json()["pickup_code_locked"] is True
    # A token with inventory:write may override (an integration of the manager's till)
    handed = send(api_a, "POST", f"{A}/fulfilments/{pickup.pk}/collect", {"manager_override": True})
    assert (handed.status_code, handed.json()["collected_via"]) == (200, "override")


def test_a_read_only_token_may_not_read_or_move_the_queue(world_a, order):
    _, key = stores.api_token_create(boutique=world_a["boutique"], name="reports", scopes=["catalog:read"])
    reader = Client(headers={"Authorization": f"Bearer {key}"})
    pickup = fulfilment_of(order, "pickup")
    before = state(world_a["boutique"])
    for method, url in (("GET", f"{A}/fulfilments"), ("GET", f"{A}/fulfilments/{pickup.pk}"),
                        ("POST", f"{A}/fulfilments/{pickup.pk}/pick")):  # fmt: skip
        response = send(reader, method, url)
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert state(world_a["boutique"]) == before


def test_another_boutiques_fulfilment_is_not_found(alice_client, world_a, world_b, order):
    from omnipresence.orders import services as orders
    from omnipresence.orders.tests.conftest import cart_with

    cart = cart_with(world_b["actor"], world_b, (0, 1, "pickup", "soho"))
    theirs = Fulfilment.objects.get(order=orders.cart_checkout(actor=world_b["actor"], cart=cart))
    before = state(world_b["boutique"])
    for method, path in (("GET", ""), ("POST", "/pick"), ("POST", "/ready")):
        response = send(alice_client, method, f"{A}/fulfilments/{theirs.pk}{path}")
        assert (response.status_code, response.json()["code"]) == (404, "fulfilment_not_found")
    assert state(world_b["boutique"]) == before
