"""Messenger and Instagram DMs through Meta's webhooks and Send API, against a local fake of the
Graph API: the handshake, signed webhooks stored once (echoes skipped), answers as RESPONSE within
24 hours and HUMAN_AGENT up to 7 days, receipts, and Instagram mentions on a social inbox."""

import json
import time
from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from omnipresence.clients.models import Client, TimelineEvent
from omnipresence.inbox import services
from omnipresence.inbox.errors import InvalidConfig, WindowClosed
from omnipresence.inbox.models import Conversation, Inbox, Message, OutboxItem
from omnipresence.inbox.tests.fake_providers import hub_signature, providers_running

PAGE_ID = "104857600000001"
IG_USER_ID = "17841400000000001"
PAGE_TOKEN = "EAAGpage-token"
SECRET = "meta-app-secret"
VERIFY = "meta-verify"
CONFIG = {"page_id": PAGE_ID, "page_access_token": PAGE_TOKEN, "app_secret": SECRET, "verify_token": VERIFY}
PSID = "6543210987654321"


@pytest.fixture
def fake(settings):
    yield from providers_running(settings)


@pytest.fixture
def messenger(manager_actor, fake):
    fake.pages[PAGE_ID] = PAGE_TOKEN
    return services.inbox_create(actor=manager_actor, kind="messenger", name="Messenger", address=PAGE_ID,
                                 provider="meta", config=CONFIG)  # fmt: skip


@pytest.fixture
def instagram(manager_actor, fake):
    fake.pages[PAGE_ID] = PAGE_TOKEN
    return services.inbox_create(actor=manager_actor, kind="instagram", name="Instagram DMs", address="@atelier",
                                 provider="meta", config=CONFIG)  # fmt: skip


@pytest.fixture
def mentions(manager_actor, fake):
    fake.instagram_accounts[IG_USER_ID] = PAGE_TOKEN
    return services.inbox_create(actor=manager_actor, kind="social", name="Mentions", address="@atelier-mentions",
                                 provider="meta", config={**CONFIG, "ig_user_id": IG_USER_ID})  # fmt: skip


def dm(mid: str, body: str, *, sender=PSID, at_ms: int | None = None, **message) -> dict:
    return {"sender": {"id": sender}, "recipient": {"id": PAGE_ID}, "timestamp": at_ms or int(time.time() * 1000),
            "message": {"mid": mid, "text": body, **message}}  # fmt: skip


def event(items: list[dict], *, obj="page", changes=None) -> dict:
    entry = {"id": PAGE_ID if obj == "page" else IG_USER_ID, "time": int(time.time() * 1000)}
    if items:
        entry["messaging"] = items
    if changes:
        entry["changes"] = changes
    return {"object": obj, "entry": [entry]}


def post(inbox_id: int, body, *, signature: str | None = None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    header = hub_signature(SECRET, raw) if signature is None else signature
    return HttpClient().post(f"/api/v1/webhooks/meta/{inbox_id}", raw, content_type="application/json",
                             headers={"X-Hub-Signature-256": header})  # fmt: skip


def _conversation(inbox, *, hours_ago: float = 1) -> Conversation:
    at_ms = int((time.time() - hours_ago * 3600) * 1000)
    post(inbox.pk, event([dm(f"m_in{at_ms}", "Is the coat in a 38?", at_ms=at_ms)],
                         obj="page" if inbox.kind == "messenger" else "instagram"))  # fmt: skip
    return Conversation.objects.get(inbox=inbox)


def test_the_handshake_needs_the_verify_token(messenger):
    url = f"/api/v1/webhooks/meta/{messenger.pk}"
    right = HttpClient().get(url, {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "42"})
    wrong = HttpClient().get(url, {"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "42"})
    no_challenge = HttpClient().get(url, {"hub.mode": "subscribe", "hub.verify_token": VERIFY})
    assert (right.status_code, right.content) == (200, b"42")
    assert [r.status_code for r in (wrong, no_challenge)] == [403, 403]
    assert wrong.json()["code"] == "verification_failed"


def test_a_messenger_dm_is_stored_once_with_her_scoped_id(messenger):
    body = event([dm("m_AAA1", "Hello from Messenger")])
    first, again = post(messenger.pk, body), post(messenger.pk, body)
    assert (first.json()["stored"], again.json()["duplicate"]) == (1, 1)
    message = Message.objects.get()
    assert (message.body, message.provider_message_id, message.conversation.contact) == (
        "Hello from Messenger", "m_AAA1", PSID
    )  # fmt: skip
    assert [(i.kind, i.value) for i in message.conversation.client.identities.all()] == [("facebook", PSID)]


def test_an_instagram_dm_finds_her_by_instagram_id(instagram):
    post(instagram.pk, event([dm("aWdfZAG1", "Love the coat")], obj="instagram"))
    client = Client.objects.get()
    assert [(i.kind, i.value) for i in client.identities.all()] == [("instagram", PSID)]


def test_echoes_and_other_objects_are_skipped(messenger, instagram):
    echo = post(messenger.pk, event([dm("m_echo", "Our own answer", is_echo=True)]))
    from_page = post(messenger.pk, event([dm("m_page", "Also ours", sender=PAGE_ID)]))
    wrong_object = post(messenger.pk, event([dm("m_ig", "Instagram's")], obj="instagram"))
    assert [r.json()["ignored"] for r in (echo, from_page, wrong_object)] == [1, 1, 1]
    assert not Message.objects.exists()


def test_bad_signatures_unknown_inboxes_and_bad_bodies(messenger, sms):
    body = event([dm("m_x", "Hi")])
    assert post(messenger.pk, body, signature="sha256=" + "f" * 64).status_code == 401
    assert post(messenger.pk, body, signature="").status_code == 401
    assert post(messenger.pk + 999, body).status_code == 401
    assert post(sms.pk, body).status_code == 401
    broken = post(messenger.pk, b'{"object": "page", ')
    assert (broken.status_code, broken.json()["code"]) == (400, "malformed_request")
    assert not Message.objects.exists()


def test_an_answer_within_24_hours_is_a_response(messenger, associate_actor, fake, django_capture_on_commit_callbacks):
    conversation = _conversation(messenger)
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="Yes, a 38.")
    [request] = fake.requests
    assert (request.method, request.path, request.header("Authorization")) == (
        "POST", f"/v21.0/{PAGE_ID}/messages", f"Bearer {PAGE_TOKEN}"
    )  # fmt: skip
    assert request.json() == {"recipient": {"id": PSID}, "messaging_type": "RESPONSE",
                              "message": {"text": "Yes, a 38.", "metadata": f"msg-{answer.pk}"}}  # fmt: skip
    answer.refresh_from_db()
    assert (answer.status, answer.provider_message_id) == ("sent", fake.sent[0]["id"])


def test_a_photo_alone_is_shown_in_messenger_and_a_photo_with_words_goes_as_its_link(
    messenger, associate_actor, fake, settings, django_capture_on_commit_callbacks
):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from omnipresence.inbox.attachments import attachment_upload

    settings.SITE_URL = "https://shop.example"
    conversation = _conversation(messenger)
    shots = []
    for _ in range(2):
        raw = io.BytesIO()
        Image.new("RGB", (40, 30), (10, 90, 200)).save(raw, "JPEG")
        shots.append(attachment_upload(actor=associate_actor, conversation=conversation,
                                       upload=SimpleUploadedFile("rail.jpg", raw.getvalue(), "image/jpeg")))  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        alone = services.message_send(actor=associate_actor, conversation=conversation, body="",
                                      attachment_ids=[shots[0].pk])  # fmt: skip
        with_words = services.message_send(actor=associate_actor, conversation=conversation, body="On the rail now",
                                           attachment_ids=[shots[1].pk])  # fmt: skip
    photo, words = (r.json()["message"] for r in fake.requests[-2:])
    assert photo == {"attachment": {"type": "image", "payload": {"url": f"https://shop.example{shots[0].url}",
                                                                 "is_reusable": False}},
                     "metadata": f"msg-{alone.pk}"}  # fmt: skip
    assert words == {"text": f"On the rail now\nhttps://shop.example{shots[1].url}", "metadata": f"msg-{with_words.pk}"}
    assert [m["attachment"]["url"] for m in fake.sent_by("meta") if m.get("attachment")] == [
        f"https://shop.example{shots[0].url}"]


def test_after_24_hours_a_human_agent_answers_for_7_days_then_nothing(instagram, associate_actor, fake,
                                                                      django_capture_on_commit_callbacks):  # fmt: skip
    conversation = _conversation(instagram, hours_ago=3 * 24)
    with django_capture_on_commit_callbacks(execute=True):
        services.message_send(actor=associate_actor, conversation=conversation, body="Still thinking of it?")
    assert fake.requests[0].json() == {"recipient": {"id": PSID}, "messaging_type": "MESSAGE_TAG",
                                       "tag": "HUMAN_AGENT", "message": {"text": "Still thinking of it?"}}  # fmt: skip
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - timedelta(days=7, minutes=1))
    conversation.refresh_from_db()
    with pytest.raises(WindowClosed) as closed:
        services.message_send(actor=associate_actor, conversation=conversation, body="Hello?")
    assert "7 days" in closed.value.message
    assert Message.objects.filter(direction="out").count() == 1 and len(fake.requests) == 1


def test_a_500_is_retried_once_more_and_sent(messenger, associate_actor, fake, django_capture_on_commit_callbacks):
    conversation = _conversation(messenger)
    fake.fail_next(1)
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="Yes.")
    item = OutboxItem.objects.get(message=answer)
    assert "Meta answered 500" in item.last_error
    OutboxItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now())
    assert services.outbox_deliver(item.pk) == "sent"
    assert len(fake.sent) == 1


def test_an_answer_lost_after_meta_took_it_is_named_by_its_echo_and_not_sent_again(
        messenger, associate_actor, fake, settings, django_capture_on_commit_callbacks):  # fmt: skip
    """The Send API takes no idempotency key. A Messenger message carries `msg-<id>` as metadata,
    which comes back in the message echo: that names it when the answer was lost."""
    conversation = _conversation(messenger)
    fake.fail_next(1, kind="drop", after_processing=True)
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="Yes, a 38.")
    item = OutboxItem.objects.get(message=answer)
    assert item.next_attempt_at >= before + timedelta(seconds=settings.INBOX_RECEIPT_WAIT)
    [sent] = fake.sent
    assert sent["metadata"] == f"msg-{answer.pk}"
    echo = {"sender": {"id": PAGE_ID}, "recipient": {"id": PSID}, "timestamp": int(time.time() * 1000),
            "message": {"is_echo": True, "app_id": 1517776481860111, "metadata": sent["metadata"], "mid": sent["id"],
                        "text": "Yes, a 38."}}  # fmt: skip
    response = post(messenger.pk, event([echo]))
    assert (response.status_code, response.json()["statuses"], response.json()["stored"]) == (200, 1, 0)
    answer.refresh_from_db()
    assert (answer.status, answer.provider_message_id) == ("sent", sent["id"])
    OutboxItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now())
    assert services.outbox_sweep() == {} and len(fake.sent) == 1
    again = post(messenger.pk, event([echo]))  # an echo of a message already named changes nothing
    assert (again.json()["statuses"], again.json()["stored"]) == (0, 0)
    assert Message.objects.filter(direction="out").count() == 1


def test_on_instagram_an_echo_with_her_words_names_the_message_whose_answer_was_lost(
        instagram, associate_actor, fake, django_capture_on_commit_callbacks):  # fmt: skip
    """Instagram's Send API has no metadata field, so its echo is matched: the same words to the same
    person while our message waits without a provider id. Other words, or another person, match nothing."""
    conversation = _conversation(instagram)
    fake.fail_next(1, kind="drop", after_processing=True)
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="Hi, it is in.")
    [sent] = fake.sent
    assert fake.requests[-1].json()["message"] == {"text": "Hi, it is in."}  # nothing of ours to hand back

    def echo(words: str, to: str = PSID) -> dict:
        return {"sender": {"id": IG_USER_ID}, "recipient": {"id": to}, "timestamp": int(time.time() * 1000),
                "message": {"is_echo": True, "mid": sent["id"], "text": words}}  # fmt: skip

    for stranger in (echo("Something else"), echo("Hi, it is in.", to="1111111111")):
        assert post(instagram.pk, event([stranger], obj="instagram")).json()["statuses"] == 0
    answer.refresh_from_db()
    assert (answer.status, answer.provider_message_id) == ("queued", "")
    assert post(instagram.pk, event([echo("Hi, it is in.")], obj="instagram")).json()["statuses"] == 1
    answer.refresh_from_db()
    assert (answer.status, answer.provider_message_id) == ("sent", sent["id"])
    OutboxItem.objects.filter(message=answer).update(next_attempt_at=timezone.now())
    assert services.outbox_sweep() == {} and len(fake.sent) == 1


def test_on_instagram_the_echo_of_a_photo_alone_names_the_one_photo_waiting(
        instagram, associate_actor, fake, settings, django_capture_on_commit_callbacks):  # fmt: skip
    """A photo's echo carries Meta's copy of it, not ours: it names our photo sent alone to her when
    exactly one is waiting without a provider id; with two waiting it names neither."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from omnipresence.inbox.attachments import attachment_upload

    settings.SITE_URL = "https://shop.example"
    conversation = _conversation(instagram)

    def photo_alone():
        raw = io.BytesIO()
        Image.new("RGB", (40, 30), (10, 90, 200)).save(raw, "JPEG")
        shot = attachment_upload(actor=associate_actor, conversation=conversation,
                                 upload=SimpleUploadedFile("rail.jpg", raw.getvalue(), "image/jpeg"))  # fmt: skip
        fake.fail_next(1, kind="drop", after_processing=True)
        with django_capture_on_commit_callbacks(execute=True):
            return services.message_send(actor=associate_actor, conversation=conversation, body="",
                                         attachment_ids=[shot.pk])  # fmt: skip

    def echo(mid: str, kind: str = "image") -> dict:
        return {"sender": {"id": IG_USER_ID}, "recipient": {"id": PSID}, "timestamp": int(time.time() * 1000),
                "message": {"is_echo": True, "mid": mid,
                            "attachments": [{"type": kind, "payload": {"url": "https://lookaside.fbsbx.com/x"}}]}}

    first = photo_alone()
    assert post(instagram.pk, event([echo(fake.sent[0]["id"], "video")], obj="instagram")).json()["statuses"] == 0
    second = photo_alone()
    assert post(instagram.pk, event([echo(fake.sent[1]["id"])], obj="instagram")).json()["statuses"] == 0  # which?
    Message.objects.filter(pk=first.pk).update(provider_message_id=fake.sent[0]["id"], status="sent")
    assert post(instagram.pk, event([echo(fake.sent[1]["id"])], obj="instagram")).json()["statuses"] == 1
    second.refresh_from_db()
    assert (second.status, second.provider_message_id) == ("sent", fake.sent[1]["id"])


def test_delivery_and_read_receipts(messenger, instagram, associate_actor, fake, django_capture_on_commit_callbacks):
    conversation = _conversation(messenger)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.message_send(actor=associate_actor, conversation=conversation, body="One")
        second = services.message_send(actor=associate_actor, conversation=conversation, body="Two")
    mids = [m["id"] for m in fake.sent]
    post(messenger.pk, event([{"sender": {"id": PSID}, "recipient": {"id": PAGE_ID}, "timestamp": 1,
                               "delivery": {"mids": mids[:1], "watermark": int(time.time() * 1000)}}]))  # fmt: skip
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("delivered", "sent")
    post(messenger.pk, event([{"sender": {"id": PSID}, "recipient": {"id": PAGE_ID}, "timestamp": 1,
                               "read": {"watermark": int(time.time() * 1000) + 1000}}]))  # fmt: skip
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("read", "read")  # Messenger reads up to a watermark

    ig_conversation = _conversation(instagram)
    with django_capture_on_commit_callbacks(execute=True):
        ig_answer = services.message_send(actor=associate_actor, conversation=ig_conversation, body="Hi")
    post(instagram.pk, event([{"sender": {"id": PSID}, "recipient": {"id": IG_USER_ID}, "timestamp": 1,
                               "read": {"mid": fake.sent[-1]["id"]}}], obj="instagram"))  # fmt: skip
    ig_answer.refresh_from_db()
    assert ig_answer.status == "read"  # Instagram names the message


# --- Instagram mentions on a social inbox --------------------------------------------------------


def _mention_change(comment_id="17895695668004550", media_id="17918195224117851") -> dict:
    return {"field": "mentions", "value": {"comment_id": comment_id, "media_id": media_id}}


def test_an_instagram_mention_is_fetched_stored_once_and_on_her_timeline(mentions, fake):
    fake.comments["17895695668004550"] = {
        "_owner": IG_USER_ID, "id": "17895695668004550", "text": "@atelier that blue coat!!", "username": "sibylvane",
        "timestamp": "2026-11-03T10:00:00+0000",
        "media": {"id": "17918195224117851", "permalink": "https://www.instagram.com/p/C0ffee/"},
    }  # fmt: skip
    body = event([], obj="instagram", changes=[_mention_change()])
    first, again = post(mentions.pk, body), post(mentions.pk, body)
    assert (first.json()["stored"], again.json()["duplicate"]) == (1, 1)
    lookups = [r for r in fake.requests if r.method == "GET"]
    assert len(lookups) == 1  # a replay is not fetched again
    assert lookups[0].path == f"/v21.0/{IG_USER_ID}"
    assert lookups[0].query["fields"] == ("mentioned_comment.comment_id(17895695668004550)"
                                          "{id,text,username,timestamp,media{id,permalink}}")  # fmt: skip
    message = Message.objects.get()
    assert (message.body, message.provider_message_id) == ("@atelier that blue coat!!", "instagram:17895695668004550")
    assert message.payload["mention"] == {"network": "instagram", "url": "https://www.instagram.com/p/C0ffee/",
                                          "id": "17895695668004550", "comment_id": "17895695668004550",
                                          "media_id": "17918195224117851"}  # fmt: skip
    client = message.conversation.client
    assert [(i.kind, i.value) for i in client.identities.all()] == [("instagram", "sibylvane")]
    assert TimelineEvent.objects.filter(client=client, kind="mention", ref_id=message.pk).count() == 1


def test_a_mention_meta_cannot_show_us_now_is_a_503_to_retry(mentions, fake):
    fake.comments["17895695668004550"] = {"_owner": IG_USER_ID, "id": "17895695668004550", "text": "@atelier hi",
                                          "username": "sibylvane", "media": {"id": "1", "permalink": ""}}  # fmt: skip
    fake.fail_next(1)
    body = event([], obj="instagram", changes=[_mention_change()])
    failed = post(mentions.pk, body)
    assert (failed.status_code, failed.json()["code"]) == (503, "provider_unavailable")
    assert not Message.objects.exists()
    assert post(mentions.pk, body).json()["stored"] == 1  # Meta's retry


def test_a_mention_is_answered_under_her_comment(mentions, associate_actor, fake, django_capture_on_commit_callbacks):
    fake.comments["17895695668004550"] = {"_owner": IG_USER_ID, "id": "17895695668004550", "text": "@atelier 38?",
                                          "username": "sibylvane",
                                          "media": {"id": "17918195224117851", "permalink": ""}}  # fmt: skip
    post(mentions.pk, event([], obj="instagram", changes=[_mention_change()]))
    conversation = Conversation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="Yes! DM us.")
    reply = fake.requests[-1]
    assert (reply.method, reply.path, reply.header("Authorization")) == (
        "POST", f"/v21.0/{IG_USER_ID}/mentions", f"Bearer {PAGE_TOKEN}"
    )  # fmt: skip
    assert reply.json() == {"media_id": "17918195224117851", "comment_id": "17895695668004550",
                            "message": "Yes! DM us."}  # fmt: skip
    answer.refresh_from_db()
    assert (answer.status, answer.provider_message_id) == ("sent", fake.sent[-1]["id"])
    assert answer.payload["reply_to_mention"] == {"media_id": "17918195224117851", "comment_id": "17895695668004550"}


def test_a_mention_reply_whose_answer_was_lost_is_failed_with_words_not_posted_twice(
        mentions, associate_actor, fake, django_capture_on_commit_callbacks):  # fmt: skip
    """A reply to a mention is a public comment that nothing names afterwards: with Meta's answer
    lost it is failed, saying it may be there already; the associate looks and sends it again."""
    fake.comments["17895695668004550"] = {"_owner": IG_USER_ID, "id": "17895695668004550", "text": "@atelier 38?",
                                          "username": "sibylvane",
                                          "media": {"id": "17918195224117851", "permalink": ""}}  # fmt: skip
    post(mentions.pk, event([], obj="instagram", changes=[_mention_change()]))
    conversation = Conversation.objects.select_related("inbox", "client").get()
    fake.fail_next(1, kind="drop", after_processing=True)
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="Yes! DM us.")
    answer.refresh_from_db()
    assert answer.status == "failed" and "may be on her post already" in answer.error
    OutboxItem.objects.filter(message=answer).update(next_attempt_at=timezone.now())
    assert services.outbox_sweep() == {} and len(fake.sent) == 1  # not posted again by itself
    with django_capture_on_commit_callbacks(execute=True):
        services.message_resend(actor=associate_actor, conversation=conversation, message_id=answer.pk)
    answer.refresh_from_db()
    assert answer.status == "sent" and len(fake.sent) == 2  # her associate's call


def test_a_caption_mention_is_answered_on_her_post(mentions, associate_actor, fake,
                                                   django_capture_on_commit_callbacks):  # fmt: skip
    fake.captions["17918195224117851"] = {"_owner": IG_USER_ID, "id": "17918195224117851",
                                          "caption": "New coat from @atelier", "username": "sibylvane",
                                          "timestamp": "2026-11-03T10:00:00+0000",
                                          "permalink": "https://www.instagram.com/p/C0ffee/"}  # fmt: skip
    post(mentions.pk, event([], obj="instagram", changes=[_mention_change(comment_id="")]))
    conversation = Conversation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="It suits you!")
    assert fake.requests[-1].json() == {"media_id": "17918195224117851", "message": "It suits you!"}
    answer.refresh_from_db()
    assert answer.status == "sent" and fake.sent[-1]["provider"] == "instagram_mention_reply"


def test_meta_inboxes_need_their_config(manager_actor):
    with pytest.raises(InvalidConfig) as social:
        services.inbox_create(actor=manager_actor, kind="social", name="Mentions", provider="meta", config=CONFIG)
    with pytest.raises(InvalidConfig) as sms:
        services.inbox_create(actor=manager_actor, kind="sms", name="SMS", provider="meta", config=CONFIG)
    assert social.value.details == {"missing": ["ig_user_id"]} and sms.value.code == "provider_kind_mismatch"
    assert not Inbox.objects.exists()
