"""Recognising a client from what she gave: normalisation, the resolution order (verified
identifier, email, phone, handles), creation, and what is never done (moving another client's
identifier, merging, reviving an erased client)."""

import pytest
from django.utils import timezone

from omnipresence.clients import services
from omnipresence.clients.models import Client, Identity, TimelineEvent
from omnipresence.clients.tests.conftest import state
from omnipresence.core.errors import InvalidInput


def identities(client) -> set[tuple[str, str, bool]]:
    return set(Identity.objects.filter(client=client).values_list("kind", "value", "verified"))


@pytest.mark.parametrize(
    "kind, raw, country, stored",
    [
        ("email", "  Sibyl.Vane@Example.COM ", "GB", "sibyl.vane@example.com"),
        ("phone", "07911 123456", "GB", "+447911123456"),
        ("phone", "+44 (0)7911-123456", "FR", "+447911123456"),
        ("whatsapp", "06 12 34 56 78", "FR", "+33612345678"),
        ("phone", "0033 6 12 34 56 78", "GB", "+33612345678"),
        ("instagram", "@Sibyl.Vane", "GB", "sibyl.vane"),
        ("x", " @SibylV_ ", "GB", "sibylv_"),
        ("loyalty_card", "ab 12 34", "GB", "ab1234"),
    ],
)
def test_identifiers_are_normalised(kind, raw, country, stored):
    assert services.identity_normalise(kind=kind, value=raw, country=country) == stored


@pytest.mark.parametrize(
    "kind, raw, code",
    [
        ("email", "not-an-email", "invalid_email"),
        ("email", "a@b", "invalid_email"),
        ("email", "two@@example.com", "invalid_email"),
        ("email", "x" * 250 + "@example.com", "invalid_email"),
        ("phone", "12345", "invalid_phone"),
        ("phone", "07700 900123", "invalid_phone"),  # a reserved range: no real number
        ("phone", "call me", "invalid_phone"),
        ("whatsapp", "+99 123 456 789", "invalid_phone"),
        ("instagram", "@", "invalid_handle"),
        ("instagram", "sibyl vane!", "invalid_handle"),
        ("telegram", "sibyl", "invalid_identity_kind"),
    ],
)
def test_malformed_identifiers_are_refused_with_a_code(kind, raw, code):
    with pytest.raises(InvalidInput) as refused:
        services.identity_normalise(kind=kind, value=raw, country="GB")
    assert (refused.value.code, refused.value.status) == (code, 422)


def test_a_new_email_makes_a_client_with_that_identity(world_a):
    boutique = world_a["boutique"]

    client, created = services.client_identify(boutique=boutique, email="Sibyl@Example.com", phone="07911 123456",
                                               name="Sibyl Vane", channel="web", actor_label="storefront")  # fmt: skip

    assert created is True
    assert (client.boutique_id, client.display_name, client.name_key, client.tier) == (
        boutique.pk, "Sibyl Vane", "sibyl vane", "new"
    )  # fmt: skip
    assert identities(client) == {("email", "sibyl@example.com", False), ("phone", "+447911123456", False)}
    event = TimelineEvent.objects.get(client=client)
    assert (event.kind, event.data) == ("created", {"channel": "web", "by": "storefront"})


def test_the_same_identifiers_again_find_the_same_client(world_a):
    boutique = world_a["boutique"]
    first = services.client_resolve(boutique=boutique, email="sibyl@example.com")

    again, created = services.client_identify(boutique=boutique, email=" SIBYL@example.com ")

    assert (again.pk, created) == (first.pk, False)
    assert Client.objects.filter(boutique=boutique).count() == 1


def test_email_comes_before_phone(world_a):
    boutique = world_a["boutique"]
    by_email = services.client_resolve(boutique=boutique, email="a@example.com")
    by_phone = services.client_resolve(boutique=boutique, phone="+447911123456")

    found = services.client_resolve(boutique=boutique, email="a@example.com", phone="07911 123456")

    assert found.pk == by_email.pk
    # The phone stays with the client who has it; nothing is recorded for it on A, nothing merges.
    assert identities(by_email) == {("email", "a@example.com", False)}
    assert identities(by_phone) == {("phone", "+447911123456", False)}
    assert Client.objects.get(pk=by_phone.pk).merged_into_id is None


def test_a_verified_identifier_comes_before_email(world_a):
    boutique = world_a["boutique"]
    by_email = services.client_resolve(boutique=boutique, email="a@example.com")
    by_session = services.client_resolve(boutique=boutique, handles={"web_session": "sess-1"})

    found = services.client_resolve(boutique=boutique, email="a@example.com", handles={"web_session": "SESS-1"},
                                    verified_kind="web_session")  # fmt: skip

    assert found.pk == by_session.pk
    assert identities(by_session) == {("web_session", "sess-1", True)}
    assert identities(by_email) == {("email", "a@example.com", False)}


def test_a_phone_finds_the_client_with_that_whatsapp_number_and_back(world_a):
    boutique = world_a["boutique"]
    on_whatsapp = services.client_resolve(boutique=boutique, whatsapp="+44 7911 123456")
    by_phone = services.client_resolve(boutique=boutique, phone="07400 123456")

    assert services.client_resolve(boutique=boutique, phone="07911123456").pk == on_whatsapp.pk
    assert services.client_resolve(boutique=boutique, whatsapp="+447400123456").pk == by_phone.pk
    # Found by the other kind, the number is added as this kind too.
    assert identities(on_whatsapp) == {
        ("whatsapp", "+447911123456", False),
        ("phone", "+447911123456", False),
    }


def test_phone_comes_before_handles_and_new_identifiers_are_added(world_a):
    boutique = world_a["boutique"]
    by_phone = services.client_resolve(boutique=boutique, phone="+447911123456")
    services.client_resolve(boutique=boutique, handles={"instagram": "sibyl"})

    found = services.client_resolve(boutique=boutique, phone="+447911123456", handles={"instagram": "@Sibyl",
                                                                                       "x": "sibylv"})  # fmt: skip

    assert found.pk == by_phone.pk
    assert identities(by_phone) == {("phone", "+447911123456", False), ("x", "sibylv", False)}


def test_verifying_an_identifier_marks_it_verified(world_a):
    boutique = world_a["boutique"]
    client = services.client_resolve(boutique=boutique, email="a@example.com")

    services.client_resolve(boutique=boutique, email="a@example.com", verified_kind="email")

    assert identities(client) == {("email", "a@example.com", True)}


def test_a_name_fills_an_empty_display_name_but_never_replaces_one(world_a):
    boutique = world_a["boutique"]
    client = services.client_resolve(boutique=boutique, email="a@example.com")
    assert (
        services.client_resolve(boutique=boutique, email="a@example.com", name="Zoë O'Hara").display_name
        == "Zoë O'Hara"
    )
    assert Client.objects.get(pk=client.pk).name_key == "zoe o hara"
    assert (
        services.client_resolve(boutique=boutique, email="a@example.com", name="Someone Else").display_name
        == "Zoë O'Hara"
    )


@pytest.mark.parametrize(
    "given, code",
    [
        ({"email": "a@example.com", "phone": "12345"}, "invalid_phone"),
        ({"email": "nope", "phone": "+447911123456"}, "invalid_email"),
        ({"handles": {"instagram": "!!"}}, "invalid_handle"),
        ({"handles": {"tiktok": "sibyl"}}, "invalid_identity_kind"),
        ({}, "identifier_required"),
        ({"email": "a@example.com", "verified_kind": "phone"}, "invalid_verified_kind"),
        ({"email": "a@example.com", "channel": "carrier-pigeon"}, "invalid_channel"),
    ],
)
def test_bad_identifiers_are_refused_and_nothing_is_written(world_a, given, code):
    boutique = world_a["boutique"]
    services.client_resolve(boutique=boutique, email="existing@example.com")
    before = state(boutique)

    with pytest.raises(InvalidInput) as refused:
        services.client_resolve(boutique=boutique, **given)

    assert (refused.value.code, refused.value.status) == (code, 422)
    assert state(boutique) == before


def test_a_merged_away_client_resolves_to_her_survivor(world_a):
    boutique = world_a["boutique"]
    survivor = services.client_resolve(boutique=boutique, email="a@example.com")
    merged = services.client_resolve(boutique=boutique, email="b@example.com")
    services.client_merge(actor=world_a["actor"], survivor=survivor, merged=merged)
    # An identity that somehow stayed on the merged client (e.g. written by an old import).
    Identity.objects.create(boutique=boutique, client=merged, kind="x", value="stale")

    assert services.client_resolve(boutique=boutique, email="b@example.com").pk == survivor.pk
    assert services.client_resolve(boutique=boutique, handles={"x": "stale"}).pk == survivor.pk


def test_an_erased_client_is_never_found_again(world_a):
    boutique = world_a["boutique"]
    erased = services.client_resolve(boutique=boutique, email="a@example.com")
    Client.objects.filter(pk=erased.pk).update(erased_at=timezone.now())  # erasure is not built yet

    fresh, created = services.client_identify(boutique=boutique, email="a@example.com")

    assert created and fresh.pk != erased.pk
    assert identities(fresh) == {("email", "a@example.com", False)}
    assert identities(erased) == set()


def test_clients_of_two_boutiques_never_meet(world_a, world_b):
    a = services.client_resolve(boutique=world_a["boutique"], email="same@example.com")
    b = services.client_resolve(boutique=world_b["boutique"], email="same@example.com")
    assert a.pk != b.pk
    assert (a.boutique_id, b.boutique_id) == (world_a["boutique"].pk, world_b["boutique"].pk)
    # A French boutique reads a national number as French.
    assert (
        services.client_resolve(boutique=world_b["boutique"], phone="06 12 34 56 78").pk
        == services.client_resolve(boutique=world_b["boutique"], phone="+33612345678").pk
    )
