"""The consent ledger: append-only, the latest event of a purpose is its state, no event is no;
consent_allows is the one gate for marketing and personalization."""

import pytest
from django.utils import timezone

from omnipresence.clients import services
from omnipresence.clients.errors import UnknownPurpose
from omnipresence.clients.models import Client, ConsentEvent, TimelineEvent
from omnipresence.clients.selectors import consent_allows, consent_state
from omnipresence.clients.tests.conftest import state
from omnipresence.core.errors import InvalidInput

NOTHING = {"marketing_email": False, "marketing_sms": False, "marketing_whatsapp": False,
           "personalization": False, "walk_in": False, "hub_sharing": False}  # fmt: skip


@pytest.fixture
def client(world_a):
    return services.client_resolve(boutique=world_a["boutique"], email="sibyl@example.com")


def record(client, purpose, granted, channel="web", wording="Yes, send me news"):
    return services.consent_record(actor_label="storefront", client=client, purpose=purpose, granted=granted,
                                   channel=channel, wording=wording)  # fmt: skip


def test_no_event_means_not_granted(client):
    assert consent_state(client) == NOTHING
    assert consent_allows(client=client, purpose="marketing_email") is False


def test_the_latest_event_of_a_purpose_is_its_state(client):
    record(client, "marketing_email", True)
    record(client, "personalization", True, channel="shop", wording="Remember my sizes")
    record(client, "marketing_email", False, channel="email", wording="Unsubscribe")

    assert consent_state(client) == {**NOTHING, "personalization": True}
    assert consent_allows(client=client, purpose="marketing_email") is False
    assert consent_allows(client=client, purpose="personalization") is True
    # The ledger keeps every event, newest first, with its words and where it was given.
    assert list(
        ConsentEvent.objects.filter(client=client).values_list("purpose", "granted", "channel", "wording")
    ) == [
        ("marketing_email", False, "email", "Unsubscribe"),
        ("personalization", True, "shop", "Remember my sizes"),
        ("marketing_email", True, "web", "Yes, send me news"),
    ]
    assert TimelineEvent.objects.filter(client=client, kind="consent").count() == 3


def test_granted_again_after_a_withdrawal(client):
    record(client, "marketing_sms", True)
    record(client, "marketing_sms", False)
    record(client, "marketing_sms", True)
    assert consent_allows(client=client, purpose="marketing_sms") is True


@pytest.mark.parametrize(
    "purpose, granted, channel, wording, error, code",
    [
        ("spam_everyone", True, "web", "ok", UnknownPurpose, "unknown_purpose"),
        ("marketing_email", "yes", "web", "ok", InvalidInput, "invalid_input"),
        ("marketing_email", True, "fax", "ok", InvalidInput, "invalid_channel"),
        ("marketing_email", True, "web", "  ", InvalidInput, "required"),
    ],
)
def test_bad_consent_is_refused_and_nothing_is_written(world_a, client, purpose, granted, channel, wording, error,
                                                       code):  # fmt: skip
    before = state(world_a["boutique"])
    with pytest.raises(error) as refused:
        services.consent_record(actor_label="x", client=client, purpose=purpose, granted=granted, channel=channel,
                                wording=wording)  # fmt: skip
    assert (refused.value.code, refused.value.status) == (code, 422)
    assert state(world_a["boutique"]) == before


def test_consent_allows_refuses_an_unknown_purpose(client):
    with pytest.raises(UnknownPurpose):
        consent_allows(client=client, purpose="everything")


def test_an_erased_or_missing_client_never_allows(client):
    record(client, "marketing_email", True)
    assert consent_allows(client=None, purpose="marketing_email") is False
    Client.objects.filter(pk=client.pk).update(erased_at=timezone.now())
    client.refresh_from_db()
    assert consent_allows(client=client, purpose="marketing_email") is False


def test_a_merged_client_answers_for_her_survivor(world_a, client):
    other = services.client_resolve(boutique=world_a["boutique"], email="other@example.com")
    record(other, "walk_in", True, channel="shop", wording="Greet me by name")
    services.client_merge(actor=world_a["actor"], survivor=client, merged=other)
    other.refresh_from_db()

    assert consent_allows(client=other, purpose="walk_in") is True
    assert consent_state(client)["walk_in"] is True
    # Recorded against the merged-away client, it lands on the survivor.
    assert record(other, "walk_in", False).client_id == client.pk
    assert consent_allows(client=client, purpose="walk_in") is False
