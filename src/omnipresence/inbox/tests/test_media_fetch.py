"""Her photos on WhatsApp and Messenger are fetched into our storage (inbox.media_fetch), against
the local fake of the Graph API: WhatsApp's media id → its URL → the file, both with the inbox's
token; Messenger's attachment URL without a token; checked like an upload (GPS gone), attached to
her message; a provider down is retried by the sweep; what is not a photo stays named, not shown."""

import io
import json
import time

import pytest
from django.test import Client as HttpClient
from PIL import Image

from omnipresence.core import hooks
from omnipresence.inbox import media_fetch, realtime
from omnipresence.inbox.models import Attachment, Message
from omnipresence.inbox.tests import test_provider_meta as meta
from omnipresence.inbox.tests import test_provider_whatsapp as wa_tests
from omnipresence.inbox.tests.fake_providers import providers_running
from omnipresence.inbox.tests.test_rich import jpeg_with_gps

MEDIA_ID = "1479537139650973"


@pytest.fixture
def fake(settings):
    yield from providers_running(settings)


@pytest.fixture
def wa(manager_actor, fake):
    from omnipresence.inbox import services

    fake.whatsapp_numbers[wa_tests.NUMBER_ID] = wa_tests.TOKEN
    return services.inbox_create(actor=manager_actor, kind="whatsapp", name="WhatsApp", address="+447700900010",
                                 provider="whatsapp_cloud", config=wa_tests.CONFIG)  # fmt: skip


def photo_message(wamid="wamid.photo", media_id=MEDIA_ID, caption=None) -> dict:
    image = {"id": media_id, "mime_type": "image/jpeg"}
    if caption:
        image["caption"] = caption
    return {"from": "447911123456", "id": wamid, "timestamp": str(int(time.time())), "type": "image", "image": image}


def test_a_whatsapp_photo_is_fetched_with_the_token_stripped_and_shown(wa, fake, monkeypatch,
                                                                       django_capture_on_commit_callbacks):  # fmt: skip
    shown = []
    monkeypatch.setattr(realtime, "message_updated", lambda message: shown.append(message.pk))
    fake.whatsapp_media[MEDIA_ID] = (jpeg_with_gps(800, 600), "image/jpeg", wa_tests.TOKEN)
    with django_capture_on_commit_callbacks(execute=True):
        answer = wa_tests.post(wa.pk, wa_tests.event(messages=[photo_message(caption="This one, in blue?")]))
    assert answer.status_code == 200 and answer.json()["stored"] == 1
    message = Message.objects.get()
    assert message.body == "This one, in blue?"
    [attachment] = message.attachments.all()
    assert (attachment.content_type, attachment.width, attachment.height) == ("image/jpeg", 800, 600)
    assert message.payload["media_state"] == "done"
    assert message.payload["media"][0]["attachment_id"] == attachment.pk
    lookup, download = fake.requests[-2:]
    assert (lookup.method, lookup.path) == ("GET", f"/v21.0/{MEDIA_ID}")
    assert (download.method, download.path) == ("GET", f"/whatsapp-media/{MEDIA_ID}")
    assert lookup.header("Authorization") == download.header("Authorization") == f"Bearer {wa_tests.TOKEN}"
    served = HttpClient().get(attachment.url)
    stored = Image.open(io.BytesIO(b"".join(served.streaming_content)))
    assert not stored.getexif()  # the GPS of her phone is not kept
    assert shown == [message.pk]  # the open thread draws it again with the photo
    # The same delivery again is a duplicate: nothing fetched twice.
    before = len(fake.requests)
    with django_capture_on_commit_callbacks(execute=True):
        wa_tests.post(wa.pk, wa_tests.event(messages=[photo_message(caption="This one, in blue?")]))
    assert len(fake.requests) == before and Attachment.objects.count() == 1


def test_whatsapp_down_is_retried_by_the_sweep(wa, fake, django_capture_on_commit_callbacks):
    fake.whatsapp_media[MEDIA_ID] = (jpeg_with_gps(64, 48), "image/jpeg", wa_tests.TOKEN)
    fake.fail_next(1)
    with django_capture_on_commit_callbacks(execute=True):
        wa_tests.post(wa.pk, wa_tests.event(messages=[photo_message()]))
    message = Message.objects.get()
    assert message.body == "[image]" and not message.attachments.exists()
    assert (message.payload["media_state"], message.payload["media_attempts"]) == ("pending", 1)
    assert hooks._sweeps["inbox_media"] is media_fetch.media_sweep
    assert media_fetch.media_sweep() == {"done": 1}
    message.refresh_from_db()
    assert message.attachments.count() == 1 and message.payload["media_state"] == "done"
    assert media_fetch.media_sweep() == {}  # nothing left to fetch


def test_what_is_not_a_photo_stays_named_and_a_gone_file_gives_up(wa, fake, django_capture_on_commit_callbacks):
    fake.whatsapp_media[MEDIA_ID] = (b"%PDF-1.7 not a photo", "image/jpeg", wa_tests.TOKEN)
    with django_capture_on_commit_callbacks(execute=True):
        wa_tests.post(wa.pk, wa_tests.event(messages=[photo_message(), photo_message("wamid.gone", "999000111")]))
    first, gone = Message.objects.order_by("pk")
    assert not Attachment.objects.exists()
    assert first.payload["media_state"] == "failed" and first.payload["media"][0]["error"] == "invalid_attachment"
    assert gone.payload["media_state"] == "failed" and "refused" in gone.payload["media"][0]["error"]  # 400 from Graph
    assert first.body == gone.body == "[image]"  # her messages are kept


def test_a_messenger_photo_is_fetched_without_a_token(manager_actor, fake, settings,
                                                      django_capture_on_commit_callbacks):  # fmt: skip
    from omnipresence.inbox import services

    fake.pages[meta.PAGE_ID] = meta.PAGE_TOKEN
    inbox = services.inbox_create(actor=manager_actor, kind="messenger", name="Messenger", address=meta.PAGE_ID,
                                  provider="meta", config=meta.CONFIG)  # fmt: skip
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, "PNG")
    fake.cdn_files["snap.png"] = out.getvalue()
    url = f"{fake.url}/cdn/snap.png"
    attachment = {"type": "image", "payload": {"url": url}}
    body = meta.event([meta.dm("m_photo", "", attachments=[attachment])])
    body["entry"][0]["messaging"][0]["message"].pop("text")
    with django_capture_on_commit_callbacks(execute=True):
        answer = meta.post(inbox.pk, json.dumps(body).encode())
    assert answer.status_code == 200, answer.content
    message = Message.objects.get()
    assert message.attachments.get().content_type == "image/png"
    assert fake.requests[-1].path == "/cdn/snap.png" and fake.requests[-1].header("Authorization") is None


def test_inboxes_without_a_fetcher_and_floods_are_not_fetched(manager_actor, wa, fake):
    from omnipresence.inbox import services

    inbox = services.inbox_create(actor=manager_actor, kind="sms", name="Shop SMS", address="+447700900001")
    message, _ = services.inbound_receive(inbox=inbox, sender="+447911123456", body="[image]",
                                          payload={"media": [{"type": "image", "id": "1"}]})  # fmt: skip
    media_fetch.media_mark_pending(message, inbox)  # the local provider (and Twilio): links stay links
    flooded, _ = services.inbound_receive(inbox=wa, sender="+447911123456", body="[image]",
                                          payload={"media": [{"type": "image", "id": MEDIA_ID}], "flood": True})  # fmt: skip
    media_fetch.media_mark_pending(flooded, wa)
    for one in (message, flooded):
        one.refresh_from_db()
        assert "media_state" not in one.payload
    assert media_fetch.media_sweep() == {} and not fake.requests


def test_an_mms_photo_is_fetched_with_twilios_credentials_that_stay_with_twilio(manager_actor, fake, settings,
                                                                               django_capture_on_commit_callbacks):  # fmt: skip
    from omnipresence.inbox import services
    from omnipresence.inbox.tests import test_provider_twilio as tw

    settings.SITE_URL = tw.SITE
    fake.twilio_accounts[tw.SID] = tw.AUTH_TOKEN
    inbox = services.inbox_create(actor=manager_actor, kind="sms", name="SMS", address=tw.NUMBER, provider="twilio",
                                  config=tw.CONFIG)  # fmt: skip
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (0, 120, 0)).save(out, "JPEG")
    fake.cdn_files["ME" + "1" * 32] = out.getvalue()
    media_url = f"{fake.url}/2010-04-01/Accounts/{tw.SID}/Messages/MM{'2' * 32}/Media/ME{'1' * 32}"
    params = tw.sms_params("MM" + "2" * 32, "", NumMedia="1", MediaUrl0=media_url, MediaContentType0="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        assert tw.post(inbox.pk, params).status_code == 200
    message = Message.objects.get()
    assert message.attachments.get().content_type == "image/jpeg" and message.payload["media_state"] == "done"
    asked, stored = fake.requests[-2:]
    assert asked.path.endswith(f"/Media/ME{'1' * 32}") and (asked.header("Authorization") or "").startswith("Basic ")
    assert stored.path == f"/cdn/ME{'1' * 32}" and stored.header("Authorization") is None  # not carried to storage


def test_urls_outside_the_providers_are_not_fetched(manager_actor, wa, fake, settings):
    from omnipresence.inbox import services

    fake.pages[meta.PAGE_ID] = meta.PAGE_TOKEN
    messenger = services.inbox_create(actor=manager_actor, kind="messenger", name="Messenger", address=meta.PAGE_ID,
                                      provider="meta", config=meta.CONFIG)  # fmt: skip
    message, _ = services.inbound_receive(inbox=messenger, sender=meta.PSID, body="[image]", payload={
        "media": [{"type": "image", "url": "https://169.254.169.254/latest/meta-data"}]})  # fmt: skip
    media_fetch.media_mark_pending(message, messenger)
    assert media_fetch.media_fetch(message.pk) == "failed"
    message.refresh_from_db()
    assert "not on Meta's CDN" in message.payload["media"][0]["error"] and not fake.requests
    allowed = ("https://scontent.xx.fbcdn.net/v/x.jpg", "https://lookaside.fbsbx.com/ig/x", "https://fbcdn.net/x")
    refused = ("http://scontent.xx.fbcdn.net/v/x.jpg", "https://fbcdn.net.evil.com/x", "https://evilfbcdn.net/x",
               "https://10.0.0.1/x", "file:///etc/passwd")
    assert all(media_fetch.on_meta_cdn(url) for url in allowed)
    assert not any(media_fetch.on_meta_cdn(url) for url in refused)
