"""The crediting rule, its windows, voiding, idempotence, permissions, the page and the API."""

import json
from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from omnipresence.attribution import selectors, services
from omnipresence.attribution.demo import seed_attribution
from omnipresence.attribution.models import AttributionSettings, Credit
from omnipresence.clients import services as clients
from omnipresence.conftest import make_staff
from omnipresence.core.errors import Forbidden, InvalidInput, NotFound
from omnipresence.orders import services as orders
from omnipresence.stores.access import actor_for_user

EMAIL = "sibyl@example.com"


def _order(world, actor=None, *, email=EMAIL, variant=0, **attribution):
    actor = actor or world["actor"]
    cart = orders.cart_create(actor=actor, channel=attribution.pop("channel", "web"), client_email=email,
                              client_name="Sibyl Vane", **attribution)  # fmt: skip
    orders.cart_line_set(actor=actor, cart=cart, variant=world["variants"][variant], quantity=1, fulfilment="pickup",
                         location=world["shop"])  # fmt: skip
    return orders.cart_checkout(actor=actor, cart=cart)


def _client(world, email=EMAIL):
    return clients.client_resolve(boutique=world["boutique"], email=email, name="Sibyl Vane", channel="web")


def _touch(client, kind, associate, days_ago, ref_id=None):
    return clients.timeline_add(
        client_id=client.pk, kind=kind, occurred_at=timezone.now() - timedelta(days=days_ago), summary=kind,
        ref_kind="test" if ref_id else "", ref_id=ref_id, associate_id=associate.pk,
    )  # fmt: skip


def test_direct_associate_sale_is_hers(world_a, associate_a, associate_actor):
    order = _order(world_a, associate_actor, channel="shop", associate=associate_a, source_kind="associate")
    credit = Credit.objects.get(order=order)
    assert (credit.associate_id, credit.via, credit.amount, credit.currency, credit.channel) == (
        associate_a.pk,
        "sale",
        order.total,
        "GBP",
        "shop",
    )
    assert credit.ref == f"order:{order.pk}"


def test_hold_source_maps_to_hold(world_a, associate_a, associate_actor):
    order = _order(world_a, associate_actor, associate=associate_a, source_kind="hold", source_ref="12")
    assert (order.credit.via, order.credit.ref) == ("hold", "hold:12")


def test_share_touch_within_window_credits_the_associate(world_a, associate_a):
    touch = _touch(_client(world_a), "share_viewed", associate_a, days_ago=3)
    credit = Credit.objects.get(order=_order(world_a))
    assert (credit.associate_id, credit.via, credit.ref) == (
        associate_a.pk,
        "share_link",
        f"timeline:{touch.pk}",
    )


def test_touch_outside_its_window_leaves_the_sale_unassisted(world_a, associate_a):
    client = _client(world_a)
    _touch(client, "share_viewed", associate_a, days_ago=15)  # share window 14
    _touch(client, "message", associate_a, days_ago=8)  # conversation window 7
    order = _order(world_a)
    credit = Credit.objects.get(order=order)
    assert (credit.associate_id, credit.via, credit.ref, credit.amount) == (None, "", "", order.total)


def test_latest_touch_wins(world_a, associate_a):
    other = make_staff(world_a, "beth")
    client = _client(world_a)
    _touch(client, "share_sent", associate_a, days_ago=5)
    appointment = _touch(client, "appointment", other, days_ago=2)
    credit = Credit.objects.get(order=_order(world_a))
    assert (credit.associate_id, credit.via, credit.ref) == (
        other.pk,
        "appointment",
        f"timeline:{appointment.pk}",
    )


def test_conversation_touch_and_settings_window(world_a, associate_a, manager_a):
    client = _client(world_a)
    message = _touch(client, "message", associate_a, days_ago=5)
    assert Credit.objects.get(order=_order(world_a)).via == "conversation"
    manager = actor_for_user(manager_a, world_a["boutique"])
    services.attribution_settings_set(actor=manager, windows={"conversation": 3})
    second = Credit.objects.get(order=_order(world_a))
    assert (second.associate_id, second.via) == (None, "")
    assert message.pk  # the touch is still there; only the window changed


def test_touch_of_a_longer_window_behind_a_stale_one(world_a, associate_a):
    """A message 10 days ago (out of its 7) is skipped; the share 12 days ago (in its 14) counts."""
    client = _client(world_a)
    _touch(client, "message", associate_a, days_ago=10)
    share = _touch(client, "share_action", associate_a, days_ago=12)
    assert Credit.objects.get(order=_order(world_a)).ref == f"timeline:{share.pk}"


def test_cancellation_voids_the_credit(world_a, associate_a, associate_actor):
    order = _order(world_a, associate_actor, associate=associate_a, source_kind="associate")
    orders.order_cancel(actor=world_a["actor"], order=order, reason="changed her mind")
    credit = Credit.objects.get(order=order)
    assert (credit.voided, credit.amount, credit.associate_id) == (True, 0, associate_a.pk)
    since, until = selectors.period_bounds(world_a["boutique"], 7)
    report = selectors.attribution_report(actor=world_a["actor"], since=since, until=until)
    assert (report["orders"], report["total"]) == (0, 0)


def test_credit_is_idempotent(world_a, associate_a):
    _touch(_client(world_a), "hold_placed", associate_a, days_ago=1)
    order = _order(world_a)
    first = Credit.objects.get(order=order)
    again = services.credit_order(order)
    services.credits_backfill(boutique=world_a["boutique"])
    assert Credit.objects.filter(order=order).count() == 1
    assert (again.pk, again.associate_id, again.via, again.ref, again.amount) == (
        first.pk,
        first.associate_id,
        "hold",
        first.ref,
        first.amount,
    )


def test_seed_attribution_credits_every_order_once(world_a, associate_a, associate_actor):
    _order(world_a)
    _order(world_a, associate_actor, associate=associate_a, source_kind="associate")
    Credit.objects.all().delete()
    assert seed_attribution(world_a["boutique"], log=lambda *_: None) == 2
    assert seed_attribution(world_a["boutique"], log=lambda *_: None) == 2
    assert Credit.objects.filter(boutique=world_a["boutique"]).count() == 2


@pytest.mark.parametrize(
    "windows",
    [{"nonsense": 3}, {"share_link": -1}, {"share_link": 91}, {"share_link": 2.5}, {"share_link": True}, []],
)
def test_settings_validation_refuses_bad_windows(world_a, manager_a, windows):
    manager = actor_for_user(manager_a, world_a["boutique"])
    with pytest.raises(InvalidInput):
        services.attribution_settings_set(actor=manager, windows=windows)
    assert not AttributionSettings.objects.exists()


def test_associate_cannot_change_windows(world_a, associate_actor):
    with pytest.raises(Forbidden):
        services.attribution_settings_set(actor=associate_actor, windows={"share_link": 3})
    assert not AttributionSettings.objects.exists()


def test_associate_sees_only_her_own(world_a, associate_a, associate_actor):
    beth = make_staff(world_a, "beth")
    _order(world_a, associate_actor, associate=associate_a, source_kind="associate")
    _order(world_a, associate_actor, associate=beth, source_kind="associate", variant=1)
    _order(world_a, variant=2)  # unassisted
    since, until = selectors.period_bounds(world_a["boutique"], 30)
    mine = selectors.attribution_report(actor=associate_actor, since=since, until=until)
    assert mine["orders"] == 1 and mine["per_associate"] == []
    assert [c.associate_id for c in mine["latest"]] == [associate_a.pk]
    with pytest.raises(Forbidden):
        selectors.attribution_report(actor=associate_actor, since=since, until=until, associate_id=beth.pk)
    everyone = selectors.attribution_report(actor=world_a["actor"], since=since, until=until)
    assert everyone["orders"] == 3
    assert sorted((r["associate_id"] or 0, r["orders"]) for r in everyone["per_associate"]) == sorted(
        [(0, 1), (associate_a.pk, 1), (beth.pk, 1)]
    )


def test_manager_cannot_name_another_boutiques_associate(world_a, world_b, associate_b):
    since, until = selectors.period_bounds(world_a["boutique"], 30)
    with pytest.raises(NotFound):
        selectors.attribution_report(
            actor=world_a["actor"], since=since, until=until, associate_id=associate_b.pk
        )


def _login(user):
    http = HttpClient()
    http.login(username=user.username, password="pass-1234-word")
    return http


def test_dashboard_page_for_an_associate(world_a, associate_a, associate_actor):
    order = _order(world_a, associate_actor, associate=associate_a, source_kind="associate")
    response = _login(associate_a).get("/console/atelier-a/attribution/?days=7")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Your credited sales" in body and f"/console/atelier-a/orders/{order.pk}/" in body
    assert "Attribution windows" not in body
    assert _login(associate_a).post("/console/atelier-a/attribution/", {"share_link": 3}).status_code == 403


def test_dashboard_page_for_a_manager_edits_windows(world_a, manager_a):
    _order(world_a)
    http = _login(manager_a)
    body = http.get("/console/atelier-a/attribution/").content.decode()
    assert "Unassisted" in body and "Attribution windows" in body
    fields = {
        "share_link": 10,
        "conversation": 5,
        "appointment": 14,
        "hold": 14,
        "pay_link": 7,
        "live_event": 2,
    }
    assert http.post("/console/atelier-a/attribution/?days=30", fields).status_code == 302
    assert services.windows_of(world_a["boutique"])["share_link"] == 10
    bad = http.post("/console/atelier-a/attribution/", {**fields, "hold": 120})
    assert bad.status_code == 400 and services.windows_of(world_a["boutique"])["hold"] == 14


def test_other_boutiques_staff_get_no_page(world_a, world_b, associate_b):
    assert _login(associate_b).get("/console/atelier-a/attribution/").status_code in (403, 404)


def test_api_report_and_settings(world_a, associate_a, associate_actor, api_a):
    _order(world_a, associate_actor, associate=associate_a, source_kind="associate")
    _order(world_a)
    report = api_a.get("/api/v1/boutiques/atelier-a/attribution").json()
    assert report["orders"] == 2 and len(report["per_associate"]) == 2
    one = api_a.get(f"/api/v1/boutiques/atelier-a/attribution?associate={associate_a.pk}").json()
    assert one["orders"] == 1 and one["latest"][0]["via"] == "sale"
    assert api_a.get("/api/v1/boutiques/atelier-a/attribution?since=2026-13-01").status_code in (400, 422)
    settings = api_a.get("/api/v1/boutiques/atelier-a/attribution/settings").json()
    assert settings["windows"]["share_link"] == 14
    patched = api_a.patch("/api/v1/boutiques/atelier-a/attribution/settings",
                          json.dumps({"windows": {"pay_link": 3}}), content_type="application/json")  # fmt: skip
    assert patched.status_code == 200 and patched.json()["windows"]["pay_link"] == 3
    refused = api_a.patch("/api/v1/boutiques/atelier-a/attribution/settings",
                          json.dumps({"windows": {"bogus": 3}}), content_type="application/json")  # fmt: skip
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_windows"
    assert api_a.get("/api/v1/boutiques/boutique-b/attribution").status_code in (403, 404)


def test_api_associate_session_sees_own_and_no_settings(world_a, associate_a, associate_actor):
    _order(world_a)
    http = _login(associate_a)
    report = http.get("/api/v1/boutiques/atelier-a/attribution").json()
    assert report["orders"] == 0
    assert http.get("/api/v1/boutiques/atelier-a/attribution/settings").status_code == 403


def test_pay_link_sale_is_credited_to_its_associate_once_paid(world_a, associate_a, associate_actor):
    from omnipresence.payments import pay_links
    from omnipresence.payments import services as payments

    cart = orders.cart_create(actor=associate_actor, channel="chat", client_email=EMAIL)
    orders.cart_line_set(actor=associate_actor, cart=cart, variant=world_a["variants"][0], quantity=1,
                         fulfilment="pickup", location=world_a["shop"])  # fmt: skip
    link = pay_links.pay_link_create(actor=associate_actor, cart=cart)
    payments.payment_record(actor=associate_actor, order=link.order, method="terminal")
    credit = Credit.objects.get(order=link.order)
    assert (credit.associate_id, credit.via, credit.ref) == (
        associate_a.pk,
        "pay_link",
        f"pay_link:{link.pk}",
    )


def test_dashboard_card_shows_her_month(world_a, associate_a, associate_actor):
    from django.template.loader import render_to_string

    order = _order(world_a, associate_actor, associate=associate_a, source_kind="associate")
    html = render_to_string("attribution/_dashboard_card.html", {"boutique": world_a["boutique"],
                                                                 "actor": associate_actor})  # fmt: skip
    assert "Your credited sales this month" in html and "1 order" in html and "450.00" in html
    assert order.total == 45000
