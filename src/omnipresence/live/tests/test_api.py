"""The live shopping API: staff CRUD and controls, the public event with live stock, joining,
the chat and moderation, buying during the stream; bad input gets a 4xx with a code."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from omnipresence.inventory.models import Hold, Stock
from omnipresence.live import services, viewers
from omnipresence.live.models import LiveEvent, LiveMessage, LiveReservation
from omnipresence.live.tests.conftest import second_product
from omnipresence.orders.models import Order
from omnipresence.payments.models import Payment

pytestmark = pytest.mark.django_db
STAFF = "/api/v1/boutiques/atelier-a/live-events"
PUBLIC = "/api/v1/boutiques/atelier-a/live"


def send(client, method, url, body=None, token=None):
    headers = {"X-Viewer-Token": token} if token else {}
    return getattr(client, method)(url, body if body is not None else {}, content_type="application/json", headers=headers)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def new_event_body(world, **extra):
    now = timezone.now()
    return {"title": "Coats, live", "starts_at": (now + timedelta(minutes=5)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(), "kind": "demonstration", "location": "soho", **extra}  # fmt: skip


def test_an_associate_runs_her_event_from_creation_to_replay(world_a, associate_a):
    alice = logged_in(associate_a)
    created = send(alice, "post", STAFF, new_event_body(world_a, stream_provider="local"))
    assert created.status_code == 201, created.content
    event_id = created.json()["id"]
    assert (created.json()["status"], created.json()["host_username"], created.json()["kind"]) == ("scheduled", "alice", "demonstration")
    product = world_a["product"]
    featured = send(alice, "put", f"{STAFF}/{event_id}/featured", {"products": [{"product_id": product.pk, "max_per_viewer": 2}]})
    assert featured.status_code == 200 and [p["product_id"] for p in featured.json()["featured"]] == [product.pk]
    pinned = send(alice, "put", f"{STAFF}/{event_id}/pinned", {"product_id": product.pk})
    assert pinned.json()["pinned"]["product_id"] == product.pk
    live = send(alice, "post", f"{STAFF}/{event_id}/start")
    assert (live.status_code, live.json()["status"]) == (200, "live")
    ended = send(alice, "post", f"{STAFF}/{event_id}/end", {"replay_url": "https://video.example/r/1"})
    assert (ended.json()["status"], ended.json()["replay_url"]) == ("ended", "https://video.example/r/1")
    replay = Client().get(f"{PUBLIC}/{event_id}/replay").json()
    assert replay["replay_url"] == "https://video.example/r/1"
    assert [(c["product_id"], c["offset_seconds"]) for c in replay["products"]] == [(product.pk, 0)]
    listing = alice.get(STAFF, {"status": "ended"}).json()
    assert [e["id"] for e in listing] == [event_id]


def test_going_live_without_a_stream_is_409_and_nothing_changes(world_a, associate_a):
    alice = logged_in(associate_a)
    event_id = send(alice, "post", STAFF, new_event_body(world_a)).json()["id"]
    response = send(alice, "post", f"{STAFF}/{event_id}/start")
    assert (response.status_code, response.json()["code"]) == (409, "stream_missing")
    assert LiveEvent.objects.get(pk=event_id).status == "scheduled"


def test_bad_event_input_is_refused_with_a_code(world_a, associate_a, api_a):
    alice = logged_in(associate_a)
    cases = [
        (new_event_body(world_a, ends_at=timezone.now().isoformat()), 422, "invalid_schedule"),
        (new_event_body(world_a, kind="auction"), 422, "invalid_input"),
        (new_event_body(world_a, stream_provider="hls", stream_url="http://insecure.example/x.m3u8"), 422, "invalid_stream_url"),
        (new_event_body(world_a, location="nowhere"), 404, "location_not_found"),
        (new_event_body(world_a, host="maria"), 404, "associate_not_found"),
        ({**new_event_body(world_a), "starts_at": "tomorrow"}, 422, "invalid_input"),
        ({**new_event_body(world_a), "surprise": 1}, 422, "invalid_input"),
        (new_event_body(world_a, title="   "), 422, "invalid_input"),
    ]
    for body, status, code in cases:
        response = send(alice, "post", STAFF, body)
        assert (response.status_code, response.json()["code"]) == (status, code), (body, response.content)
    # A token has no user: it must name the host.
    assert send(api_a, "post", STAFF, new_event_body(world_a)).json()["code"] == "invalid_host"
    assert not LiveEvent.objects.exists()


def test_another_boutiques_event_ids_are_not_found(world_a, world_b, event, associate_b, api_a):
    bruno = logged_in(associate_b)
    other = "/api/v1/boutiques/boutique-b/live-events"
    for method, url in (("get", f"{other}/{event.pk}"), ("post", f"{other}/{event.pk}/start"),
                        ("put", f"{other}/{event.pk}/pinned")):  # fmt: skip
        response = send(bruno, method, url, {"product_id": None} if method == "put" else None)
        assert (response.status_code, response.json()["code"]) == (404, "event_not_found"), url
    assert Client().get(f"/api/v1/boutiques/boutique-b/live/{event.pk}").status_code == 404
    assert send(bruno, "get", f"{STAFF}/{event.pk}").json()["code"] == "not_staff"
    assert send(Client(), "get", f"{STAFF}/{event.pk}").status_code == 401
    assert LiveEvent.objects.get(pk=event.pk).status == "scheduled"


def test_pinning_a_product_that_is_not_featured_is_409(world_a, event, associate_a):
    scarf, _ = second_product(world_a)
    response = send(logged_in(associate_a), "put", f"{STAFF}/{event.pk}/pinned", {"product_id": scarf.pk})
    assert (response.status_code, response.json()["code"]) == (409, "product_not_featured")
    assert LiveEvent.objects.get(pk=event.pk).pinned_product_id is None


def test_the_public_event_shows_live_stock_in_a_bounded_number_of_queries(world_a, live_event, django_assert_max_num_queries):
    scarf, _ = second_product(world_a, units=1)
    services.featured_set(actor=world_a["actor"], event=live_event, items=[(world_a["product"], 2), (scarf, 1)])
    with django_assert_max_num_queries(7):
        response = Client().get(f"{PUBLIC}/{live_event.pk}")
    data = response.json()
    assert response.status_code == 200
    assert [(p["title"], p["available"]) for p in data["featured"]] == [("Blue Statement Coat", 6), ("Silk Scarf", 1)]
    assert data["stream"] == {"provider": "local", "url": "/static/live/local-stream.svg", "placeholder": True}
    assert data["host"] == "alice" and data["status"] == "live"


def test_join_then_chat_with_the_viewer_token(live_event):
    viewer = Client()
    joined = send(viewer, "post", f"{PUBLIC}/{live_event.pk}/join").json()
    token = joined["viewer_token"]
    assert joined["websocket"] == f"/ws/live/atelier-a/{live_event.pk}/?token={token}"
    posted = send(viewer, "post", f"{PUBLIC}/{live_event.pk}/chat", {"name": "Ann", "text": "<i>hi</i>"}, token=token)
    assert posted.status_code == 201 and posted.json()["text_html"] == "&lt;i&gt;hi&lt;/i&gt;"
    assert [m["text"] for m in viewer.get(f"{PUBLIC}/{live_event.pk}/chat").json()] == ["<i>hi</i>"]
    missing = send(viewer, "post", f"{PUBLIC}/{live_event.pk}/chat", {"name": "Ann", "text": "hi"})
    assert (missing.status_code, missing.json()["code"]) == (401, "invalid_viewer_token")
    forged = send(viewer, "post", f"{PUBLIC}/{live_event.pk}/chat", {"name": "Ann", "text": "hi"}, token=token + "x")
    assert forged.status_code == 401
    assert LiveMessage.objects.count() == 1


def test_moderation_hide_ban_and_slow_mode(live_event, associate_a):
    key, token = viewers.viewer_token_new(event_id=live_event.pk)
    staff = logged_in(associate_a)
    viewer = Client()
    first = send(viewer, "post", f"{PUBLIC}/{live_event.pk}/chat", {"name": "Troll", "text": "spam"}, token=token).json()
    second = send(viewer, "post", f"{PUBLIC}/{live_event.pk}/chat", {"name": "Troll", "text": "more"}, token=token).json()
    hidden = send(staff, "post", f"{STAFF}/{live_event.pk}/messages/{first['id']}/hide")
    assert hidden.json()["hidden"] is True
    banned = send(staff, "post", f"{STAFF}/{live_event.pk}/messages/{second['id']}/ban")
    assert banned.json() == {"message_id": second["id"], "banned": True, "hidden_message_ids": [first["id"], second["id"]]}
    refused = send(viewer, "post", f"{PUBLIC}/{live_event.pk}/chat", {"name": "Troll", "text": "again"}, token=token)
    assert (refused.status_code, refused.json()["code"]) == (403, "viewer_banned")
    assert viewer.get(f"{PUBLIC}/{live_event.pk}/chat").json() == []
    moderated = staff.get(f"{STAFF}/{live_event.pk}/messages").json()
    assert [(m["hidden"], m["viewer_banned"]) for m in moderated] == [(True, True), (True, True)]
    assert send(staff, "put", f"{STAFF}/{live_event.pk}/slow-mode", {"seconds": 20}).json()["slow_mode_seconds"] == 20
    _, other = viewers.viewer_token_new(event_id=live_event.pk)
    assert send(viewer, "post", f"{PUBLIC}/{live_event.pk}/chat", {"name": "Ann", "text": "a"}, token=other).status_code == 201
    slow = send(viewer, "post", f"{PUBLIC}/{live_event.pk}/chat", {"name": "Ann", "text": "b"}, token=other)
    assert (slow.status_code, slow.json()["code"]) == (429, "slow_mode")
    answer = send(staff, "post", f"{STAFF}/{live_event.pk}/messages", {"text": "Welcome!"})
    assert answer.status_code == 201 and answer.json()["staff"] is True
    assert send(staff, "put", f"{STAFF}/{live_event.pk}/slow-mode", {"seconds": 9999}).status_code == 422
    assert LiveMessage.objects.count() == 4


def test_a_viewer_reserves_and_checks_out_and_pays_on_the_sandbox(world_a, live_event, associate_a):
    token = send(Client(), "post", f"{PUBLIC}/{live_event.pk}/join").json()["viewer_token"]
    viewer = Client()
    variant = world_a["variants"][0]
    reserved = send(viewer, "post", f"{PUBLIC}/{live_event.pk}/reservations", {"sku": variant.sku}, token=token)
    assert reserved.status_code == 201, reserved.content
    reservation = reserved.json()
    assert (reservation["status"], reservation["quantity"], reservation["sku"]) == ("reserved", 1, variant.sku)
    stock = Client().get(f"{PUBLIC}/{live_event.pk}").json()["featured"][0]["variants"][0]
    assert stock["available"] == 1
    again = send(viewer, "post", f"{PUBLIC}/{live_event.pk}/reservations", {"sku": variant.sku}, token=token)
    assert (again.status_code, again.json()["code"]) == (409, "already_reserved")
    cart = send(viewer, "post", f"{PUBLIC}/{live_event.pk}/reservations/{reservation['id']}/cart", token=token).json()
    assert (cart["fulfilment"], cart["location"]["code"]) == ("pickup", "soho")
    body = {"name": "Ann Lee", "email": "ann@example.com"}
    checkout = send(viewer, "post", f"{PUBLIC}/{live_event.pk}/reservations/{reservation['id']}/checkout", body, token=token)
    assert checkout.status_code == 200, checkout.content
    data = checkout.json()
    order = Order.objects.get(pk=data["order_id"])
    assert (order.channel, order.source_kind, order.associate_id, data["total"]) == ("live", "live_event", associate_a.pk, 45000)
    assert data["payment_url"] and data["payment_status"] == "unpaid"
    repeat = send(viewer, "post", f"{PUBLIC}/{live_event.pk}/reservations/{reservation['id']}/checkout", body, token=token)
    assert repeat.json()["order_id"] == order.pk and repeat.json()["payment_url"] == data["payment_url"]
    assert Payment.objects.filter(order=order).count() == 1
    mine = viewer.get(f"{PUBLIC}/{live_event.pk}/reservations", headers={"X-Viewer-Token": token}).json()
    assert [(r["status"], r["order_id"]) for r in mine] == [("ordered", order.pk)]
    staff_view = logged_in(associate_a).get(f"{STAFF}/{live_event.pk}").json()
    assert staff_view["sales"] == {"orders": 1, "total": 45000, "currency": "GBP",
                                   "reservations": {"reserved": 0, "ordered": 1, "released": 0, "lapsed": 0},
                                   "units": {"reserved": 0, "ordered": 1, "released": 0, "lapsed": 0}}  # fmt: skip


def test_reservation_refusals_have_codes_and_oversell_nothing(world_a, event, associate_a):
    token = viewers.viewer_token_new(event_id=event.pk)[1]
    viewer = Client()
    url = f"{PUBLIC}/{event.pk}/reservations"
    variant = world_a["variants"][2]
    assert send(viewer, "post", url, {"sku": variant.sku}, token=token).json()["code"] == "event_not_live"
    send(logged_in(associate_a), "post", f"{STAFF}/{event.pk}/start")
    _, scarf = second_product(world_a)
    cases = [({"sku": scarf.sku}, 409, "product_not_featured"), ({"sku": "NOPE"}, 404, "variant_not_found"),
             ({"sku": variant.sku, "quantity": 3}, 422, "invalid_quantity"), ({"sku": variant.sku, "quantity": 0}, 422, "invalid_input"),
             ({"sku": variant.sku, "quantity": True}, 422, "invalid_input")]  # fmt: skip
    for body, status, code in cases:
        response = send(viewer, "post", url, body, token=token)
        assert (response.status_code, response.json()["code"]) == (status, code), body
    for _ in range(2):
        assert send(viewer, "post", url, {"sku": variant.sku}, token=viewers.viewer_token_new(event_id=event.pk)[1]).status_code == 201
    sold_out = send(viewer, "post", url, {"sku": variant.sku}, token=viewers.viewer_token_new(event_id=event.pk)[1])
    assert (sold_out.status_code, sold_out.json()["code"]) == (409, "insufficient_stock")
    assert Stock.objects.get(location=world_a["shop"], variant=variant).held == 2
    assert Hold.objects.filter(kind="live").count() == LiveReservation.objects.count() == 2
    other = LiveReservation.objects.first()
    stolen = send(viewer, "delete", f"{url}/{other.pk}", token=token)  # someone else's reservation
    assert (stolen.status_code, stolen.json()["code"]) == (404, "reservation_not_found")
