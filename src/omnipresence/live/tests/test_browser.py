"""A viewer buys during a live event and the stock drops for everyone: two viewers on 390 px
phones and the host's console view, all live on the event's socket. Viewer one reserves the last
but two units and buys; viewer two's page and the host view show the stock drop without a reload,
the host's sales show the sale; viewer two chats, the host sees it and hides it, and it disappears
for viewer one. No page scrolls sideways at 390 px."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from omnipresence.conftest import make_boutique, make_staff
from omnipresence.live import services
from omnipresence.live.models import LiveMessage, LiveReservation
from omnipresence.live.tests.conftest import second_product
from omnipresence.orders.models import Order
from omnipresence.stores.access import actor_for_user
from omnipresence.testing.browser import PHONE, login_context, screenshot

pytestmark = pytest.mark.browser


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


def test_a_viewer_buys_during_a_live_event_and_the_stock_drops_for_everyone(asgi_live_server, browser, transactional_db):
    world = make_boutique("atelier-a")
    alice = make_staff(world, "alice")
    host = actor_for_user(alice, world["boutique"])
    scarf, _ = second_product(world, units=3)
    now = timezone.now()
    event = services.live_event_create(actor=host, title="Scarves, live", starts_at=now, ends_at=now + timedelta(hours=1),
                                       location=world["shop"], stream_provider="local")  # fmt: skip
    services.featured_set(actor=host, event=event, items=[(scarf, 1), (world["product"], 1)])
    services.product_pin(actor=host, event=event, product=scarf)
    services.live_event_start(actor=host, event=event)
    server = str(asgi_live_server)

    console = login_context(browser, asgi_live_server, alice, viewport=PHONE).new_page()
    console.goto(f"{server}/console/atelier-a/live/{event.pk}/")
    expect(console.locator("#live-host")).to_have_attribute("data-connected", "1")
    host_stock = console.locator(f'[data-stock="{scarf.pk}"]')
    expect(host_stock).to_have_text("3")

    one = browser.new_context(viewport=PHONE).new_page()
    two = browser.new_context(viewport=PHONE).new_page()
    for page in (one, two):
        page.goto(f"{server}/atelier-a/live/{event.pk}/")
        expect(page.locator("#live-event")).to_have_attribute("data-connected", "1")
        expect(page.locator(f'[data-stock="{scarf.pk}"]')).to_have_text("3 available")
        expect(page.locator("#pinned-link")).to_have_text("Silk Scarf")
    two_stock = two.locator(f'[data-stock="{scarf.pk}"]')

    one.get_by_role("button", name="Reserve Silk Scarf").click()
    expect(one.locator("#my-reservations")).to_contain_text("Silk Scarf")
    expect(two_stock).to_have_text("2 available")  # without a reload
    expect(host_stock).to_have_text("2")
    expect(console.locator("#sales-reserved")).to_have_text("1")
    screenshot(two, "live-viewer-two-stock-dropped-390")

    one.get_by_role("button", name="Buy Silk Scarf").click()
    one.get_by_label("Your name").fill("Ada Lovelace")
    one.get_by_label("Email, for the receipt").fill("ada@example.com")
    no_sideways_scroll(one)
    one.get_by_role("button", name="Order and pay").click()
    one.wait_for_url("**/pay/sandbox/**")
    order = Order.objects.get()
    assert (order.source_kind, order.associate_id, order.total) == ("live_event", alice.pk, 9000)
    assert LiveReservation.objects.get().status == "ordered"
    expect(console.locator("#sales-ordered")).to_have_text("1", timeout=15000)
    expect(console.locator("#sales-total")).to_have_text("£90.00")
    expect(two_stock).to_have_text("2 available")

    one.goto(f"{server}/atelier-a/live/{event.pk}/")
    expect(one.locator("#live-event")).to_have_attribute("data-connected", "1")
    two.get_by_label("Your name").fill("Noor")
    two.get_by_label("Message").fill("Does it come in blue?")
    two.get_by_role("button", name="Send").click()
    expect(two.locator("#chat-status")).to_have_text("Sent.")
    message = LiveMessage.objects.get(text="Does it come in blue?")
    on_console = console.locator(f"#message-{message.pk}")
    expect(on_console).to_contain_text("Does it come in blue?")
    on_one = one.locator(f"#message-{message.pk}")
    expect(on_one).to_contain_text("Noor")
    on_console.get_by_role("button", name="Hide").click()
    expect(on_one).to_have_count(0)  # gone for viewer one, without a reload
    expect(on_console).to_contain_text("Hidden")
    assert LiveMessage.objects.get(pk=message.pk).hidden_at is not None
    for page in (one, two, console):
        no_sideways_scroll(page)
    screenshot(console, "live-host-view-390")
    screenshot(one, "live-viewer-one-390")
