"""The Twilio adapter (SMS and WhatsApp) against a local fake of Twilio's Messages API: webhooks
signed with X-Twilio-Signature (checked by the SDK against SITE_URL), answered with empty TwiML;
sending with HTTP Basic auth; status callbacks forward only, naming a message whose answer was lost."""

import base64
import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from twilio.request_validator import RequestValidator

from omnipresence.clients.models import Client
from omnipresence.inbox import services
from omnipresence.inbox.models import Conversation, Inbox, Message, OutboxItem
from omnipresence.inbox.tests.fake_providers import providers_running

SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-auth-token-test"
NUMBER = "+447700900020"
SITE = "https://shop.example.com"
TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
CONFIG = {"account_sid": SID, "auth_token": AUTH_TOKEN, "from": NUMBER}


@pytest.fixture
def fake(settings):
    settings.SITE_URL = SITE
    yield from providers_running(settings)


@pytest.fixture
def twilio_sms(manager_actor, fake):
    fake.twilio_accounts[SID] = AUTH_TOKEN
    return services.inbox_create(actor=manager_actor, kind="sms", name="SMS", address=NUMBER, provider="twilio",
                                 config=CONFIG)  # fmt: skip


@pytest.fixture
def twilio_whatsapp(manager_actor, fake):
    fake.twilio_accounts[SID] = AUTH_TOKEN
    return services.inbox_create(actor=manager_actor, kind="whatsapp", name="WhatsApp", address=NUMBER,
                                 provider="twilio", config={**CONFIG, "from": f"whatsapp:{NUMBER}"})  # fmt: skip


def sms_params(sid: str, body: str, *, sender="+447911123456", **extra) -> dict:
    return {"ToCountry": "GB", "SmsMessageSid": sid, "NumMedia": "0", "SmsSid": sid, "SmsStatus": "received",
            "Body": body, "To": NUMBER, "NumSegments": "1", "MessageSid": sid, "AccountSid": SID, "From": sender,
            "ApiVersion": "2010-04-01", **extra}  # fmt: skip


def post(inbox_id: int, params: dict, *, suffix: str = "", signature: str | None = None, signed_url: str | None = None,
         body: bytes | None = None, content_type="application/x-www-form-urlencoded"):  # fmt: skip
    path = f"/api/v1/webhooks/twilio/{inbox_id}{suffix}"
    if signature is None:
        signature = RequestValidator(AUTH_TOKEN).compute_signature(signed_url or SITE + path, params)
    raw = body if body is not None else urlencode(params).encode()
    return HttpClient().post(path, raw, content_type=content_type, headers={"X-Twilio-Signature": signature})


def staff(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


# --- inbound -------------------------------------------------------------------------------------


def test_an_sms_is_stored_once_and_answered_with_empty_twiml(twilio_sms, sibyl):
    params = sms_params("SM" + "1" * 32, "Is the blue coat in a 38?")
    first = post(twilio_sms.pk, params)
    again = post(twilio_sms.pk, params)
    assert (first.status_code, first["Content-Type"], first.content) == (200, "text/xml; charset=utf-8", TWIML)
    assert again.status_code == 200
    message = Message.objects.get()
    assert (message.body, message.provider_message_id) == ("Is the blue coat in a 38?", "SM" + "1" * 32)
    assert (message.conversation.client_id, message.conversation.contact) == (sibyl.pk, "+447911123456")


def test_a_whatsapp_message_through_twilio_finds_her_by_number(twilio_whatsapp):
    post(twilio_whatsapp.pk, sms_params("SM" + "2" * 32, "Hello", sender="whatsapp:+447911123499",
                                        To=f"whatsapp:{NUMBER}", ProfileName="Dorian Gray"))  # fmt: skip
    client = Client.objects.get(display_name="Dorian Gray")
    assert [(i.kind, i.value) for i in client.identities.all()] == [("whatsapp", "+447911123499")]
    assert Conversation.objects.get().contact == "+447911123499"


@pytest.mark.parametrize("how", ["missing", "wrong token", "another url", "tampered"])
def test_a_bad_signature_is_401_and_stores_nothing(twilio_sms, how):
    params = sms_params("SM" + "3" * 32, "Hi")
    if how == "missing":
        response = post(twilio_sms.pk, params, signature="")
    elif how == "wrong token":
        response = post(twilio_sms.pk, params, signature=RequestValidator("other").compute_signature(
            f"{SITE}/api/v1/webhooks/twilio/{twilio_sms.pk}", params))  # fmt: skip
    elif how == "another url":  # signed for the address the request reached, not the public one
        response = post(twilio_sms.pk, params, signed_url=f"http://testserver/api/v1/webhooks/twilio/{twilio_sms.pk}")
    else:
        signature = RequestValidator(AUTH_TOKEN).compute_signature(
            f"{SITE}/api/v1/webhooks/twilio/{twilio_sms.pk}", params)  # fmt: skip
        response = post(twilio_sms.pk, {**params, "Body": "Send me your card number"}, signature=signature)
    assert (response.status_code, response.json()["code"]) == (401, "invalid_signature")
    assert not Message.objects.exists() and not Client.objects.exists()


def test_an_unknown_inbox_is_401(twilio_sms, sms):
    params = sms_params("SM" + "4" * 32, "Hi")
    assert post(twilio_sms.pk + 999, params).status_code == 401
    assert post(sms.pk, params).status_code == 401  # the local provider's inbox
    assert not Message.objects.exists()


def test_what_is_not_a_twilio_form_is_400(twilio_sms):
    as_json = post(twilio_sms.pk, {}, body=json.dumps({"Body": "Hi"}).encode(), content_type="application/json")
    no_sid = post(twilio_sms.pk, {"From": "+447911123456", "Body": "Hi"})
    bad_media = post(twilio_sms.pk, sms_params("SM" + "5" * 32, "Hi", NumMedia="two"))
    assert (as_json.status_code, as_json.json()["code"]) == (400, "malformed_request")
    assert (no_sid.status_code, no_sid.json()["code"]) == (400, "invalid_event")
    assert (bad_media.status_code, bad_media.json()["code"]) == (400, "invalid_event")
    assert not Message.objects.exists()


def test_a_photo_message_keeps_its_media_urls(twilio_sms):
    url = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages/MM1/Media/ME1"
    post(twilio_sms.pk, sms_params("MM" + "6" * 32, "", NumMedia="1", MediaUrl0=url, MediaContentType0="image/jpeg"))
    message = Message.objects.get()
    assert message.body == "[image]"
    assert message.payload["media"] == [{"url": url, "content_type": "image/jpeg"}]


# --- outbound ------------------------------------------------------------------------------------


def _conversation(inbox, sender="+447911123456") -> Conversation:
    prefix = "whatsapp:" if inbox.kind == "whatsapp" else ""
    post(inbox.pk, sms_params("SM" + "7" * 32, "Is it in a 38?", sender=prefix + sender))
    return Conversation.objects.get(inbox=inbox)


def test_an_sms_answer_reaches_twilio_in_its_format(twilio_sms, sibyl, associate_a, fake,
                                                    django_capture_on_commit_callbacks):  # fmt: skip
    conversation = _conversation(twilio_sms)
    with django_capture_on_commit_callbacks(execute=True):
        sent = staff(associate_a).post(f"/api/v1/boutiques/atelier-a/conversations/{conversation.pk}/messages",
                                       {"body": "Yes, in a 38."}, content_type="application/json")  # fmt: skip
    assert sent.status_code == 201, sent.content
    [request] = fake.requests
    assert (request.method, request.path) == ("POST", f"/2010-04-01/Accounts/{SID}/Messages.json")
    assert request.header("Authorization") == "Basic " + base64.b64encode(f"{SID}:{AUTH_TOKEN}".encode()).decode()
    assert request.header("Content-Type") == "application/x-www-form-urlencoded"
    assert request.form() == [("To", "+447911123456"), ("From", NUMBER), ("Body", "Yes, in a 38."),
                              ("StatusCallback",
                               f"{SITE}/api/v1/webhooks/twilio/{twilio_sms.pk}/status?ref=msg-{sent.json()['id']}")]  # fmt: skip
    message = Message.objects.get(pk=sent.json()["id"])
    assert (message.status, message.provider_message_id) == ("sent", fake.sent[0]["id"])
    assert message.provider_message_id.startswith("SM")


def test_a_whatsapp_answer_carries_the_whatsapp_prefix(twilio_whatsapp, associate_actor, fake,
                                                       django_capture_on_commit_callbacks):  # fmt: skip
    conversation = _conversation(twilio_whatsapp)
    with django_capture_on_commit_callbacks(execute=True):
        services.message_send(actor=associate_actor, conversation=conversation, body="Yes!")
    form = dict(fake.requests[0].form())
    assert (form["To"], form["From"]) == ("whatsapp:+447911123456", f"whatsapp:{NUMBER}")


def test_a_500_before_twilio_took_it_is_retried_and_she_gets_one_message(twilio_sms, associate_actor, fake,
                                                                        django_capture_on_commit_callbacks):  # fmt: skip
    conversation = _conversation(twilio_sms)
    fake.fail_next(1, kind="500")
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="Yes.")
    item = OutboxItem.objects.get(message=answer)
    assert item.attempts == 1 and "Twilio answered 500" in item.last_error
    OutboxItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now())
    assert services.outbox_deliver(item.pk) == "sent"
    answer.refresh_from_db()
    assert len(fake.sent) == 1 and answer.provider_message_id == fake.sent[0]["id"]


def test_with_no_callback_after_a_lost_answer_twilio_sends_it_again(twilio_sms, associate_actor, fake,
                                                                    django_capture_on_commit_callbacks):  # fmt: skip
    """Twilio's Messages API takes no idempotency key (its error 20500 page says a retried SMS may
    reach her twice): with the answer lost and no status callback within the wait, the retry sends
    a second copy. docs/inbox.md says so; the callback's `ref` (next test) is what prevents it."""
    conversation = _conversation(twilio_sms)
    fake.fail_next(1, kind="500", after_processing=True)
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="Yes.")
    OutboxItem.objects.filter(message=answer).update(next_attempt_at=timezone.now())
    assert services.outbox_deliver(OutboxItem.objects.get(message=answer).pk) == "sent"
    assert [m["body"] for m in fake.sent] == ["Yes.", "Yes."]


def test_the_status_callback_names_a_message_whose_answer_was_lost(twilio_sms, associate_actor, fake,
                                                                   django_capture_on_commit_callbacks):  # fmt: skip
    """The message is named by `ref=msg-<id>` in its status callback's address, which the signature
    covers: the retry after the wait then sends nothing."""
    conversation = _conversation(twilio_sms)
    fake.fail_next(1, kind="drop", after_processing=True)
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="Yes.")
    [sent] = fake.sent
    assert sent["status_callback"].endswith(f"/status?ref=msg-{answer.pk}")
    params = {"MessageSid": sent["id"], "MessageStatus": "queued", "AccountSid": SID}
    forged = post(twilio_sms.pk, params, suffix=f"/status?ref=msg-{answer.pk}",
                  signed_url=f"{SITE}/api/v1/webhooks/twilio/{twilio_sms.pk}/status?ref=msg-{answer.pk + 1}")  # fmt: skip
    assert forged.status_code == 401  # the reference cannot be changed without the auth token
    named = post(twilio_sms.pk, params, suffix=f"/status?ref=msg-{answer.pk}")
    assert (named.status_code, named.content) == (200, TWIML)
    answer.refresh_from_db()
    assert (answer.status, answer.provider_message_id) == ("sent", sent["id"])
    OutboxItem.objects.filter(message=answer).update(next_attempt_at=timezone.now())
    assert services.outbox_sweep() == {}
    assert len(fake.requests) == 1


def test_wrong_credentials_fail_the_message_at_once(twilio_sms, associate_actor, fake,
                                                    django_capture_on_commit_callbacks):  # fmt: skip
    conversation = _conversation(twilio_sms)
    Inbox.objects.filter(pk=twilio_sms.pk).update(config={**CONFIG, "auth_token": "rotated"})
    conversation = Conversation.objects.select_related("inbox").get(pk=conversation.pk)
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="Yes.")
    answer.refresh_from_db()
    assert answer.status == "failed" and answer.error == "Twilio refused (401): Authenticate (code 20003)"
    assert fake.sent == []


def test_a_whatsapp_template_goes_by_content_sid(twilio_whatsapp, associate_actor, fake,
                                                  django_capture_on_commit_callbacks):  # fmt: skip
    conversation = _conversation(twilio_whatsapp)
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - timedelta(days=2))
    conversation.refresh_from_db()
    content_sid = "HX" + "ab" * 16
    with django_capture_on_commit_callbacks(execute=True):
        by_sid = services.message_send(actor=associate_actor, conversation=conversation, body="",
                                       payload={"template": {"name": content_sid, "language": "en",
                                                             "variables": ["Sibyl"]}})  # fmt: skip
        by_name = services.message_send(actor=associate_actor, conversation=conversation, body="",
                                        payload={"template": {"name": "order_ready", "language": "en"}})  # fmt: skip
    form = dict(fake.requests[0].form())
    assert (form["ContentSid"], json.loads(form["ContentVariables"])) == (content_sid, {"1": "Sibyl"})
    assert "Body" not in form
    by_sid.refresh_from_db()
    by_name.refresh_from_db()
    assert by_sid.status == "sent"
    assert by_name.status == "failed" and "Content SID" in by_name.error
    assert len(fake.requests) == 1  # the one by name never left


# --- status callbacks ----------------------------------------------------------------------------


def test_status_callbacks_move_her_message_forward_only(twilio_sms, associate_actor, fake,
                                                        django_capture_on_commit_callbacks):  # fmt: skip
    conversation = _conversation(twilio_sms)
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="Yes.")
    message_sid = fake.sent[0]["id"]

    def callback(state: str, **extra) -> str:
        response = post(twilio_sms.pk, {"MessageSid": message_sid, "MessageStatus": state, "AccountSid": SID,
                                        **extra}, suffix="/status")  # fmt: skip
        assert (response.status_code, response.content) == (200, TWIML)
        answer.refresh_from_db()
        return answer.status

    assert [callback(s) for s in ("queued", "sent", "delivered", "sent", "read")] == [
        "sent", "sent", "delivered", "delivered", "read"
    ]  # fmt: skip
    assert callback("undelivered", ErrorCode="30003") == "read"


def test_an_undelivered_callback_fails_the_message_with_the_code(twilio_sms, associate_actor, fake,
                                                                 django_capture_on_commit_callbacks):  # fmt: skip
    conversation = _conversation(twilio_sms)
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="Yes.")
    post(twilio_sms.pk, {"MessageSid": fake.sent[0]["id"], "MessageStatus": "undelivered", "ErrorCode": "30003",
                         "ErrorMessage": "Unreachable destination handset"}, suffix="/status")  # fmt: skip
    answer.refresh_from_db()
    assert (answer.status, answer.error) == ("failed", "Twilio error 30003: Unreachable destination handset")


def test_a_status_callback_for_an_unknown_message_or_unsigned_is_refused_or_ignored(twilio_sms):
    unknown = post(twilio_sms.pk, {"MessageSid": "SM" + "9" * 32, "MessageStatus": "delivered"}, suffix="/status")
    unsigned = post(twilio_sms.pk, {"MessageSid": "SM" + "9" * 32, "MessageStatus": "delivered"}, suffix="/status",
                    signature="bad")  # fmt: skip
    assert unknown.status_code == 200 and unsigned.status_code == 401
    assert not Message.objects.exists()


def test_twilio_inboxes_need_their_config(manager_actor):
    from omnipresence.inbox.errors import InvalidConfig

    with pytest.raises(InvalidConfig) as missing:
        services.inbox_create(actor=manager_actor, kind="sms", name="SMS", provider="twilio",
                              config={"account_sid": SID, "from": NUMBER})  # fmt: skip
    with pytest.raises(InvalidConfig) as bad_sid:
        services.inbox_create(actor=manager_actor, kind="sms", name="SMS", provider="twilio",
                              config={**CONFIG, "account_sid": "SK123"})  # fmt: skip
    with pytest.raises(InvalidConfig) as wrong_kind:
        services.inbox_create(actor=manager_actor, kind="email", name="Mail", provider="twilio", config=CONFIG)
    assert missing.value.details == {"missing": ["auth_token"]} and missing.value.status == 400
    assert bad_sid.value.details == {"invalid": ["account_sid"]}
    assert wrong_kind.value.code == "provider_kind_mismatch"
    assert not Inbox.objects.exists()
