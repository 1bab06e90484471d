"""Erasure leaves no personal data anywhere (a scan of every table) and keeps the accounting;
the export holds everything; privacy requests by someone else are refused and logged."""

import json

import pytest
from django.test import Client as HttpClient

from omnipresence.clients import services as clients
from omnipresence.clients.errors import ClientErased
from omnipresence.clients.models import AccessAttempt, Client, Identity, TimelineEvent
from omnipresence.inbox import services as inbox
from omnipresence.inventory import services as inventory
from omnipresence.orders import services as orders
from omnipresence.orders.models import Order
from omnipresence.orders.tests.conftest import cart_with, manager_actor, seller, uk_shipping  # noqa: F401
from omnipresence.payments import gift_cards, pay_links
from omnipresence.payments import services as payments
from omnipresence.payments.models import GiftCard, Payment
from omnipresence.privacy.models import ErasureRecord
from omnipresence.privacy.services import client_erase, client_export
from omnipresence.privacy.tests.scan import personal_data_hits
from omnipresence.returns import services as returns
from omnipresence.returns.tests.conftest import hand_over
from omnipresence.stores.access import actor_for_user

BASE = "/api/v1/boutiques/atelier-a"
NAME, EMAIL, OTHER_EMAIL = "Sibyl Vane", "sibyl.vane@example.com", "sv.theatre@example.org"
PHONE, PHONE_TYPED, HANDLE = "+447911123456", "07911 123456", "sibylonstage"
ADDRESS, NOTE, SECRET = "14 Rosemary Lane, London", "Allergic to wool", "Rehearsal on Thursday"
NEEDLES = [NAME, "Sibyl", "Vane", EMAIL, OTHER_EMAIL, PHONE, PHONE_TYPED, "7911123456", HANDLE, ADDRESS, NOTE, SECRET]


@pytest.fixture
def rich(world_a, seller, manager_actor, uk_shipping):  # noqa: F811
    """A client with a history in every app, and a duplicate merged into her."""
    boutique = world_a["boutique"]
    sibyl = clients.client_resolve(boutique=boutique, email=EMAIL, phone=PHONE_TYPED, handles={"instagram": HANDLE},
                                   name=NAME, verified_kind="email")  # fmt: skip
    clients.client_update(actor=seller, client=sibyl, sizes={"coats": "M"}, colours=["navy"], notes=NOTE,
                          fit_notes=NOTE, tags=["vip-event"], important_dates=[{"label": "birthday", "date": "--03-07"}])  # fmt: skip
    clients.client_note_add(actor=seller, client=sibyl, text=f"{NOTE}; {SECRET}")
    clients.consent_record(actor_label="alice", client=sibyl, purpose="marketing_email", granted=True, channel="shop",
                           wording="May we email you about new arrivals?")  # fmt: skip

    orders.campaign_create(actor=world_a["actor"], name="Welcome", kind="percentage", value=1000, code="WELCOME10")
    shop_cart = cart_with(seller, world_a, (0, 1, "pickup", "soho"), channel="shop", code="WELCOME10",
                          client_name=NAME, client_email=EMAIL, client_phone=PHONE)  # fmt: skip
    shop_order = orders.cart_checkout(actor=seller, cart=shop_cart)
    payments.payment_record(actor=seller, order=shop_order, method="terminal", note=f"receipt for {NAME}")
    hand_over(seller, shop_order)
    web_cart = orders.cart_create(actor=seller, channel="web", client_name=NAME, client_email=EMAIL,
                                  shipping_country="GB", shipping_address=ADDRESS)  # fmt: skip
    orders.cart_line_set(actor=seller, cart=web_cart, variant=world_a["variants"][1], quantity=1, fulfilment="ship")
    web_order = orders.cart_checkout(actor=seller, cart=web_cart)
    link_cart = cart_with(seller, world_a, (2, 1, "pickup", "soho"), channel="chat", client_name=NAME,
                          client_email=EMAIL)  # fmt: skip
    pay_links.pay_link_create(actor=seller, cart=link_cart, message=f"Dear {NAME}, here is your coat")
    inventory.hold_place(actor=seller, location=world_a["shop"], variant=world_a["variants"][0], quantity=1,
                         client_name=NAME, client_contact=PHONE, note=f"For {NAME}: {SECRET}")  # fmt: skip
    card, _code = gift_cards.gift_card_issue(actor=manager_actor, amount=5000, client=EMAIL, client_name=NAME,
                                             note=f"Birthday gift for {NAME}")  # fmt: skip
    line = shop_order.lines.get()
    returns.return_create(actor=manager_actor, order=shop_order, note=f"{NAME} said: {SECRET}",
                          lines=[returns.LineBack(order_line=line, quantity=1)], refund_method="store_credit")  # fmt: skip

    twin = clients.client_resolve(boutique=boutique, email=OTHER_EMAIL, name=NAME)
    clients.client_note_add(actor=seller, client=twin, text=f"Her other address: {OTHER_EMAIL}")
    clients.client_merge(actor=manager_actor, survivor=sibyl, merged=twin)

    sms = inbox.inbox_create(actor=manager_actor, kind="sms", name="SMS", address="+447911000009")
    inbox.inbound_receive(inbox=sms, sender=PHONE, body=f"Hi, it's {NAME}. {SECRET}", provider_message_id="SM-x")
    sibyl.refresh_from_db()
    return {"client": sibyl, "twin": twin, "orders": [shop_order, web_order], "card": card}


def _accounting(boutique) -> list:
    return [
        list(Order.objects.filter(boutique=boutique).order_by("pk").values_list("pk", "total", "amount_paid",
                                                                               "amount_refunded", "status")),
        list(Payment.objects.filter(boutique=boutique).order_by("pk").values_list("pk", "amount", "status")),
        list(GiftCard.objects.filter(boutique=boutique).order_by("pk").values_list("pk", "balance", "currency")),
    ]  # fmt: skip


def test_the_export_holds_everything_about_her(rich):
    data = client_export(client=rich["client"])
    text = json.dumps(data, default=str)
    for needle in (EMAIL, OTHER_EMAIL, PHONE, HANDLE, ADDRESS, NOTE, SECRET):
        assert needle in text, needle
    assert data["format_version"] == 1 and data["client"]["display_name"] == NAME
    assert {i["kind"] for i in data["identities"]} == {"email", "phone", "instagram"}
    assert [c["purpose"] for c in data["consents"]] == ["marketing_email"]
    assert len(data["orders"]) == 3 and data["holds"] and data["returns"]
    assert data["payments"]["gift_cards"][0]["balance"] == 5000
    assert data["payments"]["pay_links"][0]["message"].startswith("Dear")
    assert data["inbox"][0]["messages"][0]["body"].endswith(SECRET)
    assert [p["display_name"] for p in data["merged_profiles"]] == [NAME]


def test_erasure_leaves_no_personal_data_in_any_table_and_keeps_the_accounting(rich, world_a):
    boutique = world_a["boutique"]
    assert personal_data_hits(NEEDLES)  # the scan finds her before
    before = _accounting(boutique)

    record = client_erase(client=rich["client"], requested_by=EMAIL, via="portal")

    assert personal_data_hits(NEEDLES) == []
    assert _accounting(boutique) == before
    assert record.requested_by == "client" and record.counts["orders_order"] == 3
    assert not Identity.objects.filter(client__in=[rich["client"], rich["twin"]]).exists()
    assert list(TimelineEvent.objects.filter(client=rich["client"]).values_list("kind", flat=True)) == ["privacy"]
    assert Client.objects.filter(erased_at__isnull=False).count() == 2
    # Nothing resolves to her any more: her email makes a new, empty client.
    again = clients.client_resolve(boutique=boutique, email=EMAIL)
    assert again.pk not in (rich["client"].pk, rich["twin"].pk)
    with pytest.raises(ClientErased):
        client_erase(client=rich["client"], requested_by="maria", via="staff")
    assert ErasureRecord.objects.count() == 1


def _http(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def test_privacy_requests_by_someone_else_are_refused_and_logged(rich, world_a, world_b, associate_a, associate_b,
                                                                 manager_a):  # fmt: skip
    client_id = rich["client"].pk
    manager_b = actor_for_user(associate_b, world_b["boutique"])  # noqa: F841 - another boutique's staff
    by_associate = _http(associate_a).get(f"{BASE}/clients/{client_id}/export")
    by_other = _http(associate_b).post(f"{BASE}/clients/{client_id}/erase", json.dumps({"confirm": "ERASE"}),
                                       content_type="application/json")  # fmt: skip
    unconfirmed = _http(manager_a).post(f"{BASE}/clients/{client_id}/erase", json.dumps({"confirm": "yes"}),
                                        content_type="application/json")  # fmt: skip
    assert (by_associate.status_code, by_associate.json()["code"]) == (403, "forbidden")
    assert by_other.status_code == 403
    assert unconfirmed.status_code == 422
    assert Client.objects.get(pk=client_id).erased_at is None
    logged = set(AccessAttempt.objects.filter(target=f"client:{client_id}").values_list("action", "actor_label"))
    assert {("export", "alice"), ("erase", "bruno")} <= logged

    download = _http(manager_a).get(f"{BASE}/clients/{client_id}/export")
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert download.json()["client"]["display_name"] == NAME
    erased = _http(manager_a).post(f"{BASE}/clients/{client_id}/erase", json.dumps({"confirm": "ERASE"}),
                                   content_type="application/json")  # fmt: skip
    assert erased.status_code == 201 and erased.json()["requested_by"] == "maria" and erased.json()["via"] == "staff"
    assert _http(manager_a).get(f"{BASE}/clients/{client_id}").status_code == 404
    assert [r["client_id"] for r in _http(manager_a).get(f"{BASE}/erasures").json()] == [client_id]
