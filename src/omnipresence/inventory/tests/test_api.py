"""The inventory API through HTTP: availability, stock, the ledger, holds, transfers and counts."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from omnipresence.inventory.models import CycleCount, Hold, Movement, Stock, Transfer
from omnipresence.inventory.selectors import ledger_check

API = "/api/v1/boutiques/atelier-a"
SKU = "atelier-a-COAT-BLU-S"


def session(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def send(client, url, body, method="post"):
    return getattr(client, method)(url, body, content_type="application/json")


def error(response) -> tuple[int, str]:
    body = response.json()
    assert body["message"]
    return response.status_code, body["code"]


def on_hand(world, location="shop", index=0) -> tuple[int, int]:
    stock = Stock.objects.get(location=world[location], variant=world["variants"][index])
    return stock.on_hand, stock.held


def test_public_availability_of_a_variant(client, world_a):
    response = client.get(f"{API}/availability/{SKU}")
    assert response.status_code == 200
    body = response.json()
    assert (body["sku"], body["online"], body["total"], body["ship_to_home"]) == (SKU, 7, 7, True)
    assert body["ship_from"] == ["warehouse", "soho"]
    assert [(loc["code"], loc["available"], loc["ships"]) for loc in body["locations"]] == [
        ("warehouse", 5, True), ("chelsea", 0, False), ("soho", 2, True),
    ]  # fmt: skip
    assert body["pickup"] == ["soho"]
    assert error(client.get(f"{API}/availability/NOPE")) == (404, "variant_not_found")


def test_public_availability_of_a_product(client, world_a):
    body = client.get(f"{API}/products/{world_a['product'].handle}/availability").json()
    assert [entry["sku"] for entry in body] == [v.sku for v in world_a["variants"]]


def test_stock_and_movements_for_staff(world_a, associate_a):
    client = session(associate_a)
    stock = client.get(f"{API}/stock", {"location": "soho"}).json()
    assert stock["count"] == 3
    assert stock["items"][0] == {"sku": SKU, "location": "soho", "on_hand": 2, "held": 0, "available": 2}
    assert client.get(f"{API}/stock", {"sku": SKU}).json()["count"] == 2
    assert client.get(f"{API}/stock", {"page_size": 1, "page": 2}).json()["items"][0]["location"] == "warehouse"
    movements = client.get(f"{API}/movements", {"sku": SKU, "location": "warehouse"}).json()
    assert [(m["kind"], m["quantity"], m["reason"]) for m in movements] == [("receipt", 5, "opening stock")]
    assert error(client.get(f"{API}/stock", {"location": "nowhere"})) == (404, "location_not_found")
    assert error(client.get(f"{API}/stock", {"page_size": 1000})) == (422, "invalid_input")
    assert error(client.get(f"{API}/movements", {"sku": "a b"})) == (422, "invalid_input")


def test_receipt_books_a_movement(world_a, associate_a):
    response = send(session(associate_a), f"{API}/stock/receipts",
                    {"location": "chelsea", "sku": SKU, "quantity": 4, "reason": "delivery", "reference": "PO-7"})  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("kind", "sku", "location", "quantity", "reason", "reference", "actor")} == {
        "kind": "receipt", "sku": SKU, "location": "chelsea", "quantity": 4, "reason": "delivery",
        "reference": "PO-7", "actor": "alice",
    }  # fmt: skip
    assert on_hand(world_a, "shop2") == (4, 0)
    assert ledger_check(boutique=world_a["boutique"]) == []


@pytest.mark.parametrize(
    "body,status,code",
    [
        ({"location": "soho", "sku": SKU, "quantity": 0}, 422, "invalid_input"),
        ({"location": "soho", "sku": SKU, "quantity": -3}, 422, "invalid_input"),
        ({"location": "soho", "sku": SKU, "quantity": 10**9}, 422, "invalid_input"),
        ({"location": "soho", "sku": SKU, "quantity": True}, 422, "invalid_input"),
        ({"location": "soho", "sku": SKU, "quantity": "3"}, 422, "invalid_input"),
        ({"location": "soho", "sku": SKU, "quantity": 2.5}, 422, "invalid_input"),
        ({"location": "soho", "sku": "NOPE-1", "quantity": 1}, 404, "variant_not_found"),
        ({"location": "mars", "sku": SKU, "quantity": 1}, 404, "location_not_found"),
        ({"location": "soho", "sku": SKU, "quantity": 1, "reason": "r" * 201}, 422, "invalid_input"),
        ({"location": "soho", "sku": SKU, "quantity": 1, "reason": "a\x00"}, 422, "invalid_input"),
    ],
)
def test_bad_receipts_change_nothing(world_a, associate_a, body, status, code):
    count = Movement.objects.count()
    assert error(send(session(associate_a), f"{API}/stock/receipts", body)) == (status, code)
    assert Movement.objects.count() == count
    assert on_hand(world_a) == (2, 0)


def test_adjustments_need_a_manager_a_reason_and_never_go_negative(world_a, manager_a, associate_a):
    url = f"{API}/stock/adjustments"
    assert error(send(session(associate_a), url, {"location": "soho", "sku": SKU, "delta": -1, "reason": "x"})) == (
        403, "forbidden"
    )  # fmt: skip
    client = session(manager_a)
    assert error(send(client, url, {"location": "soho", "sku": SKU, "delta": -1})) == (422, "invalid_input")
    assert error(send(client, url, {"location": "soho", "sku": SKU, "delta": -1, "reason": " "})) == (
        422, "invalid_input"
    )  # fmt: skip
    assert error(send(client, url, {"location": "soho", "sku": SKU, "delta": 0, "reason": "x"})) == (
        422, "invalid_quantity"
    )  # fmt: skip
    response = send(client, url, {"location": "soho", "sku": SKU, "delta": -3, "reason": "damaged"})
    assert error(response) == (409, "insufficient_stock")
    assert response.json()["details"] == {"sku": SKU, "location": "soho", "on_hand": 2}
    assert on_hand(world_a) == (2, 0)
    response = send(client, url, {"location": "soho", "sku": SKU, "delta": -2, "reason": "damaged"})
    assert response.status_code == 201 and response.json()["quantity"] == -2
    assert on_hand(world_a) == (0, 0)
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_hold_lifecycle_through_the_api(world_a, associate_a):
    client = session(associate_a)
    response = send(client, f"{API}/holds", {"location": "soho", "sku": SKU, "quantity": 2, "client_name": "Mrs Dalloway",
                                             "ttl_minutes": 90})  # fmt: skip
    assert response.status_code == 201, response.content
    hold = response.json()
    assert {k: hold[k] for k in ("sku", "location", "kind", "quantity", "status", "client_name", "created_by")} == {
        "sku": SKU, "location": "soho", "kind": "client", "quantity": 2, "status": "active",
        "client_name": "Mrs Dalloway", "created_by": "alice",
    }  # fmt: skip
    assert on_hand(world_a) == (2, 2)
    assert client.get(f"{API}/availability/{SKU}").json()["online"] == 5

    assert [h["id"] for h in client.get(f"{API}/holds", {"client": "dalloway"}).json()] == [hold["id"]]
    assert client.get(f"{API}/holds", {"status": "released"}).json() == []
    assert error(client.get(f"{API}/holds", {"status": "lost"})) == (422, "invalid_input")
    assert client.get(f"{API}/holds/{hold['id']}").json()["id"] == hold["id"]

    later = (timezone.now() + timedelta(days=2)).isoformat()
    extended = send(client, f"{API}/holds/{hold['id']}/extend", {"expires_at": later}).json()
    assert extended["expires_at"].startswith(later[:16])

    released = send(client, f"{API}/holds/{hold['id']}/release", {})
    assert released.status_code == 200 and released.json()["status"] == "released"
    assert on_hand(world_a) == (2, 0)
    assert error(send(client, f"{API}/holds/{hold['id']}/release", {})) == (409, "hold_not_active")
    assert error(send(client, f"{API}/holds/{hold['id']}/extend", {"ttl_minutes": 5})) == (409, "hold_not_active")
    assert error(client.get(f"{API}/holds/999999")) == (404, "hold_not_found")
    assert ledger_check(boutique=world_a["boutique"]) == []


@pytest.mark.parametrize(
    "body,status,code",
    [
        ({"location": "soho", "sku": SKU, "quantity": 3}, 409, "insufficient_stock"),
        ({"location": "soho", "sku": SKU, "quantity": 0}, 422, "invalid_input"),
        ({"location": "soho", "sku": SKU, "quantity": -1}, 422, "invalid_input"),
        ({"location": "soho", "sku": SKU, "quantity": 1, "kind": "forever"}, 422, "invalid_input"),
        ({"location": "soho", "sku": SKU, "quantity": 1, "client_name": "x" * 121}, 422, "invalid_input"),
        ({"location": "soho", "sku": SKU, "quantity": 1, "expires_at": "2000-01-01T00:00:00Z"}, 422, "invalid_expiry"),
        ({"location": "soho", "sku": SKU, "quantity": 1, "expires_at": "2031-01-01T00:00:00"}, 422, "invalid_expiry"),
        ({"location": "soho", "sku": SKU, "quantity": 1, "expires_at": 0}, 422, "invalid_input"),
        ({"location": "soho", "sku": SKU, "quantity": 1, "ttl_minutes": 0}, 422, "invalid_input"),
        ({"location": "soho", "sku": "NOPE", "quantity": 1}, 404, "variant_not_found"),
    ],
)
def test_bad_holds_change_nothing(world_a, associate_a, body, status, code):
    assert error(send(session(associate_a), f"{API}/holds", body)) == (status, code)
    assert Hold.objects.count() == 0
    assert on_hand(world_a) == (2, 0)


def test_transfer_through_the_api(world_a, manager_a, associate_a):
    body = {"source": "warehouse", "destination": "chelsea", "lines": [{"sku": SKU, "quantity": 3}], "note": "restock"}
    assert error(send(session(associate_a), f"{API}/transfers", body)) == (403, "forbidden")
    client = session(manager_a)
    response = send(client, f"{API}/transfers", body)
    assert response.status_code == 201
    transfer = response.json()
    assert (transfer["status"], transfer["lines"]) == ("in_transit", [{"sku": SKU, "quantity": 3, "received_quantity": 0}])
    assert on_hand(world_a, "warehouse") == (2, 0)
    assert client.get(f"{API}/transfers/{transfer['id']}").json()["id"] == transfer["id"]

    received = send(client, f"{API}/transfers/{transfer['id']}/receive", {"lines": [{"sku": SKU, "quantity": 2}]})
    assert received.status_code == 200
    assert received.json()["status"] == "received"
    assert received.json()["lines"] == [{"sku": SKU, "quantity": 3, "received_quantity": 2}]
    assert on_hand(world_a, "shop2") == (2, 0)
    assert error(send(client, f"{API}/transfers/{transfer['id']}/receive", {})) == (409, "transfer_not_in_transit")
    assert error(client.get(f"{API}/transfers/999999")) == (404, "transfer_not_found")
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_bad_transfers_change_nothing(world_a, manager_a):
    client = session(manager_a)
    cases = [
        ({"source": "soho", "destination": "soho", "lines": [{"sku": SKU, "quantity": 1}]}, (422, "same_location")),
        ({"source": "soho", "destination": "chelsea", "lines": []}, (422, "invalid_input")),
        ({"source": "soho", "destination": "chelsea", "lines": [{"sku": SKU, "quantity": 3}]}, (409, "insufficient_stock")),
        ({"source": "soho", "destination": "chelsea", "lines": [{"sku": SKU, "quantity": -1}]}, (422, "invalid_input")),
    ]  # fmt: skip
    for body, expected in cases:
        assert error(send(client, f"{API}/transfers", body)) == expected, body
    assert Transfer.objects.count() == 0
    assert on_hand(world_a) == (2, 0)


def test_count_through_the_api(world_a, manager_a):
    response = send(session(manager_a), f"{API}/counts", {"location": "soho", "lines": [
        {"sku": SKU, "counted": 1}, {"sku": "atelier-a-COAT-BLU-M", "counted": 2}]})  # fmt: skip
    assert response.status_code == 201
    assert response.json()["lines"] == [
        {"sku": SKU, "expected": 2, "counted": 1, "difference": -1},
        {"sku": "atelier-a-COAT-BLU-M", "expected": 2, "counted": 2, "difference": 0},
    ]
    assert on_hand(world_a) == (1, 0)
    assert ledger_check(boutique=world_a["boutique"]) == []


def test_bad_counts_change_nothing(world_a, manager_a, associate_a):
    body = {"location": "soho", "lines": [{"sku": SKU, "counted": 0}]}
    assert error(send(session(associate_a), f"{API}/counts", body)) == (403, "forbidden")
    client = session(manager_a)
    twice = {"location": "soho", "lines": [{"sku": SKU, "counted": 1}, {"sku": SKU, "counted": 2}]}
    assert error(send(client, f"{API}/counts", twice)) == (422, "duplicate_line")
    assert error(send(client, f"{API}/counts", {"location": "soho", "lines": [{"sku": SKU, "counted": -1}]})) == (
        422, "invalid_input"
    )  # fmt: skip
    assert CycleCount.objects.count() == 0
    assert on_hand(world_a) == (2, 0)
