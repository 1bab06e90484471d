"""The orders API end to end with a token: cart → code → price → checkout → order → cancel;
campaigns and personal codes; errors as {code, message}; boutique B refused on A's carts and orders."""

import json

import pytest
from django.test import Client

from omnipresence.orders import services
from omnipresence.orders.tests.conftest import cart_with, state
from omnipresence.stores import services as stores

pytestmark = pytest.mark.django_db
A = "/api/v1/boutiques/atelier-a"


def send(client, method, url, body=None):
    if body is None:
        return client.generic(method, url)
    return client.generic(method, url, data=json.dumps(body), content_type="application/json")


def test_sell_through_the_api(api_a, world_a, associate_a, uk_shipping):
    sku = world_a["variants"][0].sku
    created = send(api_a, "POST", f"{A}/campaigns", {"name": "Welcome", "kind": "percentage", "value": 1000,
                                                     "code": "welcome10", "channels": []})  # fmt: skip
    assert created.status_code == 201, created.content
    assert created.json()["codes"] == ["WELCOME10"]
    cart = send(api_a, "POST", f"{A}/carts", {"channel": "phone", "client_name": "Ms Vane",
                                              "client_email": "vane@example.com", "associate": "alice",
                                              "source_kind": "associate"})  # fmt: skip
    assert cart.status_code == 201, cart.content
    cart_id = cart.json()["id"]
    assert (cart.json()["associate"], cart.json()["client_ref"]) == ("alice", "vane@example.com")
    patched = send(
        api_a, "PATCH", f"{A}/carts/{cart_id}", {"client_phone": "+44 7700 900123", "shipping_country": "gb"}
    )
    assert (patched.json()["client_phone"], patched.json()["client_ref"]) == (
        "+447700900123",
        "vane@example.com",
    )
    assert patched.json()["associate"] == "alice"
    lines = send(api_a, "PUT", f"{A}/carts/{cart_id}/lines", {"sku": sku, "quantity": 2})
    assert [(x["sku"], x["quantity"], x["fulfilment"]) for x in lines.json()["lines"]] == [(sku, 2, "ship")]
    send(api_a, "PUT", f"{A}/carts/{cart_id}/lines", {"sku": sku, "quantity": 1, "fulfilment": "pickup",
                                                      "location": "soho"})  # fmt: skip
    assert (
        send(api_a, "PUT", f"{A}/carts/{cart_id}/code", {"code": "welcome10"}).json()["code"] == "WELCOME10"
    )
    priced = send(api_a, "GET", f"{A}/carts/{cart_id}/price").json()
    assert (priced["subtotal"], priced["discount"], priced["shipping"], priced["tax"], priced["total"]) == (
        135000, 13500, 0, 20250, 121500
    )  # fmt: skip
    checkout = send(api_a, "POST", f"{A}/carts/{cart_id}/checkout", {"idempotency_key": "phone-0001"})
    assert checkout.status_code == 201, checkout.content
    order = checkout.json()
    assert (order["channel"], order["associate"], order["total"], order["code"]) == ("phone", "alice", 121500,
                                                                                      "WELCOME10")  # fmt: skip
    assert [(x["fulfilment"], [(a["location"], a["quantity"]) for a in x["allocations"]]) for x in order["lines"]] == [
        ("ship", [("warehouse", 2)]), ("pickup", [("soho", 1)])
    ]  # fmt: skip
    again = send(api_a, "POST", f"{A}/carts/{cart_id}/checkout", {})
    assert again.json()["id"] == order["id"]
    assert [o["id"] for o in send(api_a, "GET", f"{A}/orders?channel=phone").json()] == [order["id"]]
    assert send(api_a, "GET", f"{A}/orders?channel=web").json() == []
    cancelled = send(api_a, "POST", f"{A}/orders/{order['id']}/cancel").json()
    assert cancelled["status"] == "cancelled"
    assert {a["hold_status"] for x in cancelled["lines"] for a in x["allocations"]} == {"released"}
    listed = send(api_a, "GET", f"{A}/campaigns").json()
    assert [(c["name"], c["used"]) for c in listed] == [("Welcome", 0)]
    issued = send(api_a, "POST", f"{A}/campaigns/{listed[0]['id']}/codes", {"client": "+44 7700 900123"})
    assert issued.status_code == 201
    assert (issued.json()["kind"], issued.json()["client_ref"]) == ("personal", "+447700900123")


def test_errors_are_json_with_a_code(api_a, world_a, uk_shipping):
    cart_id = send(api_a, "POST", f"{A}/carts", {}).json()["id"]
    unknown = send(api_a, "PUT", f"{A}/carts/{cart_id}/code", {"code": "NOPE"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "coupon_unknown")
    send(api_a, "PUT", f"{A}/carts/{cart_id}/lines", {"sku": world_a["variants"][0].sku, "quantity": 9})
    short = send(api_a, "POST", f"{A}/carts/{cart_id}/checkout", {})
    assert (short.status_code, short.json()["code"]) == (409, "insufficient_stock")
    assert short.json()["details"]["lines"][0]["available"] == 7
    bad = send(
        api_a, "PUT", f"{A}/carts/{cart_id}/lines", {"sku": world_a["variants"][0].sku, "quantity": "2"}
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_input")
    assert send(api_a, "GET", f"{A}/orders/999999").json()["code"] == "order_not_found"


def test_boutique_b_cannot_touch_a_carts_or_orders(world_a, world_b, seller, uk_shipping):
    # Given a cart and an order of A
    services.campaign_create(
        actor=world_a["actor"], name="W", kind="percentage", value=1000, code="WELCOME10"
    )
    cart = cart_with(seller, world_a, (0, 1, "ship", None))
    order = services.cart_checkout(actor=seller, cart=cart_with(seller, world_a, (1, 1, "ship", None)))
    _, key_b = stores.api_token_create(boutique=world_b["boutique"], name="b")
    as_b = Client(headers={"Authorization": f"Bearer {key_b}"})
    _, key_a = stores.api_token_create(boutique=world_a["boutique"], name="a")
    as_a = Client(headers={"Authorization": f"Bearer {key_a}"})
    b_cart = cart_with(world_b["actor"], world_b, (0, 1, "pickup", "soho"))
    before = state(world_a["boutique"]), state(world_b["boutique"])
    # When B's token calls A's URLs, and A's token names B's ids under A
    calls = [
        ("GET", f"{A}/carts/{cart.pk}", None),
        ("PATCH", f"{A}/carts/{cart.pk}", {"client_name": "Intruder"}),
        ("PUT", f"{A}/carts/{cart.pk}/lines", {"sku": world_a["variants"][0].sku, "quantity": 5}),
        ("PUT", f"{A}/carts/{cart.pk}/code", {"code": "WELCOME10"}),
        ("POST", f"{A}/carts/{cart.pk}/checkout", {}),
        ("GET", f"{A}/orders/{order.pk}", None),
        ("POST", f"{A}/orders/{order.pk}/cancel", None),
        ("GET", f"{A}/orders", None),
    ]
    for method, url, body in calls:
        response = send(as_b, method, url, body)
        assert (response.status_code, response.json()["code"]) == (403, "wrong_boutique"), url
    for method, url in [("GET", f"{A}/carts/{b_cart.pk}"), ("POST", f"{A}/carts/{b_cart.pk}/checkout")]:
        response = send(as_a, method, url, {} if method == "POST" else None)
        assert (response.status_code, response.json()["code"]) == (404, "cart_not_found")
    # Then nothing of either boutique changed
    assert (state(world_a["boutique"]), state(world_b["boutique"])) == before


def test_shipping_rules_through_the_api(api_a):
    made = api_a.post("/api/v1/boutiques/atelier-a/shipping-rules", json.dumps(
        {"name": "Europe", "countries": ["fr", "DE"], "price": 1500, "free_above": 30000,
         "weight_brackets": [[2000, 1500], [500, 900]]}), content_type="application/json")  # fmt: skip
    assert made.status_code == 201, made.content
    assert made.json() == {"id": made.json()["id"], "name": "Europe", "countries": ["DE", "FR"], "price": 1500,
                           "free_above": 30000, "weight_brackets": [[500, 900], [2000, 1500]]}  # fmt: skip
    listed = api_a.get("/api/v1/boutiques/atelier-a/shipping-rules").json()
    assert [r["name"] for r in listed] == ["Europe"]
    bad = api_a.post("/api/v1/boutiques/atelier-a/shipping-rules", json.dumps(
        {"name": "Moon", "countries": ["MOON"], "price": 1}), content_type="application/json")  # fmt: skip
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_country")
