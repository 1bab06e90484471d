"""Magic-link login: the request, the email, the button, single use, expiry, throttle, next."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from omnipresence.accounts import services
from omnipresence.accounts.models import HubAccount, MagicLink
from omnipresence.accounts.session import SESSION_KEY
from omnipresence.accounts.tests.conftest import EMAIL, link_token


def ask(client, capture, email=EMAIL, **extra):
    with capture(execute=True):
        return client.post("/account/login/", {"email": email, **extra})


def test_the_whole_login_flow(client, django_capture_on_commit_callbacks, world_a):
    response = ask(client, django_capture_on_commit_callbacks, email="  Vane@Example.com ",
                   next="/atelier-a/account/", boutique="atelier-a")  # fmt: skip
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert HubAccount.objects.count() == 0  # made on proof, not on request
    (message,) = mail.outbox
    assert message.to == ["vane@example.com"]
    assert "Atelier A" in message.subject
    token = link_token(message)
    assert len(token) >= 43  # 256 bits, url-safe base64
    link = MagicLink.objects.get()
    assert link.token_hash != token and token not in link.token_hash
    assert link.expires_at - link.created_at == timedelta(minutes=15)

    # Opening the link (or a mail scanner doing so) logs nobody in.
    page = client.get(f"/account/login/{token}/")
    assert page.status_code == 200
    assert re.search(r'<button type="submit"[^>]*>Log in</button>', page.content.decode())
    assert page["Referrer-Policy"] == "same-origin"
    assert SESSION_KEY not in client.session
    assert MagicLink.objects.get().used_at is None

    response = client.post(f"/account/login/{token}/")
    assert response.status_code == 302 and response["Location"] == "/atelier-a/account/"
    account = HubAccount.objects.get()
    assert account.email == "vane@example.com" and account.last_login_at is not None
    assert client.session[SESSION_KEY] == account.pk
    assert MagicLink.objects.get().used_at is not None

    # Used once: the same link again is refused, with a form for a new one.
    other = client.__class__()
    again = other.post(f"/account/login/{token}/")
    assert again.status_code == 410
    assert "can no longer be used" in again.content.decode()
    assert 'action="/account/login/"' in again.content.decode()
    assert SESSION_KEY not in other.session


def test_an_expired_or_unknown_link_is_refused(client, django_capture_on_commit_callbacks, db):
    ask(client, django_capture_on_commit_callbacks)
    token = link_token()
    MagicLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(f"/account/login/{token}/").status_code == 410
    assert client.post(f"/account/login/{token}/").status_code == 410
    assert client.post("/account/login/" + "x" * 43 + "/").status_code == 410
    assert HubAccount.objects.count() == 0
    assert SESSION_KEY not in client.session


def test_a_link_is_spent_once_even_when_used_twice_at_once(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.magic_link_request(email=EMAIL)
    token = link_token()
    services.magic_link_use(token)
    with pytest.raises(services.LinkInvalid):
        # The conditional UPDATE: a link read as open but spent meanwhile is not spent again.
        services.magic_link_use(token)
    assert MagicLink.objects.filter(used_at__isnull=False).count() == 1


def _plain(response, email):
    text = response.content.decode().replace(email, "EMAIL")
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", text)


def test_asking_answers_the_same_whether_or_not_she_has_an_account(client, django_capture_on_commit_callbacks, db):
    HubAccount.objects.create(email="known@example.com")
    known = ask(client, django_capture_on_commit_callbacks, email="known@example.com")
    unknown = ask(client, django_capture_on_commit_callbacks, email="nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert _plain(known, "known@example.com") == _plain(unknown, "nobody@example.com")
    assert HubAccount.objects.count() == 1  # nobody made for the unknown address
    assert len(mail.outbox) == 2


def test_a_malformed_email_is_told(client, db):
    response = client.post("/account/login/", {"email": "not-an-email"})
    assert response.status_code == 422
    assert "Enter your email address" in response.content.decode()
    assert MagicLink.objects.count() == 0


def test_at_most_five_links_an_hour(client, django_capture_on_commit_callbacks, db):
    for _ in range(5):
        assert ask(client, django_capture_on_commit_callbacks).status_code == 200
    response = ask(client, django_capture_on_commit_callbacks)
    assert response.status_code == 429
    assert "5 login links" in response.content.decode()
    assert len(mail.outbox) == 5 and MagicLink.objects.count() == 5
    # Another address is not held up; an hour later she may ask again.
    assert ask(client, django_capture_on_commit_callbacks, email="other@example.com").status_code == 200
    MagicLink.objects.filter(email=EMAIL).update(created_at=timezone.now() - timedelta(minutes=61))
    assert ask(client, django_capture_on_commit_callbacks).status_code == 200


@pytest.mark.parametrize("next_path, lands", [
    ("/atelier-a/p/blue-statement-coat/?sku=M", "/atelier-a/p/blue-statement-coat/?sku=M"),
    ("https://evil.example/steal", "/account/"),
    ("//evil.example/steal", "/account/"),
    ("/\\evil.example", "/account/"),
    ("javascript:alert(1)", "/account/"),
    ("\t//evil.example", "/account/"),
    ("", "/account/"),
])  # fmt: skip
def test_after_login_only_a_path_of_this_site(client, log_in, db, next_path, lands):
    response = log_in(client, next_path=next_path)
    assert response.status_code == 302
    assert response["Location"] == lands


def test_logout(client, log_in, db):
    log_in(client)
    assert client.get("/account/").context["account"].email == EMAIL
    assert client.get("/account/logout/").status_code == 405  # a POST only
    response = client.post("/account/logout/")
    assert response.status_code == 302
    assert SESSION_KEY not in client.session
    assert "Your email" in client.get("/account/").content.decode()


def test_the_email_is_in_the_boutiques_language(client, django_capture_on_commit_callbacks, world_b):
    ask(client, django_capture_on_commit_callbacks, boutique="boutique-b")
    (message,) = mail.outbox
    assert "Boutique B" in message.body
    assert "/account/login/" in message.body


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_presses_at_once_log_in_once(django_capture_on_commit_callbacks):
    import threading

    from django.db import connection

    services.magic_link_request(email=EMAIL)  # committed at once: on_commit runs, the email is sent
    token = link_token()
    barrier, results = threading.Barrier(4), []

    def press():
        try:
            barrier.wait()
            services.magic_link_use(token)
            results.append("in")
        except services.LinkInvalid:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["in", "refused", "refused", "refused"]
    assert HubAccount.objects.count() == 1
