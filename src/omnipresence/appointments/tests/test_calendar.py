"""Calendars through the API: type hours, rules, working hours and time off — who may set what,
and bad input refused with nothing written."""

from omnipresence.appointments.models import ScheduleRule, TimeOff, TypeHours, WorkingHours
from omnipresence.appointments.tests.conftest import API, post, staff_http


def test_an_associate_keeps_her_own_hours_but_not_anyone_elses(calendar, associate_a, beth, manager_a):
    http = staff_http(associate_a)
    body = {"location": "soho", "periods": [{"weekday": 0, "starts": "12:00", "ends": "16:00"}]}
    mine = http.put(f"{API}/atelier-a/associates/{associate_a.pk}/working-hours", body, content_type="application/json")
    assert mine.status_code == 200
    assert mine.json() == [{"associate_id": associate_a.pk, "location_code": "soho",
                            "periods": [{"weekday": 0, "starts": "12:00:00", "ends": "16:00:00"}]}]  # fmt: skip
    hers = http.put(f"{API}/atelier-a/associates/{beth.pk}/working-hours", body, content_type="application/json")
    assert (hers.status_code, hers.json()["code"]) == (403, "not_your_appointment")
    assert WorkingHours.objects.filter(associate=beth).count() == 7
    off = post(http, f"{API}/atelier-a/associates/{associate_a.pk}/time-off",
               {"starts_at": "2031-05-01T09:00:00Z", "ends_at": "2031-05-02T09:00:00Z", "note": "Dentist"})  # fmt: skip
    assert off.status_code == 201
    assert staff_http(beth).delete(f"{API}/atelier-a/time-off/{off.json()['id']}").status_code == 403
    assert staff_http(manager_a).delete(f"{API}/atelier-a/time-off/{off.json()['id']}").status_code == 204
    assert not TimeOff.objects.exists()


def test_bad_calendar_input_is_refused_and_writes_nothing(calendar, manager_a, associate_a):
    http = staff_http(manager_a)
    hours_url = f"{API}/atelier-a/associates/{associate_a.pk}/working-hours"
    cases = [
        ("put", hours_url, {"location": "soho", "periods": [{"weekday": 0, "starts": "09:00", "ends": "12:00"},
                                                            {"weekday": 0, "starts": "11:00", "ends": "13:00"}]},
         "overlapping_periods"),
        ("put", hours_url, {"location": "soho", "periods": [{"weekday": 7, "starts": "09:00", "ends": "12:00"}]},
         "invalid_input"),
        ("put", hours_url, {"location": "soho", "periods": [{"weekday": 1, "starts": "12:00", "ends": "09:00"}]},
         "invalid_period"),
        ("put", hours_url, {"location": "warehouse", "periods": []}, "not_a_shop"),
        ("put", f"{API}/atelier-a/associates/999999/working-hours", {"location": "soho", "periods": []},
         "associate_not_found"),
        ("post", f"{API}/atelier-a/associates/{associate_a.pk}/time-off",
         {"starts_at": "2031-05-02T09:00:00Z", "ends_at": "2031-05-01T09:00:00Z"}, "invalid_period"),
        ("post", f"{API}/atelier-a/associates/{associate_a.pk}/time-off",
         {"starts_at": "2031-05-01T09:00:00", "ends_at": "2031-05-02T09:00:00"}, "invalid_datetime"),
        ("post", f"{API}/atelier-a/appointment-rules", {"location": "soho", "kind": "closed", "weekday": 1,
                                                        "date": "2031-01-01"}, "invalid_rule"),
        ("post", f"{API}/atelier-a/appointment-rules", {"location": "soho", "kind": "hours", "weekday": 1,
                                                        "starts": "10:00", "ends": "12:00"}, "invalid_rule"),
        ("post", f"{API}/atelier-a/appointment-rules", {"location": "chelsea", "kind": "closed", "weekday": 1,
                                                        "appointment_type_id": calendar["video"].pk}, "wrong_location"),
        ("put", f"{API}/atelier-a/appointment-types/{calendar['video'].pk}/hours",
         {"periods": [{"weekday": 6, "starts": "25:00", "ends": "26:00"}]}, "invalid_input"),
    ]  # fmt: skip
    for method, url, body, code in cases:
        response = getattr(http, method)(url, body, content_type="application/json") if method == "put" else post(http, url, body)
        assert response.status_code in (404, 422) and response.json()["code"] == code, (url, body, response.content)
    assert WorkingHours.objects.filter(associate=associate_a).count() == 7
    assert not TimeOff.objects.exists() and not ScheduleRule.objects.exists() and not TypeHours.objects.exists()


def test_rules_are_listed_and_removed(calendar, manager_a, associate_a):
    http = staff_http(manager_a)
    made = post(http, f"{API}/atelier-a/appointment-rules",
                {"location": "soho", "kind": "virtual_only", "weekday": 0, "note": "Stock day"})  # fmt: skip
    assert made.status_code == 201 and made.json()["weekday"] == 0
    listed = staff_http(associate_a).get(f"{API}/atelier-a/appointment-rules").json()
    assert [r["id"] for r in listed] == [made.json()["id"]]
    assert staff_http(associate_a).delete(f"{API}/atelier-a/appointment-rules/{made.json()['id']}").status_code == 403
    assert http.delete(f"{API}/atelier-a/appointment-rules/{made.json()['id']}").status_code == 204
    assert http.delete(f"{API}/atelier-a/appointment-rules/{made.json()['id']}").json()["code"] == "appointment_rule_not_found"
