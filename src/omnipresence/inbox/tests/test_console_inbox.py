"""The console inbox pages (without JavaScript): the list with unread and waiting times, a thread
with cards and the side panel, answering, photos, cards, canned replies, status, and the walls."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from PIL import Image

from omnipresence.inbox import rich
from omnipresence.inbox.models import Conversation, LocalDelivery, Message
from omnipresence.inbox.tests.conftest import post_inbound
from omnipresence.inventory.models import Hold
from omnipresence.search.services import search_index_rebuild
from omnipresence.stores.access import actor_for_user

PAGE = "/console/atelier-a/inbox/"


def staff(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


@pytest.fixture
def conversation(sms, sibyl, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(sms, {"from": "+447911123456", "text": "<b>Hi</b><script>alert(1)</script> in a 38?",
                           "id": "SM-C1"})  # fmt: skip
    return sibyl.conversations.get()


def test_the_list_shows_her_unread_and_waiting_time_and_escapes_what_she_wrote(conversation, associate_a):
    page = staff(associate_a).get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    row = re.search(rf'<li id="conv-{conversation.pk}".*?</li>', html, re.S).group(0)
    assert "Sibyl Vane" in row and "overdue" not in row  # just arrived: under the 30 s target
    assert 'aria-label="1 unread message"' in row and re.search(r"waiting \d+ s<", row)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    Conversation.objects.filter(pk=conversation.pk).update(waiting_since=conversation.waiting_since.replace(year=2025))
    late = staff(associate_a).get(PAGE).content.decode()
    assert re.search(rf'<li id="conv-{conversation.pk}" [^>]*class="conversation unread overdue', late)


def test_a_thread_opens_reads_and_answers_without_javascript(conversation, associate_a,
                                                             django_capture_on_commit_callbacks):  # fmt: skip
    http = staff(associate_a)
    page = http.get(f"{PAGE}{conversation.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'role="log"' in html and "Her profile" in html and f'for="body-{conversation.pk}"' in html
    conversation.refresh_from_db()
    assert conversation.unread == 0
    with django_capture_on_commit_callbacks(execute=True):
        sent = http.post(f"{PAGE}{conversation.pk}/send/", {"body": "Yes, in a 38 — shall I hold it?"})
    assert sent.status_code == 302 and sent["Location"].endswith(f"/inbox/{conversation.pk}/#pane-{conversation.pk}")
    assert LocalDelivery.objects.get().body == "Yes, in a 38 — shall I hold it?"
    answer = Message.objects.get(direction="out")
    assert (answer.author_id, answer.status) == (associate_a.pk, "sent")
    again = http.get(f"{PAGE}{conversation.pk}/").content.decode()
    assert f'id="m-{answer.pk}"' in again and "Sent" in again


def test_answer_with_javascript_gets_json_and_errors_are_json(conversation, associate_a):
    http = staff(associate_a)
    ok = http.post(f"{PAGE}{conversation.pk}/send/", {"body": "On its way"}, headers={"Accept": "application/json"})
    assert ok.status_code == 201 and ok.json()["message"]["body"] == "On its way"
    empty = http.post(f"{PAGE}{conversation.pk}/send/", {"body": "  "}, headers={"Accept": "application/json"})
    assert empty.status_code == 422 and empty.json()["code"] == "empty_message"
    assert Message.objects.filter(direction="out").count() == 1


def test_photos_from_the_phone_and_a_product_card_with_live_stock(conversation, associate_a, world_a,
                                                                  django_capture_on_commit_callbacks):  # fmt: skip
    http = staff(associate_a)
    png = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 30)).save(png, "PNG")
    with django_capture_on_commit_callbacks(execute=True):
        http.post(f"{PAGE}{conversation.pk}/send/",
                  {"body": "", "photos": [SimpleUploadedFile("snap.png", png.getvalue(), content_type="image/png")]})
    photo = Message.objects.get(direction="out")
    assert photo.attachments.count() == 1
    search_index_rebuild()
    found = http.post(f"{PAGE}{conversation.pk}/search/", {"q": "coat"}).content.decode()
    product = world_a["product"]
    assert f'value="product:{product.pk}"' in found and "Hold Blue / S at Soho (2 there)" in found
    http.post(f"{PAGE}{conversation.pk}/send/", {"body": "This one", "card": f"product:{product.pk}"})
    http.post(f"{PAGE}{conversation.pk}/send/", {"body": "", "card": f"hold:{world_a['variants'][0].pk}@soho"})
    assert Hold.objects.get().owner_ref == f"conversation:{conversation.pk}"
    page = http.get(f"{PAGE}{conversation.pk}/").content.decode()
    assert "Blue Statement Coat" in page and "20 available now" in page  # one of the 21 is now held for her
    assert re.search(r'<img src="/inbox/media/[\w-]+\.png" alt="Photo" width="64" height="48"', page)


def test_a_canned_reply_fills_the_answer_box(conversation, associate_a, manager_a, world_a):
    reply = rich.canned_reply_create(actor=actor_for_user(manager_a, world_a["boutique"]), shortcut="hello",
                                     title="Hello", body="Hello {first_name}, it's {associate}.")  # fmt: skip
    page = staff(associate_a).post(f"{PAGE}{conversation.pk}/send/", {"action": "canned", "reply": str(reply.pk)})
    assert page.status_code == 200
    assert "Hello Sibyl, it&#x27;s alice.</textarea>" in page.content.decode()
    assert not Message.objects.filter(direction="out").exists()


def test_resolve_and_several_threads_side_by_side(conversation, sms, associate_a, world_a,
                                                  django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(sms, {"from": "+447911000222", "text": "Second client", "id": "SM-C2", "name": "Basil"})
    second = Conversation.objects.exclude(pk=conversation.pk).get()
    http = staff(associate_a)
    both = http.get(f"{PAGE}{conversation.pk}/?with={second.pk}").content.decode()
    assert f'id="pane-{conversation.pk}"' in both and f'id="pane-{second.pk}"' in both and "many-panes" in both
    done = http.post(f"{PAGE}{conversation.pk}/status/", {"status": "resolved"})
    assert done.status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == "resolved"


def test_another_boutiques_staff_cannot_open_or_answer(conversation, associate_b):
    http = staff(associate_b)
    assert http.get(f"{PAGE}{conversation.pk}/").status_code == 403
    assert http.post(f"{PAGE}{conversation.pk}/send/", {"body": "hi"}).status_code == 403
    assert http.get(f"/console/boutique-b/inbox/{conversation.pk}/").status_code == 404
    assert not Message.objects.filter(direction="out").exists()


def test_the_list_is_a_bounded_number_of_queries(conversation, sms, associate_a, django_assert_max_num_queries,
                                                 django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(15):
            post_inbound(sms, {"from": f"+4479110003{n:02d}", "text": f"Hello {n}", "id": f"SM-Q{n}"})
    http = staff(associate_a)
    http.get(PAGE)
    with django_assert_max_num_queries(16):
        assert http.get(PAGE + "?tab=open").status_code == 200


def test_go_online_claim_and_hand_over_from_the_console(sms, associate_a, manager_a, world_a,
                                                        django_capture_on_commit_callbacks):  # fmt: skip
    from omnipresence.conftest import make_staff
    from omnipresence.inbox.models import AgentStatus

    bella = make_staff(world_a, "bella")
    http = staff(associate_a)
    assert "Go online" in http.get(PAGE).content.decode()
    http.post(PAGE + "presence/", {"status": "online"})
    assert AgentStatus.objects.get(user=associate_a).status == "online"
    assert "Online · up to 8 conversations" in http.get(PAGE).content.decode()
    Conversation.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(sms, {"from": "+447911000555", "text": "Anyone?", "id": "SM-C9", "name": "Gwen"})
    conversation = Conversation.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(assignee=None)
    page = http.get(f"{PAGE}{conversation.pk}/").content.decode()
    assert "take it</button>" in page
    http.post(f"{PAGE}{conversation.pk}/claim/")
    conversation.refresh_from_db()
    assert conversation.assignee_id == associate_a.pk
    taken = staff(bella).post(f"{PAGE}{conversation.pk}/claim/")
    assert taken.status_code == 409 and "Someone else has taken this conversation." in taken.content.decode()
    http.post(f"{PAGE}{conversation.pk}/transfer/", {"to": str(bella.pk)})
    conversation.refresh_from_db()
    assert conversation.assignee_id == bella.pk
    bad = http.post(f"{PAGE}{conversation.pk}/transfer/", {"to": "999999"})
    assert bad.status_code in (403, 422)
    conversation.refresh_from_db()
    assert conversation.assignee_id == bella.pk
