"""Click & collect end to end in Debian's chromium on a phone (see omnipresence.testing.browser): a
paid pickup order is in the associate's queue, she marks it ready, the client's code from the
email is typed in and the piece leaves the stock."""

import re

import pytest
from playwright.sync_api import expect

from omnipresence.conftest import make_boutique, make_staff
from omnipresence.fulfilment.models import Fulfilment
from omnipresence.inventory.models import Stock
from omnipresence.inventory.selectors import ledger_check
from omnipresence.orders import services as orders
from omnipresence.testing.browser import PHONE, login_context, screenshot

pytestmark = pytest.mark.browser


def test_click_and_collect_end_to_end(asgi_live_server, browser, transactional_db, mailoutbox):
    world = make_boutique("atelier-a")
    alice = make_staff(world, "alice")  # her home shop is Soho
    actor = world["actor"]
    variant = world["variants"][0]
    cart = orders.cart_create(actor=actor, channel="web", client_name="Clarissa Dalloway",
                              client_email="clarissa@example.com")  # fmt: skip
    orders.cart_line_set(actor=actor, cart=cart, variant=variant, quantity=1, fulfilment="pickup",
                         location=world["shop"])  # fmt: skip
    order = orders.cart_checkout(actor=actor, cart=cart)
    orders.order_payments_set(order_id=order.pk, paid=order.total, refunded=0)
    shelf = Stock.objects.get(location=world["shop"], variant=variant)
    assert (shelf.on_hand, shelf.held) == (2, 1)

    context = login_context(browser, asgi_live_server, alice, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{asgi_live_server}/console/atelier-a/")
    page.get_by_role("link", name="Fulfilment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fulfilment")
    expect(page.get_by_label("Location")).to_have_value("soho")
    card = page.locator(f"#fulfilment-{Fulfilment.objects.get(order=order).pk}")
    expect(card.get_by_role("heading", name=f"Order #{order.pk}")).to_be_visible()
    expect(card).to_contain_text("Clarissa Dalloway")
    expect(card).to_contain_text("Blue Statement Coat")
    expect(card).to_contain_text("Paid")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "fulfilment-queue-390")

    # She marks it ready: the client is emailed her code (htmx swaps the card, focus on its message)
    card.get_by_role("button", name=f"Ready for collection order #{order.pk}").click()
    expect(card.get_by_role("status")).to_contain_text("emailed her pickup code")
    expect(card.get_by_role("status")).to_be_focused()
    expect(page.get_by_role("link", name=re.compile(r"^Ready 1$"))).to_be_visible()  # the tab counts follow
    screenshot(page, "fulfilment-ready-390")
    (mail,) = mailoutbox
    assert mail.to == ["clarissa@example.com"]
    code = re.search(r"Your pickup code: ([A-Z2-9]{4}-[A-Z2-9]{4})", mail.body).group(1)

    # The client shows the code; a typo first, then the right one
    card.get_by_label("Client's pickup code").fill("2222-2222" if code != "2222-2222" else "3333-3333")
    card.get_by_role("button", name=f"Mark collected order #{order.pk}").click()
    expect(card.get_by_role("alert")).to_contain_text("not the pickup code")
    card.get_by_label("Client's pickup code").fill(code.lower().replace("-", ""))
    card.get_by_role("button", name=f"Mark collected order #{order.pk}").click()
    expect(card.get_by_role("status")).to_contain_text("collected")
    expect(card).to_contain_text("Collected")
    screenshot(page, "fulfilment-collected-390")

    shelf.refresh_from_db()
    assert (shelf.on_hand, shelf.held) == (1, 0)
    assert Fulfilment.objects.get(order=order).collected_by == alice
    assert ledger_check(boutique=world["boutique"]) == []
    context.close()
