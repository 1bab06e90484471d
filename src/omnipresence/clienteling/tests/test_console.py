"""The console pages: tasks list and buttons, the hand-over with its counts, and the profile's
task and message forms (the consent refusal shown, nothing sent)."""

import pytest
from django.core import mail
from django.test import Client as HttpClient

from omnipresence.clienteling import services
from omnipresence.clienteling.models import Task
from omnipresence.clients.models import TimelineEvent

pytestmark = pytest.mark.django_db
BASE = "/console/atelier-a"


@pytest.fixture
def as_alice(alice):
    http = HttpClient()
    http.force_login(alice)
    return http


def test_tasks_page_and_done(as_alice, alice_actor, client_a):
    task = services.task_create(actor=alice_actor, client=client_a, reason="Ask how the coat fits")
    page = as_alice.get(f"{BASE}/tasks/")
    assert page.status_code == 200
    assert b"Ask how the coat fits" in page.content and b"Hand over clients" not in page.content
    assert as_alice.get(f"{BASE}/tasks/?show=all").context["show"] == "mine"  # not for associates
    response = as_alice.post(f"{BASE}/tasks/{task.pk}/done/", {"next": f"{BASE}/tasks/"})
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).status == "done"
    assert TimelineEvent.objects.filter(client=client_a, kind="task").exists()
    response = as_alice.post(f"{BASE}/tasks/{task.pk}/snooze/", {"days": "3"}, follow=True)
    assert b"already done" in response.content


def test_handover_shows_counts_then_confirms(world_a, maria, alice, client_a):
    http = HttpClient()
    http.force_login(maria)
    page = http.post(f"{BASE}/tasks/handover/", {"from": "alice", "to": f"user:{maria.pk}"})
    assert page.context["preview"] == {"primary": 1, "secondary": 0, "tasks": 0}
    assert client_a.__class__.objects.get(pk=client_a.pk).primary_associate == alice  # not yet
    http.post(f"{BASE}/tasks/handover/", {"from": "alice", "to": f"user:{maria.pk}", "confirm": "yes"})
    assert client_a.__class__.objects.get(pk=client_a.pk).primary_associate == maria


def test_associate_cannot_open_the_handover(as_alice):
    assert as_alice.get(f"{BASE}/tasks/handover/").status_code == 403


def test_profile_task_form_and_message_refusal(as_alice, client_a):
    page = as_alice.get(f"{BASE}/clients/{client_a.pk}/")
    assert b"Send a message" in page.content and b"Add a task" in page.content
    as_alice.post(f"{BASE}/tasks/client/{client_a.pk}/new/", {"reason": "Bring the scarf", "due": "2031-01-02"})
    task = Task.objects.get(client=client_a)
    assert task.reason == "Bring the scarf" and task.due_at.year == 2031
    response = as_alice.post(f"{BASE}/tasks/client/{client_a.pk}/message/",
                             {"purpose": "marketing", "subject": "New in", "body": "Coats"})  # fmt: skip
    assert response.status_code == 409
    assert b'id="message-error"' in response.content and b"Nothing was sent" in response.content
    assert mail.outbox == []
    response = as_alice.post(f"{BASE}/tasks/client/{client_a.pk}/message/",
                             {"purpose": "transactional", "subject": "Your hold", "body": "Ready"})  # fmt: skip
    assert response.status_code == 302 and len(mail.outbox) == 1


def test_book_page_new_filters(as_alice, client_a):
    page = as_alice.get(f"{BASE}/clients/?show=holds")
    assert page.status_code == 200 and page.context["page"].paginator.count == 0
    assert b"Unpaid pay links" in page.content and b"New arrivals for her" in page.content
