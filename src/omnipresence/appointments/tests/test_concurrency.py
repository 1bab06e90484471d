"""No double booking under real concurrency (PostgreSQL: threads, each with its own connection,
released together): many clients on one slot, overlapping-but-different ranges of two types for
one associate, and the exclusion constraint itself refusing an overlap written past the services."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client as HttpClient

from omnipresence.appointments import services
from omnipresence.appointments.models import Appointment
from omnipresence.appointments.tests.conftest import API, book_body, next_day, post
from omnipresence.orders.tests.test_concurrency import run_clients

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]
CLIENTS = 20


def _book(appointment_type, body) -> tuple[int, str]:
    response = post(HttpClient(), f"{API}/atelier-a/appointment-types/{appointment_type.pk}/bookings", body)
    return response.status_code, response.json().get("code", "")


def test_twenty_clients_on_one_slot_of_one_associate_make_one_booking(calendar):
    start = next_day(0, "10:00")
    results, escaped = run_clients(CLIENTS, lambda i: _book(calendar["video"], book_body(
        start, key=f"race-{i:04d}-x", email=f"c{i}@example.com", associate_id=calendar["alice"].pk)))  # fmt: skip
    assert escaped == []
    assert sorted(results).count((201, "")) == 1
    assert results.count((409, "slot_taken")) == CLIENTS - 1
    assert Appointment.objects.filter(status="booked").count() == 1


def test_twenty_clients_round_robin_make_one_booking_per_associate(calendar):
    start = next_day(1, "10:00")
    results, escaped = run_clients(CLIENTS, lambda i: _book(calendar["video"], book_body(
        start, key=f"rr-race-{i:04d}", email=f"r{i}@example.com")))  # fmt: skip
    assert escaped == []
    assert results.count((201, "")) == 2 and results.count((409, "slot_taken")) == CLIENTS - 2
    assert sorted(Appointment.objects.values_list("associate_id", flat=True)) == sorted(
        [calendar["alice"].pk, calendar["beth"].pk])


def test_the_shops_capacity_holds_under_concurrency(calendar):
    """In-store styling, capacity 1: two associates are free, yet only one appointment at a time."""
    start = next_day(4, "11:00")
    results, escaped = run_clients(CLIENTS, lambda i: _book(calendar["styling"], book_body(
        start, key=f"suite-{i:04d}-x", email=f"s{i}@example.com")))  # fmt: skip
    assert escaped == []
    assert results.count((201, "")) == 1 and results.count((409, "slot_taken")) == CLIENTS - 1
    assert Appointment.objects.filter(appointment_type=calendar["styling"]).count() == 1


def test_overlapping_but_different_ranges_never_both_succeed(calendar, world_a, manager_actor):
    """Cal.com's bug (LESSONS 14): keys on (start, end, host) let 10:00–10:30 and 10:15–11:15 both
    through. Two types, so the type locks do not serialise them: her calendar lock and the
    exclusion constraint must."""
    tour = services.type_create(actor=manager_actor, location=world_a["shop"], kind="virtual_tour", name="Tour",
                                duration_minutes=60, slot_step_minutes=15, min_notice_minutes=60, capacity=5)  # fmt: skip
    start = next_day(2, "10:00")
    alice = calendar["alice"].pk

    def client(i: int):
        if i % 2:
            return _book(tour, book_body(start + timedelta(minutes=15), key=f"tour-{i:04d}", email=f"t{i}@example.com",
                                         associate_id=alice))  # fmt: skip
        return _book(calendar["video"], book_body(start, key=f"video-{i:04d}", email=f"v{i}@example.com",
                                                  associate_id=alice))  # fmt: skip

    for _round in range(3):
        Appointment.objects.all().delete()
        results, escaped = run_clients(CLIENTS, client)
        assert escaped == []
        assert results.count((201, "")) == 1, results
        assert results.count((409, "slot_taken")) == CLIENTS - 1
        assert Appointment.objects.filter(associate_id=alice, status="booked").count() == 1


def test_the_database_refuses_an_overlap_written_past_the_services(calendar, ada):
    first, _ = services.appointment_book(appointment_type=calendar["video"], client=ada, via="staff",
                                         starts_at=next_day(3, "10:00"), associate_id=calendar["alice"].pk)  # fmt: skip
    copy = {f.attname: getattr(first, f.attname) for f in Appointment._meta.concrete_fields if not f.primary_key}
    copy.update(starts_at=first.starts_at + timedelta(minutes=20), ends_at=first.ends_at + timedelta(minutes=20),
                blocked_from=first.blocked_from + timedelta(minutes=20), idempotency_key="", nonce="n2")  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(**copy)
    # Touching end to start is fine ([) ranges), and a cancelled one blocks nothing.
    copy.update(blocked_from=first.blocked_until, starts_at=first.blocked_until, ends_at=first.blocked_until + timedelta(minutes=30),
                blocked_until=first.blocked_until + timedelta(minutes=40))  # fmt: skip
    Appointment.objects.create(**copy)
    Appointment.objects.filter(pk=first.pk).update(status="cancelled")
    copy.update(starts_at=first.starts_at, ends_at=first.ends_at, blocked_from=first.blocked_from,
                blocked_until=first.blocked_until, nonce="n3")  # fmt: skip
    Appointment.objects.create(**copy)
    assert Appointment.objects.filter(status="booked").count() == 2
