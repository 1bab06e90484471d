"""Slots: the layers of availability, buffers, capacity, notice and horizon, summer time in London,
and the client's own zone through the API."""

from datetime import UTC, date, datetime, time, timedelta

from django.test import Client as HttpClient

from omnipresence.appointments import selectors, services
from omnipresence.appointments.tests.conftest import API, LONDON, every_day, next_day
from omnipresence.stores import services as stores


def day_slots(appointment_type, day: date, *, now=None, associate_id=None, zone=LONDON):
    start = datetime.combine(day, time(0), tzinfo=zone)
    return selectors.slots_for(appointment_type, start=start, end=start + timedelta(days=1), associate_id=associate_id,
                               now=now or start - timedelta(days=2))  # fmt: skip


def local_times(slots, zone=LONDON) -> list[str]:
    return [s.starts_at.astimezone(zone).strftime("%H:%M") for s in slots]


def test_slots_keep_the_rhythm_inside_working_hours_with_the_buffer_after(calendar):
    monday = next_day(0).date()
    slots = day_slots(calendar["video"], monday)
    # 09:00–18:00, 30 minutes + 10 after: the last start whose buffer still ends by 18:00 is 17:00.
    assert local_times(slots) == [f"{h:02d}:{m:02d}" for h in range(9, 18) for m in (0, 30)][:17]
    first = slots[0]
    assert (first.ends_at - first.starts_at, first.cap_ends_at - first.starts_at) == (
        timedelta(minutes=30), timedelta(minutes=45))  # fmt: skip
    assert set(first.associates) == {calendar["alice"].pk, calendar["beth"].pk}


def test_a_booking_blocks_its_associate_with_its_buffers_only(calendar, ada):
    monday = next_day(0, "10:00")
    services.appointment_book(appointment_type=calendar["video"], client=ada, starts_at=monday, via="staff",
                              associate_id=calendar["alice"].pk)  # fmt: skip
    slots = {s.starts_at.astimezone(LONDON).strftime("%H:%M"): s.associates for s in day_slots(calendar["video"], monday.date())}
    # Alice is blocked 10:00–10:40: 10:00 and 10:30 are gone for her, 11:00 is free; Beth is free all day.
    assert slots["10:00"] == (calendar["beth"].pk,)
    assert slots["10:30"] == (calendar["beth"].pk,)
    assert set(slots["11:00"]) == {calendar["alice"].pk, calendar["beth"].pk}
    # The buffer after a 09:30 appointment would reach 10:10, into Alice's: only Beth then.
    assert slots["09:30"] == (calendar["beth"].pk,)
    assert set(slots["09:00"]) == {calendar["alice"].pk, calendar["beth"].pk}


def test_time_off_removes_the_associate(calendar, manager_actor):
    monday = next_day(0, "12:00")
    services.time_off_add(actor=manager_actor, associate=calendar["beth"], starts_at=monday,
                          ends_at=monday + timedelta(hours=2))  # fmt: skip
    slots = {s.starts_at.astimezone(LONDON).strftime("%H:%M"): s.associates for s in day_slots(calendar["video"], monday.date())}
    assert slots["12:00"] == (calendar["alice"].pk,) and slots["13:30"] == (calendar["alice"].pk,)
    assert set(slots["14:00"]) == {calendar["alice"].pk, calendar["beth"].pk}
    assert set(slots["11:00"]) == {calendar["alice"].pk, calendar["beth"].pk}  # 11:00 + 30 + 10 = 11:40, before 12:00


def test_capacity_of_the_shop_caps_simultaneous_appointments(calendar, ada, world_a):
    from omnipresence.clients import services as clients

    tuesday = next_day(1, "11:00")
    services.appointment_book(appointment_type=calendar["styling"], client=ada, starts_at=tuesday, via="staff")
    slots = local_times(day_slots(calendar["styling"], tuesday.date()))
    # Capacity 1: nobody else at 11:00, although Beth is free; 10:00 (ends 11:00) and 12:00 are fine.
    assert "11:00" not in slots and "10:30" not in slots and "11:30" not in slots
    assert "10:00" in slots and "12:00" in slots
    calendar["styling"] = services.type_update(actor=world_a["actor"], appointment_type=calendar["styling"], capacity=2)
    assert "11:00" in local_times(day_slots(calendar["styling"], tuesday.date()))
    other = clients.client_resolve(boutique=world_a["boutique"], email="b@example.com")
    services.appointment_book(appointment_type=calendar["styling"], client=other, starts_at=tuesday, via="staff")
    assert "11:00" not in local_times(day_slots(calendar["styling"], tuesday.date()))


def test_minimum_notice_and_horizon(calendar):
    monday = next_day(0).date()
    now = datetime.combine(monday, time(10, 10), tzinfo=LONDON)
    # 60 minutes' notice from 10:10: the first slot is 11:30 (11:10 is off the half-hour rhythm).
    assert local_times(day_slots(calendar["video"], monday, now=now))[0] == "11:30"
    far = monday + timedelta(days=31)
    assert day_slots(calendar["video"], far, now=now) == []
    assert day_slots(calendar["video"], monday - timedelta(days=1), now=now) == []  # the past


def test_sunday_virtual_slots_while_the_shop_is_closed(calendar, world_a, manager_actor):
    shop = world_a["shop"]
    weekdays = [(d, time(10), time(18)) for d in range(6)]  # closed on Sundays
    stores.opening_hours_set(actor=world_a["actor"], location=shop, periods=weekdays)
    calendar["video"] = services.type_update(actor=manager_actor, appointment_type=calendar["video"], schedule="add")
    services.type_hours_set(actor=manager_actor, appointment_type=calendar["video"], periods=[(6, time(11), time(13))])
    sunday = next_day(6).date()
    # The appointment lies inside 11:00–13:00; its buffer after may run past (working hours hold it).
    assert local_times(day_slots(calendar["video"], sunday)) == ["11:00", "11:30", "12:00", "12:30"]
    assert day_slots(calendar["styling"], sunday) == []  # in store: the shop is closed
    monday = next_day(0).date()
    assert local_times(day_slots(calendar["video"], monday))[0] == "10:00"  # "add": the opening hours too
    calendar["video"] = services.type_update(actor=manager_actor, appointment_type=calendar["video"], schedule="own")
    assert day_slots(calendar["video"], monday) == []  # "own": only its own hours


def test_monday_is_virtual_only(calendar, world_a, manager_actor):
    services.rule_add(actor=manager_actor, location=world_a["shop"], kind="virtual_only", weekday=0)
    monday = next_day(0).date()
    assert day_slots(calendar["styling"], monday) == []
    assert len(day_slots(calendar["video"], monday)) == 17
    assert day_slots(calendar["styling"], monday + timedelta(days=1)) != []


def test_dated_rules_and_holidays(calendar, world_a, manager_actor):
    wednesday = next_day(2).date()
    stores.hours_exception_add(actor=world_a["actor"], location=world_a["shop"], day=wednesday, closed=True,
                               note="Bank holiday")  # fmt: skip
    assert day_slots(calendar["video"], wednesday) == [] and day_slots(calendar["styling"], wednesday) == []
    # Special appointment hours that day win over the holiday, for the one type they name.
    services.rule_add(actor=manager_actor, location=world_a["shop"], kind="hours", day=wednesday, starts=time(14),
                      ends=time(15, 30), appointment_type=calendar["video"])  # fmt: skip
    assert local_times(day_slots(calendar["video"], wednesday)) == ["14:00", "14:30", "15:00"]
    assert day_slots(calendar["styling"], wednesday) == []
    thursday = wednesday + timedelta(days=1)
    services.rule_add(actor=manager_actor, location=world_a["shop"], kind="closed", day=thursday)
    assert day_slots(calendar["video"], thursday) == []
    assert day_slots(calendar["video"], thursday + timedelta(days=1)) != []


def _all_day_hourly(calendar, manager_actor):
    calendar["video"] = services.type_update(actor=manager_actor, appointment_type=calendar["video"], duration_minutes=60, cap_minutes=60,
                         buffer_after_minutes=0, slot_step_minutes=60, horizon_days=365)  # fmt: skip
    for user in (calendar["alice"], calendar["beth"]):
        services.working_hours_set(actor=manager_actor, associate=user, location=calendar["shop"],
                                   periods=every_day("00:00", "23:59"))  # fmt: skip


def test_last_sunday_of_march_in_london_has_23_hours_of_slots(calendar, manager_actor):
    _all_day_hourly(calendar, manager_actor)
    sunday = date(2027, 3, 28)  # clocks go forward at 01:00 GMT
    assert sunday.weekday() == 6 and (sunday + timedelta(days=7)).month == 4
    slots = day_slots(calendar["video"], sunday, now=datetime(2027, 3, 1, tzinfo=UTC))
    assert len(slots) == 23
    assert local_times(slots) == ["00:00"] + [f"{h:02d}:00" for h in range(2, 24)]  # 01:00 does not exist
    assert all(s.ends_at - s.starts_at == timedelta(hours=1) for s in slots)
    assert slots[1].starts_at == datetime(2027, 3, 28, 1, tzinfo=UTC)  # 02:00 BST, an hour after 00:00 GMT
    assert {s.starts_at.astimezone(LONDON).utcoffset() for s in slots[1:]} == {timedelta(hours=1)}


def test_last_sunday_of_october_in_london_has_25_hours_of_slots(calendar, manager_actor):
    _all_day_hourly(calendar, manager_actor)
    sunday = date(2027, 10, 31)  # clocks go back at 02:00 BST
    assert sunday.weekday() == 6
    slots = day_slots(calendar["video"], sunday, now=datetime(2027, 10, 1, tzinfo=UTC))
    assert len(slots) == 25
    assert local_times(slots) == ["00:00", "01:00", "01:00"] + [f"{h:02d}:00" for h in range(2, 24)]
    assert [s.starts_at.astimezone(LONDON).fold for s in slots[1:3]] == [0, 1]  # 01:00 BST, then 01:00 GMT
    assert slots[0].starts_at == datetime(2027, 10, 30, 23, tzinfo=UTC)


def test_the_api_shows_slots_in_her_zone_across_the_change(calendar, manager_actor):
    """New York changes its clocks two weeks before London: on London's last Sunday of March the
    offset between them is 4 hours, not 5."""
    from unittest import mock

    _all_day_hourly(calendar, manager_actor)
    http = HttpClient()
    url = f"{API}/atelier-a/appointment-types/{calendar['video'].pk}/slots"
    with mock.patch("django.utils.timezone.now", return_value=datetime(2027, 3, 1, tzinfo=UTC)):
        response = http.get(url, {"from": "2027-03-28", "to": "2027-03-28", "tz": "America/New_York"})
    assert response.status_code == 200
    body = response.json()
    assert body["timezone"] == "America/New_York" and body["shop_timezone"] == "Europe/London"
    starts = [datetime.fromisoformat(s["starts_at"]) for s in body["slots"]]
    # Her 28 March (New York, EDT) runs from 04:00 to 04:00 UTC the next day: London's 05:00 BST onwards.
    assert starts[0].isoformat() == "2027-03-28T00:00:00-04:00"
    assert all(s.utcoffset() == timedelta(hours=-4) for s in starts)
    assert len(starts) == 24 and starts[-1].isoformat() == "2027-03-28T23:00:00-04:00"
    names = {a["name"] for a in body["slots"][0]["associates"]}
    assert names == {"alice", "beth"}


def test_bad_slot_queries_are_clear_4xx(calendar, world_b):
    http = HttpClient()
    url = f"{API}/atelier-a/appointment-types/{calendar['video'].pk}/slots"
    assert http.get(url, {"tz": "Mars/Olympus"}).json()["code"] == "invalid_timezone"
    response = http.get(url, {"from": "2027-01-10", "to": "2027-01-01"})
    assert (response.status_code, response.json()["code"]) == (422, "invalid_range")
    assert http.get(url, {"from": "2027-01-01", "to": "2027-06-01"}).json()["code"] == "range_too_long"
    assert http.get(url, {"from": "yesterday"}).status_code == 422
    assert http.get(url, {"associate": 999999}).json()["code"] == "associate_not_found"
    other = http.get(f"{API}/boutique-b/appointment-types/{calendar['video'].pk}/slots")
    assert (other.status_code, other.json()["code"]) == (404, "appointment_type_not_found")
    past = http.get(url, {"from": "2020-01-01", "to": "2020-01-07"})
    assert past.status_code == 200 and past.json()["slots"] == []


def test_slots_read_in_a_fixed_number_of_queries(calendar, ada, django_assert_max_num_queries):
    start = datetime.combine(next_day(0).date(), time(0), tzinfo=LONDON)
    services.appointment_book(appointment_type=calendar["video"], client=ada, starts_at=next_day(0, "11:00"), via="staff")
    with django_assert_max_num_queries(12):
        month = selectors.slots_for(calendar["video"], start=start, end=start + timedelta(days=28))
    assert len(month) > 28 * 10
