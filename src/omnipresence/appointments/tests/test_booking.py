"""Booking through the API: the storefront and the console, idempotency, holds, round robin,
the signed link (see, move, cancel), invitations with their .ics, and bad input."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client as HttpClient
from icalendar import Calendar

from omnipresence.appointments import links, services
from omnipresence.appointments.models import Appointment, SlotHold
from omnipresence.appointments.tests.conftest import API, book_body, iso, next_day, post, staff_http
from omnipresence.clients.models import Client, Identity, TimelineEvent


def bookings_url(appointment_type, slug="atelier-a"):
    return f"{API}/{slug}/appointment-types/{appointment_type.pk}/bookings"


def ics_of(message) -> Calendar:
    (name, content, mimetype), = message.attachments
    assert name == "invite.ics" and mimetype.startswith("text/calendar")
    return Calendar.from_ical(content)


def test_she_books_from_the_storefront_and_gets_an_invitation(calendar, django_capture_on_commit_callbacks):
    start = next_day(0, "10:30")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(HttpClient(), bookings_url(calendar["video"]),
                        book_body(start, timezone="America/New_York", wishes="A camel coat, size 38"))  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    appointment = Appointment.objects.get()
    client = Client.objects.get(identities__kind="email", identities__value="grace@example.com")
    assert (appointment.client_id, appointment.status, appointment.via, appointment.starts_at) == (
        client.pk, "booked", "storefront", start)  # fmt: skip
    assert appointment.ends_at - start == timedelta(minutes=30) and appointment.cap_ends_at - start == timedelta(minutes=45)
    assert appointment.blocked_until - appointment.ends_at == timedelta(minutes=10)
    new_york = start.astimezone(ZoneInfo("America/New_York")).isoformat()  # -05:00, or -04:00 in March
    assert body["starts_at"] == new_york and body["link"] == links.appointment_token(appointment)
    assert client.display_name == "Grace Hopper"
    event = TimelineEvent.objects.get(client=client, kind="appointment")
    assert (event.ref_kind, event.ref_id, event.associate_id) == ("appointment", appointment.pk, appointment.associate_id)

    (message,) = mail.outbox
    assert message.to == ["grace@example.com"] and "Video consultation" in message.subject
    assert links.manage_url(appointment) in message.body and "/appointments/room/" in message.body
    ics = ics_of(message)
    assert str(ics["METHOD"]) == "REQUEST"
    (vevent,) = ics.walk("VEVENT")
    assert str(vevent["UID"]).startswith(f"appointment-{appointment.pk}@") and int(vevent["SEQUENCE"]) == 0
    assert vevent["DTSTART"].dt == start and vevent["DTEND"].dt == appointment.ends_at
    assert str(vevent["ATTENDEE"]) == "mailto:grace@example.com"
    assert "/appointments/room/" in str(vevent["LOCATION"])


def test_a_double_submit_makes_one_booking(calendar):
    start = next_day(0, "11:00")
    http = HttpClient()
    first = post(http, bookings_url(calendar["video"]), book_body(start, key="double-click-1"))
    again = post(http, bookings_url(calendar["video"]), book_body(start, key="double-click-1"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and Appointment.objects.count() == 1
    other = post(http, bookings_url(calendar["video"]), book_body(start + timedelta(hours=1), key="double-click-1"))
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")
    assert Appointment.objects.count() == 1


def test_a_taken_slot_is_409_and_leaves_no_new_client(calendar):
    start = next_day(0, "11:00")
    http = HttpClient()
    body = book_body(start, key="alice-only-1", associate_id=calendar["alice"].pk)
    assert post(http, bookings_url(calendar["video"]), body).status_code == 201
    clients_before = Client.objects.count()
    taken = post(http, bookings_url(calendar["video"]),
                 {**body, "idempotency_key": "someone-else-1", "email": "new@example.com", "name": "New Person"})  # fmt: skip
    assert (taken.status_code, taken.json()["code"]) == (409, "slot_taken")
    assert Client.objects.count() == clients_before
    assert not Identity.objects.filter(value="new@example.com").exists()
    # Overlapping but different: 11:30 would run into Alice's buffer (11:00–11:40).
    overlap = post(http, bookings_url(calendar["video"]),
                   {**body, "starts_at": iso(start + timedelta(minutes=30)), "idempotency_key": "overlap-0001"})  # fmt: skip
    assert (overlap.status_code, overlap.json()["code"]) == (409, "slot_taken")
    # Round robin still finds Beth at 11:00.
    beth = post(http, bookings_url(calendar["video"]), book_body(start, key="anyone-0001"))
    assert beth.status_code == 201 and beth.json()["associate"]["id"] == calendar["beth"].pk


@pytest.mark.parametrize(
    "change,status,code",
    [
        ({"starts_at": "2020-01-06T10:00:00Z"}, 422, "slot_unavailable"),  # in the past
        ({"starts_at": "+3:00"}, 422, "slot_unavailable"),  # 03:00, outside working hours
        ({"starts_at": "+10:10"}, 422, "slot_unavailable"),  # off the slot rhythm
        ({"starts_at": "+17:30"}, 422, "slot_unavailable"),  # would run over the working hours
        ({"starts_at": "2027-01-06T10:00:00"}, 422, "invalid_datetime"),  # no zone
        ({"timezone": "Mars/Olympus"}, 422, "invalid_timezone"),
        ({"email": "not-an-email"}, 422, "invalid_email"),
        ({"email": "", "phone": "12"}, 422, "invalid_phone"),
        ({"email": "", "phone": ""}, 422, "identifier_required"),
        ({"name": "   "}, 422, "invalid_input"),
        ({"idempotency_key": "short"}, 422, "invalid_input"),
        ({"hold_token": "nope"}, 409, "slot_hold_expired"),
        ({"product_ids": [999999]}, 422, "product_not_found"),
        ({"surprise": 1}, 422, "invalid_input"),
    ],
)
def test_bad_bookings_are_clear_4xx_and_write_nothing(calendar, change, status, code):
    start = next_day(0, "10:00")
    body = book_body(start)
    for field, value in change.items():
        if isinstance(value, str) and value.startswith("+"):
            hour, minute = value[1:].split(":")
            value = iso(start.replace(hour=int(hour), minute=int(minute)))
        body[field] = value
    clients_before = Client.objects.count()
    response = post(HttpClient(), bookings_url(calendar["video"]), body)
    assert (response.status_code, response.json()["code"]) == (status, code), response.content
    assert Appointment.objects.count() == 0 and Client.objects.count() == clients_before


def test_another_boutiques_type_is_not_found(calendar, world_b):
    response = post(HttpClient(), bookings_url(calendar["video"], slug="boutique-b"), book_body(next_day(0)))
    assert (response.status_code, response.json()["code"]) == (404, "appointment_type_not_found")
    assert Appointment.objects.count() == 0


def test_a_hold_keeps_the_slot_for_her_only(calendar):
    start = next_day(0, "14:00")
    http = HttpClient()
    hold_url = f"{API}/atelier-a/appointment-types/{calendar['video'].pk}/slot-holds"
    holds = [post(http, hold_url, {"starts_at": iso(start)}) for _ in range(2)]
    assert [h.status_code for h in holds] == [201, 201]
    assert {h.json()["associate"]["id"] for h in holds} == {calendar["alice"].pk, calendar["beth"].pk}
    third = post(http, hold_url, {"starts_at": iso(start)})
    assert (third.status_code, third.json()["code"]) == (409, "slot_taken")
    stranger = post(http, bookings_url(calendar["video"]), book_body(start, key="stranger-001"))
    assert (stranger.status_code, stranger.json()["code"]) == (409, "slot_taken")
    mine = post(http, bookings_url(calendar["video"]), book_body(start, key="holder-0001", hold_token=holds[0].json()["token"]))
    assert mine.status_code == 201 and mine.json()["associate"]["id"] == holds[0].json()["associate"]["id"]
    assert SlotHold.objects.count() == 1  # redeemed


def test_one_address_keeps_at_most_three_slots_so_a_script_cannot_block_the_calendar(calendar):
    from django.utils import timezone

    hold_url = f"{API}/atelier-a/appointment-types/{calendar['video'].pk}/slot-holds"
    script, neighbour = HttpClient(REMOTE_ADDR="203.0.113.7"), HttpClient(REMOTE_ADDR="198.51.100.9")
    alice = calendar["alice"].pk
    times = [next_day(1, f"{hour}:00") for hour in (10, 11, 12, 13, 14)]
    theirs = post(neighbour, hold_url, {"starts_at": iso(times[4]), "associate_id": alice})
    held = [post(script, hold_url, {"starts_at": iso(t), "associate_id": alice}) for t in times[:4]]
    assert [h.status_code for h in held] == [201, 201, 201, 201]
    live = SlotHold.objects.filter(expires_at__gt=timezone.now())
    assert set(live.values_list("token", flat=True)) == {theirs.json()["token"]} | {h.json()["token"] for h in held[1:]}
    # The first of the script's slots is free again: a client books it with Alice.
    booked = post(HttpClient(), bookings_url(calendar["video"]),
                  book_body(times[0], key="freed-000001", associate_id=alice))  # fmt: skip
    assert booked.status_code == 201
    assert len(set(SlotHold.objects.values_list("requester", flat=True))) == 2  # a keyed hash, never the address
    assert "203.0.113.7" not in set(SlotHold.objects.values_list("requester", flat=True))


def test_an_expired_hold_frees_the_slot(calendar):
    start = next_day(0, "15:00")
    http = HttpClient()
    hold = post(http, f"{API}/atelier-a/appointment-types/{calendar['video'].pk}/slot-holds",
                {"starts_at": iso(start), "associate_id": calendar["alice"].pk}).json()  # fmt: skip
    SlotHold.objects.update(expires_at=start - timedelta(days=30))
    late = post(http, bookings_url(calendar["video"]), book_body(start, key="late-holder1", hold_token=hold["token"]))
    assert (late.status_code, late.json()["code"]) == (409, "slot_hold_expired")
    other = post(http, bookings_url(calendar["video"]),
                 book_body(start, key="other-00001", associate_id=calendar["alice"].pk))  # fmt: skip
    assert other.status_code == 201
    assert services.slot_holds_sweep() == 1


def test_her_own_associate_first_then_round_robin(calendar, world_a):
    from omnipresence.clients import services as clients

    start = next_day(2, "10:00")
    http = HttpClient()
    first = post(http, bookings_url(calendar["video"]), book_body(start, key="rr-0000001", email="one@example.com"))
    second = post(http, bookings_url(calendar["video"]), book_body(start + timedelta(hours=1), key="rr-0000002",
                                                                    email="two@example.com"))  # fmt: skip
    alice, beth = calendar["alice"].pk, calendar["beth"].pk
    assert [first.json()["associate"]["id"], second.json()["associate"]["id"]] == [alice, beth]
    # Alice's turn now, but Beth is Vera's associate: Vera gets Beth.
    her = clients.client_resolve(boutique=world_a["boutique"], email="vip@example.com", name="Vera")
    Client.objects.filter(pk=her.pk).update(primary_associate=calendar["beth"])
    third = post(http, bookings_url(calendar["video"]), book_body(start + timedelta(hours=2), key="rr-0000003",
                                                                   email="vip@example.com"))  # fmt: skip
    fourth = post(http, bookings_url(calendar["video"]), book_body(start + timedelta(hours=3), key="rr-0000004",
                                                                    email="four@example.com"))  # fmt: skip
    assert [third.json()["associate"]["id"], fourth.json()["associate"]["id"]] == [beth, alice]


def test_she_moves_and_cancels_through_her_link(calendar, world_a, django_capture_on_commit_callbacks):
    start = next_day(0, "10:00")
    http = HttpClient()
    booked = post(http, bookings_url(calendar["video"]), book_body(start, key="link-000001")).json()
    token = booked["link"]
    seen = http.get(f"{API}/atelier-a/appointment-links/{token}", {"tz": "Asia/Tokyo"})
    assert seen.status_code == 200 and seen.json()["starts_at"].endswith("+09:00")
    later = start + timedelta(days=1, hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        moved = post(http, f"{API}/atelier-a/appointment-links/{token}/reschedule", {"starts_at": iso(later)})
    assert moved.status_code == 200, moved.content
    appointment = Appointment.objects.get()
    assert (appointment.starts_at, appointment.reschedules) == (later, 1)
    (vevent,) = ics_of(mail.outbox[-1]).walk("VEVENT")
    assert int(vevent["SEQUENCE"]) == 1 and vevent["DTSTART"].dt == later
    # The old time is free again.
    again = post(http, bookings_url(calendar["video"]), book_body(start, key="link-000002",
                                                                   associate_id=appointment.associate_id))  # fmt: skip
    assert again.status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = post(http, f"{API}/atelier-a/appointment-links/{token}/cancel", {"reason": "Travelling"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    ics = ics_of(mail.outbox[-1])
    assert str(ics["METHOD"]) == "CANCEL" and str(ics.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
    assert post(http, f"{API}/atelier-a/appointment-links/{token}/cancel").status_code == 200  # twice: the same
    refused = post(http, f"{API}/atelier-a/appointment-links/{token}/reschedule", {"starts_at": iso(later)})
    assert (refused.status_code, refused.json()["code"]) == (409, "appointment_not_active")
    kinds = list(TimelineEvent.objects.filter(kind="appointment").order_by("pk").values_list("summary", flat=True))
    assert [k.split(":")[0] for k in kinds] == ["Booked", "Moved", "Booked", "Cancelled"]


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # one character of the signature
    lambda t: str(int(t.split(".")[0]) + 1) + "." + t.split(".")[1],  # another appointment's id
    lambda t: t.split(".")[0],  # no signature
    lambda t: "x" * 60,
])  # fmt: skip
def test_a_tampered_link_is_not_found(calendar, mangle):
    http = HttpClient()
    token = post(http, bookings_url(calendar["video"]), book_body(next_day(0), key="tamper-0001")).json()["link"]
    post(http, bookings_url(calendar["video"]), book_body(next_day(0, "12:00"), key="tamper-0002"))
    bad = mangle(token)
    for method, suffix in (("get", ""), ("post", "/cancel"), ("post", "/reschedule"), ("get", "/join")):
        url = f"{API}/atelier-a/appointment-links/{bad}{suffix}"
        response = http.get(url) if method == "get" else post(http, url, {"starts_at": iso(next_day(1))} if "resch" in suffix else {})
        assert (response.status_code, response.json()["code"]) == (404, "appointment_link_invalid"), (suffix, bad)
    assert Appointment.objects.filter(status="booked").count() == 2
    # A good link of atelier-a under another boutique is not found either.
    assert HttpClient().get(f"{API}/boutique-b/appointment-links/{token}").status_code == 404


def test_staff_book_list_move_and_permissions(calendar, ada, world_a, associate_a, beth, manager_a):
    alice_http, beth_http = staff_http(associate_a), staff_http(beth)
    start = next_day(1, "10:00")
    body = {"appointment_type_id": calendar["video"].pk, "client_id": ada.pk, "starts_at": iso(start),
            "associate_id": associate_a.pk, "wishes": "Evening wear"}  # fmt: skip
    created = post(alice_http, f"{API}/atelier-a/appointments", body)
    assert created.status_code == 201, created.content
    appointment_id = created.json()["id"]
    assert created.json()["via"] == "staff" and created.json()["associate"]["id"] == associate_a.pk
    listed = alice_http.get(f"{API}/atelier-a/appointments", {"associate": associate_a.pk, "day": start.date().isoformat()})
    assert [a["id"] for a in listed.json()] == [appointment_id]
    assert alice_http.get(f"{API}/atelier-a/appointments", {"day": (start + timedelta(days=1)).date().isoformat()}).json() == []
    # Beth may not move or cancel Alice's appointment; a manager may, and give it to Beth.
    refused = post(beth_http, f"{API}/atelier-a/appointments/{appointment_id}/cancel")
    assert (refused.status_code, refused.json()["code"]) == (403, "not_your_appointment")
    moved = post(staff_http(manager_a), f"{API}/atelier-a/appointments/{appointment_id}/reschedule",
                 {"starts_at": iso(start + timedelta(hours=3)), "associate_id": beth.pk})  # fmt: skip
    assert moved.status_code == 200 and moved.json()["associate"]["id"] == beth.pk
    # An associate cannot create appointment types.
    type_body = {"location": "soho", "kind": "phone_call", "name": "Call", "duration_minutes": 15}
    denied = post(alice_http, f"{API}/atelier-a/appointment-types", type_body)
    assert (denied.status_code, denied.json()["code"]) == (403, "forbidden")
    made = post(staff_http(manager_a), f"{API}/atelier-a/appointment-types", type_body)
    assert made.status_code == 201 and made.json()["mode"] == "phone" and made.json()["cap_minutes"] == 15


def test_type_input_is_checked(calendar, manager_a):
    http = staff_http(manager_a)
    url = f"{API}/atelier-a/appointment-types"
    base = {"location": "soho", "kind": "video_consultation", "name": "Video", "duration_minutes": 30}
    cases = [
        ({"cap_minutes": 20}, "cap_below_duration"),
        ({"location": "warehouse"}, "not_a_shop"),
        ({"location": "nowhere"}, "location_not_found"),
        ({"video_provider": "livekit"}, "video_provider_not_configured"),
        ({"duration_minutes": 0}, "invalid_input"),
        ({"kind": "séance"}, "invalid_input"),
    ]
    for change, code in cases:
        response = post(http, url, {**base, **change})
        assert response.json()["code"] == code, (change, response.content)
    styling = http.patch(f"{url}/{calendar['styling'].pk}", {"video_provider": "jitsi"}, content_type="application/json")
    assert styling.json()["code"] == "invalid_video_provider"


def test_the_night_the_clocks_go_back_a_30_minute_slot_lasts_30_minutes(world_a, manager_actor, associate_a, ada):
    """A start given in the shop's zone (a ZoneInfo, as Python callers and forms make it) is taken
    as a moment: 01:30 BST on 31 October plus 30 minutes is 01:30 GMT — wall-clock arithmetic
    would have said 02:00 GMT, 90 real minutes. (Before, the slot was not even found: Python never
    finds an ambiguous local time equal to a time in another zone, PEP 495.)"""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    services.working_hours_set(actor=manager_actor, associate=associate_a, location=world_a["shop"],
                               periods=[(d, time(0, 0), time(23, 59)) for d in range(7)])  # fmt: skip
    video = services.type_create(actor=manager_actor, location=world_a["shop"], kind="video_consultation",
                                 name="Video consultation", duration_minutes=30, cap_minutes=45,
                                 buffer_after_minutes=10, min_notice_minutes=0, horizon_days=30)  # fmt: skip
    starts = datetime(2027, 10, 31, 1, 30, tzinfo=ZoneInfo("Europe/London"))  # fold=0: the first 01:30, BST
    appointment, _ = services.appointment_book(appointment_type=video, starts_at=starts, via="staff", client=ada,
                                               now=datetime(2027, 10, 25, 12, 0, tzinfo=ZoneInfo("UTC")))  # fmt: skip
    appointment.refresh_from_db()
    assert appointment.starts_at == datetime(2027, 10, 31, 0, 30, tzinfo=ZoneInfo("UTC"))  # the same moment
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=30)
    assert appointment.cap_ends_at - appointment.starts_at == timedelta(minutes=45)
    assert appointment.blocked_until - appointment.ends_at == timedelta(minutes=10)
