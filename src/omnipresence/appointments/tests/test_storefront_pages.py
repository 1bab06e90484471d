"""Her pages, through the Django test client: the types, the slot calendar in her zone, booking
(hold → form → booking → her link, once however often she submits), a slot taken meanwhile, bad
input as 4xx messages, and her link page: .ics, reschedule, cancel, join, 404 for a bad link."""

import re
from datetime import UTC, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

from django.core import mail
from django.test import Client as HttpClient
from django.utils import timezone

from omnipresence.appointments import links, selectors, services
from omnipresence.appointments.models import Appointment, SlotHold
from omnipresence.appointments.tests.conftest import API, book_body, next_day, post
from omnipresence.clients.models import Client

NEW_YORK = ZoneInfo("America/New_York")
BASE = "/atelier-a/appointments"
SLOT = re.compile(r'<button type="submit" class="slot secondary" name="starts_at" value="([^"]+)">([^<]+)<')


def slots_on_page(response) -> dict[str, str]:
    """The calendar's slot buttons: their value (UTC) → their label."""
    return dict(SLOT.findall(response.content.decode()))


def value(moment) -> str:
    return moment.astimezone(UTC).isoformat()


def hold(http, appointment_type, starts_at, **extra):
    return http.post(f"{BASE}/book/{appointment_type.pk}/", {"step": "hold", "starts_at": value(starts_at),
                                                             "tz": "Europe/London", **extra})  # fmt: skip


def form_fields(response) -> dict[str, str]:
    html = response.content.decode()
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', html))


def book(http, appointment_type, fields, **details):
    body = {**fields, "name": "Grace Hopper", "email": "grace@example.com", "phone": "", "wishes": "", **details}
    return http.post(f"{BASE}/book/{appointment_type.pk}/", body)


def held_form(http, appointment_type, starts_at):
    response = hold(http, appointment_type, starts_at)
    assert response.status_code == 302
    page = http.get(response["Location"])
    assert page.status_code == 200
    return page


def link_of(appointment) -> str:
    return f"{BASE}/{links.appointment_token(appointment)}/"


def test_the_list_shows_the_active_types_with_how_and_where(calendar, manager_actor):
    services.type_create(actor=manager_actor, location=calendar["shop"], kind="phone_call", name="Phone call",
                         duration_minutes=15)  # fmt: skip
    retired = services.type_create(actor=manager_actor, location=calendar["shop"], kind="virtual_tour",
                                   name="Old tour", duration_minutes=20)  # fmt: skip
    services.type_update(actor=manager_actor, appointment_type=retired, is_active=False)
    response = HttpClient().get(f"{BASE}/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Video consultation", "In-store styling", "Phone call", "30 minutes", "60 minutes", "15 minutes",
                 "On video", "At Soho", "By phone", "See times"):  # fmt: skip
        assert text in html
    assert "Old tour" not in html
    assert f'href="{BASE}/book/{calendar["video"].pk}/"' in html


def test_the_calendar_shows_the_selectors_slots_labelled_in_her_zone(calendar, manager_actor, world_a):
    monday = next_day(0, "10:00")
    http = HttpClient()
    london = http.get(f"{BASE}/book/{calendar['styling'].pk}/", {"tz": "Europe/London", "week": monday.date().isoformat()})
    assert london.status_code == 200
    assert "Times in Europe/London" in london.content.decode()
    shown = slots_on_page(london)
    assert shown[value(monday)] == "10:00"
    # Every free slot the selector computes for that week, and nothing else.
    start = monday.replace(hour=0)
    expected = selectors.slots_for(calendar["styling"], start=start, end=start + timedelta(days=7))
    assert set(shown) == {value(s.starts_at) for s in expected}

    new_york = http.get(f"{BASE}/book/{calendar['styling'].pk}/", {"tz": "America/New_York",
                                                                    "week": monday.date().isoformat()})  # fmt: skip
    assert new_york.status_code == 200
    html = new_york.content.decode()
    assert "Times in America/New_York" in html and "(the shop is in Europe/London)" in html
    label = slots_on_page(new_york)[value(monday)]
    assert label == monday.astimezone(NEW_YORK).strftime("%H:%M") and label != "10:00"


def test_a_day_without_slots_says_so_and_weeks_stay_within_the_horizon(calendar, manager_actor, world_a):
    tuesday = next_day(1).date()
    services.rule_add(actor=manager_actor, location=world_a["shop"], kind="closed", day=tuesday)
    http = HttpClient()
    response = http.get(f"{BASE}/book/{calendar['video'].pk}/", {"tz": "Europe/London", "week": tuesday.isoformat()})
    html = response.content.decode()
    day = html.split(f'id="day-{tuesday.isoformat()}"')[1].split("</li>")[0]
    assert "No times free this day." in day and "starts_at" not in day
    assert 'id="earlier-weeks"' in html and 'id="later-weeks"' in html
    # The first page starts today: nothing earlier; a week past the horizon is brought back inside it.
    today = http.get(f"{BASE}/book/{calendar['video'].pk}/", {"tz": "Europe/London"}).content.decode()
    assert 'id="earlier-weeks"' not in today
    far = (timezone.now() + timedelta(days=90)).date().isoformat()
    last = http.get(f"{BASE}/book/{calendar['video'].pk}/", {"tz": "Europe/London", "week": far}).content.decode()
    assert 'id="later-weeks"' not in last and f'id="day-{far}"' not in last


def test_booking_end_to_end_once_however_often_she_submits(calendar, django_capture_on_commit_callbacks):
    monday = next_day(0, "11:00")
    http = HttpClient()
    response = hold(http, calendar["video"], monday)
    assert response.status_code == 302 and "hold=" in response["Location"]
    held = SlotHold.objects.get()
    assert held.starts_at == monday
    page = http.get(response["Location"])
    html = page.content.decode()
    assert "We keep this time for you for 5 minutes." in html
    assert "What would you like to see?" in html
    fields = form_fields(page)
    assert fields["hold_token"] == held.token and len(fields["idempotency_key"]) >= 8
    assert fields["starts_at"] == value(monday) and fields["step"] == "book"

    with django_capture_on_commit_callbacks(execute=True):
        booked = book(http, calendar["video"], fields, wishes="A coat for a winter wedding")
    appointment = Appointment.objects.get()
    assert booked.status_code == 302 and booked["Location"] == link_of(appointment)
    assert (appointment.starts_at, appointment.via, appointment.wishes) == (monday, "storefront",
                                                                            "A coat for a winter wedding")  # fmt: skip
    assert appointment.associate_id == held.associate_id and appointment.client_timezone == "Europe/London"
    assert not SlotHold.objects.exists() and len(mail.outbox) == 1

    again = book(http, calendar["video"], fields, wishes="A coat for a winter wedding")
    assert again.status_code == 302 and again["Location"] == link_of(appointment)
    assert Appointment.objects.count() == 1 and Client.objects.filter(display_name="Grace Hopper").count() == 1

    mine = http.get(booked["Location"])
    html = mine.content.decode()
    assert mine.status_code == 200 and "You&#x27;re booked." in html
    assert "Video consultation" in html and "Booked" in html
    assert appointment.associate.get_username() in html
    assert "The room opens 10 minutes before your appointment." in html


def test_a_slot_taken_between_hold_and_submit_brings_back_the_calendar(calendar):
    tuesday = next_day(1, "11:00")
    http = HttpClient()
    fields = form_fields(held_form(http, calendar["styling"], tuesday))
    later = timezone.now() + timedelta(minutes=6)  # her five minutes ran out…
    with mock.patch("django.utils.timezone.now", return_value=later):
        other = post(HttpClient(), f"{API}/atelier-a/appointment-types/{calendar['styling'].pk}/bookings",
                     book_body(tuesday, key="someone-else-0001", email="ada@example.com"))  # fmt: skip
        assert other.status_code == 201  # …and someone else took the time
        response = book(http, calendar["styling"], fields)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'role="alert"' in html and "That time has just been taken: please choose another." in html
    shown = slots_on_page(response)
    assert value(tuesday) not in shown and value(tuesday + timedelta(hours=1)) in shown  # refreshed
    assert Appointment.objects.count() == 1


def test_a_hold_that_ran_out_still_books_a_time_nobody_took(calendar):
    tuesday = next_day(1, "14:00")
    http = HttpClient()
    fields = form_fields(held_form(http, calendar["styling"], tuesday))
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(minutes=6)):
        response = book(http, calendar["styling"], fields)
    assert response.status_code == 302
    assert Appointment.objects.get().starts_at == tuesday


def test_an_invalid_zone_is_a_clear_422_in_the_shops_zone(calendar):
    response = HttpClient().get(f"{BASE}/book/{calendar['video'].pk}/", {"tz": "Mars/Olympus"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "We do not know the time zone “Mars/Olympus”: times are shown in Europe/London." in html
    assert 'role="alert"' in html and "Times in Europe/London" in html and slots_on_page(response)
    assert HttpClient().get(f"{BASE}/book/{calendar['video'].pk}/", {"tz": "<script>"}).status_code == 422


def test_bad_details_come_back_as_the_form_with_the_message(calendar):
    monday = next_day(0, "15:00")
    http = HttpClient()
    fields = form_fields(held_form(http, calendar["video"], monday))
    bad_email = book(http, calendar["video"], fields, email="not-an-email")
    assert bad_email.status_code == 422
    html = bad_email.content.decode()
    assert "is not an email address" in html and 'aria-invalid="true"' in html and 'role="alert"' in html
    assert form_fields(bad_email)["idempotency_key"] == fields["idempotency_key"]  # the same form, kept
    nothing = book(http, calendar["video"], fields, email="")
    assert nothing.status_code == 422 and "Give an email or a phone number." in nothing.content.decode()
    no_name = book(http, calendar["video"], fields, name="")
    assert no_name.status_code == 422 and "Tell us your name." in no_name.content.decode()
    bad_phone = book(http, calendar["video"], fields, email="", phone="12")
    assert bad_phone.status_code == 422 and "is not a phone number" in bad_phone.content.decode()
    stale = book(http, calendar["video"], {**fields, "idempotency_key": "x"})
    assert stale.status_code == 422 and "please choose a time again" in stale.content.decode()
    off_rhythm = hold(http, calendar["video"], monday + timedelta(minutes=7))
    assert off_rhythm.status_code == 422 and "not one of the slots offered" in off_rhythm.content.decode()
    garbage = http.post(f"{BASE}/book/{calendar['video'].pk}/", {"step": "hold", "starts_at": "tomorrow"})
    assert garbage.status_code == 422
    assert not Appointment.objects.exists() and not Client.objects.filter(display_name="Grace Hopper").exists()
    # The form still books once she puts it right.
    assert book(http, calendar["video"], fields, email="grace@example.com").status_code == 302
    assert Appointment.objects.count() == 1


def test_another_boutiques_type_or_an_unknown_associate_is_404(calendar, world_b):
    video = calendar["video"].pk
    http = HttpClient()
    assert http.get(f"/boutique-b/appointments/book/{video}/").status_code == 404
    assert http.post(f"/boutique-b/appointments/book/{video}/", {"step": "hold"}).status_code == 404
    assert http.get(f"{BASE}/book/999999/").status_code == 404
    assert http.get("/no-such-shop/appointments/").status_code == 404
    assert http.get(f"{BASE}/book/{video}/", {"associate": "999999"}).status_code == 404
    assert http.get(f"{BASE}/book/{video}/", {"associate": "abc"}).status_code == 404
    # Her own associate choice narrows the slots to hers.
    monday = next_day(0, "10:00")
    services.appointment_book(appointment_type=calendar["video"], client=Client.objects.create(
        boutique=calendar["shop"].boutique, display_name="Ada"), starts_at=monday, via="staff",
        associate_id=calendar["alice"].pk)  # fmt: skip
    week = {"tz": "Europe/London", "week": monday.date().isoformat()}
    alice = http.get(f"{BASE}/book/{video}/", {**week, "associate": calendar["alice"].pk})
    beth = http.get(f"{BASE}/book/{video}/", {**week, "associate": calendar["beth"].pk})
    assert value(monday) not in slots_on_page(alice) and value(monday) in slots_on_page(beth)


def _booked(calendar, appointment_type="video", at=None, **extra):
    client = Client.objects.create(boutique=calendar["shop"].boutique, display_name="Ada Lovelace")
    appointment, _ = services.appointment_book(appointment_type=calendar[appointment_type], client=client,
                                               starts_at=at or next_day(2, "10:00"), via="staff", **extra)  # fmt: skip
    return appointment


def test_a_tampered_or_unknown_link_or_another_boutiques_slug_is_404(calendar, world_b):
    appointment = _booked(calendar)
    token = links.appointment_token(appointment)
    http = HttpClient()
    assert http.get(f"{BASE}/{token}/").status_code == 200
    changed = token[:-1] + ("A" if token[-1] != "A" else "B")
    other_id = f"{appointment.pk + 1}.{token.split('.')[1]}"
    for bad in (changed, other_id, "1.abc", "nonsense"):
        for suffix in ("", "invite.ics", "reschedule/", "cancel/", "join/"):
            response = http.get(f"{BASE}/{bad}/{suffix}")
            assert response.status_code == 404, (bad, suffix)
    response = http.get(f"/boutique-b/appointments/{token}/")
    assert response.status_code == 404 and "We could not find that page" in response.content.decode()
    assert http.post(f"{BASE}/{changed}/cancel/", {"reason": "x"}).status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_her_page_shows_both_zones_and_downloads_the_invitation(calendar):
    appointment = _booked(calendar, "styling")
    Appointment.objects.filter(pk=appointment.pk).update(client_timezone="America/New_York")
    http = HttpClient()
    html = http.get(link_of(appointment)).content.decode()
    local = appointment.starts_at.astimezone(NEW_YORK).strftime("%H:%M")
    assert f"at {local}" in html and "(America/New_York)" in html
    assert "at the shop (Europe/London)" in html and "Soho" in html
    assert "Add to calendar" in html and "Change the time" in html and "Cancel the appointment" in html
    assert "The room opens" not in html  # in store: no room
    ics = http.get(f"{link_of(appointment)}invite.ics")
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    body = ics.content.decode()
    assert "BEGIN:VCALENDAR" in body and f"UID:appointment-{appointment.pk}@" in body and "METHOD:REQUEST" in body
    assert f"DTSTART:{appointment.starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}" in body


def test_she_reschedules_from_her_page(calendar):
    appointment = _booked(calendar, "styling")
    http = HttpClient()
    page = http.get(f"{link_of(appointment)}reschedule/", {"tz": "Europe/London",
                                                           "week": appointment.starts_at.date().isoformat()})  # fmt: skip
    assert page.status_code == 200 and "Change the time" in page.content.decode()
    new_time = appointment.starts_at + timedelta(hours=3)
    assert value(new_time) in slots_on_page(page)
    moved = http.post(f"{link_of(appointment)}reschedule/", {"starts_at": value(new_time), "tz": "Europe/London"})
    assert moved.status_code == 302 and moved["Location"] == link_of(appointment)
    appointment.refresh_from_db()
    assert (appointment.starts_at, appointment.reschedules) == (new_time, 1)
    assert "Your appointment is moved to" in http.get(moved["Location"]).content.decode()
    refused = http.post(f"{link_of(appointment)}reschedule/", {"starts_at": value(new_time + timedelta(minutes=7))})
    assert refused.status_code == 422 and 'role="alert"' in refused.content.decode()
    assert http.post(f"{link_of(appointment)}reschedule/", {"starts_at": "soon"}).status_code == 422
    appointment.refresh_from_db()
    assert appointment.starts_at == new_time


def test_she_cancels_from_her_page_and_then_sees_no_actions(calendar):
    appointment = _booked(calendar, "styling")
    http = HttpClient()
    confirm = http.get(f"{link_of(appointment)}cancel/")
    assert confirm.status_code == 200 and "Yes, cancel it" in confirm.content.decode()
    too_long = http.post(f"{link_of(appointment)}cancel/", {"reason": "x" * 301})
    assert too_long.status_code == 422
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    done = http.post(f"{link_of(appointment)}cancel/", {"reason": "I'm travelling"})
    assert done.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == ("cancelled", "I'm travelling")
    html = http.get(link_of(appointment)).content.decode()
    assert "Cancelled" in html and "Your appointment is cancelled." in html
    assert "Change the time" not in html and "Add to calendar" not in html and 'id="cancel-link"' not in html
    assert http.get(f"{link_of(appointment)}reschedule/").status_code == 409
    assert http.post(f"{link_of(appointment)}cancel/", {}).status_code == 409


def test_join_only_in_the_rooms_window(calendar):
    appointment = _booked(calendar, "video")
    http = HttpClient()
    early = http.get(f"{link_of(appointment)}join/")
    assert early.status_code == 409 and "The room opens 10 minutes before your appointment." in early.content.decode()
    with mock.patch("django.utils.timezone.now", return_value=appointment.starts_at - timedelta(minutes=5)):
        assert 'id="join-link"' in http.get(link_of(appointment)).content.decode()
        joined = http.get(f"{link_of(appointment)}join/")
    with mock.patch("django.utils.timezone.now", return_value=appointment.starts_at + timedelta(minutes=5)):
        page = http.get(link_of(appointment)).content.decode()
        assert 'id="join-link"' in page and "Change the time" not in page  # started: no more moving
    assert joined.status_code == 302 and f"/atelier-a/appointments/room/{appointment.video_room}/" in joined["Location"]
    with mock.patch("django.utils.timezone.now", return_value=appointment.cap_ends_at + timedelta(minutes=1)):
        late = http.get(f"{link_of(appointment)}join/")
    assert late.status_code == 409 and "the room is closed" in late.content.decode()


def test_join_opens_our_room_page_whatever_the_video_provider(calendar):
    """With Jitsi (or LiveKit, or a pasted link) she still enters the room page: the shared cart is
    there, and the page leads on to the provider's call."""
    appointment = _booked(calendar, "video")
    Appointment.objects.filter(pk=appointment.pk).update(video_provider="jitsi", video_room="jitsi-room-xyz")
    appointment.refresh_from_db()
    with mock.patch("django.utils.timezone.now", return_value=appointment.starts_at - timedelta(minutes=5)):
        joined = HttpClient().get(f"{link_of(appointment)}join/")
    assert joined.status_code == 302
    assert "/atelier-a/appointments/room/jitsi-room-xyz/?t=" in joined["Location"]
    assert "meet.jit.si" not in joined["Location"]


def test_a_completed_appointment_shows_its_state_and_no_actions(calendar, manager_actor):
    appointment = _booked(calendar, "video")
    services.appointment_complete(actor=manager_actor, appointment=appointment,
                                  now=appointment.starts_at + timedelta(minutes=30))  # fmt: skip
    html = HttpClient().get(link_of(appointment)).content.decode()
    assert "Completed" in html and 'id="join-link"' not in html and "Add to calendar" not in html
    assert "The room opens" not in html


def test_the_calendar_page_reads_in_a_bounded_number_of_queries(calendar, django_assert_max_num_queries):
    for n in range(3):
        _booked(calendar, "video", at=next_day(0, f"1{n}:00"))
    with django_assert_max_num_queries(20):
        response = HttpClient().get(f"{BASE}/book/{calendar['video'].pk}/", {"tz": "Europe/London"})
    assert response.status_code == 200


def test_the_page_sets_her_zone_from_the_browser_only_when_absent(calendar):
    http = HttpClient()
    url = f"{BASE}/book/{calendar['video'].pk}/"
    assert "data-detect-zone" in http.get(url).content.decode()
    assert "data-detect-zone" not in http.get(url, {"tz": "Asia/Tokyo"}).content.decode()
