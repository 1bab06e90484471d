"""Rich messages: photos (checked, metadata removed, served by capability URL), product cards with
live stock, holds made from a conversation, pay links, personal codes, canned replies."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from PIL import Image

from omnipresence.clients.models import TimelineEvent
from omnipresence.inbox import rich, services
from omnipresence.inbox.models import Attachment, CannedReply, LocalDelivery, Message
from omnipresence.inbox.tests.conftest import post_inbound
from omnipresence.inventory.models import Hold

BASE = "/api/v1/boutiques/atelier-a"


def staff(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


@pytest.fixture
def conversation(sms, sibyl, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_inbound(sms, {"from": "+447911123456", "text": "Do you have it in blue?", "id": "SM-R1"})
    return sibyl.conversations.get()


def jpeg_with_gps(width=3000, height=2000) -> bytes:
    image = Image.new("RGB", (width, height), (20, 60, 160))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPSInfo: latitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_photo_is_checked_shrunk_stripped_of_its_gps_and_sent(conversation, associate_a,
                                                                 django_capture_on_commit_callbacks):  # fmt: skip
    http = staff(associate_a)
    raw = jpeg_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif().get(0x8825)
    response = http.post(f"{BASE}/conversations/{conversation.pk}/attachments",
                         {"file": SimpleUploadedFile("IMG_0001.HEIC.jpg", raw, content_type="image/jpeg")})  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["content_type"], body["width"], body["height"]) == ("image/jpeg", 2560, 1707)
    served = HttpClient().get(body["url"])
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"
    stored = Image.open(io.BytesIO(b"".join(served.streaming_content)))
    assert not stored.getexif()  # no GPS, no camera make
    with django_capture_on_commit_callbacks(execute=True):
        sent = http.post(f"{BASE}/conversations/{conversation.pk}/messages",
                         {"body": "", "attachment_ids": [body["id"]]}, content_type="application/json")  # fmt: skip
    assert sent.status_code == 201, sent.content
    message = Message.objects.get(pk=sent.json()["id"])
    assert message.attachments.get().pk == body["id"] and message.status == "sent"
    delivery = LocalDelivery.objects.get()
    assert body["url"] in delivery.body  # a text-only channel gets the link
    # The same upload cannot ride on a second message.
    again = http.post(f"{BASE}/conversations/{conversation.pk}/messages",
                      {"body": "again", "attachment_ids": [body["id"]]}, content_type="application/json")  # fmt: skip
    assert again.status_code == 422 and again.json()["code"] == "invalid_attachment"


@pytest.mark.parametrize(
    "name, data, status, code",
    [
        ("evil.jpg", b"<script>alert(1)</script>", 422, "invalid_attachment"),
        ("page.html", b"<html><body>hi</body></html>", 422, "invalid_attachment"),
        ("empty.png", b"", 422, "invalid_attachment"),
        ("huge.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * (25 * 1024 * 1024), 413, "attachment_too_large"),
    ],
)
def test_wrong_type_or_oversized_files_are_refused_and_nothing_is_kept(conversation, associate_a, name, data,
                                                                        status, code):  # fmt: skip
    response = staff(associate_a).post(f"{BASE}/conversations/{conversation.pk}/attachments",
                                       {"file": SimpleUploadedFile(name, data, content_type="image/jpeg")})  # fmt: skip
    assert response.status_code == status and response.json()["code"] == code
    assert not Attachment.objects.exists()


def test_a_short_video_is_kept_as_a_video(conversation, associate_a):
    data = b"\x00\x00\x00\x18ftypqt  " + b"\x00" * 2000
    response = staff(associate_a).post(f"{BASE}/conversations/{conversation.pk}/attachments",
                                       {"file": SimpleUploadedFile("clip.mov", data, content_type="video/quicktime")})
    assert response.status_code == 201 and response.json()["content_type"] == "video/quicktime"
    assert response.json()["url"].endswith(".mov")


def test_another_boutiques_conversation_and_files_are_walled_off(conversation, associate_a, associate_b):
    upload = staff(associate_a).post(f"{BASE}/conversations/{conversation.pk}/attachments",
                                     {"file": SimpleUploadedFile("a.png", _png(), content_type="image/png")})
    other = staff(associate_b)
    response = other.post(f"/api/v1/boutiques/boutique-b/conversations/{conversation.pk}/attachments",
                          {"file": SimpleUploadedFile("a.png", _png(), content_type="image/png")})  # fmt: skip
    assert response.status_code == 404
    send = other.post(f"/api/v1/boutiques/atelier-a/conversations/{conversation.pk}/messages",
                      {"body": "hi", "attachment_ids": [upload.json()["id"]]}, content_type="application/json")
    assert send.status_code == 403
    assert Attachment.objects.count() == 1 and not Message.objects.filter(direction="out").exists()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


def test_a_product_card_shows_live_stock_and_reaches_sms_as_text(conversation, associate_a, world_a,
                                                                 django_capture_on_commit_callbacks):  # fmt: skip
    product = world_a["product"]
    with django_capture_on_commit_callbacks(execute=True):
        response = staff(associate_a).post(f"{BASE}/conversations/{conversation.pk}/cards",
                                           {"kind": "product", "product_id": product.pk, "body": "This one?"},
                                           content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.content
    payload = response.json()["payload"]
    assert (payload["type"], payload["title"], payload["price"]) == ("product", "Blue Statement Coat", 45000)
    text = LocalDelivery.objects.get().body
    assert text.startswith("This one?\nBlue Statement Coat — £450.00\nhttp") and f"/p/{product.handle}/" in text
    message = Message.objects.get(pk=response.json()["id"])
    live = rich.cards_live(boutique=world_a["boutique"], messages=[message])
    assert live[product.pk]["available"] == 21  # 3 sizes × (2 in Soho + 5 in the warehouse)
    rich.send_hold(actor=_actor(associate_a, world_a), conversation=conversation,
                   variant_id=world_a["variants"][0].pk, location_id="soho")  # fmt: skip
    assert rich.cards_live(boutique=world_a["boutique"], messages=[message])[product.pk]["available"] == 20


def _actor(user, world):
    from omnipresence.stores.access import actor_for_user

    return actor_for_user(user, world["boutique"])


def test_hold_it_for_you_from_the_conversation(conversation, associate_a, world_a, sibyl):
    variant = world_a["variants"][1]
    response = staff(associate_a).post(f"{BASE}/conversations/{conversation.pk}/cards",
                                       {"kind": "hold", "variant_id": variant.pk, "location": "soho",
                                        "body": "Put aside for you until Saturday."},
                                       content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.content
    hold = Hold.objects.get()
    assert (hold.variant_id, hold.location.code, hold.quantity, hold.owner_ref) == (
        variant.pk, "soho", 1, f"conversation:{conversation.pk}"
    )  # fmt: skip
    assert response.json()["payload"]["hold_id"] == hold.pk
    assert TimelineEvent.objects.filter(client=sibyl, kind="hold_placed", ref_id=hold.pk).exists()


def test_a_hold_without_stock_holds_and_sends_nothing(conversation, associate_a, world_a):
    variant = world_a["variants"][0]
    http = staff(associate_a)
    for _ in range(2):
        assert http.post(f"{BASE}/conversations/{conversation.pk}/cards",
                         {"kind": "hold", "variant_id": variant.pk, "location": "soho"},
                         content_type="application/json").status_code == 201  # fmt: skip
    third = http.post(f"{BASE}/conversations/{conversation.pk}/cards",
                      {"kind": "hold", "variant_id": variant.pk, "location": "soho"}, content_type="application/json")
    assert third.status_code == 409 and third.json()["code"] == "insufficient_stock"
    assert Hold.objects.count() == 2 and Message.objects.filter(direction="out").count() == 2


def test_cards_need_their_ids(conversation, associate_a):
    response = staff(associate_a).post(f"{BASE}/conversations/{conversation.pk}/cards", {"kind": "hold"},
                                       content_type="application/json")  # fmt: skip
    assert response.status_code == 422 and response.json()["code"] == "invalid_card"
    assert not Message.objects.filter(direction="out").exists()


def test_canned_replies_fill_her_name_and_refuse_unknown_variables(conversation, manager_a, associate_a):
    http = staff(manager_a)
    made = http.post(f"{BASE}/canned-replies", {"shortcut": "thanks", "title": "Thanks",
                                                "body": "Hello {first_name}, {associate} here at {shop}!"},
                     content_type="application/json")  # fmt: skip
    assert made.status_code == 201, made.content
    bad = http.post(f"{BASE}/canned-replies", {"shortcut": "bad", "title": "Bad", "body": "Hi {client.email}"},
                    content_type="application/json")  # fmt: skip
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_variable"
    taken = http.post(f"{BASE}/canned-replies", {"shortcut": "thanks", "title": "Again", "body": "x"},
                      content_type="application/json")  # fmt: skip
    assert taken.status_code == 409
    assert staff(associate_a).post(f"{BASE}/canned-replies", {"shortcut": "mine", "title": "Mine", "body": "x"},
                                   content_type="application/json").status_code == 403  # fmt: skip
    rendered = staff(associate_a).get(f"{BASE}/conversations/{conversation.pk}/canned-replies/{made.json()['id']}")
    assert rendered.json() == {"text": "Hello Sibyl, alice here at Atelier A!"}
    assert CannedReply.objects.count() == 1


def test_erasure_removes_her_photos(conversation, associate_a, sibyl, world_a):
    from omnipresence.stores.access import actor_for_user

    actor = actor_for_user(associate_a, world_a["boutique"])
    from omnipresence.inbox.attachments import attachment_upload

    attachment = attachment_upload(actor=actor, conversation=conversation,
                                   upload=SimpleUploadedFile("a.png", _png(), content_type="image/png"))  # fmt: skip
    path = attachment.file.path
    services.privacy_erase(client=sibyl)
    assert not Attachment.objects.exists()
    import os

    assert not os.path.exists(path)
    assert HttpClient().get(f"/inbox/media/{attachment.token}{attachment.extension}").status_code == 404


def _video_type(world, manager, **extra):
    from omnipresence.appointments import services as appointments

    return appointments.type_create(
        actor=_actor(manager, world), location=world["shop"], kind="video_consultation", name="Video consultation",
        duration_minutes=30, cap_minutes=30, **extra,
    )  # fmt: skip


def test_an_invitation_to_book_reaches_her_with_the_booking_page(conversation, associate_a, manager_a, world_a,
                                                                 django_capture_on_commit_callbacks):  # fmt: skip
    video = _video_type(world_a, manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff(associate_a).post(f"{BASE}/conversations/{conversation.pk}/cards",
                                           {"kind": "appointment", "appointment_type_id": video.pk,
                                            "body": "Shall we look at them together?"},
                                           content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.content
    payload = response.json()["payload"]
    booking = f"/atelier-a/appointments/book/{video.pk}/"
    assert (payload["type"], payload["title"], payload["minutes"], payload["mode"]) == (
        "appointment", "Video consultation", 30, "video")
    assert payload["url"].endswith(booking)
    assert LocalDelivery.objects.get().body == f"Shall we look at them together?\nBook a time: Video consultation\n" \
                                               f"{payload['url']}"  # fmt: skip


def test_an_invitation_needs_an_active_type_of_this_boutique(conversation, associate_a, manager_a, world_a, world_b):
    from omnipresence.appointments import calendars
    from omnipresence.conftest import make_staff

    theirs = _video_type(world_b, make_staff(world_b, "mona", "manager"))
    switched_off = _video_type(world_a, manager_a)
    calendars.type_update(actor=_actor(manager_a, world_a), appointment_type=switched_off, is_active=False)
    http = staff(associate_a)
    for type_id in (theirs.pk, switched_off.pk, 999999):
        response = http.post(f"{BASE}/conversations/{conversation.pk}/cards",
                             {"kind": "appointment", "appointment_type_id": type_id}, content_type="application/json")
        assert (response.status_code, response.json()["code"]) == (404, "appointment_type_not_found")
    missing = http.post(f"{BASE}/conversations/{conversation.pk}/cards", {"kind": "appointment"},
                        content_type="application/json")  # fmt: skip
    assert (missing.status_code, missing.json()["code"]) == (422, "invalid_card")
    assert not Message.objects.filter(direction="out").exists()


def test_the_console_answer_box_sends_an_invitation(conversation, associate_a, manager_a, world_a):
    video = _video_type(world_a, manager_a)
    http = staff(associate_a)
    page = http.get(f"/console/atelier-a/inbox/{conversation.pk}/")
    assert f'<option value="{video.pk}">Video consultation · 30 min</option>' in page.content.decode()
    response = http.post(f"/console/atelier-a/inbox/{conversation.pk}/send/",
                         {"action": "appointment", "appointment_type": str(video.pk), "body": ""})  # fmt: skip
    assert response.status_code == 302
    sent = Message.objects.get(direction="out")
    assert sent.payload["type"] == "appointment"
    thread = http.get(f"/console/atelier-a/inbox/{conversation.pk}/").content.decode()
    assert f'href="{sent.payload["url"]}">Video consultation</a>' in thread
    bad = http.post(f"/console/atelier-a/inbox/{conversation.pk}/send/", {"action": "appointment",
                                                                          "appointment_type": "x"})  # fmt: skip
    assert bad.status_code == 422 and "Choose one from the list." in bad.content.decode()
