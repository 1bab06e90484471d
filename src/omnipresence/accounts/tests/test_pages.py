"""Her boutiques at /account/, and her account in one boutique: orders, holds, pay links, wishlist."""

from datetime import timedelta

from django.utils import timezone

from omnipresence.accounts import services
from omnipresence.accounts.models import HubAccount
from omnipresence.accounts.tests.conftest import EMAIL
from omnipresence.clients import services as clients
from omnipresence.clients.models import Client
from omnipresence.inventory import services as inventory
from omnipresence.orders import services as orders
from omnipresence.payments import pay_links


def test_the_hub_lists_only_boutiques_she_deals_with(client, log_in, world_a, world_b, her_a):
    log_in(client)
    page = client.get("/account/")
    body = page.content.decode()
    assert page.status_code == 200
    assert [b.slug for b, _c in page.context["relationships"]] == ["atelier-a"]
    assert 'href="/atelier-a/account/"' in body
    assert "/boutique-b/account/" not in body
    assert page["Cache-Control"] == "no-store"


def test_a_merged_or_erased_client_is_no_relationship(client, log_in, world_a, world_b, her_a):
    other = clients.client_resolve(boutique=world_b["boutique"], email=EMAIL, channel="web")
    Client.objects.filter(pk=other.pk).update(erased_at=timezone.now())
    log_in(client)
    assert [b.slug for b, _c in client.get("/account/").context["relationships"]] == ["atelier-a"]


def test_logged_out_the_boutique_account_is_the_login_form(client, world_a):
    page = client.get("/atelier-a/account/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'name="next" value="/atelier-a/account/"' in body
    assert 'name="boutique" value="atelier-a"' in body
    assert 'id="account-link"' in body and ">Log in<" in body


def test_no_client_in_this_boutique_is_an_empty_state_and_makes_none(client, log_in, world_a, world_b, her_a):
    log_in(client)
    page = client.get("/boutique-b/account/")
    assert page.status_code == 200
    assert 'id="account-empty"' in page.content.decode()
    assert not Client.objects.filter(boutique=world_b["boutique"]).exists()


def _web_order(world, email=EMAIL):
    actor = world["actor"]
    cart = orders.cart_create(actor=actor, client_email=email, client_name="Sibyl Vane")
    orders.cart_line_set(actor=actor, cart=cart, variant=world["variants"][1], quantity=1)
    orders.cart_update(actor=actor, cart=cart, shipping_country="GB", shipping_address="1 Road\nLondon\nW1")
    return orders.cart_checkout(actor=actor, cart=cart, payment_due_at=timezone.now() + timedelta(minutes=30))


def test_her_account_shows_orders_holds_pay_links_and_wishlist(client, log_in, world_a, her_a):
    orders.shipping_rule_create(actor=world_a["actor"], name="UK", countries=["GB"], price=0)
    order = _web_order(world_a)
    stranger_order = _web_order(world_a, email="someone@example.com")
    inventory.hold_place(actor=world_a["actor"], location=world_a["shop"], variant=world_a["variants"][0], quantity=1,
                         client_name="Sibyl", client_contact="VANE@example.com")  # fmt: skip
    inventory.hold_place(actor=world_a["actor"], location=world_a["shop"], variant=world_a["variants"][2], quantity=1,
                         client_name="Other", client_contact="other@example.com")  # fmt: skip
    cart = orders.cart_create(actor=world_a["actor"], channel="shop", client_email=EMAIL)
    orders.cart_line_set(actor=world_a["actor"], cart=cart, variant=world_a["variants"][2], quantity=1,
                         fulfilment="pickup", location=world_a["shop"])  # fmt: skip
    link = pay_links.pay_link_create(actor=world_a["actor"], cart=cart)
    services.wishlist_add(client=her_a, product=world_a["product"])
    log_in(client)

    page = client.get("/atelier-a/account/")
    body = page.content.decode()
    assert page.status_code == 200
    numbers = [entry["order"].pk for entry in page.context["orders"]]
    assert order.pk in numbers and stranger_order.pk not in numbers
    assert f"Order {order.pk}" in body and "£450.00" in body
    token = next(e["token"] for e in page.context["orders"] if e["order"].pk == order.pk)
    assert f'href="/atelier-a/orders/{token}/"' in body
    assert client.get(f"/atelier-a/orders/{token}/").status_code == 200  # the confirmation is reachable
    assert [h.client_contact for h in page.context["holds"]] == ["VANE@example.com"]
    assert [e["link"].pk for e in page.context["pay_links"]] == [link.pk]
    assert pay_links.pay_link_path(link) in body
    assert [e.item.product_id for e in page.context["wishlist"]] == [world_a["product"].pk]
    assert ">Account<" in body  # the header says she is logged in


def test_the_account_page_makes_a_bounded_number_of_queries(client, log_in, world_a, her_a,
                                                             django_assert_max_num_queries):  # fmt: skip
    services.wishlist_add(client=her_a, product=world_a["product"])
    log_in(client)
    with django_assert_max_num_queries(30):
        assert client.get("/atelier-a/account/").status_code == 200


def test_the_hub_account_is_made_once(db):
    first = services.hub_account_for("a@example.com")
    assert services.hub_account_for("a@example.com") == first
    assert HubAccount.objects.count() == 1
