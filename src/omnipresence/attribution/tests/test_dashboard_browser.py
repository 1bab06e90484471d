"""The manager's attribution page on a 390 px phone: figures, the associates side by side, and the
windows form used from the keyboard; nothing scrolls sideways."""

import pytest
from playwright.sync_api import expect

from omnipresence.attribution.services import windows_of
from omnipresence.conftest import make_boutique, make_staff
from omnipresence.orders import services as orders
from omnipresence.orders.tests.conftest import cart_with
from omnipresence.stores.access import actor_for_user
from omnipresence.testing.browser import PHONE, login_context, screenshot

pytestmark = pytest.mark.browser


def test_manager_reads_and_edits_attribution_on_a_phone(
    asgi_live_server, browser, transactional_db, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = make_boutique("atelier-a")
    alice = make_staff(world, "alice")
    maria = make_staff(world, "maria", "manager")
    seller = actor_for_user(alice, world["boutique"])
    orders.cart_checkout(actor=seller, cart=cart_with(
        seller, world, (0, 1, "pickup", "soho"), channel="shop", associate=alice, source_kind="associate",
        client_email="sibyl@example.com",
    ))  # fmt: skip
    orders.cart_checkout(actor=world["actor"], cart=cart_with(
        world["actor"], world, (1, 1, "pickup", "soho"), client_email="dorian@example.com",
    ))  # fmt: skip

    context = login_context(browser, asgi_live_server, maria, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{asgi_live_server}/console/atelier-a/attribution/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Credited sales by associate")
    expect(page.locator("#attr-orders")).to_have_text("2")
    expect(page.locator("#attr-associates tbody tr")).to_have_count(2)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "attribution-390")

    page.get_by_role("link", name="7 days").click()
    expect(page.get_by_role("link", name="7 days")).to_have_attribute("aria-current", "page")
    field = page.get_by_label("Share link (days)")
    field.fill("21")
    field.press("Enter")  # submits the form from the keyboard
    expect(page.get_by_role("status")).to_contain_text("Attribution windows saved.")
    assert windows_of(world["boutique"])["share_link"] == 21
    screenshot(page, "attribution-390-saved")
