"""On a 390 px phone: the associate has a client's thread open; her SMS arrives live (typed HTML
shows as text), the associate answers, sends a photo from her phone and a product card, and all
of it appears without a reload; the page never scrolls sideways; a tablet shows two threads."""

import json
import urllib.request

import pytest
from PIL import Image
from playwright.sync_api import expect

from omnipresence.clients import services as clients
from omnipresence.conftest import make_boutique, make_staff
from omnipresence.inbox import services
from omnipresence.inbox.models import Conversation, LocalDelivery, Message
from omnipresence.inbox.webhooks import local_sign
from omnipresence.search.services import search_index_rebuild
from omnipresence.stores.access import actor_for_user, system_actor
from omnipresence.testing.browser import PHONE, login_context, screenshot

pytestmark = pytest.mark.browser


def _inbound(server, inbox, sender: str, text: str, message_id: str) -> None:
    """Her message, posted to the live server's webhook as the provider would (the server's loop
    sends the live events; this thread runs Playwright's)."""
    body = json.dumps({"from": sender, "text": text, "id": message_id}).encode()
    request = urllib.request.Request(
        f"{server.url}/api/v1/webhooks/inbox/local/{inbox.pk}", data=body, method="POST",
        headers={"Content-Type": "application/json", "X-Omni-Signature": local_sign(inbox, body)},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def _world():
    world = make_boutique("atelier-a")
    alice = make_staff(world, "alice")
    manager = make_staff(world, "maria", "manager")
    sms = services.inbox_create(actor=actor_for_user(manager, world["boutique"]), kind="sms", name="Shop SMS",
                                address="+447700900001")  # fmt: skip
    her = clients.client_resolve(boutique=world["boutique"], phone="+447911123456", name="Sibyl Vane")
    clients.client_update(actor=system_actor(world["boutique"]), client=her, primary_associate=alice)
    return world, alice, sms


def test_the_associate_answers_with_words_a_photo_and_a_card_live_on_her_phone(asgi_live_server, browser,
                                                                               transactional_db, tmp_path):  # fmt: skip
    world, alice, sms = _world()
    search_index_rebuild()
    _inbound(asgi_live_server, sms, "+447911123456", "Hello! Is the blue coat in?", "SM-B1")
    conversation = Conversation.objects.get()
    assert conversation.assignee_id == alice.pk

    page = login_context(browser, asgi_live_server, alice, viewport=PHONE).new_page()
    page.goto(f"{asgi_live_server}/console/atelier-a/inbox/")
    row = page.locator(f"#conv-{conversation.pk}")
    expect(row).to_contain_text("Sibyl Vane")
    row.get_by_role("link").click()
    thread = page.locator(f"#thread-{conversation.pk}")
    expect(thread).to_have_attribute("role", "log")
    expect(thread).to_contain_text("Is the blue coat in?")
    expect(page.locator("#inbox")).to_have_attribute("data-live", "on")

    _inbound(asgi_live_server, sms, "+447911123456", "<b>Size 38</b><script>window.owned=1</script>", "SM-B2")
    expect(thread.locator(".msg.in").last).to_contain_text("<b>Size 38</b><script>window.owned=1</script>")
    assert page.evaluate("window.owned") is None

    page.get_by_label("Your answer").fill("Yes — in a 38, I can put it aside for you.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(thread.locator(".msg.out")).to_have_count(1)
    expect(thread.locator(".msg.out .msg-status")).to_have_text("Sent")
    expect(page.get_by_label("Your answer")).to_have_value("")  # cleared once the send is answered
    assert LocalDelivery.objects.get().body == "Yes — in a 38, I can put it aside for you."

    photo = tmp_path / "snap.jpg"
    Image.new("RGB", (800, 600), (30, 60, 160)).save(photo, "JPEG")
    page.get_by_label("Photos or video").set_input_files(str(photo))
    page.get_by_role("button", name="Send", exact=True).click()
    expect(thread.locator(".msg.out img")).to_have_count(1)
    assert Message.objects.filter(direction="out").last().attachments.count() == 1

    page.get_by_text("Send a piece, a hold, a pay link or a code").click()
    page.get_by_label("Find a piece").fill("coat")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Send the card").click()
    expect(page.locator(f"#thread-{conversation.pk} .card.product")).to_contain_text("Blue Statement Coat")
    expect(page.locator(f"#thread-{conversation.pk} .card.product")).to_contain_text("21 available now")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "inbox-thread-390")


def test_a_tablet_shows_two_threads_side_by_side(asgi_live_server, browser, transactional_db):
    world, alice, sms = _world()
    _inbound(asgi_live_server, sms, "+447911123456", "First client", "SM-T1")
    _inbound(asgi_live_server, sms, "+447911000222", "Second client", "SM-T2")
    first, second = Conversation.objects.order_by("pk")
    services.conversation_update(actor=actor_for_user(alice, world["boutique"]), conversation=second, assignee=alice)
    page = login_context(browser, asgi_live_server, alice, viewport={"width": 1024, "height": 768}).new_page()
    page.goto(f"{asgi_live_server}/console/atelier-a/inbox/{first.pk}/")
    page.locator(f"#conv-{second.pk}").get_by_role("link", name="Open beside").click()
    panes = page.locator("section.pane")
    expect(panes).to_have_count(2)
    boxes = [panes.nth(i).bounding_box() for i in range(2)]
    assert boxes[0]["x"] + boxes[0]["width"] <= boxes[1]["x"] + 1  # beside, not below
    _inbound(asgi_live_server, sms, "+447911000222", "Still there?", "SM-T3")
    expect(page.locator(f"#thread-{second.pk}")).to_contain_text("Still there?")
    page.get_by_label("Your answer").nth(1).fill("Yes!")
    page.locator(f"#pane-{second.pk}").get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(f"#thread-{second.pk} .msg.out")).to_have_count(1)
    expect(page.locator(f"#thread-{first.pk} .msg.out")).to_have_count(0)
    screenshot(page, "inbox-two-threads-1024")


def test_a_message_that_failed_says_why_and_is_sent_again_from_the_thread(asgi_live_server, browser, transactional_db,
                                                                          monkeypatch):  # fmt: skip
    from omnipresence.inbox.adapters import LocalAdapter
    from omnipresence.inbox.errors import ProviderFailed

    world, alice, sms = _world()
    _inbound(asgi_live_server, sms, "+447911123456", "Is it in a 38?", "SM-F1")
    conversation = Conversation.objects.get()
    real = LocalAdapter.send

    def refuse(self, **kwargs):
        raise ProviderFailed("The number cannot take messages now (code 30003)", permanent=True)

    monkeypatch.setattr(LocalAdapter, "send", refuse)  # the live server runs in this process
    page = login_context(browser, asgi_live_server, alice, viewport=PHONE).new_page()
    page.goto(f"{asgi_live_server}/console/atelier-a/inbox/{conversation.pk}/")
    expect(page.locator("#inbox")).to_have_attribute("data-live", "on")
    thread = page.locator(f"#thread-{conversation.pk}")
    page.get_by_label("Your answer").fill("Yes, in a 38.")
    page.get_by_role("button", name="Send", exact=True).click()
    failed = thread.locator(".msg.out")
    expect(failed.locator(".msg-status")).to_have_text("Failed")  # live, from the socket
    expect(failed.locator(".msg-error")).to_have_text("The number cannot take messages now (code 30003)")
    expect(page.locator(f"#conv-{conversation.pk} .not-sent")).to_have_text("Not sent: 1")  # the list, live
    page.reload()
    expect(page.locator(f"#conv-{conversation.pk} .not-sent")).to_have_text("Not sent: 1")  # and drawn by the server
    expect(page.locator("#inbox")).to_have_attribute("data-live", "on")

    monkeypatch.setattr(LocalAdapter, "send", real)
    page.get_by_label("Your answer").fill("a draft that must stay")
    again = failed.get_by_role("button", name="Send again")
    again.focus()
    page.keyboard.press("Enter")  # by keyboard, as a screen-reader user would
    expect(failed.locator(".msg-status")).to_have_text("Sent")
    expect(failed.locator(".msg-failed")).to_have_count(0)
    expect(page.locator(f"#conv-{conversation.pk} .not-sent")).to_have_count(0)
    expect(page.get_by_label("Your answer")).to_have_value("a draft that must stay")
    assert [d.body for d in LocalDelivery.objects.all()] == ["Yes, in a 38."]
    assert Message.objects.filter(direction="out").count() == 1
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


def test_a_video_call_from_the_thread_sends_her_the_room_and_opens_ours(asgi_live_server, browser, transactional_db):
    from omnipresence.appointments import services as appointments
    from omnipresence.appointments.models import Appointment

    world, alice, sms = _world()
    appointments.type_create(actor=actor_for_user(make_staff(world, "olga", "owner"), world["boutique"]),
                             location=world["shop"], kind="video_consultation", name="Video consultation",
                             duration_minutes=30, cap_minutes=45)  # fmt: skip
    _inbound(asgi_live_server, sms, "+447911123456", "Could I see the coat on video?", "SM-V1")
    conversation = Conversation.objects.get()
    page = login_context(browser, asgi_live_server, alice, viewport=PHONE).new_page()
    page.goto(f"{asgi_live_server}/console/atelier-a/inbox/{conversation.pk}/")
    page.get_by_text("Send a piece, a hold, a pay link or a code").click()
    page.get_by_role("button", name="Video call now").click()
    card = page.locator(f"#thread-{conversation.pk} .card.video-call")
    expect(card).to_contain_text("45 min")
    call = Appointment.objects.get()
    her_link = Message.objects.get(direction="out").payload["url"]
    assert her_link in LocalDelivery.objects.get().body  # her room link went out by SMS
    card.get_by_role("link", name="Open the room").click()
    expect(page).to_have_url(f"{asgi_live_server}/console/atelier-a/appointments/{call.pk}/")
    page.get_by_role("button", name="Open the room").click()
    expect(page.get_by_role("link", name="Enter the room as host")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    her_page = browser.new_context(viewport=PHONE).new_page()
    from django.conf import settings

    her_page.goto(her_link.replace(settings.SITE_URL, str(asgi_live_server)))  # her side: the same room, open now
    expect(her_page.locator("#room")).to_have_attribute("data-role", "client")
    screenshot(page, "inbox-video-call-390")
