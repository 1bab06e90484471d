"""Merging two profiles of one person: everything re-pointed in one transaction, stats summed,
refused across conflicting verified identifiers with nothing changed, undone exactly within 30
days; other apps' rows through the merge hooks; duplicate suggestions."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from omnipresence.clients import hooks, services
from omnipresence.clients.errors import ClientMerged, ConflictingIdentities, MergeTooOld, MergeUndone
from omnipresence.clients.models import (
    Client,
    ConsentEvent,
    Identity,
    MergeRecord,
    ProfileView,
    TimelineEvent,
)
from omnipresence.clients.selectors import access_client, consent_state, duplicate_suggestions
from omnipresence.clients.tests.conftest import state
from omnipresence.core.errors import Conflict, Forbidden, InvalidInput


def resolve(world, **given):
    return services.client_resolve(boutique=world["boutique"], **given)


def owned(model, client) -> list[int]:
    return list(model.objects.filter(client=client).order_by("pk").values_list("pk", flat=True))


@pytest.fixture
def pair(world_a, clerk):
    """Two profiles of Sibyl: one from the shop (a purchase), one from the web (consent, a visit)."""
    survivor = resolve(world_a, email="sibyl@example.com", name="Sibyl Vane", verified_kind="email")
    merged = resolve(world_a, phone="+447911123456", handles={"instagram": "sibyl"}, name="Sibyl Vane")
    day = timezone.now() - timedelta(days=3)
    services.client_stats_add(client_id=survivor.pk, amount=30_000, occurred_at=day - timedelta(days=10))
    services.client_stats_add(client_id=merged.pk, amount=45_000, occurred_at=day)
    services.client_stats_add(client_id=merged.pk, amount=10_000, occurred_at=day - timedelta(days=40))
    services.consent_record(actor_label="web", client=merged, purpose="marketing_email", granted=True,
                            channel="web", wording="News, please")  # fmt: skip
    services.timeline_add(client_id=merged.pk, kind="order_paid", occurred_at=day, summary="Order 7",
                          ref_kind="order", ref_id=7)  # fmt: skip
    access_client(clerk, merged.pk)  # a ProfileView
    return Client.objects.get(pk=survivor.pk), Client.objects.get(pk=merged.pk)


def test_merge_re_points_everything_and_sums_the_stats(world_a, manager, pair):
    survivor, merged = pair
    moving = {model: owned(model, merged) for model in (Identity, ConsentEvent, TimelineEvent, ProfileView)}
    kept = {model: owned(model, survivor) for model in moving}

    record = services.client_merge(actor=manager, survivor=survivor, merged=merged)

    for model, ids in moving.items():
        assert owned(model, merged) == []
        assert set(owned(model, survivor)) >= set(ids) | set(kept[model])
    assert record.moved["identities"] == moving[Identity] and len(moving[Identity]) == 2
    assert record.moved["consent_events"] == moving[ConsentEvent]
    assert record.moved["timeline_events"] == moving[TimelineEvent]
    assert record.moved["profile_views"] == moving[ProfileView]
    survivor.refresh_from_db()
    merged.refresh_from_db()
    assert (survivor.lifetime_spend, survivor.orders_count, survivor.tier) == (85_000, 3, "regular")
    assert survivor.last_purchase_at == max(pair[0].last_purchase_at, pair[1].last_purchase_at)
    assert (merged.merged_into_id, merged.lifetime_spend, merged.orders_count) == (survivor.pk, 0, 0)
    assert consent_state(survivor)["marketing_email"] is True
    merge_event = TimelineEvent.objects.get(client=survivor, kind="merge")
    assert (merge_event.ref_kind, merge_event.ref_id, record.actor_label) == ("merge", record.pk, "maria")
    # Her id now opens the survivor's profile.
    assert access_client(manager, merged.pk).pk == survivor.pk


def test_merge_refused_across_conflicting_verified_identifiers_changes_nothing(
    world_a, manager, pair, caplog
):
    survivor, merged = pair
    Identity.objects.filter(client=merged, kind="phone").update(verified=True)
    services.client_resolve(boutique=world_a["boutique"], phone="+447400123456", email="sibyl@example.com",
                            verified_kind="phone")  # the survivor has a verified phone too  # fmt: skip
    before = state(world_a["boutique"])

    with caplog.at_level(logging.WARNING, logger="omnipresence.clients.merging"):
        with pytest.raises(ConflictingIdentities) as refused:
            services.client_merge(actor=manager, survivor=survivor, merged=merged)

    assert (refused.value.status, refused.value.code, refused.value.details) == (
        409, "conflicting_identities", {"kinds": ["phone"]}
    )  # fmt: skip
    assert state(world_a["boutique"]) == before
    assert f"clients {survivor.pk} and {merged.pk} both have verified phone" in caplog.text


def test_verified_web_sessions_on_both_do_not_block_a_merge(world_a, manager):
    first = resolve(world_a, handles={"web_session": "laptop"}, verified_kind="web_session")
    second = resolve(world_a, handles={"web_session": "phone"}, verified_kind="web_session")
    assert services.client_merge(actor=manager, survivor=first, merged=second).merged_id == second.pk


def test_merge_needs_a_manager_and_live_clients(world_a, clerk, manager, pair):
    survivor, merged = pair
    before = state(world_a["boutique"])
    with pytest.raises(Forbidden):
        services.client_merge(actor=clerk, survivor=survivor, merged=merged)
    with pytest.raises(InvalidInput) as same:
        services.client_merge(actor=manager, survivor=survivor, merged=survivor)
    assert same.value.code == "same_client"
    assert state(world_a["boutique"]) == before

    services.client_merge(actor=manager, survivor=survivor, merged=merged)
    third = resolve(world_a, email="third@example.com")
    with pytest.raises(ClientMerged):
        services.client_merge(actor=manager, survivor=third, merged=Client.objects.get(pk=merged.pk))


def test_undo_within_30_days_restores_exactly(world_a, manager, pair):
    survivor, merged = pair
    before = {client.pk: (owned(Identity, client), owned(ConsentEvent, client), owned(TimelineEvent, client),
                          owned(ProfileView, client)) for client in pair}  # fmt: skip
    stats = {
        c.pk: (c.lifetime_spend, c.orders_count, c.last_purchase_at, c.tier, c.merged_into_id) for c in pair
    }
    record = services.client_merge(actor=manager, survivor=survivor, merged=merged)
    MergeRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(days=29, hours=23))

    undone = services.client_merge_undo(actor=manager, record=record)

    assert undone.undone_at is not None
    for client in pair:
        client.refresh_from_db()
        assert (client.lifetime_spend, client.orders_count, client.last_purchase_at, client.tier,
                client.merged_into_id) == stats[client.pk]  # fmt: skip
    merge_events = {"merge", "merge_undone"}
    after_survivor = owned(TimelineEvent, survivor)
    assert (
        set(TimelineEvent.objects.filter(pk__in=after_survivor).values_list("kind", flat=True))
        >= merge_events
    )
    assert (owned(Identity, survivor), owned(ConsentEvent, survivor), owned(ProfileView, survivor)) == (
        before[survivor.pk][0], before[survivor.pk][1], before[survivor.pk][3]
    )  # fmt: skip
    assert [
        pk for pk in after_survivor if TimelineEvent.objects.get(pk=pk).kind not in merge_events
    ] == before[survivor.pk][2]
    assert (owned(Identity, merged), owned(ConsentEvent, merged), owned(TimelineEvent, merged),
            owned(ProfileView, merged)) == before[merged.pk]  # fmt: skip
    with pytest.raises(MergeUndone):
        services.client_merge_undo(actor=manager, record=record)


def test_undo_keeps_a_purchase_the_survivor_made_after_the_merge(world_a, manager, pair):
    survivor, merged = pair
    record = services.client_merge(actor=manager, survivor=survivor, merged=merged)
    now = timezone.now()
    services.client_stats_add(client_id=merged.pk, amount=1_000, occurred_at=now)  # lands on the survivor

    services.client_merge_undo(actor=manager, record=record)

    survivor.refresh_from_db()
    assert (survivor.lifetime_spend, survivor.orders_count, survivor.last_purchase_at) == (31_000, 2, now)


def test_undo_after_30_days_is_refused(world_a, manager, pair):
    survivor, merged = pair
    record = services.client_merge(actor=manager, survivor=survivor, merged=merged)
    MergeRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(days=30, minutes=1))
    before = state(world_a["boutique"])

    with pytest.raises(MergeTooOld) as refused:
        services.client_merge_undo(actor=manager, record=MergeRecord.objects.get(pk=record.pk))

    assert (refused.value.status, refused.value.code) == (409, "merge_too_old")
    assert state(world_a["boutique"]) == before


def test_undo_of_an_earlier_merge_waits_for_the_later_one(world_a, manager, pair):
    survivor, merged = pair
    first = services.client_merge(actor=manager, survivor=survivor, merged=merged)
    third = resolve(world_a, email="third@example.com")
    later = services.client_merge(actor=manager, survivor=third, merged=Client.objects.get(pk=survivor.pk))

    with pytest.raises(Conflict) as refused:
        services.client_merge_undo(actor=manager, record=first)
    assert refused.value.code == "survivor_merged"

    services.client_merge_undo(actor=manager, record=later)
    services.client_merge_undo(actor=manager, record=first)
    assert (
        Client.objects.filter(pk__in=[survivor.pk, merged.pk, third.pk], merged_into__isnull=True).count()
        == 3
    )


@pytest.fixture
def order_rows():
    """A stand-in for the orders app: rows keyed by client id, re-pointed through the hooks."""
    rows = {101: None, 102: None}

    def merge(*, survivor_id, merged_id):
        moved = [row for row, owner in rows.items() if owner == merged_id]
        for row in moved:
            rows[row] = survivor_id
        return {"order": moved}

    def undo(*, survivor_id, merged_id, moved):
        for row in moved["order"]:
            rows[row] = merged_id

    hooks.on_merge("test-orders", merge=merge, undo=undo)
    yield rows
    hooks._handlers.pop("test-orders")


def test_other_apps_re_point_their_rows_through_the_hooks(manager, pair, order_rows):
    survivor, merged = pair
    order_rows.update({101: merged.pk, 102: survivor.pk})

    record = services.client_merge(actor=manager, survivor=survivor, merged=merged)
    assert order_rows == {101: survivor.pk, 102: survivor.pk}
    assert record.moved["hooks"]["test-orders"] == {"order": [101]}  # (orders registers its own hook too)

    services.client_merge_undo(actor=manager, record=record)
    assert order_rows == {101: merged.pk, 102: survivor.pk}


def test_duplicates_are_same_name_plus_a_shared_email_or_phone(world_a, manager):
    a = resolve(world_a, email="sibyl.vane@example.com", name="Sibyl Vane")
    b = resolve(world_a, email="sibyl.vane+shop@gmail.com", name="SIBYL  VANE")
    c = resolve(world_a, phone="+447911123456", name="Sibyl Vané")
    d = resolve(
        world_a, phone="07911 123456", email="sv@example.com", name="Sibyl Vane"
    )  # c's phone: joins c
    e = resolve(world_a, phone="+447400123456", name="Sibyl Vane")
    f = resolve(world_a, whatsapp="+33 6 00 12 34 56", name="Sibyl Vane")  # last 7 digits = e's
    resolve(world_a, email="dorian@example.com", name="Dorian Gray")
    resolve(world_a, email="dorian@example.org", name="Dorian Gray")  # same local part, but both verified
    Identity.objects.filter(value__startswith="dorian@").update(verified=True)
    assert d.pk == c.pk

    pairs = duplicate_suggestions(actor=manager)

    assert [(p.first.pk, p.second.pk, p.reasons) for p in pairs] == [
        (a.pk, b.pk, ("same_name", "email_local_part")),
        (e.pk, f.pk, ("same_name", "phone_last_digits")),
    ]
    assert len(duplicate_suggestions(actor=manager, limit=1)) == 1


def test_duplicates_never_include_merged_clients(world_a, manager):
    a = resolve(world_a, email="sibyl@example.com", name="Sibyl Vane")
    b = resolve(world_a, email="sibyl@example.org", name="Sibyl Vane")
    assert len(duplicate_suggestions(actor=manager)) == 1
    services.client_merge(actor=manager, survivor=a, merged=b)
    assert duplicate_suggestions(actor=manager) == []
