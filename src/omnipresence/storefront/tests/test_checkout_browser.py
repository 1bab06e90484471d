"""A client's whole purchase in Debian's chromium on a 390 px phone, against the live ASGI app:
one piece to collect at Soho, one delivered, checkout, the sandbox test card, the confirmation.
Set OMNIPRESENCE_SCREENSHOTS=/tmp/shots to keep the screenshots of each step."""

import re

import pytest
from playwright.sync_api import expect

from omnipresence.conftest import make_boutique
from omnipresence.orders import services as orders
from omnipresence.orders.models import Order
from omnipresence.testing.browser import PHONE, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def boutique_world(transactional_db):
    world = make_boutique("atelier-a")
    orders.shipping_rule_create(
        actor=world["actor"], name="UK", countries=["GB"], price=495, free_above=20000
    )
    return world


def fits_the_screen(page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"], page.url


def test_a_mixed_pickup_and_delivery_order_on_a_phone(asgi_live_server, browser, boutique_world):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    coat = f"{asgi_live_server}/atelier-a/p/blue-statement-coat/"

    page.goto(f"{coat}?sku=atelier-a-COAT-BLU-M")
    expect(page.locator("#availability-body")).to_contain_text("2 left at Soho")
    soho = page.get_by_role("radio", name=re.compile("Collect at Soho"))
    expect(soho).to_be_checked()
    expect(page.locator("#add-to-bag")).to_contain_text(re.compile(r"Ready (today|tomorrow) from"))
    page.get_by_role("button", name="Add to bag").click()
    expect(page).to_have_url(re.compile(r"/atelier-a/cart/$"))
    expect(page.get_by_role("status")).to_contain_text("to collect at Soho")
    expect(page.locator("#bag-link")).to_contain_text("1")

    page.goto(f"{coat}?sku=atelier-a-COAT-BLU-L")
    page.get_by_role("radio", name=re.compile("Deliver to me")).check()
    page.get_by_role("button", name="Add to bag").click()
    expect(page.locator("li.bag-line")).to_have_count(2)
    expect(page.locator("#bag-link")).to_contain_text("2")
    expect(page.locator("#total-total")).to_have_text("£900.00")
    fits_the_screen(page)
    screenshot(page, "bag-390")

    # The keyboard reaches the first line's way, and focus is visible there.
    first_way = page.locator("li.bag-line select[name=way]").first
    first_way.focus()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"

    page.get_by_role("link", name="Checkout").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
    page.get_by_label("Full name").fill("Jane Doe")
    page.get_by_label("Email").fill("jane@example.com")
    page.get_by_label("Phone (optional)").fill("+44 20 7946 0000")
    expect(page.get_by_label("Country")).to_have_value("GB")
    page.get_by_label("Address").fill("1 Frith Street")
    page.get_by_label("Town or city").fill("London")
    page.get_by_label("Postcode").fill("W1D 3JA")
    fits_the_screen(page)
    screenshot(page, "checkout-390")
    page.get_by_role("button", name=re.compile(r"^Pay £900\.00")).click()

    expect(page).to_have_url(re.compile(r"/pay/sandbox/"))
    expect(page.locator("#sandbox-amount")).to_have_text("£900.00")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.locator("#sandbox-pay").click()

    expect(page).to_have_url(re.compile(r"/atelier-a/orders/[^/]+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, Jane Doe")
    order = Order.objects.get()
    expect(page.locator("#order-status")).to_contain_text(f"Your order {order.pk} is confirmed and paid")
    lines = page.locator("li.order-line")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("Blue / M")
    expect(lines.nth(0)).to_contain_text("Collect at Soho")
    expect(lines.nth(0)).to_contain_text("We will email you when it is ready to collect.")
    expect(lines.nth(1)).to_contain_text("Blue / L")
    expect(lines.nth(1)).to_contain_text("Delivery")
    expect(page.locator(".address")).to_contain_text("1 Frith Street")
    expect(page.locator("#bag-link")).to_contain_text("0")
    fits_the_screen(page)
    screenshot(page, "confirmation-390")
    order.refresh_from_db()
    assert (order.channel, order.payment_status, order.total) == ("web", "paid", 90000)

    # The piece to collect is held at Soho: the product page shows one fewer there.
    page.goto(f"{coat}?sku=atelier-a-COAT-BLU-M")
    expect(page.locator("#availability-body")).to_contain_text("1 left at Soho")
    context.close()


def test_the_bag_warns_and_blocks_checkout_on_a_phone(asgi_live_server, browser, boutique_world):
    from omnipresence.inventory import services as inventory

    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{asgi_live_server}/atelier-a/p/blue-statement-coat/?sku=atelier-a-COAT-BLU-M")
    page.get_by_role("button", name="Add to bag").click()
    expect(page).to_have_url(re.compile(r"/atelier-a/cart/$"))  # the bag page has loaded before we reload it
    expect(page.locator("li.bag-line")).to_have_count(1)
    world = boutique_world
    inventory.hold_place(actor=world["actor"], location=world["shop"], variant=world["variants"][1], quantity=2,
                         client_name="Walk-in")  # fmt: skip
    page.reload()
    expect(page.locator("#bag-warning")).to_be_visible()
    expect(page.get_by_role("button", name="Checkout")).to_be_disabled()
    fits_the_screen(page)
    screenshot(page, "bag-warning-390")
    # Switching the line to delivery clears the warning.
    page.get_by_label("How to get it").select_option("ship")
    page.get_by_role("button", name=re.compile("^Update")).click()
    expect(page.locator("#bag-warning")).to_have_count(0)
    expect(page.get_by_role("link", name="Checkout")).to_be_visible()
    fits_the_screen(page)
    screenshot(page, "bag-changed-390")
    context.close()
