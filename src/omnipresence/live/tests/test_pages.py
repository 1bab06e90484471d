"""The live shopping pages through the test client: the storefront's list and event page in every
state (upcoming, live, ended, replay), reserving and buying through the page, the chat without JS;
the console's list, scheduling, and the host view's actions with their permissions; another
boutique's ids and bad input get a 4xx with a message, never a 500."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from omnipresence.conftest import make_staff
from omnipresence.inventory.models import Hold
from omnipresence.live import services, viewers
from omnipresence.live.models import LiveEvent, LiveFeatured, LiveMessage, LiveReservation
from omnipresence.live.storefront_views import SESSION_KEY
from omnipresence.live.tests.conftest import make_event, second_product
from omnipresence.orders.models import Order

pytestmark = pytest.mark.django_db
PAGE = "/atelier-a/live"
CONSOLE = "/console/atelier-a/live"


def in_london(days: int) -> tuple[str, str]:
    """A start `days` from now at 18:30 London time: (the datetime-local value, its UTC ISO form)."""
    day = (timezone.now() + timedelta(days=days)).astimezone(ZoneInfo("Europe/London")).date()
    local = datetime(day.year, day.month, day.day, 18, 30, tzinfo=ZoneInfo("Europe/London"))
    return local.strftime("%Y-%m-%dT%H:%M"), local.astimezone(ZoneInfo("UTC")).isoformat()


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def viewer_post(live_event, text="Is it lined?", name="Ada"):
    key, _ = viewers.viewer_token_new(event_id=live_event.pk)
    return services.chat_post(event=live_event, viewer_key=key, name=name, text=text)


# --- the storefront ------------------------------------------------------------------------------


def test_the_list_says_when_there_is_no_event(world_a):
    response = Client().get(f"{PAGE}/")
    assert response.status_code == 200
    assert 'id="no-events"' in text_of(response)


def test_the_list_shows_live_upcoming_and_past_events(world_a, host_actor):
    upcoming = make_event(world_a, host_actor, title="Spring preview")
    live = services.live_event_start(actor=host_actor, event=make_event(world_a, host_actor, title="Coats now"))
    past = make_event(world_a, host_actor, title="Autumn launch")
    services.live_event_start(actor=host_actor, event=past)
    services.live_event_end(actor=host_actor, event=past)
    page = text_of(Client().get(f"{PAGE}/"))
    live_at, upcoming_at, past_at = page.index('id="live-now"'), page.index('id="upcoming"'), page.index('id="past"')
    assert live_at < page.index("Coats now") < upcoming_at < page.index("Spring preview") < past_at < page.index("Autumn launch")
    assert f'href="/atelier-a/live/{live.pk}/"' in page and f'href="/atelier-a/live/{upcoming.pk}/"' in page
    assert "Replay" in page[past_at:]  # the local demo stream's replay is its test card
    assert 'id="no-events"' not in page


def test_an_upcoming_event_shows_its_countdown_and_the_pieces_without_a_reserve_button(world_a, event):
    response = Client().get(f"{PAGE}/{event.pk}/")
    page = text_of(response)
    assert response.status_code == 200
    assert 'id="countdown"' in page and "This event has not started yet." in page
    assert 'href="/atelier-a/p/blue-statement-coat/"' in page  # without JS: a link to each piece
    assert "6 available" in page and "reserve-form" not in page


def test_an_upcoming_event_goes_into_her_calendar_without_asking_anything(world_a, event, settings):
    from icalendar import Calendar

    settings.SITE_URL = "https://shop.example"
    page = text_of(Client().get(f"{PAGE}/{event.pk}/"))
    assert f'id="add-to-calendar" href="/atelier-a/live/{event.pk}/event.ics"' in page
    response = Client().get(f"{PAGE}/{event.pk}/event.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    [entry] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(entry["uid"]) == f"live-{event.pk}@shop.example"
    assert entry.decoded("dtstart") == event.starts_at.replace(microsecond=0)  # calendars keep whole seconds
    assert entry.decoded("dtend") == event.ends_at.replace(microsecond=0)
    assert str(entry["summary"]) == f"{event.title} · Atelier A"
    assert str(entry["url"]) == f"https://shop.example/atelier-a/live/{event.pk}/"
    assert Client().get(f"/boutique-b/live/{event.pk}/event.ics").status_code == 404
    assert Client().get(f"{PAGE}/{event.pk + 999}/event.ics").status_code == 404


def test_the_live_page_has_the_player_stock_chat_and_a_viewer_token(world_a, live_event, host_actor):
    viewer_post(live_event, text="<b>Hello</b> from Leeds")
    client = Client()
    response = client.get(f"{PAGE}/{live_event.pk}/")
    page = text_of(response)
    assert response.status_code == 200
    assert 'src="/static/live/local-stream.svg"' in page  # the demo's local stream
    assert "6 available" in page and page.count('class="reserve-form"') == 1
    assert "&lt;b&gt;Hello&lt;/b&gt; from Leeds" in page and "<b>Hello</b>" not in page  # escaped
    assert 'aria-live="polite" aria-relevant="additions"' in page
    token = re.search(r'data-socket="/ws/live/atelier-a/\d+/\?token=([^"]+)"', page).group(1)
    assert viewers.viewer_key_of(token, event_id=live_event.pk)  # a valid token for this event
    assert f'name="viewer_token" value="{token}"' in page  # in her forms too
    assert SESSION_KEY not in client.session  # opening the page writes nothing
    client.post(f"{PAGE}/{live_event.pk}/chat/", {"name": "Ada", "text": "Hi", "viewer_token": token})
    assert client.session[SESSION_KEY][str(live_event.pk)] == token  # kept from her first post
    again = text_of(client.get(f"{PAGE}/{live_event.pk}/"))
    assert f"?token={token}" in again
    forged = Client().post(f"{PAGE}/{live_event.pk}/chat/", {"name": "Eve", "text": "Hi", "viewer_token": token + "x"})
    assert forged.status_code == 302 and SESSION_KEY in forged.wsgi_request.session  # a new viewer, not Ada
    assert LiveMessage.objects.filter(text="Hi").values("chatter").distinct().count() == 2


def test_an_ended_event_without_replay_says_so(world_a, host_actor):
    event = make_event(world_a, host_actor, stream="hls", stream_url="https://video.example/live.m3u8")
    services.live_event_start(actor=host_actor, event=event)
    services.live_event_end(actor=host_actor, event=event)
    page = text_of(Client().get(f"{PAGE}/{event.pk}/"))
    assert 'id="no-replay"' in page and "There is no replay of it." in page
    assert "chat-form" not in page and "reserve-form" not in page


def test_a_replay_shows_the_video_and_the_product_timestamps(world_a, host_actor, event):
    services.product_pin(actor=host_actor, event=event, product=world_a["product"])
    services.live_event_start(actor=host_actor, event=event)
    services.live_event_end(actor=host_actor, event=event, replay_url="https://video.example/replay.mp4")
    response = Client().get(f"{PAGE}/{event.pk}/", {"t": "83"})
    page = text_of(response)
    assert response.status_code == 200
    assert '<video class="player-media" id="replay" src="https://video.example/replay.mp4#t=83"' in page
    assert 'href="?t=0#player" data-seek="0"><span class="chapter-time">0:00</span> Blue Statement Coat' in page


def test_reserving_through_the_page_makes_a_live_hold_and_respects_stock(world_a, live_event):
    sku = world_a["variants"][0].sku  # 2 units at Soho
    first = Client()
    first.get(f"{PAGE}/{live_event.pk}/")
    response = first.post(f"{PAGE}/{live_event.pk}/reserve/", {"sku": sku, "quantity": "2"})
    assert response.status_code == 302 and response["Location"] == f"/atelier-a/live/{live_event.pk}/#my-reservations"
    reservation = LiveReservation.objects.get()
    assert (reservation.quantity, reservation.hold.kind, reservation.hold.status) == (2, Hold.Kind.LIVE, "active")
    page = text_of(first.get(f"{PAGE}/{live_event.pk}/"))
    assert 'id="my-reservations"' in page and "4 available" in page and "data-expires=" in page
    second = Client()
    refused = second.post(f"{PAGE}/{live_event.pk}/reserve/", {"sku": sku, "quantity": "1"})
    assert refused.status_code == 409 and 'data-code="insufficient_stock"' in text_of(refused)
    assert LiveReservation.objects.count() == 1 and Hold.objects.filter(kind=Hold.Kind.LIVE).count() == 1


def test_buying_the_reserved_piece_makes_her_order_and_sends_her_to_pay(world_a, live_event, associate_a):
    client = Client()
    client.post(f"{PAGE}/{live_event.pk}/reserve/", {"sku": world_a["variants"][1].sku})
    reservation = LiveReservation.objects.get()
    buy = client.post(f"{PAGE}/{live_event.pk}/reservations/{reservation.pk}/buy/")
    assert buy.status_code == 302 and buy["Location"].endswith(f"/reservations/{reservation.pk}/buy/")
    form = client.get(buy["Location"])
    assert form.status_code == 200 and "To collect at Soho." in text_of(form)
    missing = client.post(buy["Location"], {"step": "details", "name": "Ada", "email": ""})
    assert missing.status_code == 422 and 'data-code="email_required"' in text_of(missing)
    paid = client.post(buy["Location"], {"step": "details", "name": "Ada Lovelace", "email": "ada@example.com"})
    assert paid.status_code == 302
    order = Order.objects.get()
    assert (order.source_kind, order.associate_id, order.total) == ("live_event", associate_a.pk, 45000)
    assert LiveReservation.objects.get().status == LiveReservation.Status.ORDERED
    assert "Ordered. Thank you!" in text_of(client.get(f"{PAGE}/{live_event.pk}/"))


def test_someone_elses_reservation_and_another_boutiques_event_are_404(world_a, world_b, live_event):
    owner = Client()
    owner.post(f"{PAGE}/{live_event.pk}/reserve/", {"sku": world_a["variants"][0].sku})
    reservation = LiveReservation.objects.get()
    stranger = Client()
    stranger.get(f"{PAGE}/{live_event.pk}/")
    assert stranger.post(f"{PAGE}/{live_event.pk}/reservations/{reservation.pk}/release/").status_code == 404
    assert stranger.get(f"{PAGE}/{live_event.pk}/reservations/{reservation.pk}/buy/").status_code == 404
    assert LiveReservation.objects.get().status == LiveReservation.Status.RESERVED
    assert Client().get(f"/boutique-b/live/{live_event.pk}/").status_code == 404
    assert Client().get("/no-such-shop/live/").status_code == 404
    assert Client().get(f"{PAGE}/999999/").status_code == 404


def test_bad_reservation_input_is_a_4xx_with_a_message(world_a, live_event):
    product, variant = second_product(world_a)  # not featured
    client = Client()
    url = f"{PAGE}/{live_event.pk}/reserve/"
    cases = [({"sku": world_a["variants"][0].sku, "quantity": "abc"}, 422, "invalid_quantity"),
             ({"sku": world_a["variants"][0].sku, "quantity": "3"}, 422, "invalid_quantity"),  # max 2 per viewer
             ({"sku": ""}, 422, "invalid_sku"), ({"sku": "NOPE"}, 404, "variant_not_found"),
             ({"sku": variant.sku}, 409, "product_not_featured")]  # fmt: skip
    for body, status, code in cases:
        response = client.post(url, body)
        assert (response.status_code, f'data-code="{code}"' in text_of(response)) == (status, True), body
    assert not LiveReservation.objects.exists()


def test_the_chat_works_without_javascript_and_refusals_are_shown(world_a, live_event, host_actor):
    client = Client()
    url = f"{PAGE}/{live_event.pk}/chat/"
    assert client.post(url, {"name": "Ada", "text": "Is it lined?"}).status_code == 302
    assert LiveMessage.objects.get().text == "Is it lined?"
    empty = client.post(url, {"name": "Ada", "text": "   "})
    assert empty.status_code == 422 and 'data-code="invalid_text"' in text_of(empty)
    services.slow_mode_set(actor=host_actor, event=live_event, seconds=60)
    slow = client.post(url, {"name": "Ada", "text": "Again"})
    assert slow.status_code == 429 and 'data-code="slow_mode"' in text_of(slow)
    assert "Slow mode: one message every 60 seconds." in text_of(slow)
    assert LiveMessage.objects.count() == 1


# --- the console ---------------------------------------------------------------------------------


def test_the_console_lists_events_and_schedules_one(world_a, associate_a, event):
    alice = logged_in(associate_a)
    listing = alice.get(f"{CONSOLE}/")
    assert listing.status_code == 200 and "Winter coats, live" in text_of(listing)
    start, start_utc = in_london(30)
    created = alice.post(f"{CONSOLE}/", {"title": "Scarves", "kind": "qa", "starts_at": start,
                                         "duration": "45", "stream_provider": "local"})  # fmt: skip
    new = LiveEvent.objects.get(title="Scarves")
    assert created.status_code == 302 and created["Location"] == f"{CONSOLE}/{new.pk}/"
    assert (new.host_id, new.kind, new.stream_provider) == (associate_a.pk, "qa", "local")
    assert new.starts_at.isoformat() == start_utc  # the form's time is the shop's (London)
    assert (new.ends_at - new.starts_at).total_seconds() == 45 * 60


def test_scheduling_with_bad_values_is_a_4xx_with_a_message(world_a, associate_a):
    alice = logged_in(associate_a)
    base = {"title": "Scarves", "kind": "qa", "starts_at": in_london(3)[0], "duration": "45", "stream_provider": "local"}
    cases = [({"starts_at": "tomorrow"}, 422, "invalid_schedule"), ({"duration": "0"}, 422, "invalid_schedule"),
             ({"starts_at": in_london(400)[0]}, 422, "invalid_schedule"),
             ({"title": " "}, 422, "title_required"), ({"stream_provider": "hls", "stream_url": "http://x"}, 422,
              "invalid_stream_url"), ({"host": "nobody"}, 404, "associate_not_found")]  # fmt: skip
    for change, status, code in cases:
        response = alice.post(f"{CONSOLE}/", {**base, **change})
        assert (response.status_code, f'data-code="{code}"' in text_of(response)) == (status, True), change
    assert not LiveEvent.objects.exists()


def test_the_host_view_shows_stream_stock_sales_and_the_chat(world_a, associate_a, live_event):
    message = viewer_post(live_event)
    response = logged_in(associate_a).get(f"{CONSOLE}/{live_event.pk}/")
    page = text_of(response)
    assert response.status_code == 200
    assert f'data-stock="{world_a["product"].pk}">6<' in page and 'id="sales-reserved">0<' in page
    assert f'id="message-{message.pk}"' in page and "Is it lined?" in page
    assert 'id="end-event"' in page and "/static/live/local-stream.svg" in page


def test_host_actions_work_from_the_host_view(world_a, associate_a, event, host_actor):
    alice = logged_in(associate_a)
    url = f"{CONSOLE}/{event.pk}"
    scarf, variant = second_product(world_a)
    assert alice.post(f"{url}/featured/", {"action": "add", "sku": variant.sku, "max_per_viewer": "1"}).status_code == 302
    assert list(LiveFeatured.objects.filter(event=event).order_by("position").values_list("product_id", flat=True)) == [
        world_a["product"].pk, scarf.pk]
    assert alice.post(f"{url}/pin/", {"product_id": scarf.pk}).status_code == 302
    assert LiveEvent.objects.get(pk=event.pk).pinned_product_id == scarf.pk
    assert alice.post(f"{url}/start/").status_code == 302
    assert LiveEvent.objects.get(pk=event.pk).status == "live"
    message = viewer_post(event)
    assert alice.post(f"{url}/slow-mode/", {"seconds": "30"}).status_code == 302
    assert alice.post(f"{url}/messages/{message.pk}/hide/").status_code == 302
    assert LiveMessage.objects.get(pk=message.pk).hidden_at is not None
    assert alice.post(f"{url}/messages/{message.pk}/ban/").status_code == 302
    assert LiveMessage.objects.get(pk=message.pk).chatter.banned_at is not None
    assert alice.post(f"{url}/messages/{message.pk}/unban/").status_code == 302
    assert LiveMessage.objects.get(pk=message.pk).chatter.banned_at is None
    assert alice.post(f"{url}/messages/", {"text": "Fully lined!"}).status_code == 302
    assert LiveMessage.objects.filter(chatter__isnull=True, text="Fully lined!").exists()
    assert alice.post(f"{url}/featured/", {"action": "remove", "product_id": scarf.pk}).status_code == 302
    current = LiveEvent.objects.get(pk=event.pk)
    assert (current.slow_mode_seconds, current.pinned_product_id) == (30, None)
    assert alice.post(f"{url}/end/").status_code == 302
    assert alice.post(f"{url}/replay/", {"replay_url": "https://video.example/r.mp4"}).status_code == 302
    ended = LiveEvent.objects.get(pk=event.pk)
    assert (ended.status, ended.replay_url) == ("ended", "https://video.example/r.mp4")
    sales = alice.get(f"{url}/sales/").json()
    assert (sales["orders"], sales["units"]["reserved"], sales["total_display"]) == (0, 0, "£0.00")


def test_host_actions_are_permission_checked(world_a, world_b, associate_a, associate_b, live_event):
    bob = logged_in(make_staff(world_a, "bob"))  # an associate who is not the host: moderates only
    url = f"{CONSOLE}/{live_event.pk}"
    message = viewer_post(live_event)
    refused = bob.post(f"{url}/pin/", {"product_id": world_a["product"].pk})
    assert refused.status_code == 403 and "Only the event&#x27;s host or a manager" in text_of(refused)
    assert bob.post(f"{url}/end/").status_code == 403
    assert LiveEvent.objects.get(pk=live_event.pk).status == "live"
    assert bob.post(f"{url}/messages/{message.pk}/hide/").status_code == 302  # moderation: any associate
    host_page = text_of(bob.get(f"{url}/"))
    assert 'id="end-event"' not in host_page and 'data-frame="hide"' not in host_page  # hidden already
    bruno = logged_in(associate_b)  # boutique B's staff on A's console
    assert bruno.get(f"{url}/").status_code == 403
    assert logged_in(associate_b).get(f"/console/boutique-b/live/{live_event.pk}/").status_code == 404
    assert bruno.post(f"/console/boutique-b/live/{live_event.pk}/start/").status_code == 404
    assert Client().get(f"{url}/").status_code == 302  # to the login


def test_host_view_bad_input_is_a_4xx_with_a_message(world_a, associate_a, live_event):
    alice = logged_in(associate_a)
    url = f"{CONSOLE}/{live_event.pk}"
    message = viewer_post(live_event)
    cases = [(f"{url}/slow-mode/", {"seconds": "999"}, 422, "invalid_seconds"),
             (f"{url}/pin/", {"product_id": "abc"}, 422, "invalid_product_id"),
             (f"{url}/pin/", {"product_id": "999999"}, 404, "product_not_found"),
             (f"{url}/featured/", {"action": "add", "sku": "NOPE"}, 404, "variant_not_found"),
             (f"{url}/featured/", {"action": "dance"}, 422, "invalid_action"),
             (f"{url}/start/", {}, 409, "event_not_scheduled"),
             (f"{url}/messages/999999/hide/", {}, 404, "message_not_found"),
             (f"{url}/replay/", {"replay_url": "https://x.example/r"}, 409, "event_not_ended")]  # fmt: skip
    for path, body, status, code in cases:
        response = alice.post(path, body)
        assert (response.status_code, f'data-code="{code}"' in text_of(response)) == (status, True), (path, body)
    json_answer = alice.post(f"{url}/slow-mode/", {"seconds": "-1"}, headers={"Accept": "application/json"})
    assert json_answer.status_code == 422 and json_answer.json()["code"] == "invalid_seconds"
    assert LiveEvent.objects.get(pk=live_event.pk).slow_mode_seconds == 0
    assert LiveMessage.objects.get(pk=message.pk).hidden_at is None


def test_the_host_corrects_a_pieces_moment_in_the_replay(world_a, host_actor, associate_a, event, world_b):
    services.product_pin(actor=host_actor, event=event, product=world_a["product"])
    services.live_event_start(actor=host_actor, event=event)
    pin = event.pins.get()
    early = logged_in(associate_a).post(f"{CONSOLE}/{event.pk}/moments/{pin.pk}/", {"at": "0:30"})
    assert early.status_code == 409  # still live: the replay's moments come after
    services.live_event_end(actor=host_actor, event=event, replay_url="https://video.example/replay.mp4")
    ended = LiveEvent.objects.get(pk=event.pk)
    LiveEvent.objects.filter(pk=event.pk).update(started_at=ended.ended_at - timedelta(minutes=20))
    http = logged_in(associate_a)
    host_view = text_of(http.get(f"{CONSOLE}/{event.pk}/"))
    assert f'id="moment-{pin.pk}" name="at" value="0:00"' in host_view
    assert http.post(f"{CONSOLE}/{event.pk}/moments/{pin.pk}/", {"at": "1:05"}).status_code == 302
    pin.refresh_from_db()
    assert pin.offset_seconds == 65
    assert '<span class="chapter-time">1:05</span> Blue Statement Coat' in text_of(Client().get(f"{PAGE}/{event.pk}/"))
    for bad, code in (("soon", 422), ("1:75", 422), ("25:00", 422), ("", 422)):  # 25 min: longer than the event
        refused = http.post(f"{CONSOLE}/{event.pk}/moments/{pin.pk}/", {"at": bad})
        assert refused.status_code == code, bad
    assert http.post(f"{CONSOLE}/{event.pk}/moments/{pin.pk + 999}/", {"at": "0:10"}).status_code == 404
    api = http.put(f"/api/v1/boutiques/atelier-a/live-events/{event.pk}/moments/{pin.pk}", {"offset_seconds": 70},
                   content_type="application/json")  # fmt: skip
    assert api.status_code == 200 and api.json() == {"pin_id": pin.pk, "product_id": world_a["product"].pk,
                                                     "offset_seconds": 70}  # fmt: skip
    outsider = logged_in(make_staff(world_b, "zoe", "manager"))
    assert outsider.post(f"/console/boutique-b/live/{event.pk}/moments/{pin.pk}/", {"at": "0:10"}).status_code == 404
    pin.refresh_from_db()
    assert pin.offset_seconds == 70
