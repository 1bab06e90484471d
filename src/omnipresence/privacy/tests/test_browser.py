"""In chromium against the live ASGI app, two people: she withdraws marketing consent in her
privacy portal on her phone, and her associate's marketing email is then refused in the console;
then she asks for erasure in the portal, and a scan of every table finds nothing of her.
Set OMNIPRESENCE_SCREENSHOTS=/tmp/shots to keep the screenshots."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from omnipresence.accounts.tests.conftest import LINK_RE
from omnipresence.clients import services as clients
from omnipresence.clients.models import AccessAttempt
from omnipresence.conftest import make_boutique, make_staff
from omnipresence.orders import services as orders
from omnipresence.privacy.tests.scan import personal_data_hits
from omnipresence.stores.access import actor_for_user
from omnipresence.testing.browser import PHONE, login_context, screenshot

pytestmark = pytest.mark.browser
EMAIL, NAME, NOTE = "sibyl.vane@example.com", "Sibyl Vane", "Rehearses every Thursday"


def _log_in(page, server, email: str) -> None:
    page.goto(f"{server}/atelier-a/account/")
    page.get_by_label("Your email").fill(email)
    page.get_by_role("button", name="Email me a login link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(f"{server}{LINK_RE.search(mail.outbox[-1].body).group(0)}")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#account-link")).to_have_text("Account")


def test_withdrawn_consent_refuses_the_associates_marketing_and_erasure_leaves_nothing(
    asgi_live_server, browser, transactional_db, mailoutbox
):
    world = make_boutique("atelier-a")
    alice = make_staff(world, "alice")
    seller = actor_for_user(alice, world["boutique"])
    her = clients.client_resolve(boutique=world["boutique"], email=EMAIL, phone="07911 123456", name=NAME,
                                 channel="shop")  # fmt: skip
    clients.consent_record(actor_label="alice", client=her, purpose="marketing_email", granted=True, channel="shop",
                           wording="Yes to news by email")  # fmt: skip
    clients.client_note_add(actor=seller, client=her, text=NOTE)
    cart = orders.cart_create(actor=seller, channel="shop", client_name=NAME, client_email=EMAIL)
    orders.cart_line_set(actor=seller, cart=cart, variant=world["variants"][0], quantity=1, fulfilment="pickup",
                         location=world["shop"])  # fmt: skip
    orders.cart_checkout(actor=seller, cart=cart)

    phone = browser.new_context(viewport=PHONE).new_page()
    _log_in(phone, asgi_live_server, EMAIL)
    phone.goto(f"{asgi_live_server}/atelier-a/account/privacy/")
    phone.get_by_role("checkbox", name=re.compile("Marketing by email")).uncheck()
    phone.get_by_role("button", name="Save my choices").click()
    expect(phone.get_by_role("status")).to_contain_text("Your choices are saved")

    console = login_context(browser, asgi_live_server, alice, viewport=PHONE).new_page()
    console.goto(f"{asgi_live_server}/console/atelier-a/clients/{her.pk}/")
    console.get_by_text("Email her").click()
    console.get_by_label("Kind of message").select_option("marketing")
    console.get_by_label("Subject").fill("New spring coats")
    console.get_by_role("textbox", name="Message").fill("The spring coats are in!")
    sent_before = len(mail.outbox)
    console.get_by_role("button", name="Send the email").click()
    expect(console.locator("#message-error")).to_contain_text("Nothing was sent")
    screenshot(console, "consent-refused-marketing-390")
    assert len(mail.outbox) == sent_before  # nothing went to her
    assert AccessAttempt.objects.filter(target=f"client:{her.pk}", code="consent_required").exists()

    # The erasure, from her phone.
    assert personal_data_hits([EMAIL, NAME, NOTE, "+447911123456"])
    phone.goto(f"{asgi_live_server}/atelier-a/account/privacy/erase/")
    word = re.search(r"Type (\S+) to confirm", phone.locator("label[for=erase-word]").inner_text()).group(1)
    phone.get_by_label(re.compile("to confirm")).fill(word)
    phone.get_by_label("I understand that this cannot be undone.").check()
    phone.get_by_role("button", name="Erase my data").click()
    expect(phone.get_by_role("heading", name="Your data is erased")).to_be_visible()
    screenshot(phone, "privacy-erased-390")

    assert personal_data_hits([EMAIL, NAME, NOTE, "+447911123456", "07911 123456", "Sibyl"]) == []
