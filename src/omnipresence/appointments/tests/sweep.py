"""Objects of the appointments app for the tenancy sweep (core/tests/test_tenancy_sweep.py)."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from omnipresence.appointments import services
from omnipresence.appointments.models import Appointment
from omnipresence.clients import services as clients
from omnipresence.conftest import make_staff
from omnipresence.inventory import services as inventory

PUBLIC = {
    ("GET", "/boutiques/{slug}/appointment-types"),
    ("GET", "/boutiques/{slug}/appointment-types/{type_id}/slots"),
    ("POST", "/boutiques/{slug}/appointment-types/{type_id}/slot-holds"),
    ("POST", "/boutiques/{slug}/appointment-types/{type_id}/bookings"),
    ("GET", "/boutiques/{slug}/appointment-links/{token}"),
    ("POST", "/boutiques/{slug}/appointment-links/{token}/reschedule"),
    ("POST", "/boutiques/{slug}/appointment-links/{token}/cancel"),
    ("GET", "/boutiques/{slug}/appointment-links/{token}/join"),
    ("GET", "/boutiques/{slug}/appointment-links/{token}/room"),
}
HOURS = [{"weekday": d, "starts": "09:00", "ends": "18:00"} for d in range(7)]


def _at(world, days: int, hour: int) -> datetime:
    zone = ZoneInfo(world["shop"].tz_name)
    day = timezone.now().astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, time(hour), tzinfo=zone)


def _shift_to_past(appointment: Appointment, minutes_ago: int) -> None:
    shift = appointment.starts_at - (timezone.now() - timedelta(minutes=minutes_ago))
    Appointment.objects.filter(pk=appointment.pk).update(**{
        f: getattr(appointment, f) - shift for f in ("starts_at", "ends_at", "cap_ends_at", "blocked_from", "blocked_until")
    })  # fmt: skip


def sweep_ids(world: dict) -> dict:
    if "appointments_sweep" not in world:
        actor, shop = world["actor"], world["shop"]
        host = make_staff(world, f"appt-host-{world['boutique'].slug}")
        services.working_hours_set(actor=actor, associate=host, location=shop,
                                   periods=[(d, time(9), time(18)) for d in range(7)])  # fmt: skip
        video = services.type_create(actor=actor, location=shop, kind="video_consultation", name="Video",
                                     duration_minutes=30, cap_minutes=45, buffer_after_minutes=10, capacity=3)  # fmt: skip
        client = clients.client_resolve(boutique=world["boutique"], email="appointments@example.com", name="Lily Bart")
        book = {"appointment_type": video, "client": client, "via": "staff", "associate_id": host.pk}
        main, _ = services.appointment_book(starts_at=_at(world, 3, 10), **book)
        live, _ = services.appointment_book(starts_at=_at(world, 3, 12), **book)
        past, _ = services.appointment_book(starts_at=_at(world, 3, 15), **book)
        _shift_to_past(live, 5)
        _shift_to_past(past, 24 * 60)
        # Units of its own at Chelsea, so the other apps' rows find Soho's stock as they left it.
        inventory.stock_receive(actor=actor, location=world["shop2"], variant=world["variants"][0], quantity=3,
                                reason="sweep")  # fmt: skip
        item = services.pull_item_add(actor=actor, appointment=main, variant=world["variants"][0],
                                      location=world["shop2"])  # fmt: skip
        rule = services.rule_add(actor=actor, location=shop, kind="closed", day=_at(world, 300, 0).date())
        off = services.time_off_add(actor=actor, associate=host, starts_at=datetime(2031, 2, 1, tzinfo=UTC),
                                    ends_at=datetime(2031, 2, 2, tzinfo=UTC))  # fmt: skip
        world["appointments_sweep"] = {
            "type_id": video.pk, "appointment_id": main.pk, "item_id": item.pk, "rule_id": rule.pk,
            "time_off_id": off.pk, "associate_id": host.pk, "appointment_client_id": client.pk,
            "live_appointment_id": live.pk, "past_appointment_id": past.pk,
        }  # fmt: skip
    return world["appointments_sweep"]


def sweep_operations(world: dict) -> dict:
    ids = sweep_ids(world)
    base = "/boutiques/{slug}/appointments/{appointment_id}"
    return {
        ("POST", "/boutiques/{slug}/appointment-types"): {
            "json": {"location": "soho", "kind": "phone_call", "name": "Sweep call", "duration_minutes": 15}
        },
        ("PATCH", "/boutiques/{slug}/appointment-types/{type_id}"): {"json": {"description": "Changed"}},
        ("PUT", "/boutiques/{slug}/appointment-types/{type_id}/hours"): {
            "json": {"periods": [{"weekday": 6, "starts": "10:00", "ends": "12:00"}]}
        },
        ("GET", "/boutiques/{slug}/appointment-rules"): {},
        ("POST", "/boutiques/{slug}/appointment-rules"): {
            "json": {"location": "soho", "kind": "closed", "date": "2031-12-25", "note": "Christmas"}
        },
        ("DELETE", "/boutiques/{slug}/appointment-rules/{rule_id}"): {},
        ("GET", "/boutiques/{slug}/associates/{associate_id}/working-hours"): {},
        ("PUT", "/boutiques/{slug}/associates/{associate_id}/working-hours"): {
            "json": {"location": "soho", "periods": HOURS}
        },
        ("POST", "/boutiques/{slug}/associates/{associate_id}/time-off"): {
            "json": {"starts_at": "2031-03-01T00:00:00Z", "ends_at": "2031-03-02T00:00:00Z"}
        },
        ("DELETE", "/boutiques/{slug}/time-off/{time_off_id}"): {},
        ("GET", "/boutiques/{slug}/appointments"): {},
        ("POST", "/boutiques/{slug}/appointments"): {
            "json": {"appointment_type_id": ids["type_id"], "client_id": ids["appointment_client_id"],
                     "starts_at": _at(world, 3, 14).isoformat(), "associate_id": ids["associate_id"]}  # fmt: skip
        },
        ("GET", base): {},
        ("POST", base + "/reschedule"): {"json": {"starts_at": _at(world, 4, 10).isoformat()}},
        ("PUT", base + "/meeting-link"): {"json": {"external_url": "https://zoom.example/j/42"}},
        ("POST", base + "/pull-list"): {"json": {"sku": world["variants"][0].sku, "location": "chelsea"}},
        ("DELETE", base + "/pull-list/{item_id}"): {},
        ("POST", base + "/join"): {"ids": {"appointment_id": ids["live_appointment_id"]}},
        ("POST", base + "/room"): {"ids": {"appointment_id": ids["live_appointment_id"]}},
        ("POST", base + "/no-show"): {"ids": {"appointment_id": ids["live_appointment_id"]}},
        ("POST", base + "/complete"): {"json": {"note": "Went well"}, "ids": {"appointment_id": ids["past_appointment_id"]}},
        ("POST", base + "/cancel"): {"json": {"reason": "Sweep"}},
    }
