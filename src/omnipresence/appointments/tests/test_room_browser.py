"""The shared cart updates in both windows: her phone (390 px) and the associate's screen open the
room of a video appointment starting now; what one does to the cart appears in the other's window
without a reload, with the same totals; the countdown runs; then the associate sends a pay link
and her window shows it."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from omnipresence.appointments.models import Appointment
from omnipresence.appointments.tests.test_room import room_url, room_world
from omnipresence.conftest import make_boutique, make_staff
from omnipresence.payments.models import PayLink
from omnipresence.payments.pay_links import pay_link_token
from omnipresence.testing.browser import DESKTOP, PHONE, screenshot

pytestmark = pytest.mark.browser


def _open(browser, server, url: str, viewport: dict):
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(f"{server}{url}")
    expect(page.locator("#room")).to_have_attribute("data-connected", "1")
    return page


def test_the_shared_cart_updates_in_both_windows(asgi_live_server, browser, transactional_db):
    world = make_boutique("atelier-a")
    alice = make_staff(world, "alice")
    alice.first_name = "Alice"
    alice.save(update_fields=["first_name"])
    booked = room_world(world, alice)
    appointment = booked["appointment"]

    her = _open(browser, asgi_live_server, room_url(appointment, host=False), PHONE)
    associate = _open(browser, asgi_live_server, room_url(appointment, host=True), DESKTOP)
    expect(her.get_by_role("heading", name="Video consultation")).to_be_visible()
    expect(her.locator(".room-who")).to_contain_text("With Alice, Atelier A")
    expect(associate.locator(".room-who")).to_contain_text("With Ada")
    countdown = her.locator("#room-countdown")
    expect(countdown).to_be_visible()
    expect(countdown).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(her.locator("#room-countdown-label")).to_have_text("The room closes in")
    expect(her.locator("#self-view-placeholder")).to_be_visible()  # offline: a placeholder until she turns it on

    # The associate puts the first pull-list piece in the cart: it appears on her phone.
    associate.get_by_role("button", name="Add to the cart Blue Statement Coat, Blue / S").click()
    expect(her.locator("#room-lines")).to_contain_text("Blue / S")
    expect(her.locator("#room-total")).to_have_text("£450.00")
    associate.get_by_role("button", name="Add to the cart Blue Statement Coat, Blue / M").click()
    expect(her.locator("#room-lines .room-line")).to_have_count(2)

    # She takes two of the M: the associate's window follows.
    her.get_by_label("Quantity of Blue Statement Coat, Blue / M").fill("2")
    her.get_by_role("button", name="Update Blue Statement Coat, Blue / M").click()
    expect(associate.get_by_label("Quantity of Blue Statement Coat, Blue / M")).to_have_value("2")
    expect(associate.locator("#room-total")).to_have_text("£1,350.00")
    expect(her.locator("#room-total")).to_have_text("£1,350.00")

    # She takes the S out.
    her.get_by_role("button", name="Remove Blue Statement Coat, Blue / S").click()
    expect(associate.locator("#room-lines .room-line")).to_have_count(1)
    expect(associate.locator("#room-lines")).not_to_contain_text("Blue / S")
    expect(associate.locator("#room-total")).to_have_text("£900.00")
    expect(her.locator("#room-total")).to_have_text("£900.00")
    assert her.locator("#room-total").inner_text() == associate.locator("#room-total").inner_text()
    assert her.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    screenshot(her, "appointment-room-client-390")

    # The associate sends a pay link: her window shows it, live.
    associate.get_by_role("button", name="Send a pay link").click()
    expect(associate.locator("#room-pay-link")).to_contain_text("Pay link sent to Ada.")
    expect(her.locator("#room-pay-link")).to_contain_text("Your pay link is ready.")
    pay = her.get_by_role("link", name="Pay £900.00")
    expect(pay).to_be_visible()
    link = PayLink.objects.get()
    assert pay.get_attribute("href").endswith(f"/pay/{pay_link_token(link)}/")
    assert link.order.total == 90000 and Appointment.objects.get(pk=appointment.pk).cart.status == "checked_out"
    expect(her.get_by_label("Quantity of Blue Statement Coat, Blue / M")).to_have_count(0)  # read-only now
    assert her.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    screenshot(her, "appointment-room-client-pay-link-390")
    screenshot(associate, "appointment-room-associate")

    # At the hard cap the page says the room is closed (a cap a few seconds away, the page reloaded).
    Appointment.objects.filter(pk=appointment.pk).update(cap_ends_at=timezone.now() + timedelta(seconds=4))
    her.reload()
    expect(her.locator("#room-countdown")).to_be_visible()
    expect(her.locator("#room-countdown-line")).to_have_text("The room is closed.", timeout=15000)
    expect(her.locator("#room")).to_have_attribute("data-closed", "1")
