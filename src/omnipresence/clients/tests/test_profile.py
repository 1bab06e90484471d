"""The profile: what may be changed and how it is checked, the derived purchase stats and tier,
the profile-view audit, search and the associate's book."""

from datetime import timedelta

import pytest
from django.utils import timezone

from omnipresence.clients import services
from omnipresence.clients.models import Client, ProfileView
from omnipresence.clients.selectors import BookFilters, access_client, client_book, client_search
from omnipresence.clients.tests.conftest import state
from omnipresence.clients.tiers import tier_for, tier_thresholds
from omnipresence.core.errors import Forbidden, InvalidInput, NotFound
from omnipresence.stores.access import actor_for_token
from omnipresence.stores.services import api_token_create


@pytest.fixture
def client(world_a):
    return services.client_resolve(boutique=world_a["boutique"], email="sibyl@example.com", name="Sibyl Vane")


def test_profile_fields_are_cleaned_and_stored(clerk, client, associate_a):
    updated = services.client_update(
        actor=clerk, client=client, display_name="  Sibyl  Vane ", sizes={"Shoes": "38", "dress": "S"},
        colours=["navy", "Navy", "ivory"], brands=["Maison Bleue"], styles=["tailored"], tags=["vip-event"],
        price_band_min=20_000, price_band_max=90_000, preferred_channel="whatsapp", preferred_language="fr-FR",
        important_dates=[{"label": "Birthday", "date": "--03-07"}, {"label": "Anniversary", "date": "2015-06-20"}],
        primary_associate=associate_a, fit_notes="Long arms", notes="Prefers mornings",
    )  # fmt: skip

    assert (updated.display_name, updated.name_key, updated.sizes, updated.colours) == (
        "Sibyl  Vane", "sibyl vane", {"shoes": "38", "dress": "S"}, ["navy", "ivory"]
    )  # fmt: skip
    assert (updated.birthday_mmdd, updated.primary_associate_id, updated.preferred_channel) == (
        "03-07", associate_a.pk, "whatsapp"
    )  # fmt: skip


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"lifetime_spend": 10**9}, "invalid_field"),
        ({"tier": "vip"}, "invalid_field"),
        ({"colours": ["x"] * 31}, "invalid_list"),
        ({"tags": ["x" * 41]}, "too_long"),
        ({"tags": "vip"}, "invalid_list"),
        ({"sizes": ["38"]}, "invalid_sizes"),
        ({"price_band_min": 90_000, "price_band_max": 20_000}, "invalid_price_band"),
        ({"price_band_min": -1}, "invalid_price_band"),
        ({"important_dates": [{"label": "Birthday", "date": "1990-02-30"}]}, "invalid_dates"),
        ({"important_dates": [{"label": "Birthday"}]}, "invalid_dates"),
        ({"preferred_channel": "pigeon"}, "invalid_channel"),
        ({"preferred_language": "french!"}, "invalid_language"),
    ],
)
def test_bad_profile_changes_are_refused_and_nothing_changes(world_a, clerk, client, changes, code):
    before = state(world_a["boutique"])
    with pytest.raises(InvalidInput) as refused:
        services.client_update(actor=clerk, client=client, **changes)
    assert (refused.value.code, refused.value.status) == (code, 422)
    assert state(world_a["boutique"]) == before


def test_an_associate_of_another_boutique_cannot_be_hers(clerk, client, associate_b):
    with pytest.raises(InvalidInput) as refused:
        services.client_update(actor=clerk, client=client, primary_associate=associate_b)
    assert refused.value.code == "invalid_associate"


def test_stats_add_up_and_the_tier_follows(client):
    regular, vip = tier_thresholds("GBP")
    assert (regular, vip) == (50_000, 500_000)
    first, later = timezone.now() - timedelta(days=30), timezone.now()

    services.client_stats_add(client_id=client.pk, amount=40_000, occurred_at=later)
    services.client_stats_add(client_id=client.pk, amount=20_000, occurred_at=first)  # recorded late
    client.refresh_from_db()
    assert (client.lifetime_spend, client.orders_count, client.last_purchase_at, client.tier) == (
        60_000, 2, later, "regular"
    )  # fmt: skip

    services.client_stats_add(client_id=client.pk, amount=440_000, occurred_at=later)
    client.refresh_from_db()
    assert (client.lifetime_spend, client.tier) == (500_000, "vip")

    services.client_stats_remove(client_id=client.pk, amount=460_000, orders=1)
    client.refresh_from_db()
    assert (client.lifetime_spend, client.orders_count, client.tier) == (40_000, 2, "new")
    services.client_stats_remove(client_id=client.pk, amount=99_999_999, orders=5)
    client.refresh_from_db()
    assert (client.lifetime_spend, client.orders_count) == (0, 0)


def test_tiers_follow_the_currency():
    assert tier_thresholds("JPY") == (75_000, 750_000)  # no minor unit
    assert (tier_for(74_999, "JPY"), tier_for(75_000, "JPY"), tier_for(750_000, "JPY")) == (
        "new",
        "regular",
        "vip",
    )
    assert tier_thresholds("EUR") == (50_000, 500_000)


@pytest.mark.parametrize("amount", [-1, True, 1.5, "100"])
def test_bad_amounts_are_refused(client, amount):
    with pytest.raises(InvalidInput):
        services.client_stats_add(client_id=client.pk, amount=amount, occurred_at=timezone.now())


def test_opening_a_profile_as_staff_is_recorded(world_a, clerk, client, associate_a, token_a):
    access_client(clerk, client.pk)
    access_client(clerk, client.pk)
    token = api_token_create(boutique=world_a["boutique"], name="crm")[0]
    access_client(actor_for_token(token, world_a["boutique"]), client.pk)  # an integration: no person

    views = list(ProfileView.objects.filter(client=client).values_list("boutique_id", "staff_user_id"))
    assert views == [(world_a["boutique"].pk, associate_a.pk)] * 2


def test_another_boutiques_client_is_not_found_and_no_view_is_recorded(world_b, clerk):
    theirs = services.client_resolve(boutique=world_b["boutique"], email="sibyl@example.com")
    with pytest.raises(NotFound) as refused:
        access_client(clerk, theirs.pk)
    assert refused.value.code == "client_not_found"
    assert not ProfileView.objects.exists()


def test_a_token_without_the_clients_scope_is_refused(world_a, client):
    token = api_token_create(boutique=world_a["boutique"], name="stock", scopes=["inventory:read"])[0]
    with pytest.raises(Forbidden):
        access_client(actor_for_token(token, world_a["boutique"]), client.pk)


def test_search_by_name_email_phone_and_handle(world_a, clerk, client):
    boutique = world_a["boutique"]
    services.client_resolve(boutique=boutique, email="sibyl@example.com", phone="07911 123456",
                            handles={"instagram": "sibyl.v"})  # fmt: skip
    zoe = services.client_resolve(boutique=boutique, email="zoe@example.org", name="Zoë Ohara")

    def found(query):
        return [c.pk for c in client_search(clerk, query)]

    assert found("sibyl") == [client.pk]
    assert found("OHARA") == [zoe.pk]
    assert found("zoe") == [zoe.pk]  # no accents needed
    assert found("Zoe@Example") == [zoe.pk]
    assert found("07911 123456") == [client.pk]
    assert found("+44 7911 123456") == [client.pk]
    assert found("123456") == [client.pk]
    assert found("@sibyl.v") == [client.pk]
    assert found("nobody") == []
    assert found("") == [client.pk, zoe.pk]


def test_the_book_lapsing_birthdays_and_vips(world_a, clerk, client, associate_a, manager_a):
    boutique = world_a["boutique"]
    now = timezone.now()
    lapsed = services.client_resolve(boutique=boutique, email="lapsed@example.com", name="Lapsed")
    services.client_stats_add(client_id=lapsed.pk, amount=1_000, occurred_at=now - timedelta(days=200))
    services.client_stats_add(client_id=client.pk, amount=600_000, occurred_at=now - timedelta(days=2))
    soon = (now + timedelta(days=5)).strftime("--%m-%d")
    services.client_update(actor=clerk, client=lapsed, primary_associate=associate_a,
                           important_dates=[{"label": "birthday", "date": soon}])  # fmt: skip
    services.client_update(actor=clerk, client=client, secondary_associate=associate_a)
    services.client_resolve(boutique=boutique, email="never@example.com", name="Never Bought")

    def book(associate=None, **filters):
        return [
            c.display_name
            for c in client_book(actor=clerk, associate=associate, filters=BookFilters(**filters))
        ]

    assert book(associate=associate_a) == ["Lapsed", "Sibyl Vane"]
    assert book(associate=manager_a) == []
    assert book(lapsing_days=90) == ["Lapsed"]  # never bought is not lapsing
    assert book(birthday_within_days=7) == ["Lapsed"]
    assert book(birthday_within_days=3) == []
    assert book(high_value=True) == ["Sibyl Vane"]
    with pytest.raises(InvalidInput):
        book(lapsing_days=0)


def test_merged_and_erased_clients_are_not_in_the_book(world_a, clerk, client):
    other = services.client_resolve(boutique=world_a["boutique"], email="b@example.com", name="Other")
    gone = services.client_resolve(boutique=world_a["boutique"], email="c@example.com", name="Gone")
    services.client_merge(actor=world_a["actor"], survivor=client, merged=other)
    Client.objects.filter(pk=gone.pk).update(erased_at=timezone.now())
    assert [c.pk for c in client_book(actor=clerk)] == [client.pk]
