"""The console's appointment pages through HTTP as seeded staff: the calendar (day, week, associate,
shop, the shop's zone, a fixed number of queries), booking for a client, and an appointment's page
with its pull list (holds) and its actions; bad input and other boutiques' ids give 4xx, never 500,
and a refused action changes nothing."""

import re
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from omnipresence.appointments import selectors, services
from omnipresence.appointments.models import Appointment, PullItem
from omnipresence.appointments.tests.conftest import every_day, next_day, staff_http
from omnipresence.appointments.tests.test_flow import _past
from omnipresence.clienteling.models import Task
from omnipresence.clients import services as clients
from omnipresence.inventory.models import Hold
from omnipresence.stores.access import actor_for_user

BASE = "/console/atelier-a/appointments/"
PARIS = ZoneInfo("Europe/Paris")


def book(appointment_type, client, starts_at, associate):
    appointment, _ = services.appointment_book(appointment_type=appointment_type, client=client, via="staff",
                                               starts_at=starts_at, associate_id=associate.pk)  # fmt: skip
    return appointment


def ids_on(response) -> set[int]:
    return {int(i) for i in re.findall(r'id="appointment-(\d+)"', response.content.decode())}


@pytest.fixture
def week(calendar, ada):
    """Alice: Wednesday 10:00 styling and Thursday 10:00 styling; Beth: Wednesday 12:00 video."""
    wed, thu = next_day(2, "10:00"), next_day(3, "10:00")
    return {
        "wed": wed, "alice_wed": book(calendar["styling"], ada, wed, calendar["alice"]),
        "beth_wed": book(calendar["video"], ada, wed.replace(hour=12), calendar["beth"]),
        "alice_thu": book(calendar["styling"], ada, thu, calendar["alice"]),
    }  # fmt: skip


# --- the calendar ----------------------------------------------------------------------------


def test_the_day_shows_her_own_appointments_by_default_in_the_shops_time(week, associate_a):
    http = staff_http(associate_a)
    day = week["wed"].date().isoformat()
    page = http.get(BASE, {"day": day})
    assert page.status_code == 200
    assert ids_on(page) == {week["alice_wed"].pk}
    body = page.content.decode()
    assert "10:00–11:00" in body and "In-store styling" in body and "Ada Lovelace" in body
    assert f'/console/atelier-a/clients/{week["alice_wed"].client_id}/' in body
    assert f'href="{BASE}{week["alice_wed"].pk}/"' in body
    # Everyone's: Beth's too, but an associate only reads a colleague's (no link to open it).
    everyone = http.get(BASE, {"day": day, "associate": "all"})
    assert ids_on(everyone) == {week["alice_wed"].pk, week["beth_wed"].pk}
    assert f'href="{BASE}{week["beth_wed"].pk}/"' not in everyone.content.decode()
    assert ids_on(http.get(BASE, {"day": day, "associate": str(week["beth_wed"].associate_id)})) == {week["beth_wed"].pk}
    # The week (Monday first) has both of hers; the day after has only Thursday's.
    assert ids_on(http.get(BASE, {"day": day, "view": "week"})) == {week["alice_wed"].pk, week["alice_thu"].pk}
    assert ids_on(http.get(BASE, {"day": week["alice_thu"].starts_at.date().isoformat()})) == {week["alice_thu"].pk}


def test_a_manager_sees_everyone_and_filters_by_shop_and_cancelled(week, manager_a, associate_a):
    http = staff_http(manager_a)
    day = week["wed"].date().isoformat()
    assert ids_on(http.get(BASE, {"day": day})) == set()  # her own: none
    page = http.get(BASE, {"day": day, "associate": "all", "shop": "soho"})
    assert ids_on(page) == {week["alice_wed"].pk, week["beth_wed"].pk}
    assert f'href="{BASE}{week["beth_wed"].pk}/"' in page.content.decode()  # a manager may open anyone's
    assert ids_on(http.get(BASE, {"day": day, "associate": "all", "shop": "chelsea"})) == set()
    services.appointment_cancel(actor=actor_for_user(associate_a, week["alice_wed"].boutique),
                                appointment=week["alice_wed"], reason="ill")  # fmt: skip
    assert ids_on(http.get(BASE, {"day": day, "associate": "all"})) == {week["beth_wed"].pk}
    shown = http.get(BASE, {"day": day, "associate": "all", "cancelled": "1"})
    assert ids_on(shown) == {week["alice_wed"].pk, week["beth_wed"].pk}
    assert f'class="appt-item cancelled" id="appointment-{week["alice_wed"].pk}"' in shown.content.decode()


def test_an_empty_day_says_so_and_points_to_the_next_one(week, associate_a):
    page = staff_http(associate_a).get(BASE, {"day": (week["wed"] - timedelta(days=1)).date().isoformat()})
    body = page.content.decode()
    assert page.status_code == 200 and ids_on(page) == set()
    assert "No appointments on this day." in body
    assert re.search(rf'href="[^"]*day={week["wed"].date().isoformat()}[^"]*">The next one is on Wednesday', body)


def test_days_are_the_shops_days_not_utc(world_b, associate_b):
    """In Paris (UTC+1) an appointment at 00:30 is on that day, though it is 23:30 the day before in UTC."""
    services.working_hours_set(actor=world_b["actor"], associate=associate_b, location=world_b["shop"],
                               periods=every_day("00:00", "23:59"))  # fmt: skip
    video = services.type_create(actor=world_b["actor"], location=world_b["shop"], kind="video_consultation", name="Visio",
                        duration_minutes=30, min_notice_minutes=60, horizon_days=30)  # fmt: skip
    her = clients.client_resolve(boutique=world_b["boutique"], email="zoe@example.fr", name="Zoé")
    starts = next_day(2, "00:30", zone=PARIS)
    appointment = book(video, her, starts, associate_b)
    http = staff_http(associate_b)
    page = http.get("/console/boutique-b/appointments/", {"day": starts.date().isoformat()})
    assert ids_on(page) == {appointment.pk}
    assert "00:30" in page.content.decode()
    before = http.get("/console/boutique-b/appointments/", {"day": (starts.date() - timedelta(days=1)).isoformat()})
    assert ids_on(before) == set()


def test_the_calendar_makes_the_same_number_of_queries_however_many_appointments(calendar, ada, associate_a):
    http = staff_http(associate_a)
    wed = next_day(2, "09:00")
    book(calendar["styling"], ada, wed, associate_a)
    params = {"day": wed.date().isoformat(), "view": "week", "associate": "all"}
    http.get(BASE, params)  # warm the session
    with CaptureQueriesContext(connection) as one:
        assert http.get(BASE, params).status_code == 200
    for hour in (10, 11, 12, 13, 14, 15):
        book(calendar["styling"], ada, wed.replace(hour=hour), associate_a)
    with CaptureQueriesContext(connection) as seven:
        page = http.get(BASE, params)
    assert len(ids_on(page)) == 7
    assert len(seven) == len(one) <= 12


def test_the_calendar_selector_is_one_query(calendar, ada, associate_a, django_assert_num_queries):
    wed = next_day(2, "09:00")
    for hour in (9, 11, 13):
        book(calendar["styling"], ada, wed.replace(hour=hour), associate_a)
    actor = actor_for_user(associate_a, calendar["shop"].boutique)
    with django_assert_num_queries(1):
        rows = selectors.calendar_appointments(actor=actor, start=wed - timedelta(hours=9), end=wed + timedelta(days=1))
        names = [(a.client.display_name, a.appointment_type.name, a.location.tz_name, a.associate.username) for a in rows]
    assert names == [("Ada Lovelace", "In-store styling", "Europe/London", "alice")] * 3


@pytest.mark.parametrize(("params", "status", "message"), [
    ({"view": "month"}, 422, "The view is a day or a week."),
    ({"day": "2026-13-45"}, 422, "is not a day (YYYY-MM-DD)"),
    ({"day": "9999-12-31"}, 422, "is not a day (YYYY-MM-DD)"),
    ({"shop": "nowhere"}, 404, "No location"),
    ({"shop": "warehouse"}, 422, "is not a shop"),
    ({"associate": "999999"}, 404, "No associate 999999"),
    ({"associate": "abc"}, 422, "Choose an associate from the list."),
])  # fmt: skip
def test_bad_calendar_parameters_are_a_clear_4xx(calendar, associate_a, params, status, message):
    page = staff_http(associate_a).get(BASE, params)
    assert page.status_code == status
    body = page.content.decode()
    assert 'role="alert"' in body and message in body


def test_another_boutiques_staff_and_strangers_get_no_calendar(calendar, associate_b, client):
    assert staff_http(associate_b).get(BASE).status_code == 403
    anonymous = client.get(BASE)
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]


# --- booking for a client --------------------------------------------------------------------


def test_booking_for_a_client_from_the_console(calendar, ada, associate_a):
    http = staff_http(associate_a)
    found = http.get(f"{BASE}new/", {"q": "ada"})
    assert found.status_code == 200 and f"?client={ada.pk}" in found.content.decode()
    wed = next_day(2, "10:00")
    form = http.get(f"{BASE}new/", {"client": ada.pk, "type": calendar["styling"].pk, "day": wed.date().isoformat()})
    body = form.content.decode()
    assert form.status_code == 200 and f'value="{wed.astimezone(UTC).isoformat()}"' in body  # the moment, in UTC
    key = re.search(r'name="key" value="([^"]+)"', body).group(1)
    data = {"client": ada.pk, "type": calendar["styling"].pk, "day": wed.date().isoformat(), "associate": "me",
            "key": key, "starts_at": wed.isoformat(), "wishes": "A dress for a wedding"}  # fmt: skip
    booked = http.post(f"{BASE}new/", data)
    appointment = Appointment.objects.get()
    assert booked.status_code == 302 and booked["Location"] == f"{BASE}{appointment.pk}/"
    assert (appointment.associate_id, appointment.starts_at, appointment.via, appointment.wishes) == (
        associate_a.pk, wed, "staff", "A dress for a wedding")
    again = http.post(f"{BASE}new/", data)  # a double submit: the same booking
    assert again.status_code == 302 and Appointment.objects.count() == 1
    taken = http.post(f"{BASE}new/", {**data, "key": "another-key-123"})
    assert taken.status_code == 409 and 'role="alert"' in taken.content.decode()
    bad = http.post(f"{BASE}new/", {**data, "key": "third-key-456", "starts_at": "tomorrow"})
    assert bad.status_code == 422 and "Choose a time from the list." in bad.content.decode()
    assert Appointment.objects.count() == 1


def test_booking_refuses_another_boutiques_client_and_type(calendar, associate_a, world_b):
    theirs = clients.client_resolve(boutique=world_b["boutique"], email="zoe@example.fr", name="Zoé")
    http = staff_http(associate_a)
    assert http.get(f"{BASE}new/", {"client": theirs.pk}).status_code == 404
    assert http.get(f"{BASE}new/", {"client": "x1"}).status_code == 422
    assert http.get(f"{BASE}new/", {"type": "999999"}).status_code == 404


# --- one appointment -------------------------------------------------------------------------


def test_the_appointment_page_and_who_may_open_it(week, associate_a, manager_a, associate_b):
    mine, beths = week["alice_wed"], week["beth_wed"]
    http = staff_http(associate_a)
    page = http.get(f"{BASE}{mine.pk}/")
    body = page.content.decode()
    assert page.status_code == 200 and "In-store styling" in body and "10:00–11:00" in body and "Ada Lovelace" in body
    refused = http.get(f"{BASE}{beths.pk}/")
    assert refused.status_code == 403 and "another associate" in refused.content.decode()
    assert http.post(f"{BASE}{beths.pk}/cancel/", {"reason": "x"}).status_code == 403
    beths.refresh_from_db()
    assert beths.status == "booked"
    assert staff_http(manager_a).get(f"{BASE}{beths.pk}/").status_code == 200
    assert http.get(f"{BASE}999999/").status_code == 404
    # Under another boutique's slug, or by its staff: not found / not allowed.
    assert staff_http(associate_b).get(f"/console/boutique-b/appointments/{mine.pk}/").status_code == 404
    assert staff_http(associate_b).get(f"{BASE}{mine.pk}/").status_code == 403


def test_the_pull_list_adds_holds_by_sku_and_removes_them(week, world_a, associate_a):
    appointment = week["alice_wed"]
    http = staff_http(associate_a)
    url = f"{BASE}{appointment.pk}/"
    sku = world_a["variants"][1].sku
    added = http.post(f"{url}pull-list/", {"sku": sku, "location": "soho", "quantity": "1"})
    assert added.status_code == 302 and added["Location"] == url
    hold = Hold.objects.get(owner_ref=f"appointment:{appointment.pk}")
    assert (hold.status, hold.quantity, hold.variant.sku, hold.expires_at) == ("active", 1, sku, appointment.blocked_until)
    page = http.get(url).content.decode()
    assert sku in page and "Held at Soho until" in page
    # Bad input: clear 4xx on the page, nothing more held.
    for data, status, message in [({"sku": "NOPE-1"}, 404, "No variant"), ({"sku": sku, "quantity": "lots"}, 422, "quantity"),
                                  ({"sku": sku, "quantity": "50"}, 422, "from 1 to 20"),
                                  ({"sku": sku, "quantity": "5"}, 409, ""), ({"sku": ""}, 422, "Enter a SKU"),
                                  ({"sku": sku, "location": "mars"}, 404, "No location")]:  # fmt: skip
        refused = http.post(f"{url}pull-list/", data)
        assert refused.status_code == status, data
        assert 'role="alert"' in refused.content.decode() and message in refused.content.decode()
    assert Hold.objects.filter(owner_ref=f"appointment:{appointment.pk}").count() == 1
    item = PullItem.objects.get(appointment=appointment)
    assert http.post(f"{url}pull-list/999999/remove/").status_code == 404
    removed = http.post(f"{url}pull-list/{item.pk}/remove/")
    assert removed.status_code == 302
    hold.refresh_from_db()
    assert hold.status == "released" and PullItem.objects.get(pk=item.pk).removed_at is not None
    assert "Nothing put aside yet." in http.get(url).content.decode()


def test_reschedule_and_cancel_from_the_page(week, world_a, associate_a):
    appointment = week["alice_wed"]
    http = staff_http(associate_a)
    url = f"{BASE}{appointment.pk}/"
    actor = actor_for_user(associate_a, world_a["boutique"])
    services.pull_item_add(actor=actor, appointment=appointment, variant=world_a["variants"][0])
    later = appointment.starts_at + timedelta(days=2, hours=2)
    offered = http.get(url, {"move_day": later.date().isoformat()}).content.decode()
    assert f'value="{later.isoformat()}"' in offered
    assert http.get(url, {"move_day": "soon"}).status_code == 422
    for nonsense in ("soon", "0001-01-01T00:00:00+00:00", later.replace(tzinfo=None).isoformat()):
        assert http.post(f"{url}reschedule/", {"starts_at": nonsense}).status_code == 422
    off_rhythm = http.post(f"{url}reschedule/", {"starts_at": (later + timedelta(minutes=7)).isoformat()})
    assert off_rhythm.status_code == 422 and 'role="alert"' in off_rhythm.content.decode()
    assert http.post(f"{url}reschedule/", {"starts_at": later.isoformat()}).status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == later and appointment.reschedules == 1
    hold = Hold.objects.get(owner_ref=f"appointment:{appointment.pk}")
    assert hold.expires_at == appointment.blocked_until
    assert http.post(f"{url}cancel/", {"reason": "She is travelling"}).status_code == 302
    appointment.refresh_from_db()
    hold.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason, hold.status) == ("cancelled", "She is travelling", "released")
    page = http.get(url).content.decode()
    assert "She is travelling" in page and "Cancel the appointment" not in page


def test_no_show_only_after_the_start_and_completion_makes_the_task(week, ada, associate_a):
    appointment = week["alice_wed"]
    http = staff_http(associate_a)
    url = f"{BASE}{appointment.pk}/"
    early = http.post(f"{url}no-show/")
    assert early.status_code == 409 and "has not started" in early.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    _past(appointment, minutes_ago=70)
    assert http.post(f"{url}complete/", {"note": "Loved the green dress"}).status_code == 302
    task = Task.objects.get(client=ada)
    assert (task.assignee_id, task.note) == (associate_a.pk, "Loved the green dress")
    page = http.get(url).content.decode()
    assert "Follow-up task" in page and task.reason in page
    again = http.post(f"{url}no-show/")
    assert again.status_code == 409 and Task.objects.filter(client=ada).count() == 1
    other = week["alice_thu"]
    _past(other, minutes_ago=5)
    assert http.post(f"{BASE}{other.pk}/no-show/").status_code == 302
    other.refresh_from_db()
    assert other.status == "no_show"


def test_the_room_opens_shortly_before_and_a_pasted_link_must_be_https(calendar, ada, associate_a):
    later = book(calendar["video"], ada, next_day(2, "11:00"), associate_a)
    http = staff_http(associate_a)
    url = f"{BASE}{later.pk}/"
    closed = http.post(f"{url}join/")
    assert closed.status_code == 409 and "The room opens" in closed.content.decode()
    refused = http.post(f"{url}meeting-link/", {"external_url": "http://zoom.example/j/1"})
    assert refused.status_code == 422 and "https://" in refused.content.decode()
    later.refresh_from_db()
    assert later.external_url == ""
    assert http.post(f"{url}meeting-link/", {"external_url": "https://zoom.example/j/1"}).status_code == 302
    later.refresh_from_db()
    assert (later.external_url, later.video_provider) == ("https://zoom.example/j/1", "external")
    now = book(calendar["video"], ada, next_day(4, "11:00"), associate_a)
    _past(now, minutes_ago=5)
    opened = http.post(f"{BASE}{now.pk}/join/")
    assert opened.status_code == 200 and "Enter the room as host" in opened.content.decode()
    assert "/appointments/room/" in opened.content.decode()


def test_in_store_appointments_have_no_room(week, associate_a):
    refused = staff_http(associate_a).post(f"{BASE}{week['alice_wed'].pk}/join/")
    assert refused.status_code == 422 and 'role="alert"' in refused.content.decode()


def test_her_wishes_show_live_stock(calendar, world_a, ada, associate_a):
    appointment, _ = services.appointment_book(
        appointment_type=calendar["styling"], client=ada, via="staff", starts_at=next_day(2, "14:00"),
        associate_id=associate_a.pk, wishes="The blue coat", wish_product_ids=[world_a["product"].pk],
    )  # fmt: skip
    http = staff_http(associate_a)
    page = http.get(f"{BASE}{appointment.pk}/").content.decode()
    sku = world_a["variants"][0].sku
    assert "The blue coat" in page and "Blue Statement Coat" in page
    assert f"{sku} · S · Blue" in page and "2 at Soho · 7 in all" in page
    http.post(f"{BASE}{appointment.pk}/pull-list/", {"sku": sku, "quantity": "2"})
    assert "0 at Soho · 5 in all" in http.get(f"{BASE}{appointment.pk}/").content.decode()

