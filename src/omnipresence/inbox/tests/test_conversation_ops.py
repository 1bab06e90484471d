"""Merging two threads of one client, moving a thread to the right client, and the refusals."""

import pytest
from django.test import Client as HttpClient

from omnipresence.clients import services as clients
from omnipresence.clients.models import Identity, TimelineEvent
from omnipresence.inbox.models import Conversation, Message
from omnipresence.inbox.tests.conftest import post_inbound

BASE = "/api/v1/boutiques/atelier-a"


def staff(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


@pytest.fixture
def two_threads(sms, whatsapp, sibyl, django_capture_on_commit_callbacks):
    clients.client_resolve(boutique=sibyl.boutique, whatsapp="+447911123456")  # the same number on WhatsApp
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(sms, {"from": "+447911123456", "text": "SMS one", "id": "SM-O1"})
        post_inbound(whatsapp, {"from": "+447911123456", "text": "WhatsApp one", "id": "WA-O1"})
        post_inbound(whatsapp, {"from": "+447911123456", "text": "WhatsApp two", "id": "WA-O2"})
    return Conversation.objects.get(inbox=sms), Conversation.objects.get(inbox=whatsapp)


def test_merge_moves_every_message_into_her_other_thread(two_threads, associate_a, sibyl):
    sms_thread, wa_thread = two_threads
    assert sms_thread.client_id == wa_thread.client_id == sibyl.pk
    response = staff(associate_a).post(f"{BASE}/conversations/{sms_thread.pk}/merge", {"into_id": wa_thread.pk},
                                       content_type="application/json")  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json() == {"id": sms_thread.pk, "client_id": sibyl.pk, "status": "resolved",
                               "merged_into_id": wa_thread.pk}  # fmt: skip
    wa_thread.refresh_from_db()
    assert list(wa_thread.messages.order_by("created_at", "pk").values_list("body", flat=True)) == [
        "SMS one", "WhatsApp one", "WhatsApp two"
    ]  # fmt: skip
    assert wa_thread.unread == 3 and not Message.objects.filter(conversation=sms_thread).exists()
    again = staff(associate_a).post(f"{BASE}/conversations/{sms_thread.pk}/merge", {"into_id": wa_thread.pk},
                                    content_type="application/json")  # fmt: skip
    assert again.status_code == 409 and again.json()["code"] == "already_merged"


def test_two_clients_threads_are_not_merged_and_nothing_moves(sms, sibyl, associate_a,
                                                              django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(sms, {"from": "+447911123456", "text": "Sibyl here", "id": "SM-O2"})
        post_inbound(sms, {"from": "+447911000111", "text": "Basil here", "id": "SM-O3", "name": "Basil"})
    mine, other = Conversation.objects.get(client=sibyl), Conversation.objects.exclude(client=sibyl).get()
    response = staff(associate_a).post(f"{BASE}/conversations/{mine.pk}/merge", {"into_id": other.pk},
                                       content_type="application/json")  # fmt: skip
    assert response.status_code == 409 and response.json()["code"] == "different_clients"
    assert mine.messages.count() == 1 and other.messages.count() == 1


def test_move_files_the_thread_and_her_number_under_the_right_client(sms, world_a, associate_a,
                                                                     django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(sms, {"from": "+447911000333", "text": "It's Dorian, from my mother's phone", "id": "SM-O4"})
    conversation = Conversation.objects.get()
    stranger = conversation.client
    dorian = clients.client_resolve(boutique=world_a["boutique"], email="dorian@example.com", name="Dorian Gray")
    response = staff(associate_a).post(f"{BASE}/conversations/{conversation.pk}/move", {"client_id": dorian.pk},
                                       content_type="application/json")  # fmt: skip
    assert response.status_code == 200 and response.json()["client_id"] == dorian.pk
    assert Identity.objects.get(kind="phone", value="+447911000333").client_id == dorian.pk
    message = conversation.messages.get()
    assert TimelineEvent.objects.get(ref_kind="message", ref_id=message.pk).client_id == dorian.pk
    assert TimelineEvent.objects.filter(client=stranger, data__moved=True).exists()
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(sms, {"from": "+447911000333", "text": "Thanks!", "id": "SM-O5"})
    assert Conversation.objects.get().messages.count() == 2  # her next message finds her, in the same thread


def test_a_verified_number_stays_and_another_boutiques_client_is_refused(sms, sibyl, associate_a, world_b,
                                                                        django_capture_on_commit_callbacks):  # fmt: skip
    Identity.objects.filter(client=sibyl, kind="phone").update(verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(sms, {"from": "+447911123456", "text": "Hello", "id": "SM-O6"})
    conversation = Conversation.objects.get()
    other = clients.client_resolve(boutique=sibyl.boutique, email="other@example.com")
    refused = staff(associate_a).post(f"{BASE}/conversations/{conversation.pk}/move", {"client_id": other.pk},
                                      content_type="application/json")  # fmt: skip
    assert refused.status_code == 409 and refused.json()["code"] == "verified_identity"
    foreign = clients.client_resolve(boutique=world_b["boutique"], email="foreign@example.com")
    walled = staff(associate_a).post(f"{BASE}/conversations/{conversation.pk}/move", {"client_id": foreign.pk},
                                     content_type="application/json")  # fmt: skip
    assert walled.status_code == 404
    conversation.refresh_from_db()
    assert conversation.client_id == sibyl.pk


def test_the_console_merges_from_the_side_panel(two_threads, associate_a):
    sms_thread, wa_thread = two_threads
    http = staff(associate_a)
    page = http.get(f"/console/atelier-a/inbox/{sms_thread.pk}/").content.decode()
    assert f'<option value="{wa_thread.pk}">WhatsApp · Open</option>' in page
    done = http.post(f"/console/atelier-a/inbox/{sms_thread.pk}/merge/", {"into": str(wa_thread.pk)})
    assert done.status_code == 302 and done["Location"].endswith(f"/inbox/{wa_thread.pk}/#pane-{wa_thread.pk}")
    assert wa_thread.messages.count() == 3
    bad = http.post(f"/console/atelier-a/inbox/{wa_thread.pk}/merge/", {"into": "nope"})
    assert bad.status_code == 422 and wa_thread.messages.count() == 3
