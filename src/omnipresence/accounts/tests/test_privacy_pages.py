"""Her privacy pages: what the boutique holds, her preferences, her consents with their words, the
JSON download and erasure; requests for someone else (or without a login) are refused and logged."""

import json

import pytest

from omnipresence.accounts import services
from omnipresence.accounts.models import HubAccount, WishlistItem
from omnipresence.accounts.privacy_views import CONSENT_WORDING
from omnipresence.accounts.session import SESSION_KEY
from omnipresence.accounts.tests.conftest import EMAIL, grant
from omnipresence.clients import services as clients
from omnipresence.clients.models import AccessAttempt, Client, ConsentEvent

PRIVACY = "/atelier-a/account/privacy/"


@pytest.fixture
def logged_in(client, log_in, world_a, her_a):
    log_in(client)
    return client


def test_logged_out_the_privacy_page_asks_to_log_in(client, world_a, her_a):
    page = client.get(PRIVACY)
    assert page.status_code == 200
    assert f'name="next" value="{PRIVACY}"' in page.content.decode()


def test_she_sees_what_the_boutique_holds(logged_in, world_a, her_a):
    services.wishlist_add(client=her_a, product=world_a["product"])
    page = logged_in.get(PRIVACY)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Sibyl Vane" in body and EMAIL in body
    assert "Blue Statement Coat" in body  # the accounts app's part of the export
    for wording in CONSENT_WORDING.values():
        assert str(wording) in body


def test_she_corrects_her_preferences(logged_in, her_a):
    response = logged_in.post(PRIVACY + "preferences/", {
        "client": her_a.pk, "display_name": "Sibyl V.", "sizes": "shoes: 38\ncoats: M", "colours": "navy, camel",
        "brands": "Maison Bleue", "preferred_channel": "email", "preferred_language": "fr",
    })  # fmt: skip
    assert response.status_code == 302
    her = Client.objects.get(pk=her_a.pk)
    assert (her.display_name, her.sizes, her.colours, her.brands, her.preferred_channel, her.preferred_language) == (
        "Sibyl V.", {"shoes": "38", "coats": "M"}, ["navy", "camel"], ["Maison Bleue"], "email", "fr")  # fmt: skip


def test_bad_preferences_are_told_and_nothing_changes(logged_in, her_a):
    response = logged_in.post(PRIVACY + "preferences/", {
        "client": her_a.pk, "display_name": "New", "sizes": "no colon here", "colours": "", "brands": "",
        "preferred_channel": "email", "preferred_language": "",
    })  # fmt: skip
    assert response.status_code == 422
    assert "category: size" in response.content.decode()
    assert Client.objects.get(pk=her_a.pk).display_name == "Sibyl Vane"


def test_only_changed_consents_are_recorded_with_the_words_shown(logged_in, her_a):
    grant(her_a, "marketing_email")
    before = ConsentEvent.objects.count()
    response = logged_in.post(PRIVACY + "consents/", {"client": her_a.pk, "consent": ["personalization", "walk_in"]})
    assert response.status_code == 302
    new = {e.purpose: e for e in ConsentEvent.objects.order_by("id")[before:]}
    assert set(new) == {"marketing_email", "personalization", "walk_in"}
    assert not new["marketing_email"].granted and new["personalization"].granted
    assert new["walk_in"].wording == str(CONSENT_WORDING["walk_in"])
    assert {e.channel for e in new.values()} == {"web"}
    logged_in.post(PRIVACY + "consents/", {"client": her_a.pk, "consent": ["personalization", "walk_in"]})
    assert ConsentEvent.objects.count() == before + 3  # nothing changed, nothing recorded


def test_she_downloads_her_data(logged_in, her_a):
    response = logged_in.post(PRIVACY + "download/", {"client": her_a.pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="atelier-a-my-data-')
    data = json.loads(response.content)
    assert "accounts" in json.dumps(data)


def test_erasure_needs_the_word_then_erases_and_logs_her_out(logged_in, world_a, her_a):
    services.wishlist_add(client=her_a, product=world_a["product"])
    confirm = logged_in.get(PRIVACY + "erase/")
    assert confirm.status_code == 200 and "ERASE" in confirm.content.decode()
    refused = logged_in.post(PRIVACY + "erase/", {"client": her_a.pk, "word": "nope", "understood": "yes"})
    assert refused.status_code == 422
    assert Client.objects.get(pk=her_a.pk).erased_at is None
    response = logged_in.post(PRIVACY + "erase/", {"client": her_a.pk, "word": "erase", "understood": "yes"})
    assert response.status_code == 302 and response["Location"] == PRIVACY + "erased/"
    assert Client.objects.get(pk=her_a.pk).erased_at is not None
    assert not WishlistItem.objects.exists()
    assert not HubAccount.objects.exists()  # no other boutique knows her
    assert SESSION_KEY not in logged_in.session
    assert "is erased" in logged_in.get(response["Location"]).content.decode()


@pytest.mark.parametrize("action, path", [("export", "download/"), ("erase", "erase/"), ("consent", "consents/")])
def test_a_request_for_another_client_is_refused_and_logged(logged_in, world_a, her_a, action, path):
    other = clients.client_resolve(boutique=world_a["boutique"], email="dorian@example.com", channel="shop")
    response = logged_in.post(PRIVACY + path, {"client": other.pk, "word": "ERASE", "understood": "yes",
                                                "consent": ["marketing_email"]})  # fmt: skip
    assert response.status_code == 403
    assert "application/json" not in response["Content-Type"]
    attempt = AccessAttempt.objects.get()
    assert (attempt.action, attempt.target, attempt.code) == (action, f"client:{other.pk}", "not_your_client")
    assert attempt.actor_label == f"portal:{EMAIL}"
    assert Client.objects.get(pk=other.pk).erased_at is None
    assert not ConsentEvent.objects.filter(client=other).exists()


@pytest.mark.parametrize("action, path", [("export", "download/"), ("erase", "erase/")])
def test_without_a_login_it_is_refused_and_logged(client, world_a, her_a, action, path):
    response = client.post(PRIVACY + path, {"client": her_a.pk, "word": "ERASE", "understood": "yes"})
    assert response.status_code == 403
    attempt = AccessAttempt.objects.get()
    assert (attempt.action, attempt.target, attempt.code, attempt.actor_label) == (
        action, f"client:{her_a.pk}", "unauthenticated", "anonymous")  # fmt: skip
    assert Client.objects.get(pk=her_a.pk).erased_at is None
