"""On a 390 px phone: an associate opens her day, opens the appointment under way, puts a piece
aside by SKU (she sees it on the pull list with its hold), marks the appointment done and sees
the follow-up task it made — without horizontal scrolling."""

import pytest
from playwright.sync_api import expect

from omnipresence.appointments import services
from omnipresence.appointments.tests.conftest import every_day, next_day
from omnipresence.appointments.tests.test_flow import _past
from omnipresence.clients import services as clients
from omnipresence.conftest import make_boutique, make_staff
from omnipresence.inventory.models import Hold
from omnipresence.testing.browser import PHONE, login_context, screenshot

pytestmark = pytest.mark.browser


def _no_horizontal_scroll(page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


def test_an_associate_runs_her_appointment_from_the_phone(asgi_live_server, browser, transactional_db):
    world = make_boutique("atelier-a")
    alice = make_staff(world, "alice")
    services.working_hours_set(actor=world["actor"], associate=alice, location=world["shop"], periods=every_day())
    styling = services.type_create(actor=world["actor"], location=world["shop"], kind="in_store_styling",
                                   name="In-store styling", duration_minutes=60, min_notice_minutes=60)  # fmt: skip
    ada = clients.client_resolve(boutique=world["boutique"], email="ada@example.com", name="Ada Lovelace")
    appointment, _ = services.appointment_book(appointment_type=styling, client=ada, via="staff",
                                               starts_at=next_day(2, "10:00"), associate_id=alice.pk)  # fmt: skip
    appointment = _past(appointment, minutes_ago=1)  # under way now
    sku = world["variants"][1].sku

    page = login_context(browser, asgi_live_server, alice, viewport=PHONE).new_page()
    page.goto(f"{asgi_live_server}/console/atelier-a/appointments/")
    item = page.locator(f"#appointment-{appointment.pk}")
    expect(item).to_contain_text("In-store styling")
    expect(item).to_contain_text("Ada Lovelace")
    expect(item.locator(".badge").first).to_have_text("Booked")
    _no_horizontal_scroll(page)
    screenshot(page, "appointments-day-390")

    item.get_by_role("link", name="In-store styling").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("In-store styling")
    page.get_by_label("SKU or barcode").fill(sku)
    page.get_by_role("button", name="Put aside").click()
    pull_list = page.locator("#pull-list")
    expect(pull_list).to_contain_text(sku)
    expect(pull_list).to_contain_text("Held at Soho until")
    expect(page.get_by_role("status")).to_contain_text("Put aside for her appointment.")
    assert Hold.objects.get(owner_ref=f"appointment:{appointment.pk}").status == "active"
    _no_horizontal_scroll(page)

    page.get_by_label("How it went (for the follow-up)").fill("Loved the medium coat")
    page.get_by_role("button", name="Mark as done").click()
    expect(page.locator("#appointment-status")).to_have_text("Completed")
    follow_up = page.locator("#follow-up")
    expect(follow_up).to_contain_text("Follow up on her in-store styling")
    expect(follow_up).to_contain_text("Loved the medium coat")
    _no_horizontal_scroll(page)
    screenshot(page, "appointments-done-390")
