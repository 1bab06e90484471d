"""The web chat in Debian's chromium on a 390 px phone, against the live ASGI app: the storefront
page carries the one-tag embed; the visitor opens the chat with the keyboard, writes HTML that
shows as text, the associate answers through the API and the answer appears without a reload;
Escape closes the chat and focus is back on the launcher."""

import json
import re
import urllib.request

import pytest
from django.test import Client as HttpClient
from django.utils.crypto import get_random_string
from playwright.sync_api import expect

from omnipresence.clients.models import Identity
from omnipresence.conftest import make_boutique, make_staff
from omnipresence.inbox import services
from omnipresence.inbox.models import Conversation, Message
from omnipresence.testing.browser import DESKTOP, PHONE, login_context, screenshot

pytestmark = pytest.mark.browser

HOSTILE = "<b>hi</b><script>window.pwned = 1</script> is the coat in an M?"


def api_post(server, user, path: str, body: dict) -> int:
    """POST to the API as a logged-in associate (the console's session, CSRF-checked)."""
    http = HttpClient()
    http.force_login(user)
    csrf = get_random_string(32)
    request = urllib.request.Request(
        f"{server}{path}", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "X-CSRFToken": csrf,
                 "Cookie": f"sessionid={http.cookies['sessionid'].value}; csrftoken={csrf}"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def tab_to(page, locator, limit: int = 120) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("node => node.getRootNode().activeElement === node"):
            return
    raise AssertionError("Tab never reached the chat button")


def test_a_visitor_chats_from_the_storefront_on_a_phone(asgi_live_server, browser, transactional_db):
    world = make_boutique("atelier-a")
    alice = make_staff(world, "alice")
    alice.first_name = "Alice"
    alice.save(update_fields=["first_name"])
    services.inbox_create(actor=world["actor"], kind="webchat", name="Web chat")
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{asgi_live_server}/atelier-a/")

    launcher = page.get_by_role("button", name="Chat with Atelier A")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    screenshot(page, "webchat-launcher-390")
    tab_to(page, launcher)
    page.keyboard.press("Enter")
    expect(launcher).to_have_attribute("aria-expanded", "true")
    panel = page.locator("iframe[title='Chat with Atelier A']")
    expect(panel).to_be_visible()
    box = panel.bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, PHONE["width"], PHONE["height"])  # full screen

    widget = page.frame_locator("iframe[title='Chat with Atelier A']")
    expect(widget.locator("body")).to_have_attribute("data-connected", "1")
    expect(widget.get_by_role("heading", level=1)).to_have_text("Chat with Atelier A")
    expect(widget.get_by_role("log")).to_have_attribute("aria-live", "polite")
    text = widget.get_by_label("Your message")
    expect(text).to_be_focused()

    text.fill(HOSTILE)
    page.keyboard.press("Enter")
    mine = widget.locator(".msg.mine")
    expect(mine.locator(".bubble")).to_have_text(HOSTILE)
    expect(mine.locator(".state")).to_have_text("Sent")
    assert widget.locator("#chat-log b, #chat-log script").count() == 0
    frame = page.frame(url=re.compile(r"/chat/[^/]+/$"))
    assert frame.evaluate("typeof window.pwned") == "undefined" and page.evaluate("typeof window.pwned") == "undefined"
    message = Message.objects.get()
    assert message.body == HOSTILE and message.conversation.inbox.kind == "webchat"
    conversation = Conversation.objects.get()

    # The associate types (her staff socket, ws/console/<slug>/inbox/): the visitor sees it.
    console = login_context(browser, asgi_live_server, alice, viewport=PHONE).new_page()
    console.goto(f"{asgi_live_server}/console/atelier-a/")
    console.evaluate(
        """id => new Promise(done => {
            const socket = new WebSocket(`ws://${location.host}/ws/console/atelier-a/inbox/`);
            socket.onopen = () => { socket.send(JSON.stringify({type: "typing", conversation_id: id})); done(); };
        })""",
        conversation.pk,
    )
    expect(widget.locator("#chat-typing")).to_have_text("Atelier A is typing…")

    # The associate answers; the visitor sees it live, and her message is marked read.
    assert api_post(asgi_live_server, alice, f"/api/v1/boutiques/atelier-a/conversations/{conversation.pk}/messages",
                    {"body": "Yes, one M left. Shall I put it aside for you?"}) == 201  # fmt: skip
    theirs = widget.locator(".msg.theirs")
    expect(theirs.locator(".bubble")).to_have_text("Yes, one M left. Shall I put it aside for you?")
    expect(theirs.locator(".who")).to_have_text("Alice")  # her first name, never her login
    expect(mine.locator(".state")).to_have_text("Read")
    assert frame.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "webchat-widget-answered-390")

    # She leaves her email: a malformed one is refused with a message tied to the field.
    widget.get_by_text("Leave your email or phone").click()
    contact = widget.get_by_label("Email or mobile number")
    contact.fill("ada@")
    widget.get_by_role("button", name="Save").click()
    expect(widget.locator("#identify-error")).to_have_text("Enter an email address or a phone number.")
    expect(contact).to_have_attribute("aria-invalid", "true")
    screenshot(page, "webchat-widget-identify-error-390")
    contact.fill("ada@example.com")
    widget.get_by_role("button", name="Save").click()
    expect(widget.locator("#identify-done")).to_contain_text("Thank you")
    assert Identity.objects.filter(kind="email", value="ada@example.com", client=conversation.client).exists()

    # Escape closes the chat and gives focus back to the launcher.
    text.focus()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")

    # A reload keeps her conversation (the visitor id stays in the browser).
    page.reload()
    page.get_by_role("button", name="Chat with Atelier A").click()
    widget = page.frame_locator("iframe[title='Chat with Atelier A']")
    expect(widget.locator(".msg")).to_have_count(2)
    expect(widget.locator("#identify-done")).to_contain_text("Thank you")
    widget.get_by_role("button", name="Close the chat").click()
    expect(page.locator("iframe[title='Chat with Atelier A']")).to_be_hidden()
    expect(page.get_by_role("button", name="Chat with Atelier A")).to_be_focused()


def test_on_a_desktop_the_chat_is_a_panel_beside_the_page(asgi_live_server, browser, transactional_db):
    world = make_boutique("atelier-a")
    services.inbox_create(actor=world["actor"], kind="webchat", name="Web chat")
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(f"{asgi_live_server}/atelier-a/")
    page.get_by_role("button", name="Chat with Atelier A").click()
    panel = page.locator("iframe[title='Chat with Atelier A']")
    expect(page.frame_locator("iframe[title='Chat with Atelier A']").locator("body")).to_have_attribute(
        "data-connected", "1"
    )
    box = panel.bounding_box()
    assert box["width"] == 380 and box["x"] + box["width"] == DESKTOP["width"] - 16
    screenshot(page, "webchat-widget-desktop")


def test_the_associate_starts_a_video_call_and_the_visitor_gets_her_way_in(asgi_live_server, browser,
                                                                           transactional_db):  # fmt: skip
    from omnipresence.appointments import services as appointments

    world = make_boutique("atelier-a")
    alice = make_staff(world, "alice")
    appointments.type_create(actor=world["actor"], location=world["shop"], kind="video_consultation",
                             name="Video consultation", duration_minutes=30, cap_minutes=45)  # fmt: skip
    services.inbox_create(actor=world["actor"], kind="webchat", name="Web chat")
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{asgi_live_server}/atelier-a/")
    page.get_by_role("button", name="Chat with Atelier A").click()
    widget = page.frame_locator("iframe[title='Chat with Atelier A']")
    expect(widget.locator("body")).to_have_attribute("data-connected", "1")
    widget.get_by_label("Your message").fill("Could I see the coat on someone?")
    page.keyboard.press("Enter")
    expect(widget.locator(".msg.mine .state")).to_have_text("Sent")
    conversation = Conversation.objects.get()
    assert api_post(asgi_live_server, alice, f"/api/v1/boutiques/atelier-a/conversations/{conversation.pk}/cards",
                    {"kind": "video_call", "body": "I can show you now:"}) == 201  # fmt: skip
    join = widget.locator(".msg.theirs").get_by_role("link", name="Join the video call")
    expect(join).to_be_visible()
    assert "/atelier-a/appointments/room/" in join.get_attribute("href")
    expect(widget.locator(".msg.theirs .bubble")).to_have_text("I can show you now:")
