"""On a 390 px phone: book a Sunday virtual slot and see it gone for a second client.

The shop is closed on Sundays; its video consultation has Sunday hours of its own (schedule "add"
and TypeHours), one associate works Sundays, capacity 1. Client one, in her own browser, opens the
booking page (her zone comes from the browser), picks the Sunday slot, fills in the form and sees
her confirmation. Client two, in another browser, opens the same week: that slot is gone, the
other Sunday slots are still offered."""

import re
from datetime import time

import pytest
from playwright.sync_api import expect

from omnipresence.appointments import services
from omnipresence.appointments.models import Appointment
from omnipresence.appointments.tests.conftest import next_day
from omnipresence.conftest import make_boutique, make_staff
from omnipresence.stores import services as stores
from omnipresence.testing.browser import PHONE, screenshot

pytestmark = pytest.mark.browser


def no_horizontal_scroll(page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


def open_sunday(page, server, sunday) -> None:
    """From the list of appointments to the week with that Sunday, in the browser's zone."""
    page.goto(f"{server}/atelier-a/appointments/")
    page.get_by_role("link", name="See times — Video consultation").click()
    expect(page).to_have_url(re.compile(r"tz=Europe%2FLondon"))  # set by booking.js from the browser
    expect(page.locator("#zone-line")).to_contain_text("Times in Europe/London")
    if page.locator(f"#day-{sunday}").count() == 0:
        page.locator("#later-weeks").click()
    expect(page.locator(f"#day-{sunday}")).to_be_visible()


def test_book_a_sunday_virtual_slot_and_see_it_gone_for_a_second_client(asgi_live_server, browser, transactional_db):
    world = make_boutique("atelier-a")
    actor, shop = world["actor"], world["shop"]
    stores.opening_hours_set(actor=actor, location=shop, periods=[(d, time(10), time(18)) for d in range(6)])
    alice = make_staff(world, "alice")
    alice.first_name = "Alice"
    alice.save(update_fields=["first_name"])
    services.working_hours_set(actor=actor, associate=alice, location=shop,
                               periods=[(d, time(10), time(18)) for d in range(7)])  # fmt: skip
    video = services.type_create(
        actor=actor, location=shop, kind="video_consultation", name="Video consultation", duration_minutes=30,
        capacity=1, schedule="add", min_notice_minutes=60, horizon_days=30,
    )  # fmt: skip
    services.type_hours_set(actor=actor, appointment_type=video, periods=[(6, time(11), time(13))])
    sunday = next_day(6, "11:00").date().isoformat()

    first = browser.new_context(viewport=PHONE, timezone_id="Europe/London").new_page()
    open_sunday(first, asgi_live_server, sunday)
    day = first.locator(f"#day-{sunday}")
    for label in ("11:00", "11:30", "12:00", "12:30"):
        expect(day.get_by_role("button", name=label)).to_be_visible()
    no_horizontal_scroll(first)
    screenshot(first, "appointments-sunday-calendar-390")

    day.get_by_role("button", name="11:00").click()
    expect(first.locator("#hold-note")).to_have_text("We keep this time for you for 5 minutes.")
    expect(first.locator("#hold-summary")).to_contain_text("11:00")
    expect(first.locator("#hold-summary")).to_contain_text("with Alice")
    first.get_by_label("Your name").fill("Grace Hopper")
    first.get_by_label("Email").fill("grace@example.com")
    first.get_by_label("What would you like to see?").fill("Evening dresses, size 38")
    no_horizontal_scroll(first)
    screenshot(first, "appointments-booking-form-390")
    first.get_by_role("button", name="Book this time").click()

    expect(first.locator("#appointment-status")).to_have_text("Booked")
    expect(first.get_by_role("status")).to_contain_text("You're booked.")
    expect(first.locator("#appointment-when")).to_contain_text("Sunday")
    expect(first.locator("#appointment-when")).to_contain_text("11:00")
    expect(first.locator("#appointment-associate")).to_have_text("Alice")
    expect(first.locator("#room-soon")).to_have_text("The room opens 10 minutes before your appointment.")
    expect(first.get_by_role("link", name="Add to calendar")).to_be_visible()
    no_horizontal_scroll(first)
    screenshot(first, "appointments-confirmed-390")
    booked = Appointment.objects.get()
    assert (booked.associate_id, booked.client.display_name, booked.wishes) == (alice.pk, "Grace Hopper",
                                                                                "Evening dresses, size 38")  # fmt: skip

    second = browser.new_context(viewport=PHONE, timezone_id="Europe/London").new_page()
    open_sunday(second, asgi_live_server, sunday)
    day = second.locator(f"#day-{sunday}")
    for label in ("11:30", "12:00", "12:30"):
        expect(day.get_by_role("button", name=label)).to_be_visible()
    expect(day.get_by_role("button", name="11:00")).to_have_count(0)
    no_horizontal_scroll(second)
    screenshot(second, "appointments-sunday-gone-for-the-second-client-390")
