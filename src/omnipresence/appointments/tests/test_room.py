"""The appointment room: its token (who may enter, when), the shared cart's services (from the pull
list, a SKU, quantity, removal, prices as everywhere, the window, bad input changing nothing), the
pay link and click & collect made from it, and the room's pages over HTTP."""

from datetime import time, timedelta
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from django.core import mail
from django.test import Client as HttpClient
from django.utils import timezone

from omnipresence.appointments import room, selectors, services
from omnipresence.appointments.models import Appointment
from omnipresence.clienteling.models import Task
from omnipresence.clients import services as clients
from omnipresence.conftest import make_staff
from omnipresence.core.errors import DomainError
from omnipresence.inventory.models import Hold
from omnipresence.orders.models import Cart, CartLine, Order
from omnipresence.orders.services import cart_price
from omnipresence.payments.models import PayLink
from omnipresence.stores.access import actor_for_user, system_actor

ALL_DAY = [(d, time(0, 0), time(23, 59)) for d in range(7)]


def room_world(world, associate, *, provider: str = "local") -> dict:
    """A video consultation starting about now (min_notice 0) for Ada with `associate`, two
    pieces on its pull list (sizes S and M of the coat)."""
    actor = system_actor(world["boutique"])
    services.working_hours_set(actor=actor, associate=associate, location=world["shop"], periods=ALL_DAY)
    video_type = services.type_create(
        actor=actor, location=world["shop"], kind="video_consultation", name="Video consultation",
        duration_minutes=30, cap_minutes=45, min_notice_minutes=0, slot_step_minutes=5, horizon_days=3,
        video_provider=provider,
    )  # fmt: skip
    ada = clients.client_resolve(boutique=world["boutique"], email="ada@example.com", name="Ada Lovelace")
    now = timezone.now()
    slot = selectors.slots_for(video_type, start=now, end=now + timedelta(days=1), now=now)[0]
    appointment, _ = services.appointment_book(appointment_type=video_type, client=ada, starts_at=slot.starts_at,
                                               via="staff", actor=actor)  # fmt: skip
    if appointment.starts_at > now + timedelta(minutes=5):  # near midnight: no slot today, so move it to now
        shift = appointment.starts_at - now
        Appointment.objects.filter(pk=appointment.pk).update(**{
            f: getattr(appointment, f) - shift for f in ("starts_at", "ends_at", "cap_ends_at", "blocked_from",
                                                         "blocked_until")})  # fmt: skip
        appointment.refresh_from_db()
    small, medium = world["variants"][0], world["variants"][1]
    for variant in (small, medium):
        services.pull_item_add(actor=actor, appointment=appointment, variant=variant)
    return {"appointment": appointment, "ada": ada, "small": small, "medium": medium, "type": video_type}


def room_url(appointment, *, host: bool) -> str:
    link = room.room_link(appointment, host=host)
    parts = urlparse(link.url)
    return f"{parts.path}?{parts.query}"


def enter(appointment, *, host: bool, now=None) -> room.RoomPass:
    link = room.room_link(appointment, host=host)
    entry, _ = room.room_enter(boutique=appointment.boutique, room=link.room, token=link.token, now=now)
    return entry


@pytest.fixture
def booked(world_a, associate_a):
    return room_world(world_a, associate_a)


def _lines(appointment) -> list[tuple[str, int, bool]]:
    appointment.refresh_from_db()
    return [(line.variant.sku, line.quantity, line.hold_id is not None)
            for line in CartLine.objects.filter(cart_id=appointment.cart_id).select_related("variant").order_by("pk")]


# --- the token ------------------------------------------------------------------------------


def test_room_link_is_the_local_format_for_every_provider(booked, settings):
    appointment = booked["appointment"]
    link = room.room_link(appointment, host=False)
    assert link.url == (f"{settings.SITE_URL}/atelier-a/appointments/room/{appointment.video_room}/?t={link.token}")
    claims = jwt.decode(link.token, settings.SECRET_KEY, algorithms=["HS256"], audience="omnipresence-room")
    assert (claims["room"], claims["sub"], claims["host"]) == (appointment.video_room, f"client-{booked['ada'].pk}", False)
    # A pasted Zoom link has no video room: the room is keyed by the appointment's id.
    Appointment.objects.filter(pk=appointment.pk).update(video_provider="external", video_room="",
                                                         external_url="https://zoom.example.com/j/1")  # fmt: skip
    appointment.refresh_from_db()
    host = room.room_link(appointment, host=True)
    assert host.room == f"appointment-{appointment.pk}" and f"/room/appointment-{appointment.pk}/" in host.url
    entry = enter(appointment, host=True)
    assert (entry.host, entry.identity) == (True, f"associate-{appointment.associate_id}")


def test_room_tokens_refused(booked, world_b, settings):
    appointment = booked["appointment"]
    boutique = appointment.boutique
    link = room.room_link(appointment, host=False)

    def refused(token, room_name=link.room, on=boutique, now=None) -> str:
        with pytest.raises(DomainError) as caught:
            room.room_enter(boutique=on, room=room_name, token=token, now=now)
        return f"{caught.value.status} {caught.value.code}"

    assert refused(link.token[:-2] + ("AA" if link.token[-2:] != "AA" else "BB")) == "404 room_link_invalid"
    assert refused("") == "404 room_link_invalid"
    assert refused(link.token, room_name="atelier-a-another") == "404 room_link_invalid"
    assert refused(link.token, on=world_b["boutique"]) == "404 room_link_invalid"
    forged = jwt.encode({**jwt.decode(link.token, options={"verify_signature": False}), "host": True},
                        settings.SECRET_KEY, algorithm="HS256")  # her token made a host's: the sub is hers
    assert refused(forged) == "404 room_link_invalid"
    other_key = jwt.encode(jwt.decode(link.token, options={"verify_signature": False}), "x" * 40, algorithm="HS256")
    assert refused(other_key) == "404 room_link_invalid"
    assert refused(link.token, now=appointment.cap_ends_at + timedelta(seconds=1)) == "403 room_closed"
    assert refused(link.token, now=appointment.starts_at - timedelta(minutes=11)) == "403 room_not_open"
    # The associate may come in earlier (30 minutes), she may not.
    host = room.room_link(appointment, host=True)
    entry, _ = room.room_enter(boutique=boutique, room=host.room, token=host.token,
                               now=appointment.starts_at - timedelta(minutes=20))  # fmt: skip
    assert entry.host is True
    services.appointment_cancel(appointment=appointment, reason="ill")
    assert refused(link.token) == "403 room_closed"


# --- the shared cart --------------------------------------------------------------------------


def test_both_add_from_the_pull_list_change_quantity_remove_priced_as_everywhere(booked, django_capture_on_commit_callbacks):
    appointment, small, medium = booked["appointment"], booked["small"], booked["medium"]
    client, host = enter(appointment, host=False), enter(appointment, host=True)
    assert appointment.cart_id is None
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        room.room_cart_add(entry=client, variant_ref=small.pk)
    assert len(callbacks) == 1  # the room's group is told after commit
    appointment.refresh_from_db()
    cart = appointment.cart
    assert (cart.channel, cart.source_kind, cart.source_ref) == ("appointment", "appointment", f"appointment:{appointment.pk}")
    assert (cart.client_email, cart.associate_id) == ("ada@example.com", appointment.associate_id)
    assert _lines(appointment) == [(small.sku, 1, True)]  # the pull list's hold went into her cart
    room.room_cart_add(entry=host, variant_ref=medium.sku)
    room.room_cart_set(entry=client, variant_ref=medium.pk, quantity=2)
    assert _lines(appointment) == [(small.sku, 1, True), (medium.sku, 2, True)]
    state = room.room_state(appointment.pk)
    expected = cart_price(actor=system_actor(appointment.boutique), cart=Cart.objects.get(pk=cart.pk))
    assert state["totals"]["total_minor"] == expected.total == 3 * 45000
    assert state["totals"]["total"] == "£1,350.00" and state["count"] == 3
    assert [i["in_cart"] for i in state["pull_list"]] == [True, True]
    room.room_cart_set(entry=client, variant_ref=small.pk, quantity=0)
    assert _lines(appointment) == [(medium.sku, 2, True)]
    assert Hold.objects.get(pk=booked["appointment"].pull_items.order_by("pk").first().hold_id).status == "active"
    assert room.room_state(appointment.pk)["totals"]["total_minor"] == 90000


def test_the_associate_adds_a_piece_by_sku_she_cannot(booked, world_a):
    appointment = booked["appointment"]
    large = world_a["variants"][2]
    client, host = enter(appointment, host=False), enter(appointment, host=True)
    with pytest.raises(DomainError) as refused:
        room.room_cart_add(entry=client, variant_ref=large.sku)
    assert (refused.value.status, refused.value.code) == (403, "not_on_pull_list")
    room.room_cart_add(entry=host, variant_ref=large.sku)
    line = CartLine.objects.get(cart__pk=Appointment.objects.get(pk=appointment.pk).cart_id)
    assert (line.variant_id, line.quantity, line.fulfilment, line.location_id, line.hold_id) == (
        large.pk, 1, "pickup", world_a["shop"].pk, None)


def test_bad_input_changes_nothing(booked, world_b, django_capture_on_commit_callbacks):
    appointment, small = booked["appointment"], booked["small"]
    host = enter(appointment, host=True)
    room.room_cart_add(entry=host, variant_ref=small.pk)
    before = _lines(appointment)

    def refused(**kwargs) -> str:
        with django_capture_on_commit_callbacks(execute=False) as callbacks, pytest.raises(DomainError) as caught:
            room.room_cart_set(entry=host, **kwargs)
        assert callbacks == []  # nothing sent
        return f"{caught.value.status} {caught.value.code}"

    assert refused(variant_ref="NO-SUCH-SKU", quantity=1) == "404 variant_not_found"
    assert refused(variant_ref=world_b["variants"][0].sku, quantity=1) == "404 variant_not_found"
    assert refused(variant_ref=world_b["variants"][0].pk, quantity=1) == "404 variant_not_found"
    assert refused(variant_ref=small.pk, quantity=-1) == "422 invalid_quantity"
    assert refused(variant_ref=small.pk, quantity="two") == "422 invalid_quantity"
    assert refused(variant_ref=small.pk, quantity=True) == "422 invalid_quantity"
    assert refused(variant_ref=None, quantity=1) == "422 invalid_variant"
    # Two at Soho: one is held for the pull list, one is free; a third is not there.
    assert refused(variant_ref=small.pk, quantity=3) == "409 out_of_stock"
    assert _lines(appointment) == before == [(small.sku, 1, True)]
    room.room_cart_set(entry=host, variant_ref=small.pk, quantity=2)
    assert _lines(appointment) == [(small.sku, 2, True)]


def test_the_cart_is_read_only_outside_the_window(booked):
    appointment, small = booked["appointment"], booked["small"]
    client = enter(appointment, host=False)
    room.room_cart_add(entry=client, variant_ref=small.pk)
    with pytest.raises(DomainError) as late:
        room.room_cart_set(entry=client, variant_ref=small.pk, quantity=0, now=appointment.cap_ends_at)
    assert (late.value.status, late.value.code) == (409, "room_closed")
    with pytest.raises(DomainError) as early:
        room.room_cart_set(entry=client, variant_ref=small.pk, quantity=0,
                           now=appointment.starts_at - timedelta(minutes=11))  # fmt: skip
    assert (early.value.status, early.value.code) == (409, "room_not_open")
    assert _lines(appointment) == [(small.sku, 1, True)]
    assert room.room_state(appointment.pk, now=appointment.cap_ends_at)["open"] is False


def test_pay_link_from_the_cart_shown_to_her_and_emailed(booked, django_capture_on_commit_callbacks):
    appointment, small = booked["appointment"], booked["small"]
    client, host = enter(appointment, host=False), enter(appointment, host=True)
    room.room_cart_add(entry=client, variant_ref=small.pk)
    with pytest.raises(DomainError) as not_hers:
        room.room_pay_link_send(entry=client)
    assert (not_hers.value.status, not_hers.value.code) == (403, "host_only")
    with django_capture_on_commit_callbacks(execute=True):
        link = room.room_pay_link_send(entry=host)
    order = link.order
    assert (order.total, order.channel, order.client_email, order.associate_id) == (
        45000, "appointment", "ada@example.com", appointment.associate_id)
    hold = Hold.objects.get(pk=appointment.pull_items.order_by("pk").first().hold_id)
    assert (hold.kind, hold.owner_ref) == ("order", f"order:{order.pk}")  # the pull list's unit, never back on sale
    state = room.room_state(appointment.pk)
    assert state["pay_link"]["url"].endswith("/") and "/pay/" in state["pay_link"]["url"]
    assert state["pay_link"]["total"] == "£450.00" and state["open"] is False
    assert len(mail.outbox) == 1 and state["pay_link"]["url"] in mail.outbox[0].body
    assert mail.outbox[0].to == ["ada@example.com"]
    with pytest.raises(DomainError) as closed:
        room.room_cart_add(entry=client, variant_ref=booked["medium"].pk)
    assert (closed.value.status, closed.value.code) == (409, "cart_closed")
    assert PayLink.objects.count() == 1


def test_click_and_collect_from_the_cart_then_finish(booked, associate_a):
    appointment, small, medium = booked["appointment"], booked["small"], booked["medium"]
    host = enter(appointment, host=True)
    room.room_cart_add(entry=host, variant_ref=small.pk)
    room.room_cart_add(entry=host, variant_ref=medium.pk)
    order = room.room_click_and_collect(entry=host)
    assert [(line.sku, line.fulfilment, line.location_id) for line in order.lines.order_by("pk")] == [
        (small.sku, "pickup", appointment.location_id), (medium.sku, "pickup", appointment.location_id)]
    assert Order.objects.count() == 1 and not PayLink.objects.exists()
    assert room.room_state(appointment.pk)["order"] == {"id": order.pk, "total": "£900.00", "shop": "Soho"}
    with pytest.raises(DomainError) as early:  # the start has not quite passed, maybe: finish after it
        room.room_finish(entry=host, now=appointment.starts_at - timedelta(minutes=1))
    assert early.value.code == "appointment_not_started"
    done = room.room_finish(entry=host, now=appointment.starts_at + timedelta(minutes=20))
    assert done.status == "completed"
    assert Task.objects.filter(client=booked["ada"], assignee=associate_a).count() == 1


def test_click_and_collect_refused_for_a_delivered_piece(booked, world_a):
    appointment = booked["appointment"]
    host = enter(appointment, host=True)
    room.room_cart_add(entry=host, variant_ref=booked["small"].pk)
    cart = Appointment.objects.get(pk=appointment.pk).cart
    actor = actor_for_user(appointment.associate, appointment.boutique)
    from omnipresence.orders.services import cart_line_set

    cart_line_set(actor=actor, cart=cart, variant=world_a["variants"][2], quantity=1)  # delivered from the warehouse
    with pytest.raises(DomainError) as refused:
        room.room_click_and_collect(entry=host)
    assert (refused.value.status, refused.value.code) == (422, "pickup_unavailable")
    assert not Order.objects.exists()


# --- the pages --------------------------------------------------------------------------------


def test_room_page_for_her_and_the_associate(booked):
    appointment = booked["appointment"]
    page = HttpClient().get(room_url(appointment, host=False))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="room-countdown"' in html and f'datetime="{appointment.cap_ends_at.isoformat()}"' in html
    assert "With alice, Atelier A" in html and "self-view" in html
    assert "Send a pay link" not in html and "Blue Statement Coat" in html  # the pull list
    host = HttpClient().get(room_url(appointment, host=True)).content.decode()
    assert "With Ada" in host and "Send a pay link" not in host  # nothing in the cart yet
    assert "Finish the appointment" in host and "Find a piece (SKU or name)" in host


def test_room_page_refusals_are_clear_pages(booked, world_b):
    appointment = booked["appointment"]
    url = room_url(appointment, host=False)
    path, query = url.split("?")
    http = HttpClient()
    tampered = http.get(f"{path}?t={parse_qs(query)['t'][0][:-3]}xyz")
    assert tampered.status_code == 404 and b"This room link is not valid" in tampered.content
    assert http.get(path).status_code == 404
    assert http.get(url.replace("/atelier-a/", "/boutique-b/")).status_code == 404
    assert http.get(url.replace("/atelier-a/", "/no-such-shop/")).status_code == 404
    Appointment.objects.filter(pk=appointment.pk).update(cap_ends_at=timezone.now() - timedelta(seconds=1))
    closed = http.get(url)
    assert closed.status_code == 403 and b"The room is closed" in closed.content


def test_actions_over_http_json_and_forms(booked):
    appointment, small = booked["appointment"], booked["small"]
    url = room_url(appointment, host=False)
    path, query = url.split("?")
    token = parse_qs(query)["t"][0]
    action = path + "action/"
    http = HttpClient()
    added = http.post(action, {"t": token, "action": "add", "variant": str(small.pk)}, headers={"Accept": "application/json"})
    assert added.status_code == 200 and added.json()["state"]["count"] == 1
    bad = http.post(action, {"t": token, "action": "set", "variant": str(small.pk), "quantity": "-3"},
                    headers={"Accept": "application/json"})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_quantity"
    form = http.post(action, {"t": token, "action": "set", "variant": str(small.pk), "quantity": "abc"})
    assert form.status_code == 422 and b"The quantity is a whole number" in form.content
    unknown = http.post(action, {"t": token, "action": "explode"}, headers={"Accept": "application/json"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "invalid_action"
    hers = http.post(action, {"t": token, "action": "pay_link"}, headers={"Accept": "application/json"})
    assert hers.status_code == 403 and hers.json()["code"] == "host_only"
    no_token = http.post(action, {"action": "add", "variant": str(small.pk)}, headers={"Accept": "application/json"})
    assert no_token.status_code == 404 and no_token.json()["code"] == "room_link_invalid"
    removed = http.post(action, {"t": token, "action": "remove", "variant": str(small.pk)})
    assert removed.status_code == 302 and removed["Location"] == url
    assert _lines(appointment) == []
    fragment = http.get(path + "cart/?" + query)
    assert fragment.status_code == 200 and b"Nothing in the cart yet." in fragment.content


def test_the_demo_has_a_shared_cart_and_prints_her_room_link(world_a, associate_a):
    from omnipresence.appointments.demo import seed_appointments

    clients.client_resolve(boutique=world_a["boutique"], email="ada@example.com", name="Ada Lovelace")
    printed = []
    assert seed_appointments(world_a["boutique"], log=printed.append) >= 1
    first = Appointment.objects.filter(cart__isnull=False).get()
    assert [quantity for _sku, quantity, pulled in _lines(first) if pulled] == [1]
    link = room.room_link(first, host=False).url
    assert any(link in line for line in printed)
    entry, _ = room.room_enter(boutique=first.boutique, room=room.room_key(first), token=link.split("?t=")[1],
                               now=first.starts_at)  # fmt: skip
    assert entry.host is False and room.room_state(first.pk, now=first.starts_at)["count"] == 1


def test_the_cart_fragment_reads_a_bounded_number_of_queries(booked, world_a, django_assert_max_num_queries):
    appointment = booked["appointment"]
    host = enter(appointment, host=True)
    room.room_cart_add(entry=host, variant_ref=booked["small"].pk)
    path, query = room_url(appointment, host=True).split("?")
    http = HttpClient()
    with django_assert_max_num_queries(40) as captured:
        assert http.get(f"{path}cart/?{query}").status_code == 200
    one_line = len(captured)
    room.room_cart_add(entry=host, variant_ref=booked["medium"].pk)
    room.room_cart_add(entry=host, variant_ref=world_a["variants"][2].pk)
    with django_assert_max_num_queries(one_line):  # three lines: not one more query per line
        assert http.get(f"{path}cart/?{query}").status_code == 200


def test_room_links_through_the_api(booked, world_a, associate_a, api_a):
    from omnipresence.appointments import links
    from omnipresence.appointments.tests.conftest import API, post, staff_http

    appointment = booked["appointment"]
    Appointment.objects.filter(pk=appointment.pk).update(video_provider="jitsi")  # another provider: same room page
    answer = post(staff_http(associate_a), f"{API}/atelier-a/appointments/{appointment.pk}/room")
    assert answer.status_code == 200
    body = answer.json()
    assert body["provider"] == "local" and body["url"].endswith(f"/room/{appointment.video_room}/?t={body['token']}")
    assert enter(appointment, host=True).host is True
    page = HttpClient().get(urlparse(body["url"]).path + "?" + urlparse(body["url"]).query)
    assert page.status_code == 200 and "Send a pay link" not in page.content.decode()
    assert "Finish the appointment" in page.content.decode()
    beth = make_staff(world_a, "beth")
    refused = post(staff_http(beth), f"{API}/atelier-a/appointments/{appointment.pk}/room")
    assert refused.status_code == 403 and refused.json()["code"] == "not_your_appointment"
    assert post(staff_http(associate_a), f"{API}/atelier-a/appointments/999999/room").status_code == 404
    hers = HttpClient().get(f"{API}/atelier-a/appointment-links/{links.appointment_token(appointment)}/room")
    assert hers.status_code == 200 and f"/room/{appointment.video_room}/?t=" in hers.json()["url"]
    claims = jwt.decode(hers.json()["token"], options={"verify_signature": False})
    assert claims["sub"] == f"client-{booked['ada'].pk}" and claims["host"] is False
    token = links.appointment_token(appointment)
    tampered = HttpClient().get(f"{API}/atelier-a/appointment-links/{token[:-1]}{'B' if token[-1] == 'A' else 'A'}/room")
    assert tampered.status_code == 404
    Appointment.objects.filter(pk=appointment.pk).update(cap_ends_at=timezone.now() - timedelta(seconds=1))
    late = HttpClient().get(f"{API}/atelier-a/appointment-links/{links.appointment_token(appointment)}/room")
    assert late.status_code == 409 and late.json()["code"] == "room_closed"
