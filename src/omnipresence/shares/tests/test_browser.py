"""A lookbook end to end on a 390 px phone in Debian's chromium: the associate builds one in the
console for a client with two pieces and gets the link; the client, in another browser, opens it
and has a piece held at a shop; the associate sees the hold and the lookbook on her timeline."""

import pytest
from playwright.sync_api import expect

from omnipresence.conftest import make_boutique
from omnipresence.inventory.models import Hold
from omnipresence.search.services import search_index_rebuild
from omnipresence.shares.models import Share
from omnipresence.shares.tests.conftest import lookbook_world
from omnipresence.testing.browser import PHONE, login_context, screenshot

pytestmark = pytest.mark.browser


def fits(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


def test_an_associate_sends_a_lookbook_and_the_client_holds_a_piece(asgi_live_server, browser, transactional_db):
    world = lookbook_world(make_boutique("atelier-a"))
    search_index_rebuild()
    client = world["client"]

    console = login_context(browser, asgi_live_server, world["associate"], viewport=PHONE)
    page = console.new_page()
    page.goto(f"{asgi_live_server}/console/atelier-a/lookbooks/")
    page.get_by_role("link", name="New lookbook").click()
    page.get_by_label("Find the client").fill("Eleanor")
    page.get_by_label("Find the client").press("Enter")
    page.get_by_role("button", name="Choose Eleanor Vane").click()
    expect(page.locator("#chosen-client")).to_have_text("Eleanor Vane")
    page.get_by_label("Search the catalogue").fill("coat")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_label("Size of Blue Statement Coat").select_option(label="Blue / M (7)")
    page.get_by_role("button", name="Add Blue Statement Coat").click()
    page.get_by_label("Search the catalogue").fill("scarf")
    page.get_by_label("Search the catalogue").press("Enter")
    page.get_by_role("button", name="Add Silk Scarf").click()
    expect(page.locator("#builder-items > li")).to_have_count(2)
    page.get_by_label("Your note on Blue Statement Coat").fill("Your size, in the blue you liked")
    page.get_by_label("Title").fill("For the wedding")
    page.get_by_label("Note to the client").fill("Two ideas for June — tell me what you think.")
    assert fits(page)
    screenshot(page, "lookbook-builder-390")
    page.get_by_role("button", name="Create the lookbook").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("For the wedding")
    url = page.locator("#share-url").input_value()
    assert url.startswith("http") and "/atelier-a/s/" in url
    assert fits(page)
    screenshot(page, "lookbook-console-390")

    share = Share.objects.get()
    visitor = browser.new_context(viewport=PHONE)
    her = visitor.new_page()
    her.goto(asgi_live_server.url + url[url.index("/atelier-a/s/"):])
    expect(her.get_by_role("heading", level=1)).to_have_text("For the wedding")
    expect(her.locator("#share-from")).to_have_text("From Alice Martin")
    coat = her.locator(f"#item-{share.items.get(product=world['product']).pk}")
    expect(coat).to_contain_text("£450.00")
    expect(coat).to_contain_text("“Your size, in the blue you liked”")
    expect(coat.locator('[data-sku="atelier-a-COAT-BLU-M"]')).to_contain_text("in stock")
    assert fits(her)
    coat.get_by_label("Hold it for me to try at").select_option(label="Blue / M at Soho")
    coat.get_by_role("button", name="Hold it").click()
    expect(her.get_by_role("status").first).to_contain_text("Blue Statement Coat (Blue / M) is held for you at Soho.")
    assert fits(her)
    screenshot(her, "lookbook-client-390")
    visitor.close()

    hold = Hold.objects.get()
    assert (hold.created_by, hold.client_name, hold.location) == (world["associate"], "Eleanor Vane", world["shop"])
    page.goto(f"{asgi_live_server}/console/atelier-a/clients/{client.pk}/")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Hold placed")
    expect(timeline).to_contain_text("Held Blue Statement Coat (Blue / M) at Soho")
    expect(timeline).to_contain_text("Asked to hold Blue Statement Coat (Blue / M) at Soho")
    expect(timeline).to_contain_text("Lookbook sent")
    expect(timeline).to_contain_text("Lookbook viewed")
    expect(timeline.locator("li.event-hold_placed")).to_contain_text("Alice Martin")
    assert fits(page)
    screenshot(page, "lookbook-timeline-390")
    console.close()
