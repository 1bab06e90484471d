"""On a 390 px phone: the associate opens Tasks, marks one done, and it shows on the client's
timeline; nothing scrolls sideways."""

import pytest
from playwright.sync_api import expect

from omnipresence.clienteling import services
from omnipresence.clienteling.models import Task
from omnipresence.clients import services as clients
from omnipresence.conftest import make_boutique, make_staff
from omnipresence.stores.access import actor_for_user
from omnipresence.testing.browser import PHONE, login_context, screenshot

pytestmark = pytest.mark.browser


def fits(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


def test_an_associate_marks_a_task_done_on_a_phone(asgi_live_server, browser, transactional_db):
    world = make_boutique("atelier-a")
    alice = make_staff(world, "alice")
    actor = actor_for_user(alice, world["boutique"])
    ada = clients.client_resolve(boutique=world["boutique"], email="ada@example.com", name="Ada Lovelace")
    grace = clients.client_resolve(boutique=world["boutique"], email="grace@example.com", name="Grace Hopper")
    task = services.task_create(actor=actor, client=ada, reason="Bought a linen dress 7 days ago — ask how it fits")
    services.task_create(actor=actor, client=grace, reason="Invite her to the spring preview evening")

    context = login_context(browser, asgi_live_server, alice, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{asgi_live_server}/console/atelier-a/tasks/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tasks")
    expect(page.locator("#tasks-count")).to_have_text("2 open tasks")
    assert fits(page)
    screenshot(page, "clienteling-tasks-390")

    card = page.locator(f"#task-{task.pk}")
    expect(card).to_contain_text("ask how it fits")
    card.get_by_role("button", name="Done: Ada Lovelace").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("on her timeline")
    expect(page.locator("#tasks-count")).to_have_text("1 open task")
    page.get_by_role("link", name="Grace Hopper").wait_for()
    page.goto(f"{asgi_live_server}/console/atelier-a/clients/{ada.pk}/")
    first = page.locator("#timeline > li").first
    expect(first).to_contain_text("Followed up: Bought a linen dress 7 days ago — ask how it fits")
    expect(first).to_contain_text("alice")
    assert fits(page)
    page.locator("#tasks-title").scroll_into_view_if_needed()
    screenshot(page, "clienteling-profile-390")
    context.close()
    assert Task.objects.get(pk=task.pk).status == "done"
