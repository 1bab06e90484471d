"""The tasks and messages API: filters, create, patch, generate, hand-over, and bad input as 4xx."""

import pytest
from django.core import mail
from django.test import Client as HttpClient

from omnipresence.clienteling import services
from omnipresence.clienteling.models import Task
from omnipresence.clients import services as clients
from omnipresence.clients.models import AccessAttempt, TimelineEvent

pytestmark = pytest.mark.django_db
BASE = "/api/v1/boutiques/atelier-a"


@pytest.fixture
def as_alice(alice):
    http = HttpClient()
    http.force_login(alice)
    return http


@pytest.fixture
def as_maria(maria):
    http = HttpClient()
    http.force_login(maria)
    return http


def test_create_list_and_done(as_alice, client_a):
    response = as_alice.post(f"{BASE}/tasks", {"client_id": client_a.pk, "reason": "Call her"},
                             content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.content
    task = response.json()
    assert (task["assignee"], task["kind"], task["client_name"]) == ("alice", "manual", "Ada Lovelace")
    listed = as_alice.get(f"{BASE}/tasks", {"client_id": client_a.pk, "kind": "manual"}).json()
    assert [t["id"] for t in listed] == [task["id"]]
    response = as_alice.patch(f"{BASE}/tasks/{task['id']}", {"action": "done"}, content_type="application/json")
    assert response.json()["status"] == "done"
    assert as_alice.get(f"{BASE}/tasks").json() == []
    assert [t["id"] for t in as_alice.get(f"{BASE}/tasks", {"status": "done"}).json()] == [task["id"]]
    assert TimelineEvent.objects.filter(kind="task", client=client_a).count() == 1


@pytest.mark.parametrize("body,status,code", [
    ({"client_id": 999999, "reason": "x"}, 404, "client_not_found"),
    ({"client_id": 1, "reason": "   "}, 422, None),
    ({"client_id": 1, "reason": "x", "assignee": "ghost"}, 404, "associate_not_found"),
    ({"client_id": 1, "reason": "x", "due_at": "tomorrow"}, 422, None),
    ({"client_id": 1, "reason": "x", "extra": 1}, 422, None),
])  # fmt: skip
def test_bad_input_is_refused(as_alice, client_a, body, status, code):
    body = {**body, "client_id": client_a.pk if body["client_id"] == 1 else body["client_id"]}
    response = as_alice.post(f"{BASE}/tasks", body, content_type="application/json")
    assert response.status_code == status, response.content
    if code:
        assert response.json()["code"] == code
    assert not Task.objects.exists()


def test_associate_cannot_assign_generate_or_reassign(as_alice, alice_actor, client_a, maria):
    task = services.task_create(actor=alice_actor, client=client_a, reason="Call")
    for method, url, body in (
        ("patch", f"{BASE}/tasks/{task.pk}", {"action": "assign", "assignee": "maria"}),
        ("post", f"{BASE}/tasks/generate", None),
        ("post", f"{BASE}/clients/reassign", {"from_user": "alice", "to_user": "maria"}),
    ):
        response = getattr(as_alice, method)(url, body, content_type="application/json")
        assert response.status_code == 403, (url, response.content)
    assert Task.objects.get(pk=task.pk).assignee_id == alice_actor.user_id
    assert as_alice.get(f"{BASE}/tasks", {"view": "all"}).status_code == 403


def test_manager_assigns_generates_and_reassigns(as_maria, alice_actor, client_a, maria):
    task = services.task_create(actor=alice_actor, client=client_a, reason="Call")
    response = as_maria.patch(f"{BASE}/tasks/{task.pk}", {"action": "assign", "team_location": "chelsea"},
                              content_type="application/json")  # fmt: skip
    assert (response.json()["assignee"], response.json()["team_location"]) == (None, "chelsea")
    assert as_maria.post(f"{BASE}/tasks/generate").json() == {
        "follow_up": 0, "hold_expiring": 0, "pay_link_unpaid": 0, "birthday": 0, "new_arrival": 0}
    response = as_maria.post(f"{BASE}/clients/reassign", {"from_user": "alice", "to_user": "maria"},
                             content_type="application/json")  # fmt: skip
    assert response.json() == {"clients": 1, "primary": 1, "secondary": 0, "tasks": 0}
    response = as_maria.post(f"{BASE}/clients/reassign", {"from_user": "alice"}, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (422, "invalid_assignee")


def test_messages_consent_gate_over_the_api(as_alice, client_a):
    url = f"{BASE}/clients/{client_a.pk}/messages"
    body = {"purpose": "marketing", "subject": "New in", "body": "Coats"}
    response = as_alice.post(url, body, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (409, "consent_required")
    assert mail.outbox == []
    assert AccessAttempt.objects.filter(code="consent_required", action="message").count() == 1
    response = as_alice.post(url, {**body, "purpose": "transactional"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["to"] == "ada@example.com"
    response = as_alice.post(url, {**body, "channel": "whatsapp"}, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (409, "channel_unavailable")
    response = as_alice.post(url, {**body, "purpose": "spam"}, content_type="application/json")
    assert response.status_code == 422
    assert len(mail.outbox) == 1


def test_clients_list_new_filters(as_alice, world_a, client_a, alice_actor):
    clients.client_update(actor=alice_actor, client=client_a, sizes={"coats": "S"}, colours=["blue"])
    rows = as_alice.get("/api/v1/boutiques/atelier-a/clients", {"new_arrivals": "true"}).json()
    assert [r["id"] for r in rows] == [client_a.pk]
    assert as_alice.get("/api/v1/boutiques/atelier-a/clients", {"open_holds": "true"}).json() == []
    assert as_alice.get("/api/v1/boutiques/atelier-a/clients", {"unpaid_pay_links": "true"}).json() == []
