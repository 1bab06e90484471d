"""Two browser contexts, both phones: a client in the web chat and the associate in her console.
They exchange words, a photo and a product card in real time, and routing respects the
associate's capacity (her second visitor waits, unassigned, in the list)."""

import pytest
from PIL import Image
from playwright.sync_api import expect

from omnipresence.conftest import make_boutique, make_staff
from omnipresence.inbox import services
from omnipresence.inbox.models import Conversation, Message
from omnipresence.inbox.routing import agent_status_set
from omnipresence.search.services import search_index_rebuild
from omnipresence.stores.access import actor_for_user
from omnipresence.testing.browser import PHONE, login_context, screenshot

pytestmark = pytest.mark.browser


def _visitor(browser, server, key: str):
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{server}/chat/{key}/")
    expect(page.locator("body")).to_have_attribute("data-connected", "1")
    return page


def test_client_and_associate_chat_live_with_a_photo_and_a_card(asgi_live_server, browser, transactional_db,
                                                                tmp_path):  # fmt: skip
    world = make_boutique("atelier-a")
    alice = make_staff(world, "alice")
    alice.first_name = "Alice"
    alice.save(update_fields=["first_name"])
    webchat = services.inbox_create(actor=world["actor"], kind="webchat", name="Web chat")
    agent_status_set(actor=actor_for_user(alice, world["boutique"]), status="online", capacity=1)
    search_index_rebuild()

    console = login_context(browser, asgi_live_server, alice, viewport=PHONE).new_page()
    console.goto(f"{asgi_live_server}/console/atelier-a/inbox/?tab=open")
    expect(console.locator("#inbox")).to_have_attribute("data-live", "on")

    client = _visitor(browser, asgi_live_server, webchat.public_key)
    client.get_by_label("Your message").fill("Hello, is the blue coat in a medium?")
    client.keyboard.press("Enter")
    conversation_row = console.locator("li.conversation").first
    expect(conversation_row).to_contain_text("Hello, is the blue coat in a medium?")  # live, no reload
    conversation = Conversation.objects.get()
    assert conversation.assignee_id == alice.pk  # online, under her limit of 1

    conversation_row.get_by_role("link").first.click()
    thread = console.locator(f"#thread-{conversation.pk}")
    expect(thread).to_contain_text("Hello, is the blue coat in a medium?")
    console.get_by_label("Your answer").fill("It is! Here it is on the rail.")
    console.get_by_role("button", name="Send", exact=True).click()
    expect(client.locator(".msg.theirs .bubble").last).to_have_text("It is! Here it is on the rail.")

    photo = tmp_path / "rail.jpg"
    Image.new("RGB", (640, 480), (20, 40, 140)).save(photo, "JPEG")
    console.get_by_label("Photos or video").set_input_files(str(photo))
    console.get_by_role("button", name="Send", exact=True).click()
    expect(client.locator(".msg.theirs img")).to_have_count(1)
    src = client.locator(".msg.theirs img").get_attribute("src")
    assert "/inbox/media/" in src and src.endswith(".jpg")
    assert client.evaluate("src => fetch(src).then(r => r.headers.get('content-type'))", src) == "image/jpeg"

    console.get_by_text("Send a piece, a hold, a pay link or a code").click()
    console.get_by_label("Find a piece").fill("coat")
    console.get_by_role("button", name="Search").click()
    console.get_by_role("button", name="Send the card").click()
    expect(client.locator(".msg.theirs .card").last).to_contain_text("Blue Statement Coat")

    client.get_by_label("Your message").fill("Perfect, thank you")
    client.keyboard.press("Enter")
    expect(console.locator(f"#thread-{conversation.pk} .msg.in").last).to_contain_text("Perfect, thank you")
    assert Message.objects.filter(conversation=conversation, direction="out").count() == 3
    screenshot(console, "inbox-two-browsers-associate-390")
    screenshot(client, "inbox-two-browsers-client-390")

    # A second visitor while Alice is at her limit: nobody else is free, so it waits unassigned.
    console.goto(f"{asgi_live_server}/console/atelier-a/inbox/?tab=waiting")
    second = _visitor(browser, asgi_live_server, webchat.public_key)
    second.get_by_label("Your message").fill("Do you ship to Paris?")
    second.keyboard.press("Enter")
    expect(console.locator("li.conversation").first).to_contain_text("Do you ship to Paris?")
    waiting = Conversation.objects.exclude(pk=conversation.pk).get()
    assert waiting.assignee_id is None
    assert console.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
