"""On a 390 px phone in chromium against the live ASGI app: she logs in with the link from her
email, saves the coat to her wishlist, opens her account and privacy page and withdraws marketing
by email. Set OMNIPRESENCE_SCREENSHOTS=/tmp/shots to keep the screenshots."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from omnipresence.accounts.tests.conftest import EMAIL, LINK_RE
from omnipresence.clients import services as clients
from omnipresence.clients.models import ConsentEvent
from omnipresence.clients.selectors import consent_allows
from omnipresence.conftest import make_boutique
from omnipresence.testing.browser import PHONE, screenshot

pytestmark = pytest.mark.browser


def fits_the_screen(page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"], page.url


def test_she_logs_in_saves_a_piece_and_withdraws_marketing(asgi_live_server, browser, transactional_db, mailoutbox):
    world = make_boutique("atelier-a")
    her = clients.client_resolve(boutique=world["boutique"], email=EMAIL, name="Sibyl Vane", channel="shop")
    clients.consent_record(actor_label="alice", client=her, purpose="marketing_email", granted=True,
                           channel="shop", wording="Yes to news by email")  # fmt: skip
    page = browser.new_context(viewport=PHONE).new_page()

    page.goto(f"{asgi_live_server}/atelier-a/p/blue-statement-coat/")
    save = page.get_by_role("button", name="Save to wishlist")
    expect(save).to_have_attribute("aria-pressed", "false")
    save.click()
    expect(page).to_have_url(re.compile(r"/atelier-a/account/\?next="))
    page.get_by_label("Your email").fill(EMAIL)
    page.get_by_role("button", name="Email me a login link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    fits_the_screen(page)

    (message,) = mail.outbox
    path = LINK_RE.search(message.body).group(0)
    page.goto(f"{asgi_live_server}{path}")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/atelier-a/p/blue-statement-coat/$"))
    page.get_by_role("button", name="Save to wishlist").click()
    expect(page.get_by_role("button", name="Save to wishlist")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#account-link")).to_have_text("Account")
    screenshot(page, "account-product-saved-390")

    page.locator("#account-link").click()
    expect(page.locator("#account-wishlist")).to_contain_text("Blue Statement Coat")
    fits_the_screen(page)
    screenshot(page, "account-390")

    page.get_by_role("link", name="Your data and choices").click()
    box = page.get_by_role("checkbox", name=re.compile("Marketing by email"))
    expect(box).to_be_checked()
    box.focus()
    assert page.evaluate("getComputedStyle(document.activeElement.closest('label')).outlineStyle") != "none"
    box.uncheck()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("status")).to_contain_text("Your choices are saved")
    expect(page.get_by_role("checkbox", name=re.compile("Marketing by email"))).not_to_be_checked()
    fits_the_screen(page)
    screenshot(page, "account-privacy-390")

    assert not consent_allows(client=her, purpose="marketing_email")
    latest = ConsentEvent.objects.filter(client=her, purpose="marketing_email").first()
    assert (latest.granted, latest.channel) == (False, "web")
    assert latest.wording == "Send me news of new arrivals and private sales by email."
