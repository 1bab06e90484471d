"""On a 390 px phone: an associate has her console open; the client checks in with the shop's QR on
her own phone; the walk-in toast with her context appears on the associate's page without a
reload, and "I'm on it" takes her."""

import pytest
from playwright.sync_api import expect

from omnipresence.accounts.models import WishlistItem
from omnipresence.conftest import make_boutique, make_staff
from omnipresence.testing.browser import PHONE, login_context, screenshot
from omnipresence.visits.models import Visit
from omnipresence.visits.tests.helpers import make_client, portal_session

pytestmark = pytest.mark.browser


def test_walk_in_alert_appears_live_on_the_associates_console(asgi_live_server, browser, transactional_db):
    world = make_boutique("atelier-a")
    alice = make_staff(world, "alice")
    her = make_client(world, associate=alice, walk_in=False)
    her.sizes = {"coats": "M"}
    her.save(update_fields=["sizes"])
    WishlistItem.objects.create(boutique=world["boutique"], client=her, product=world["product"])

    console = login_context(browser, asgi_live_server, alice, viewport=PHONE).new_page()
    console.goto(f"{asgi_live_server}/console/atelier-a/")
    region = console.locator("#walk-in-alerts")
    expect(region).to_have_attribute("aria-live", "polite")
    expect(region).to_have_attribute("data-connected", "1")

    phone_session = portal_session("ada@example.com").cookies["sessionid"].value
    phone_context = browser.new_context(viewport=PHONE)
    phone_context.add_cookies([{"name": "sessionid", "value": phone_session, "url": asgi_live_server.url}])
    phone = phone_context.new_page()
    phone.goto(f"{asgi_live_server}/atelier-a/visit/soho/")
    phone.get_by_label("let my associate know").check()
    phone.get_by_role("button", name="Let Atelier A know you're here").click()
    expect(phone.locator("#checked-in")).to_contain_text("knows you're here")
    screenshot(phone, "visits-client-checked-in-390")

    toast = region.locator("section.walk-in-toast")
    expect(toast).to_have_count(1)
    expect(toast.get_by_role("heading")).to_have_text("Ada Lovelace is here — Soho")
    expect(toast).to_contain_text("Wishlist: Blue Statement Coat")
    expect(toast).to_contain_text("Sizes: coats M")
    expect(toast.get_by_role("link", name="Open her profile")).to_have_attribute(
        "href", f"/console/atelier-a/clients/{her.pk}/"
    )
    assert console.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    screenshot(console, "visits-walk-in-toast-390")

    toast.get_by_role("button", name="I'm on it").click()
    expect(toast).to_contain_text("You're on it.")
    assert Visit.objects.get().acknowledged_by_id == alice.pk
