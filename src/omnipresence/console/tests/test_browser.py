"""The console in Debian's chromium against the live ASGI app (see omnipresence.testing.browser)."""

import pytest
from playwright.sync_api import expect

from omnipresence.conftest import make_boutique, make_staff
from omnipresence.inventory.models import Hold
from omnipresence.testing.browser import DESKTOP, PHONE, login_context, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def two_boutiques(transactional_db):
    a = make_boutique("atelier-a")
    b = make_boutique(
        "boutique-b", currency="EUR", country="FR", language="fr-FR", tz="Europe/Paris", city="Paris"
    )
    return a, b


def test_an_associate_of_a_cannot_open_the_console_of_b(asgi_live_server, browser, two_boutiques):
    a, b = two_boutiques
    alice = make_staff(a, "alice")
    context = login_context(browser, asgi_live_server, alice, viewport=PHONE)
    page = context.new_page()
    for path in ("/console/boutique-b/", f"/console/boutique-b/variants/{b['variants'][0].pk}/",
                 "/console/boutique-b/imports/"):  # fmt: skip
        response = page.goto(f"{asgi_live_server}{path}")
        assert response.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
        expect(page.locator("body")).not_to_contain_text(b["product"].title)
    # Her own boutique's variant ids do not open B's variants either.
    response = page.goto(f"{asgi_live_server}/console/atelier-a/variants/{b['variants'][0].pk}/")
    assert response.status == 404
    context.close()


def test_login_then_lookup_hold_extend_and_release_by_keyboard_and_clicks(
    asgi_live_server, browser, two_boutiques
):
    a, _ = two_boutiques
    make_staff(a, "alice")
    variant = a["variants"][0]
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{asgi_live_server}/console/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("pass-1234-word")
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Stock & holds"
    )  # the only boutique: straight in

    page.get_by_label("Name, SKU or barcode").fill("coat")
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_role("link", name=variant.label)).to_be_visible()
    page.get_by_role("link", name=variant.label).click()

    page.get_by_label("Quantity").fill("3")  # only 2 at Soho
    page.get_by_label("Client name").fill("Jane Doe")
    page.get_by_label("Phone or email").fill("jane@example.com")
    page.get_by_role("button", name="Place hold").click()
    expect(page.get_by_role("alert")).to_contain_text("Not enough stock")
    assert not Hold.objects.exists()

    page.get_by_label("Quantity").fill("1")
    page.get_by_role("button", name="Place hold").click()
    expect(page.get_by_role("status")).to_contain_text("held for Jane Doe")
    screenshot(page, "console-variant-390")

    page.get_by_role("link", name="Extend hold for Jane Doe").click()
    page.get_by_label("Keep for").fill("5")
    page.get_by_role("button", name="Extend hold").click()
    expect(page.get_by_role("status")).to_contain_text("now lasts until")

    page.get_by_role("link", name="Release hold for Jane Doe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Release this hold?")
    page.get_by_role("button", name="Release hold").click()
    expect(page.get_by_role("status")).to_contain_text("released")
    assert Hold.objects.get().status == Hold.Status.RELEASED
    context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_console_pages_fit_the_screen(asgi_live_server, browser, two_boutiques, viewport):
    a, _ = two_boutiques
    owner = make_staff(a, "olivia", "owner")
    context = login_context(browser, asgi_live_server, owner, viewport=viewport)
    page = context.new_page()
    for name, path in (("console-dashboard", "/console/atelier-a/?q=coat"),
                       ("console-variant", f"/console/atelier-a/variants/{a['variants'][0].pk}/")):  # fmt: skip
        page.goto(f"{asgi_live_server}{path}")
        expect(page.get_by_role("link", name="Import / export")).to_be_visible()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= viewport["width"], name
        screenshot(page, f"{name}-{viewport['width']}")
    context.close()
