"""Email coming in (raw MIME, signed like the local webhook) and answers that stay in her thread:
Message-ID stored once, text from the plain or the HTML part, quoted history dropped, threads kept
by References / In-Reply-To, answers with In-Reply-To, References and "Re: <subject>"; and the
same mail polled from a mailbox over IMAP (a local fake IMAP server)."""

import io
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client as HttpClient

from omnipresence.clients.models import Client
from omnipresence.inbox import services
from omnipresence.inbox.errors import InvalidConfig
from omnipresence.inbox.models import Conversation, Inbox, Message
from omnipresence.inbox.providers.email_in import html_to_text, reply_only
from omnipresence.inbox.tests.fake_providers import FakeImap
from omnipresence.inbox.webhooks import local_sign


@pytest.fixture
def mailbox(manager_actor):
    return services.inbox_create(actor=manager_actor, kind="email", name="Atelier A", address="hello@atelier.example",
                                 provider="email")  # fmt: skip


def compose(text: str | None = "Is the blue coat still in a 38?", *, sender="Sibyl Vane <sibyl@example.com>",
            subject="Blue coat", message_id: str | None = None, in_reply_to: str = "", references: str = "",
            html: str | None = None) -> bytes:  # fmt: skip
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "hello@atelier.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="example.com")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    return message.as_bytes()


def post(inbox, raw: bytes, *, signature: str | None = None, content_type="message/rfc822", inbox_id=None):
    header = local_sign(inbox, raw) if signature is None else signature
    return HttpClient().post(f"/api/v1/webhooks/email/{inbox_id or inbox.pk}", raw, content_type=content_type,
                             headers={"X-Omni-Signature": header})  # fmt: skip


def test_an_email_is_stored_once_on_her_record_with_its_subject(mailbox):
    raw = compose(message_id="<first@example.com>")
    first, again = post(mailbox, raw), post(mailbox, raw)
    assert first.status_code == 200, first.content
    assert (first.json()["result"], again.json()["result"]) == ("stored", "duplicate")
    message = Message.objects.get()
    assert (message.body, message.provider_message_id) == ("Is the blue coat still in a 38?", "<first@example.com>")
    conversation = message.conversation
    assert (conversation.contact, conversation.subject) == ("sibyl@example.com", "Blue coat")
    client = Client.objects.get()
    assert client.display_name == "Sibyl Vane"
    assert [(i.kind, i.value) for i in client.identities.all()] == [("email", "sibyl@example.com")]


def test_an_html_only_email_becomes_text(mailbox):
    html = ("<html><head><style>p{color:red}</style></head><body><p>Hello,</p><p>Is the <b>blue coat</b> "
            "in a 38?</p><script>alert(1)</script></body></html>")  # fmt: skip
    post(mailbox, compose(None, html=html))
    assert Message.objects.get().body == "Hello,\n\nIs the blue coat in a 38?"


def test_the_quoted_history_of_a_reply_is_dropped():
    gmail = "Yes please, hold it.\n\nOn Mon, 3 Nov 2026 at 10:00, Atelier A <hello@atelier.example>\nwrote:\n> It is."
    french = "Oui merci\n\nLe lun. 3 nov. 2026 à 10:00, Atelier A a écrit :\n> Il est là."
    outlook = "Thanks!\n\nFrom: Atelier A <hello@atelier.example>\nSent: Monday\nSubject: Re: coat\n\nIt is."
    only_quote = "> It is."
    assert [reply_only(t) for t in (gmail, french, outlook, only_quote)] == [
        "Yes please, hold it.", "Oui merci", "Thanks!", "> It is."
    ]  # fmt: skip
    assert reply_only("On Monday I will come by.") == "On Monday I will come by."
    assert html_to_text("<div>A&amp;B<br>C</div>") == "A&B\nC"


def test_answers_and_replies_stay_in_one_thread(mailbox, associate_actor, django_capture_on_commit_callbacks):
    post(mailbox, compose(message_id="<q1@example.com>"))
    conversation = Conversation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.message_send(actor=associate_actor, conversation=conversation, body="It is, in a 38.")
    [sent] = mail.outbox
    assert sent.subject == "Re: Blue coat" and sent.to == ["sibyl@example.com"]
    assert sent.extra_headers["Message-ID"] == f"<msg-{answer.pk}@omnipresence>"
    assert (sent.extra_headers["In-Reply-To"], sent.extra_headers["References"]) == (
        "<q1@example.com>", "<q1@example.com>"
    )  # fmt: skip
    services.conversation_update(actor=associate_actor, conversation=conversation, status="resolved")

    # Her reply names our answer: it continues this conversation, resolved or not.
    reply = post(mailbox, compose("Lovely, please hold it.\n\nOn Mon, Atelier A wrote:\n> It is, in a 38.",
                                  subject="Re: Blue coat", message_id="<q2@example.com>",
                                  in_reply_to=f"<msg-{answer.pk}@omnipresence>",
                                  references=f"<q1@example.com> <msg-{answer.pk}@omnipresence>"))  # fmt: skip
    assert reply.json()["conversation_id"] == conversation.pk
    conversation.refresh_from_db()
    assert (conversation.status, conversation.subject) == ("open", "Blue coat")
    assert Message.objects.get(provider_message_id="<q2@example.com>").body == "Lovely, please hold it."

    # The next answer names her latest message and the whole chain.
    with django_capture_on_commit_callbacks(execute=True):
        services.message_send(actor=associate_actor, conversation=conversation, body="Done.")
    second = mail.outbox[1]
    assert second.extra_headers["In-Reply-To"] == "<q2@example.com>"
    assert second.extra_headers["References"] == f"<q1@example.com> <msg-{answer.pk}@omnipresence> <q2@example.com>"


def test_a_new_email_after_resolution_starts_a_new_conversation(mailbox, associate_actor):
    post(mailbox, compose(message_id="<a1@example.com>"))
    first = Conversation.objects.get()
    services.conversation_update(actor=associate_actor, conversation=first, status="resolved")
    post(mailbox, compose("Another question", subject="Shoes", message_id="<a2@example.com>"))
    assert Conversation.objects.count() == 2
    assert Conversation.objects.exclude(pk=first.pk).get().subject == "Shoes"


def test_references_to_someone_elses_thread_do_not_join_it(mailbox):
    post(mailbox, compose(message_id="<theirs@example.com>", sender="Dorian Gray <dorian@example.com>"))
    dorian = Conversation.objects.get()
    post(mailbox, compose("Me too!", message_id="<mine@example.com>", in_reply_to="<theirs@example.com>",
                          references="<theirs@example.com>"))  # fmt: skip
    sibyl = Message.objects.get(provider_message_id="<mine@example.com>").conversation
    assert sibyl.pk != dorian.pk and sibyl.contact == "sibyl@example.com"


def test_bad_signatures_wrong_bodies_and_unknown_inboxes_are_refused(mailbox, sms):
    raw = compose()
    assert post(mailbox, raw, signature="t=1,v1=00").status_code == 401
    assert post(mailbox, raw, signature="").json()["code"] == "invalid_signature"
    assert post(mailbox, raw, inbox_id=mailbox.pk + 999).status_code == 401
    assert post(sms, raw).status_code == 401  # not an email inbox
    wrong_type = post(mailbox, raw, content_type="text/plain")
    no_from = post(mailbox, b"Subject: hi\r\n\r\nNo sender here\r\n")
    assert (wrong_type.status_code, wrong_type.json()["code"]) == (400, "malformed_request")
    assert (no_from.status_code, no_from.json()["code"]) == (400, "invalid_event")
    assert not Message.objects.exists() and not Client.objects.exists()


def test_an_email_without_message_id_is_still_stored_once(mailbox):
    raw = b"From: sibyl@example.com\r\nSubject: No id\r\nContent-Type: text/plain\r\n\r\nHello there\r\n"
    post(mailbox, raw)
    post(mailbox, raw)
    message = Message.objects.get()
    assert message.provider_message_id.endswith("@omnipresence.sha256>") and message.body == "Hello there"


# --- polling a mailbox over IMAP -------------------------------------------------------------------


@pytest.fixture
def imap():
    fake = FakeImap(user="hello@atelier.example", password='pa"ss w\\rd').start()
    yield fake
    fake.stop()


@pytest.fixture
def polled(manager_actor, imap):
    return services.inbox_create(actor=manager_actor, kind="email", name="Atelier A", address="shop@atelier.example",
                                 provider="email", config={"imap_host": "127.0.0.1", "imap_port": str(imap.port),
                                                           "imap_security": "none", "imap_user": imap.user,
                                                           "imap_password": imap.password})  # fmt: skip


def poll(inbox) -> str:
    out = io.StringIO()
    call_command("inbox_poll_imap", "--inbox", str(inbox.pk), stdout=out)
    return out.getvalue().strip()


def test_polling_stores_unseen_mail_once_and_marks_it_seen(polled, imap):
    imap.deliver(compose(message_id="<p1@example.com>"))
    imap.deliver(compose("Do you have it in green?", sender="Dorian Gray <dorian@example.com>", subject="Green",
                         message_id="<p2@example.com>"))  # fmt: skip
    assert poll(polled) == f"inbox {polled.pk}: 2 stored, 0 already there, 0 refused"
    assert [m.flags for m in imap.messages] == [{"\\Seen"}, {"\\Seen"}]
    assert "UID FETCH 1 (BODY.PEEK[])" in [c.split(" ", 1)[1] for c in imap.commands]  # PEEK: seen only once stored
    assert sorted(Conversation.objects.values_list("contact", "subject")) == [
        ("dorian@example.com", "Green"), ("sibyl@example.com", "Blue coat")
    ]  # fmt: skip
    assert poll(polled) == f"inbox {polled.pk}: 0 stored, 0 already there, 0 refused"
    imap.messages[0].flags.clear()  # she marked it unread in her mail client
    assert poll(polled) == f"inbox {polled.pk}: 0 stored, 1 already there, 0 refused"
    assert Message.objects.count() == 2


def test_a_polled_message_that_cannot_be_read_is_counted_and_not_fetched_again(polled, imap):
    imap.deliver(b"Subject: no sender\r\n\r\nhi\r\n")
    imap.deliver(compose(message_id="<p3@example.com>"))
    assert poll(polled) == f"inbox {polled.pk}: 1 stored, 0 already there, 1 refused"
    assert poll(polled) == f"inbox {polled.pk}: 0 stored, 0 already there, 0 refused"


def test_polling_with_wrong_credentials_or_no_mailbox_is_a_clear_error(polled, imap, mailbox):
    imap.deliver(compose(message_id="<p4@example.com>"))
    Inbox.objects.filter(pk=polled.pk).update(config={**polled.config, "imap_password": "wrong"})
    with pytest.raises(CommandError, match="IMAP 127.0.0.1: .*Invalid credentials"):
        poll(polled)
    with pytest.raises(CommandError, match="no imap_host"):
        poll(mailbox)
    with pytest.raises(CommandError, match="no email inbox"):
        call_command("inbox_poll_imap", "--inbox", str(polled.pk + 999))
    assert not Message.objects.exists() and imap.messages[0].flags == set()


def test_imap_settings_are_checked_when_the_inbox_is_made(manager_actor):
    with pytest.raises(InvalidConfig) as missing:
        services.inbox_create(actor=manager_actor, kind="email", name="Mail", provider="email",
                              config={"imap_host": "imap.example.com", "imap_user": "a"})  # fmt: skip
    with pytest.raises(InvalidConfig):
        services.inbox_create(actor=manager_actor, kind="email", name="Mail", provider="email",
                              config={"imap_host": "h", "imap_user": "a", "imap_password": "b", "imap_security": "tls"})  # fmt: skip
    assert missing.value.details == {"missing": ["imap_password"]}
    assert not Inbox.objects.exists()
