"""Selling on a 390 px phone in Debian's chromium: the associate builds a cart and sends a pay link,
the client (another browser, not logged in) pays it on the sandbox page, the associate sees it paid."""

import re

import pytest
from playwright.sync_api import expect

from omnipresence.conftest import make_boutique, make_staff
from omnipresence.orders import services as orders
from omnipresence.orders.models import Order
from omnipresence.payments.models import PayLink
from omnipresence.search.services import search_index_rebuild
from omnipresence.testing.browser import PHONE, login_context, screenshot

pytestmark = pytest.mark.browser


def fits(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]




def build_and_send(page, base: str, variant) -> str:
    """On the associate's phone: a chat sale, WELCOME10 at the till, a pay link; returns its URL."""
    page.goto(f"{base}/")
    page.get_by_role("link", name="Sell", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New sale")
    page.get_by_label("Channel").select_option("chat")
    page.get_by_label("Client name").fill("Jane Doe")
    page.get_by_label("Client email").fill("jane@example.com")
    page.get_by_role("button", name="Start the sale").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Sale \d+"))

    scan = page.get_by_label("Scan or type a SKU, barcode or name")
    expect(scan).to_be_focused()
    scan.fill(variant.sku)
    scan.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text(f"Added {variant.sku}")
    expect(page.locator(".cart-line")).to_have_count(1)
    expect(page.get_by_label("How the client gets it")).to_have_value("ship")
    expect(page.locator("#price-total")).to_have_text("£450.00")

    # A code made for the web is good at the till too.
    page.get_by_label("Code", exact=True).fill("welcome10")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#price-discount")).to_contain_text("−£45.00")
    expect(page.locator("#price-total")).to_have_text("£405.00")
    assert fits(page)
    screenshot(page, "sell-cart-390")

    expect(page.get_by_label("Link lasts (hours)")).to_have_value("48")
    page.get_by_label("Message to the client").fill("The blue coat, in your size.")
    page.get_by_role("button", name="Send a pay link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pay link for order")
    url = page.get_by_label("Link", exact=True).input_value()
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    expect(page.get_by_role("link", name="Share on WhatsApp")).to_have_attribute(
        "href", re.compile(r"^https://wa\.me/\?text=The%20blue%20coat")
    )
    assert fits(page)
    screenshot(page, "sell-pay-link-390")
    return url


def check_paid(page, base: str, order) -> None:
    """Back on the associate's phone: the pay-links page and the order say paid."""
    page.goto(f"{base}/pay-links/")
    card = page.locator(".link-card")
    expect(card).to_have_count(1)
    expect(card.locator(".badge")).to_have_text("Paid")
    assert fits(page)
    screenshot(page, "sell-pay-links-390")
    page.goto(f"{base}/orders/{order.pk}/")
    expect(page.locator("#paid-banner")).to_contain_text("Paid")
    expect(page.locator("#payment-status")).to_have_text("Paid")
    screenshot(page, "sell-order-paid-390")
    order.refresh_from_db()
    assert (order.total, order.amount_paid, order.payment_status, order.code) == (
        40500,
        40500,
        "paid",
        "WELCOME10",
    )
    assert PayLink.objects.get().status == "paid"


@pytest.fixture
def shop(transactional_db, settings, asgi_live_server):
    world = make_boutique("atelier-a")
    alice = make_staff(world, "alice")
    orders.shipping_rule_create(
        actor=world["actor"], name="UK", countries=["GB"], price=495, free_above=20000
    )
    orders.campaign_create(
        actor=world["actor"], name="Welcome", kind="percentage", value=1000, code="WELCOME10"
    )
    settings.SITE_URL = asgi_live_server.url  # the link the associate copies opens this server
    return world, alice


def test_a_pay_link_built_on_a_phone_is_opened_and_paid_by_the_client(asgi_live_server, browser, shop):
    world, alice = shop
    base = f"{asgi_live_server}/console/atelier-a"
    associate = login_context(browser, asgi_live_server, alice, viewport=PHONE)
    page = associate.new_page()
    url = build_and_send(page, base, world["variants"][1])
    assert url.startswith(f"{asgi_live_server}/pay/")
    order = Order.objects.get()
    page.get_by_role("link", name="Open the order").click()
    expect(page.locator("#balance")).to_have_text("£405.00")
    assert fits(page)
    screenshot(page, "sell-order-390")

    client = browser.new_context(viewport=PHONE)
    shopper = client.new_page()
    shopper.goto(url)
    expect(shopper.get_by_text("Blue Statement Coat")).to_be_visible()
    expect(shopper.locator("#pay-amount")).to_have_text("£405.00")
    expect(shopper.get_by_role("button", name=re.compile("Pay .*405.00 securely"))).to_be_visible()
    with shopper.expect_response(lambda r: r.request.method == "POST") as pressed:
        shopper.get_by_role("button", name=re.compile("Pay .*405.00 securely")).click()
    assert pressed.value.status < 400, f"the Pay button answered {pressed.value.status}"
    shopper.get_by_label("Card number").fill("4242 4242 4242 4242")
    shopper.get_by_role("button", name="Pay", exact=True).click()
    expect(shopper.get_by_text("Paid — thank you!")).to_be_visible()
    client.close()

    check_paid(page, base, order)
    associate.close()


def test_take_payment_at_the_till_in_cash_on_a_phone(asgi_live_server, browser, transactional_db):
    world = make_boutique("atelier-a")
    alice = make_staff(world, "alice")
    variant = world["variants"][0]
    search_index_rebuild()
    context = login_context(browser, asgi_live_server, alice, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{asgi_live_server}/console/atelier-a/sell/")
    page.get_by_role("button", name="Start the sale").click()
    # Typing a name lists the matches as you type (htmx); pick one of them.
    page.get_by_label("Scan or type a SKU, barcode or name").press_sequentially("statement", delay=20)
    matches = page.get_by_role("list", name="Matching pieces")
    expect(matches).to_contain_text(variant.sku)
    expect(matches).to_contain_text("7 available")
    matches.get_by_role("button", name=f"Add Blue Statement Coat {variant.label}").click()
    expect(page.get_by_label("How the client gets it")).to_have_value("now")
    # A scanned SKU adds one more of the same line.
    page.get_by_label("Scan or type a SKU, barcode or name").fill(variant.sku)
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".qty-n")).to_have_text("2")
    page.get_by_role("button", name=f"One fewer {variant.sku}").click()
    expect(page.locator(".qty-n")).to_have_text("1")
    page.get_by_role("button", name=re.compile("Take payment")).click()
    expect(page.get_by_label("Amount")).to_have_value("450.00")
    page.get_by_label("Amount").fill("100")
    page.get_by_role("button", name="Record cash").click()
    expect(page.locator("#payment-status")).to_have_text("Partially paid")
    expect(page.get_by_label("Amount")).to_have_value("350.00")
    assert fits(page)
    screenshot(page, "sell-order-partly-paid-390")
    page.get_by_role("button", name="Record card terminal").click()
    expect(page.locator("#paid-banner")).to_be_visible()
    context.close()
    assert Order.objects.get().payment_status == "paid"
