"""The storefront in Debian's chromium against the live ASGI app (see omnipresence.testing.browser)."""

import re

import pytest
from playwright.sync_api import expect

from omnipresence.catalog import services as catalog
from omnipresence.conftest import make_boutique, make_staff
from omnipresence.inventory import services as inventory
from omnipresence.testing.browser import DESKTOP, PHONE, login_context, screenshot

pytestmark = pytest.mark.browser


def add_products(world):
    actor, shop = world["actor"], world["shop"]
    for title, colour, price in (
        ("Black Silk Dress", "Black", 28000),
        ("Black Wool Trousers", "Black", 16500),
    ):
        product = catalog.product_create(
            actor=actor, title=title, brand="Atelier Nord", category_path="Women > Dresses"
        )
        for size in ("S", "M"):
            variant = catalog.variant_create(actor=actor, product=product, sku=f"{product.handle}-{size}",
                                             price=price, colour=colour, size=size)  # fmt: skip
            inventory.stock_receive(actor=actor, location=shop, variant=variant, quantity=3)


@pytest.fixture
def shop_world(transactional_db):
    world = make_boutique("atelier-a")
    add_products(world)
    return world


def test_colour_facet_narrows_the_results(asgi_live_server, browser, shop_world):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{asgi_live_server}/atelier-a/")
    cards = page.locator("#product-grid .product-card")
    expect(cards).to_have_count(3)
    expect(page.locator("#results-count")).to_contain_text("3 pieces")

    page.locator("#facet-colour").get_by_label("Blue").check()

    expect(cards).to_have_count(1)
    expect(page.locator("#results-count")).to_contain_text("1 piece")
    expect(cards.first).to_contain_text("Blue Statement Coat")
    expect(page).to_have_url(
        re.compile(r"/atelier-a/\?colour=blue$", re.IGNORECASE)
    )  # htmx pushed the URL: shareable, back works
    expect(page.locator("#catalog-status")).to_contain_text("1 piece")  # announced to screen readers
    context.close()


def test_a_hold_in_the_console_updates_an_open_product_page_live(asgi_live_server, browser, shop_world):
    world = shop_world
    associate = make_staff(world, "alice")
    variant = world["variants"][1]  # Blue / M: 2 at Soho, 5 in the warehouse
    storefront = browser.new_context(viewport=PHONE)
    shopper = storefront.new_page()
    shopper.goto(f"{asgi_live_server}/atelier-a/p/{world['product'].handle}/?sku={variant.sku}")
    availability = shopper.locator("#availability-body")
    expect(availability).to_contain_text("2 left at Soho")
    expect(shopper.locator("#live-status")).to_have_class(re.compile(r"\bon\b"))  # websocket connected
    requests_after_load = []
    shopper.on("request", lambda request: requests_after_load.append(request.url))

    console = login_context(browser, asgi_live_server, associate, viewport=PHONE)
    clerk = console.new_page()
    clerk.goto(f"{asgi_live_server}/console/atelier-a/?q={variant.sku}")
    expect(clerk).to_have_url(re.compile(rf"/console/atelier-a/variants/{variant.pk}/"))
    clerk.get_by_label("Shop or location").select_option("soho")
    clerk.get_by_label("Quantity").fill("2")
    clerk.get_by_label("Client name").fill("Jane Doe")
    clerk.get_by_label("Phone or email").fill("+44 20 7946 0000")
    clerk.get_by_role("button", name="Place hold").click()
    expect(clerk.get_by_role("status")).to_contain_text("held for Jane Doe")

    # No reload and no polling (30 s, and off while the socket is up): the socket told the page.
    expect(availability).to_contain_text("Out of stock at Soho", timeout=10_000)
    refreshes = [url for url in requests_after_load if "/availability/" in url]
    assert len(refreshes) == 1, refreshes  # one fetch of the block, triggered by the socket message
    assert shopper.evaluate("performance.getEntriesByType('navigation').length") == 1
    storefront.close()
    console.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_storefront_pages_fit_the_screen(asgi_live_server, browser, shop_world, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    for name, path in (("hub", "/?q=coat"), ("boutique", "/atelier-a/?colour=Blue&size=M"),
                       ("product", f"/atelier-a/p/{shop_world['product'].handle}/")):  # fmt: skip
        page.goto(f"{asgi_live_server}{path}")
        expect(page.locator("main h1")).to_be_visible()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= viewport["width"], name
        screenshot(page, f"{name}-{viewport['width']}")
    context.close()


def test_keyboard_reaches_the_skip_link_first(asgi_live_server, browser, shop_world):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{asgi_live_server}/atelier-a/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    context.close()


def test_an_unknown_boutique_is_a_friendly_404(asgi_live_server, browser, transactional_db):
    make_boutique("elsewhere")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    response = page.goto(f"{asgi_live_server}/no-such-boutique/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_contain_text("could not find")
    context.close()
