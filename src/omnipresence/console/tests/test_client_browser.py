"""The client book on a 390 px phone in Debian's chromium: the associate finds a client, opens her
profile, adds a note and sees it at the top of the timeline; nothing scrolls sideways."""

import pytest
from playwright.sync_api import expect

from omnipresence.clients import services as clients
from omnipresence.clients.models import TimelineEvent
from omnipresence.conftest import make_boutique, make_staff
from omnipresence.orders import services as orders
from omnipresence.orders.tests.conftest import cart_with
from omnipresence.payments import services as payments
from omnipresence.stores.access import actor_for_user
from omnipresence.testing.browser import PHONE, login_context, screenshot

pytestmark = pytest.mark.browser


def fits(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


def test_an_associate_finds_a_client_and_adds_a_note_on_a_phone(asgi_live_server, browser, transactional_db):
    world = make_boutique("atelier-a")
    alice = make_staff(world, "alice")
    seller = actor_for_user(alice, world["boutique"])
    order = orders.cart_checkout(actor=seller, cart=cart_with(
        seller, world, (0, 1, "pickup", "soho"), client_name="Eleanor Vane-Hartington",
        client_email="eleanor.vane-hartington@example.com", client_phone="+44 7911 123456",
    ))  # fmt: skip
    payments.payment_record(actor=seller, order=order, method="terminal")
    for name in ("Ada Lovelace", "Grace Hopper"):
        clients.client_resolve(
            boutique=world["boutique"], email=f"{name.split()[0].lower()}@example.com", name=name
        )

    context = login_context(browser, asgi_live_server, alice, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{asgi_live_server}/console/atelier-a/")
    page.get_by_role("link", name="Clients", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clients")
    expect(page.locator("#clients-count")).to_have_text("3 clients")
    assert fits(page)
    screenshot(page, "clients-book-390")

    page.get_by_label("Name, email or phone").fill("eleanor")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#clients-count")).to_have_text("1 client")
    page.get_by_role("link", name="Eleanor Vane-Hartington").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Eleanor Vane-Hartington")
    expect(page.locator("#client-spend")).to_have_text("£450.00")
    expect(page.locator("#client-orders")).to_have_text("1")
    assert fits(page)

    page.get_by_label("Note", exact=True).fill("Wants the coat in green when it comes in.")
    page.get_by_role("button", name="Add the note").click()
    expect(page.get_by_role("status")).to_contain_text("Note added.")
    first = page.locator("#timeline > li").first
    expect(first).to_contain_text("Note")
    expect(first).to_contain_text("Wants the coat in green when it comes in.")
    expect(first).to_contain_text("alice")
    assert fits(page)
    page.locator("#edit-title").click()  # open the profile form for the screenshot
    expect(page.get_by_label("Sizes")).to_be_visible()
    assert fits(page)
    screenshot(page, "clients-profile-390")
    context.close()
    assert TimelineEvent.objects.filter(kind="note", client_id=order.client_id).count() == 1
