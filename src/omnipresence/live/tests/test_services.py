"""Live shopping through the service layer: events, going live, pins and replays, the chat and its
moderation, reservations to orders, presence counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from omnipresence.attribution.models import Credit
from omnipresence.core.errors import Forbidden, InsufficientStock, InvalidInput
from omnipresence.inventory.models import Hold, Stock
from omnipresence.inventory.selectors import ledger_check
from omnipresence.inventory.services import holds_sweep
from omnipresence.live import selectors, services, shopping, viewers
from omnipresence.live.errors import (
    AlreadyReserved,
    ChatClosed,
    EventNotLive,
    EventWrongState,
    NotFeatured,
    RateLimited,
    ReservationClosed,
    SlowMode,
    StreamMissing,
    ViewerBanned,
    ViewerTokenInvalid,
)
from omnipresence.live.models import (
    LiveChatter,
    LiveEvent,
    LiveMessage,
    LivePin,
    LivePresence,
    LiveReservation,
)
from omnipresence.live.tests.conftest import make_event, second_product
from omnipresence.orders.models import Order
from omnipresence.stores.access import actor_for_user

pytestmark = pytest.mark.django_db


def shop_stock(world, variant) -> tuple[int, int]:
    stock = Stock.objects.get(location=world["shop"], variant=variant)
    return stock.on_hand, stock.held


# --- events ----------------------------------------------------------------------------------------


def test_an_associate_schedules_her_own_event_and_not_someone_elses(world_a, host_actor, manager_a):
    event = make_event(world_a, host_actor, kind="shop_tour")
    assert (event.status, event.kind, event.host_id, event.location_id) == (
        "scheduled", "shop_tour", host_actor.user_id, world_a["shop"].pk)  # fmt: skip
    with pytest.raises(Forbidden) as refused:
        make_event(world_a, host_actor, host=manager_a)
    assert refused.value.code == "not_host"
    assert LiveEvent.objects.count() == 1


def test_a_manager_schedules_for_a_host_and_runs_any_event(world_a, manager_actor, associate_a, host_actor):
    event = make_event(world_a, manager_actor, host=associate_a)
    assert event.host_id == associate_a.pk
    services.featured_set(actor=manager_actor, event=event, items=[(world_a["product"], 1)])
    started = services.live_event_start(actor=manager_actor, event=event)
    assert started.status == "live"


def test_another_associate_cannot_run_the_hosts_event(world_a, event):
    from omnipresence.conftest import make_staff

    other = actor_for_user(make_staff(world_a, "bea"), world_a["boutique"])
    with pytest.raises(Forbidden) as refused:
        services.live_event_start(actor=other, event=event)
    assert refused.value.code == "not_host"
    event.refresh_from_db()
    assert event.status == "scheduled"


@pytest.mark.parametrize(
    "starts, ends",
    [(timedelta(hours=2), timedelta(hours=1)), (timedelta(0), timedelta(hours=25)), (timedelta(days=400), timedelta(days=400, hours=1))],
)
def test_a_bad_schedule_is_refused(world_a, host_actor, starts, ends):
    now = timezone.now()
    with pytest.raises(InvalidInput) as refused:
        make_event(world_a, host_actor, starts_at=now + starts, ends_at=now + ends)
    assert refused.value.code == "invalid_schedule"
    assert not LiveEvent.objects.exists()


def test_an_hls_stream_must_be_an_https_url(world_a, host_actor):
    for url in ("http://cdn.example/live.m3u8", "javascript:alert(1)", "https://user:pw@cdn.example/x", "", "https:///x"):
        with pytest.raises(InvalidInput) as refused:
            make_event(world_a, host_actor, stream="hls", stream_url=url)
        assert refused.value.code == "invalid_stream_url"
    event = make_event(world_a, host_actor, stream="hls", stream_url="https://cdn.example/live/master.m3u8")
    assert selectors.stream_data(event) == {"provider": "hls", "url": "https://cdn.example/live/master.m3u8"}


def test_an_event_with_no_stream_cannot_go_live(world_a, host_actor):
    event = make_event(world_a, host_actor, stream="")
    with pytest.raises(StreamMissing) as refused:
        services.live_event_start(actor=host_actor, event=event)
    assert (refused.value.code, refused.value.status) == ("stream_missing", 409)
    event.refresh_from_db()
    assert (event.status, event.started_at) == ("scheduled", None)


def test_going_live_twice_and_ending_a_scheduled_event_are_refused(live_event, host_actor, event):
    with pytest.raises(EventWrongState) as twice:
        services.live_event_start(actor=host_actor, event=live_event)
    assert twice.value.code == "event_not_scheduled"
    ended = services.live_event_end(actor=host_actor, event=live_event)
    assert ended.status == "ended" and ended.replay_url == "/static/live/local-stream.svg"
    with pytest.raises(EventWrongState):
        services.live_event_end(actor=host_actor, event=live_event)
    with pytest.raises(EventWrongState) as changed:
        services.live_event_update(actor=host_actor, event=live_event, title="Again")
    assert changed.value.code == "event_ended"


def test_schedule_and_host_are_fixed_once_live_but_the_title_is_not(live_event, host_actor):
    with pytest.raises(EventWrongState) as refused:
        services.live_event_update(actor=host_actor, event=live_event, ends_at=timezone.now() + timedelta(hours=3))
    assert refused.value.code == "event_started"
    with pytest.raises(EventWrongState):
        services.live_event_update(actor=host_actor, event=live_event, stream_provider="")
    updated = services.live_event_update(actor=host_actor, event=live_event, title="Winter coats, live now")
    assert updated.title == "Winter coats, live now"


def test_delete_only_before_it_starts(event, host_actor, live_event):
    with pytest.raises(EventWrongState):
        services.live_event_delete(actor=host_actor, event=live_event)
    assert LiveEvent.objects.filter(pk=live_event.pk).exists()


# --- featured, pinned, replay --------------------------------------------------------------------


def test_pinning_a_product_that_is_not_featured_is_refused(world_a, event, host_actor):
    scarf, _ = second_product(world_a)
    with pytest.raises(NotFeatured) as refused:
        services.product_pin(actor=host_actor, event=event, product=scarf)
    assert (refused.value.code, refused.value.status) == ("product_not_featured", 409)
    event.refresh_from_db()
    assert event.pinned_product_id is None


def test_featured_products_keep_their_order_and_another_boutiques_product_is_refused(world_a, world_b, event, host_actor):
    scarf, _ = second_product(world_a)
    services.featured_set(actor=host_actor, event=event, items=[(scarf, 1), (world_a["product"], 2)])
    data = selectors.featured_data(event)
    assert [(p["product_id"], p["position"], p["max_per_viewer"]) for p in data] == [
        (scarf.pk, 0, 1), (world_a["product"].pk, 1, 2)]  # fmt: skip
    assert [v["available"] for v in data[1]["variants"]] == [2, 2, 2]  # at Soho, not the warehouse's 5
    with pytest.raises(InvalidInput) as refused:
        services.featured_set(actor=host_actor, event=event, items=[(world_b["product"], 1)])
    assert refused.value.code == "wrong_boutique"
    assert len(selectors.featured_data(event)) == 2


def test_unfeaturing_the_pinned_product_unpins_it(world_a, event, host_actor):
    scarf, _ = second_product(world_a)
    services.featured_set(actor=host_actor, event=event, items=[(world_a["product"], 1), (scarf, 1)])
    services.product_pin(actor=host_actor, event=event, product=scarf)
    services.featured_set(actor=host_actor, event=event, items=[(world_a["product"], 1)])
    event.refresh_from_db()
    assert event.pinned_product_id is None


def test_pins_while_live_become_the_replays_chapters(world_a, event, host_actor):
    scarf, _ = second_product(world_a)
    services.featured_set(actor=host_actor, event=event, items=[(world_a["product"], 1), (scarf, 1)])
    services.product_pin(actor=host_actor, event=event, product=world_a["product"])  # before the start
    live = services.live_event_start(actor=host_actor, event=event)
    LiveEvent.objects.filter(pk=live.pk).update(started_at=timezone.now() - timedelta(seconds=95))
    services.product_pin(actor=host_actor, event=live, product=scarf)
    services.product_pin(actor=host_actor, event=live, product=scarf)  # the same again: no new chapter
    services.live_event_end(actor=host_actor, event=live)
    services.live_replay_set(actor=host_actor, event=live, replay_url="https://video.example/replays/42")
    replay = selectors.replay_data(LiveEvent.objects.get(pk=live.pk))
    assert [(c["product_id"], c["offset_seconds"]) for c in replay["products"]] == [
        (world_a["product"].pk, 0), (scarf.pk, 95)]  # fmt: skip
    assert replay["replay_url"] == "https://video.example/replays/42"
    assert replay["duration_seconds"] >= 95
    assert LivePin.objects.filter(event=live).count() == 2


# --- chat ----------------------------------------------------------------------------------------


def test_chat_text_is_stored_as_typed_and_escaped_on_output(live_event, viewer):
    key, _ = viewer
    message = services.chat_post(event=live_event, viewer_key=key, name="<b>Eve</b>",
                                 text="<script>alert('x')</script>\u202eevil")  # fmt: skip
    data = selectors.message_data(message)
    assert data["text"] == "<script>alert('x')</script> evil"  # the bidi override is gone
    assert data["text_html"] == "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; evil"
    assert data["name_html"] == "&lt;b&gt;Eve&lt;/b&gt;"
    assert data["staff"] is False


def test_empty_and_long_messages_are_refused(live_event, viewer):
    key, _ = viewer
    for name, text, code in (("Eve", "   ", "invalid_text"), ("", "hi", "invalid_name"), ("Eve", "x" * 301, "invalid_text")):
        with pytest.raises(InvalidInput) as refused:
            services.chat_post(event=live_event, viewer_key=key, name=name, text=text)
        assert refused.value.code == code
    assert not LiveMessage.objects.exists() and not LiveChatter.objects.exists()


def test_a_banned_viewer_is_refused_and_her_messages_hidden(live_event, viewer, associate_actor):
    key, _ = viewer
    first = services.chat_post(event=live_event, viewer_key=key, name="Troll", text="buy followers")
    other_key, _ = viewers.viewer_token_new(event_id=live_event.pk)
    kept = services.chat_post(event=live_event, viewer_key=other_key, name="Ann", text="lovely")
    services.viewer_ban(actor=associate_actor, event=live_event, message=first)
    with pytest.raises(ViewerBanned) as refused:
        services.chat_post(event=live_event, viewer_key=key, name="Troll", text="again")
    assert (refused.value.code, refused.value.status) == ("viewer_banned", 403)
    assert [m.pk for m in selectors.chat_list(event=live_event)] == [kept.pk]
    assert LiveMessage.objects.filter(chatter__viewer_key=key).count() == 1  # nothing new was stored
    services.viewer_unban(actor=associate_actor, event=live_event, message=first)
    services.chat_post(event=live_event, viewer_key=key, name="Troll", text="sorry")


def test_slow_mode_allows_one_message_per_period(live_event, viewer, associate_actor):
    key, _ = viewer
    services.slow_mode_set(actor=associate_actor, event=live_event, seconds=30)
    services.chat_post(event=live_event, viewer_key=key, name="Ann", text="first")
    with pytest.raises(SlowMode) as refused:
        services.chat_post(event=live_event, viewer_key=key, name="Ann", text="second")
    assert refused.value.status == 429 and 1 <= refused.value.details["retry_after"] <= 30
    LiveChatter.objects.filter(viewer_key=key).update(last_posted_at=timezone.now() - timedelta(seconds=31))
    services.chat_post(event=live_event, viewer_key=key, name="Ann", text="second, later")
    assert LiveMessage.objects.count() == 2


def test_a_flood_is_rate_limited_per_viewer(live_event, viewer):
    key, _ = viewer
    for i in range(services.FLOOD_POSTS):
        services.chat_post(event=live_event, viewer_key=key, name="Ann", text=f"msg {i}")
    with pytest.raises(RateLimited) as refused:
        services.chat_post(event=live_event, viewer_key=key, name="Ann", text="one more")
    assert refused.value.code == "rate_limited"
    other, _ = viewers.viewer_token_new(event_id=live_event.pk)
    services.chat_post(event=live_event, viewer_key=other, name="Bo", text="me too")  # others still post
    assert LiveMessage.objects.count() == services.FLOOD_POSTS + 1


def test_the_whole_chat_has_a_ceiling_a_second(live_event, settings):
    settings.LIVE_CHAT_PER_SECOND = 3
    for i in range(3):
        key, _ = viewers.viewer_token_new(event_id=live_event.pk)
        services.chat_post(event=live_event, viewer_key=key, name=f"V{i}", text="hi")
    key, _ = viewers.viewer_token_new(event_id=live_event.pk)
    with pytest.raises(RateLimited) as refused:
        services.chat_post(event=live_event, viewer_key=key, name="V4", text="hi")
    assert refused.value.code == "chat_busy"


def test_the_chat_closes_when_the_event_ends(live_event, viewer, host_actor):
    services.live_event_end(actor=host_actor, event=live_event)
    with pytest.raises(ChatClosed):
        services.chat_post(event=live_event, viewer_key=viewer[0], name="Ann", text="late")


def test_staff_answers_and_hides_a_message(live_event, viewer, host_actor, associate_actor):
    question = services.chat_post(event=live_event, viewer_key=viewer[0], name="Ann", text="lined?")
    answer = services.chat_post_staff(actor=host_actor, event=live_event, text="Fully lined.")
    assert (answer.author_name, selectors.message_data(answer)["staff"]) == ("alice", True)
    services.message_hide(actor=associate_actor, event=live_event, message=question)
    assert [m.pk for m in selectors.chat_list(event=live_event)] == [answer.pk]
    assert [m.pk for m in selectors.chat_list(event=live_event, with_hidden=True)] == [question.pk, answer.pk]
    with pytest.raises(InvalidInput) as refused:
        services.viewer_ban(actor=associate_actor, event=live_event, message=answer)
    assert refused.value.code == "cannot_ban_staff"


def test_viewer_tokens_are_for_one_event(world_a, live_event, host_actor):
    key, token = viewers.viewer_token_new(event_id=live_event.pk)
    assert viewers.viewer_key_of(token, event_id=live_event.pk) == key
    other = make_event(world_a, host_actor)
    for bad, event_id in ((token, other.pk), (token[:-2] + "xx", live_event.pk), ("nonsense-token-value-1234", live_event.pk)):
        with pytest.raises(ViewerTokenInvalid):
            viewers.viewer_key_of(bad, event_id=event_id)


# --- buying during the stream ----------------------------------------------------------------------


def test_a_reservation_holds_units_at_the_events_shop_for_a_short_time(world_a, live_event, viewer):
    key, _ = viewer
    variant = world_a["variants"][1]
    reservation = shopping.reservation_place(event=live_event, viewer_key=key, variant=variant, quantity=2)
    hold = reservation.hold
    assert (hold.kind, hold.quantity, hold.owner_ref, hold.location_id) == (
        "live", 2, f"live:{live_event.pk}:{key}", world_a["shop"].pk)  # fmt: skip
    assert timedelta(minutes=9) < hold.expires_at - timezone.now() <= timedelta(minutes=10)
    assert shop_stock(world_a, variant) == (2, 2)
    assert [v["available"] for v in selectors.featured_data(live_event)[0]["variants"]] == [2, 0, 2]


def test_reservations_are_refused_clearly_and_write_nothing(world_a, event, host_actor):
    key, _ = viewers.viewer_token_new(event_id=event.pk)
    variant = world_a["variants"][0]
    with pytest.raises(EventNotLive):
        shopping.reservation_place(event=event, viewer_key=key, variant=variant)
    live = services.live_event_start(actor=host_actor, event=event)
    _, scarf = second_product(world_a)
    with pytest.raises(NotFeatured):
        shopping.reservation_place(event=live, viewer_key=key, variant=scarf)
    with pytest.raises(InvalidInput) as too_many:
        shopping.reservation_place(event=live, viewer_key=key, variant=variant, quantity=3)
    assert too_many.value.details == {"max_per_viewer": 2}
    shopping.reservation_place(event=live, viewer_key=key, variant=variant)
    with pytest.raises(AlreadyReserved):
        shopping.reservation_place(event=live, viewer_key=key, variant=world_a["variants"][2])
    other, _ = viewers.viewer_token_new(event_id=live.pk)
    shopping.reservation_place(event=live, viewer_key=other, variant=variant)
    third, _ = viewers.viewer_token_new(event_id=live.pk)
    with pytest.raises(InsufficientStock):
        shopping.reservation_place(event=live, viewer_key=third, variant=variant)
    assert LiveReservation.objects.count() == 2
    assert Hold.objects.filter(kind="live").count() == 2
    assert shop_stock(world_a, variant) == (2, 2)


def test_another_boutiques_variant_is_not_featured(world_a, world_b, live_event, viewer):
    with pytest.raises(NotFeatured):
        shopping.reservation_place(event=live_event, viewer_key=viewer[0], variant=world_b["variants"][0])


def test_a_reservation_goes_to_a_cart_then_an_order_credited_to_the_host(world_a, live_event, viewer, associate_a):
    key, _ = viewer
    variant = world_a["variants"][0]
    reservation = shopping.reservation_place(event=live_event, viewer_key=key, variant=variant)
    cart = shopping.reservation_cart(event=live_event, reservation=reservation)
    assert (cart.channel, cart.source_kind, cart.source_ref, cart.associate_id) == (
        "live", "live_event", str(live_event.pk), associate_a.pk)  # fmt: skip
    hold = Hold.objects.get(pk=reservation.hold_id)
    assert (hold.kind, hold.status, hold.owner_ref) == ("cart", "active", f"live:{live_event.pk}:{key}")
    assert shop_stock(world_a, variant) == (2, 1)  # the same unit, never back on sale
    assert shopping.reservation_cart(event=live_event, reservation=reservation).pk == cart.pk

    order = shopping.reservation_checkout(event=live_event, reservation=reservation, client_name="Ann Lee",
                                          client_email="ann@example.com")  # fmt: skip
    again = shopping.reservation_checkout(event=live_event, reservation=reservation, client_name="Ann Lee",
                                          client_email="ann@example.com")  # fmt: skip
    assert again.pk == order.pk and Order.objects.count() == 1
    assert (order.channel, order.associate_id, order.source_kind, order.total) == ("live", associate_a.pk, "live_event", 45000)
    assert order.lines.get().fulfilment == "pickup"  # the Soho shop offers click & collect
    assert Hold.objects.get(pk=hold.pk).kind == "order"
    credit = Credit.objects.get(order=order)
    assert (credit.associate_id, credit.via, credit.ref) == (associate_a.pk, "live_event", f"live_event:{live_event.pk}")
    reservation.refresh_from_db()
    assert (reservation.status, reservation.order_id) == ("ordered", order.pk)
    assert shop_stock(world_a, variant) == (2, 1)
    assert ledger_check() == []


def test_checkout_needs_an_email(world_a, live_event, viewer):
    reservation = shopping.reservation_place(event=live_event, viewer_key=viewer[0], variant=world_a["variants"][0])
    with pytest.raises(InvalidInput) as refused:
        shopping.reservation_checkout(event=live_event, reservation=reservation, client_name="Ann", client_email="")
    assert refused.value.code == "email_required"
    assert not Order.objects.exists()


def test_a_lapsed_reservation_gives_its_units_back_and_cannot_be_bought(world_a, live_event, viewer):
    variant = world_a["variants"][2]
    reservation = shopping.reservation_place(event=live_event, viewer_key=viewer[0], variant=variant)
    Hold.objects.filter(pk=reservation.hold_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert selectors.reservation_state(LiveReservation.objects.select_related("hold").get(pk=reservation.pk)) == "lapsed"
    with pytest.raises(ReservationClosed):
        shopping.reservation_checkout(event=live_event, reservation=reservation, client_name="Ann",
                                      client_email="ann@example.com")  # fmt: skip
    assert holds_sweep() == 1
    assert services.live_sweep()["lapsed"] == 1
    reservation.refresh_from_db()
    assert reservation.status == "lapsed"
    assert shop_stock(world_a, variant) == (2, 0)
    again = shopping.reservation_place(event=live_event, viewer_key=viewer[0], variant=variant)  # may try again
    assert again.status == "reserved"


def test_a_cart_whose_hold_ran_out_cannot_be_checked_out(world_a, live_event, viewer):
    reservation = shopping.reservation_place(event=live_event, viewer_key=viewer[0], variant=world_a["variants"][0])
    shopping.reservation_cart(event=live_event, reservation=reservation)
    Hold.objects.filter(pk=reservation.hold_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ReservationClosed):
        shopping.reservation_checkout(event=live_event, reservation=reservation, client_name="Ann",
                                      client_email="ann@example.com")  # fmt: skip
    assert not Order.objects.exists()


def test_releasing_a_reservation_puts_the_units_back_at_once(world_a, live_event, viewer):
    variant = world_a["variants"][0]
    reservation = shopping.reservation_place(event=live_event, viewer_key=viewer[0], variant=variant, quantity=2)
    released = shopping.reservation_release(event=live_event, reservation=reservation)
    assert released.status == "released"
    assert shop_stock(world_a, variant) == (2, 0)
    assert Hold.objects.get(pk=reservation.hold_id).status == "released"


# --- presence ------------------------------------------------------------------------------------


def test_presence_sums_processes_seen_recently_and_keeps_the_peak(live_event):
    totals = services.presence_record(process="web-1", counts={live_event.pk: 600}, fresh_seconds=15)
    assert totals == {live_event.pk: (600, 600)}
    totals = services.presence_record(process="web-2", counts={live_event.pk: 300}, fresh_seconds=15)
    assert totals == {live_event.pk: (900, 900)}
    LivePresence.objects.filter(process="web-1").update(seen_at=timezone.now() - timedelta(seconds=20))  # gone
    totals = services.presence_record(process="web-2", counts={live_event.pk: 100}, fresh_seconds=15)
    assert totals == {live_event.pk: (100, 900)}
    live_event.refresh_from_db()
    assert (live_event.viewers_now, live_event.viewers_peak) == (100, 900)
    LivePresence.objects.filter(process="web-1").update(seen_at=timezone.now() - timedelta(minutes=11))
    assert services.live_sweep()["presence_removed"] == 1
