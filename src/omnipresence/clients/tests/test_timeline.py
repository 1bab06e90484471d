"""The timeline: any app adds to it (idempotent by reference); read newest first in keyset
pages of one query each."""

from datetime import timedelta

import pytest
from django.utils import timezone

from omnipresence.clients import services
from omnipresence.clients.models import Client, TimelineEvent
from omnipresence.clients.selectors import timeline_page
from omnipresence.core.errors import InvalidInput


@pytest.fixture
def client(world_a):
    return services.client_resolve(boutique=world_a["boutique"], email="sibyl@example.com")


def test_an_event_with_a_reference_is_recorded_once(client, associate_a):
    at = timezone.now()
    first = services.timeline_add(client_id=client.pk, kind="order_placed", occurred_at=at, summary="Order 123",
                                  data={"total": 45000}, ref_kind="order", ref_id=123,
                                  associate_id=associate_a.pk)  # fmt: skip
    again = services.timeline_add(client_id=client.pk, kind="order_placed", occurred_at=at + timedelta(minutes=1),
                                  summary="Order 123 again", ref_kind="order", ref_id=123)  # fmt: skip
    paid = services.timeline_add(client_id=client.pk, kind="order_paid", occurred_at=at, summary="Paid",
                                 ref_kind="order", ref_id=123)  # fmt: skip

    assert again.pk == first.pk
    assert paid.pk != first.pk
    stored = TimelineEvent.objects.get(pk=first.pk)
    assert (stored.summary, stored.data, stored.associate_id) == (
        "Order 123",
        {"total": 45000},
        associate_a.pk,
    )
    assert TimelineEvent.objects.filter(client=client, ref_kind="order").count() == 2


def test_events_without_a_reference_are_all_kept(client):
    at = timezone.now()
    for _ in range(2):
        services.timeline_add(client_id=client.pk, kind="visit", occurred_at=at, summary="Came to Soho")
    assert TimelineEvent.objects.filter(client=client, kind="visit").count() == 2


def test_a_long_summary_is_shortened_to_one_line(client):
    event = services.timeline_add(client_id=client.pk, kind="message", occurred_at=timezone.now(),
                                  summary="Hello\nthere " + "x" * 300)  # fmt: skip
    assert (
        len(event.summary) == 200
        and event.summary.startswith("Hello there x")
        and event.summary.endswith("…")
    )


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"kind": "sneeze"}, "invalid_timeline_kind"),
        ({"occurred_at": "yesterday"}, "invalid_input"),
        ({"ref_id": 5}, "invalid_reference"),  # a reference needs its kind
        ({"ref_kind": "order", "ref_id": -1}, "invalid_reference"),
        ({"data": {"blob": "x" * 9000}}, "invalid_timeline_data"),
    ],
)
def test_bad_events_are_refused(client, changes, code):
    call = {"client_id": client.pk, "kind": "visit", "occurred_at": timezone.now(), "summary": "x", **changes}
    with pytest.raises(InvalidInput) as refused:
        services.timeline_add(**call)
    assert refused.value.code == code
    assert not TimelineEvent.objects.filter(client=client).exclude(kind="created").exists()


def test_an_erased_client_gets_nothing_and_the_caller_does_not_fail(client):
    Client.objects.filter(pk=client.pk).update(erased_at=timezone.now())
    assert (
        services.timeline_add(client_id=client.pk, kind="visit", occurred_at=timezone.now(), summary="x")
        is None
    )


def test_5000_events_page_newest_first_complete_and_one_query_a_page(client, django_assert_num_queries):
    # Given 5,000 events, three at each moment (the id breaks ties). Made in bulk: 5,000 calls of
    # timeline_add would only slow this test, which is about reading.
    start = timezone.now() - timedelta(days=400)
    TimelineEvent.objects.bulk_create(
        TimelineEvent(boutique_id=client.boutique_id, client=client, kind="visit",
                      occurred_at=start + timedelta(minutes=i // 3), summary=f"Visit {i}")
        for i in range(5000)
    )  # fmt: skip
    expected = list(
        TimelineEvent.objects.filter(client=client)
        .order_by("-occurred_at", "-id")
        .values_list("pk", flat=True)
    )
    assert len(expected) == 5001  # and the "created" event

    seen, before, pages = [], None, 0
    while True:
        with django_assert_num_queries(1):
            page = timeline_page(client=client, before=before, limit=200)
            [event.associate for event in page.events]  # the associate comes with the page
        seen += [event.pk for event in page.events]
        pages += 1
        if page.next_before is None:
            break
        before = page.next_before

    assert seen == expected  # ordered, complete, and no event twice
    assert pages == 26


def test_a_page_size_is_bounded(client):
    with pytest.raises(InvalidInput):
        timeline_page(client=client, limit=201)
