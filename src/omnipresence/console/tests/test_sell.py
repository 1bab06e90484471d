"""The console's selling pages through HTTP as an associate: start a sale, build the cart, take
payment or send a pay link, record cash, revoke a link; another boutique's staff are refused."""

import re

import pytest
from django.test import Client

from omnipresence.catalog import services as catalog
from omnipresence.inventory.models import Hold, Stock
from omnipresence.orders import services as orders
from omnipresence.orders.models import Cart, CartLine, Order
from omnipresence.orders.tests.conftest import state, uk_shipping  # noqa: F401
from omnipresence.payments import pay_links
from omnipresence.payments.models import PayLink, Payment
from omnipresence.search.services import search_index_rebuild

SLUG = "atelier-a"


@pytest.fixture
def alice(associate_a):
    client = Client()
    client.force_login(associate_a)
    return client


@pytest.fixture
def welcome10(world_a):
    return orders.campaign_create(actor=world_a["actor"], name="Welcome", kind="percentage", value=1000,
                                  code="WELCOME10")  # fmt: skip


def start(client, **fields) -> Cart:
    response = client.post(f"/console/{SLUG}/sell/", {"channel": "shop", **fields})
    assert response.status_code == 302
    cart = Cart.objects.order_by("-pk").first()
    assert response["Location"] == f"/console/{SLUG}/sell/{cart.pk}/"
    return cart


def add(client, cart, q: str, status: int = 302):
    response = client.post(f"/console/{SLUG}/sell/{cart.pk}/add/", {"q": q})
    assert response.status_code == status, response.content.decode()[:2000]
    return response


def lines_of(cart) -> list[tuple]:
    return list(
        CartLine.objects.filter(cart=cart).order_by("pk").values_list("variant__sku", "quantity", "fulfilment",
                                                                       "location__code")
    )  # fmt: skip


def checkout(client, cart, key="key-1"):
    response = client.post(f"/console/{SLUG}/sell/{cart.pk}/checkout/", {"key": key})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def pay(client, order, method, amount, key):
    return client.post(f"/console/{SLUG}/orders/{order.pk}/payments/",
                       {"method": method, "amount": amount, "note": "", "key": key})  # fmt: skip


def test_the_sell_page_renders_and_starting_a_sale_makes_a_cart_for_the_associate(
    alice, associate_a, world_a
):
    response = alice.get(f"/console/{SLUG}/sell/")
    assert response.status_code == 200
    assert b'<label for="id_channel">' in response.content
    assert b'<option value="shop" selected>' in response.content

    cart = start(alice, channel="phone", client_name="Ms Vane", client_email="Vane@Example.com",
                 client_phone="")  # fmt: skip

    assert (cart.channel, cart.associate_id, cart.client_name, cart.client_email, cart.source_kind) == (
        "phone",
        associate_a.pk,
        "Ms Vane",
        "vane@example.com",
        "associate",
    )
    assert cart.status == Cart.Status.OPEN
    page = alice.get(f"/console/{SLUG}/sell/{cart.pk}/")
    assert page.status_code == 200
    assert "Ms Vane" in page.content.decode()


def test_a_bad_email_is_a_form_error_not_a_cart(alice):
    response = alice.post(f"/console/{SLUG}/sell/", {"channel": "shop", "client_email": "not-an-email"})
    assert response.status_code == 400
    assert not Cart.objects.exists()


def test_add_by_sku_and_by_barcode_then_change_quantities(alice, world_a):
    v0, v1 = world_a["variants"][0], world_a["variants"][1]
    catalog.variant_update(actor=world_a["actor"], variant=v1, barcode="5012345678900")
    cart = start(alice)

    add(alice, cart, v0.sku)
    add(alice, cart, "5012345678900")
    add(alice, cart, v0.sku)  # a second scan is one more of the same line

    # A shop sale: "take now" is a pickup at the associate's home shop.
    assert lines_of(cart) == [(v0.sku, 2, "pickup", "soho"), (v1.sku, 1, "pickup", "soho")]
    page = alice.get(f"/console/{SLUG}/sell/{cart.pk}/").content.decode()
    assert "Take now (Soho)" in page
    assert re.search(r'id="price-total">£1,350\.00<', page)  # 3 × 450.00, VAT included
    assert re.search(r'id="price-tax">£225\.00<', page)

    line = CartLine.objects.get(cart=cart, variant=v0)
    url = f"/console/{SLUG}/sell/{cart.pk}/lines/{line.pk}/"
    assert alice.post(url, {"op": "dec"}).status_code == 302
    assert alice.post(url, {"op": "inc"}).status_code == 302
    assert alice.post(url, {"op": "inc"}).status_code == 302
    assert lines_of(cart)[0] == (v0.sku, 3, "pickup", "soho")

    # Move it to shipping (one line, same quantity), then remove it.
    assert alice.post(url, {"op": "move", "fulfilment": "ship"}).status_code == 302
    assert lines_of(cart) == [(v1.sku, 1, "pickup", "soho"), (v0.sku, 3, "ship", None)]
    moved = CartLine.objects.get(cart=cart, variant=v0)
    assert (
        alice.post(f"/console/{SLUG}/sell/{cart.pk}/lines/{moved.pk}/", {"op": "remove"}).status_code == 302
    )
    assert lines_of(cart) == [(v1.sku, 1, "pickup", "soho")]


def test_collect_at_another_shop(alice, world_a):
    v0 = world_a["variants"][0]
    cart = start(alice)
    add(alice, cart, v0.sku)
    line = CartLine.objects.get(cart=cart)
    response = alice.post(f"/console/{SLUG}/sell/{cart.pk}/lines/{line.pk}/",
                          {"op": "move", "fulfilment": "pickup:chelsea"})  # fmt: skip
    assert response.status_code == 302
    assert lines_of(cart) == [(v0.sku, 1, "pickup", "chelsea")]


def test_unknown_sku_shows_an_alert_and_changes_nothing(alice, world_a):
    cart = start(alice)
    add(alice, cart, world_a["variants"][0].sku)
    before = lines_of(cart)

    response = add(alice, cart, "NO-SUCH-SKU-999", status=404)

    page = response.content.decode()
    assert 'role="alert"' in page
    assert "No piece matches “NO-SUCH-SKU-999”" in page
    assert lines_of(cart) == before
    # A foreign location in a fulfilment choice is refused the same way.
    line = CartLine.objects.get(cart=cart)
    response = alice.post(f"/console/{SLUG}/sell/{cart.pk}/lines/{line.pk}/",
                          {"op": "move", "fulfilment": "pickup:nowhere"})  # fmt: skip
    assert response.status_code == 404
    assert lines_of(cart) == before


def test_too_many_units_for_take_now_is_a_409_at_checkout_with_nothing_held(alice, world_a):
    v0 = world_a["variants"][0]
    cart = start(alice)
    add(alice, cart, v0.sku)
    line = CartLine.objects.get(cart=cart)
    for _ in range(2):  # Soho has 2
        alice.post(f"/console/{SLUG}/sell/{cart.pk}/lines/{line.pk}/", {"op": "inc"})
    before = state(world_a["boutique"])

    response = alice.post(f"/console/{SLUG}/sell/{cart.pk}/checkout/", {"key": "k"})

    assert response.status_code == 409
    assert "Not enough stock" in response.content.decode()
    assert state(world_a["boutique"]) == before


def test_search_text_lists_matches_with_stock_and_adds_the_chosen_one(alice, world_a):
    v2 = world_a["variants"][2]
    search_index_rebuild()
    cart = start(alice)

    response = add(alice, cart, "coat", status=200)

    page = response.content.decode()
    assert "Blue Statement Coat" in page
    assert v2.sku in page
    assert "7 available" in page  # 2 at Soho + 5 at the warehouse
    assert lines_of(cart) == []
    fragment = alice.get(f"/console/{SLUG}/sell/{cart.pk}/search/", {"q": "coat"}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and v2.sku in fragment.content.decode()
    assert alice.post(f"/console/{SLUG}/sell/{cart.pk}/add/", {"variant": v2.pk}).status_code == 302
    assert lines_of(cart) == [(v2.sku, 1, "pickup", "soho")]


def test_a_coupon_discounts_the_total_and_a_wrong_one_is_an_alert(alice, world_a, welcome10):
    cart = start(alice, client_email="jane@example.com")
    add(alice, cart, world_a["variants"][0].sku)

    wrong = alice.post(f"/console/{SLUG}/sell/{cart.pk}/code/", {"op": "apply", "code": "NOPE"})
    assert wrong.status_code == 404
    assert 'role="alert"' in wrong.content.decode()
    assert Cart.objects.get(pk=cart.pk).code == ""

    response = alice.post(f"/console/{SLUG}/sell/{cart.pk}/code/", {"op": "apply", "code": "welcome10"})
    assert response.status_code == 302
    assert Cart.objects.get(pk=cart.pk).code == "WELCOME10"
    page = alice.get(f"/console/{SLUG}/sell/{cart.pk}/").content.decode()
    assert re.search(r'id="price-discount">−£45\.00<', page)
    assert re.search(r'id="price-total">£405\.00<', page)

    checkout(alice, cart)
    order = Order.objects.get()
    assert (order.subtotal, order.discount, order.tax, order.total, order.code) == (45000, 4500, 6750, 40500,
                                                                                     "WELCOME10")  # fmt: skip


def test_removing_a_code(alice, world_a, welcome10):
    cart = start(alice)
    add(alice, cart, world_a["variants"][0].sku)
    alice.post(f"/console/{SLUG}/sell/{cart.pk}/code/", {"op": "apply", "code": "WELCOME10"})
    assert alice.post(f"/console/{SLUG}/sell/{cart.pk}/code/", {"op": "remove"}).status_code == 302
    assert Cart.objects.get(pk=cart.pk).code == ""


def test_take_payment_then_cash_in_two_parts_makes_it_paid(alice, world_a):
    cart = start(alice)
    add(alice, cart, world_a["variants"][0].sku)

    response = checkout(alice, cart)

    order = Order.objects.get()
    assert response["Location"] == f"/console/{SLUG}/orders/{order.pk}/"
    assert (order.total, order.payment_status, order.associate_id) == (45000, "unpaid", cart.associate_id)
    page = alice.get(response["Location"]).content.decode()
    assert 'value="450.00"' in page  # the amount defaults to the balance
    assert "Paid</strong>" not in page

    assert pay(alice, order, "cash", "200.00", "p-1").status_code == 302
    order.refresh_from_db()
    assert (order.amount_paid, order.balance, order.payment_status) == (20000, 25000, "partially_paid")
    assert 'value="250.00"' in alice.get(response["Location"]).content.decode()

    assert pay(alice, order, "terminal", "250", "p-2").status_code == 302
    order.refresh_from_db()
    assert (order.amount_paid, order.balance, order.payment_status) == (45000, 0, "paid")
    assert list(
        Payment.objects.filter(order=order).order_by("pk").values_list("method", "amount", "status")
    ) == [("cash", 20000, "succeeded"), ("terminal", 25000, "succeeded")]
    page = alice.get(response["Location"]).content.decode()
    assert 'id="paid-banner"' in page
    assert "Record cash" not in page


def test_a_payment_form_submitted_twice_records_once_and_too_much_is_refused(alice, world_a):
    cart = start(alice)
    add(alice, cart, world_a["variants"][0].sku)
    checkout(alice, cart)
    order = Order.objects.get()

    assert pay(alice, order, "cash", "100.00", "same").status_code == 302
    assert pay(alice, order, "cash", "100.00", "same").status_code == 302
    too_much = pay(alice, order, "cash", "400.00", "other")
    bad = pay(alice, order, "cash", "lots", "third")

    assert too_much.status_code == 422 and 'role="alert"' in too_much.content.decode()
    assert bad.status_code == 422
    assert list(Payment.objects.filter(order=order).values_list("amount", flat=True)) == [10000]


def test_a_double_submitted_checkout_makes_one_order(alice, world_a):
    cart = start(alice)
    add(alice, cart, world_a["variants"][0].sku)

    first = checkout(alice, cart, key="double")
    second = checkout(alice, cart, key="double")

    assert Order.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert Hold.objects.filter(kind=Hold.Kind.ORDER, status=Hold.Status.ACTIVE).count() == 1
    # The old cart page now leads to its order.
    assert alice.get(f"/console/{SLUG}/sell/{cart.pk}/")["Location"] == first["Location"]


def test_card_payment_on_the_sandbox_page_pays_the_order(alice, world_a):
    cart = start(alice)
    add(alice, cart, world_a["variants"][0].sku)
    checkout(alice, cart)
    order = Order.objects.get()

    response = alice.post(f"/console/{SLUG}/orders/{order.pk}/card/", {"key": "card-1"})

    assert response.status_code == 302 and response["Location"].startswith("/pay/sandbox/")
    back = Client().post(response["Location"], {"card": "4242 4242 4242 4242"})
    assert back.status_code == 302
    assert back["Location"] == f"http://testserver/console/{SLUG}/orders/{order.pk}/"
    order.refresh_from_db()
    assert (order.payment_status, order.amount_paid) == ("paid", 45000)


def test_send_a_pay_link_then_revoke_it_gives_the_units_back(alice, world_a, uk_shipping):  # noqa: F811
    v0 = world_a["variants"][0]
    cart = start(alice, channel="chat", client_name="Ms Vane", client_email="vane@example.com")
    add(alice, cart, v0.sku)
    assert lines_of(cart) == [(v0.sku, 1, "ship", None)]  # at a distance a line ships
    page = alice.get(f"/console/{SLUG}/sell/{cart.pk}/").content.decode()
    assert 'name="hours" value="48"' in page

    response = alice.post(f"/console/{SLUG}/sell/{cart.pk}/pay-link/",
                          {"hours": "24", "message": "The coat we spoke about"})  # fmt: skip

    link = PayLink.objects.get()
    assert response["Location"] == f"/console/{SLUG}/pay-links/{link.pk}/"
    assert (link.status, link.message, link.order.total) == ("active", "The coat we spoke about", 45000)
    page = alice.get(response["Location"]).content.decode()
    url = re.search(r'id="pay-url" value="([^"]+)"', page).group(1)
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert pay_links.pay_link_by_token(token).pk == link.pk
    assert "https://wa.me/?text=The%20coat%20we%20spoke%20about%0Ahttp" in page
    assert "mailto:vane@example.com?subject=" in page
    held = Stock.objects.filter(variant=v0).values_list("location__code", "held")
    assert sum(h for _, h in held) == 1

    listing = alice.get(f"/console/{SLUG}/pay-links/").content.decode()
    assert "Ms Vane" in listing and "Waiting for payment" in listing and url in listing
    assert (
        alice.get(f"/console/{SLUG}/pay-links/", {"status": "paid"}).content.decode().count("link-card") == 0
    )
    assert alice.get(f"/console/{SLUG}/pay-links/{link.pk}/revoke/").status_code == 200

    revoked = alice.post(f"/console/{SLUG}/pay-links/{link.pk}/revoke/")

    assert revoked.status_code == 302
    link.refresh_from_db()
    assert link.status == "revoked"
    assert link.order.status == Order.Status.CANCELLED
    assert sum(Stock.objects.filter(variant=v0).values_list("held", flat=True)) == 0
    assert "Revoked" in alice.get(f"/console/{SLUG}/pay-links/", {"status": "revoked"}).content.decode()


def test_a_pay_link_with_a_bad_expiry_is_an_alert_and_the_cart_stays_open(alice, world_a):
    cart = start(alice)
    add(alice, cart, world_a["variants"][0].sku)

    response = alice.post(f"/console/{SLUG}/sell/{cart.pk}/pay-link/", {"hours": "0", "message": ""})

    assert response.status_code == 400 and 'role="alert"' in response.content.decode()
    assert Cart.objects.get(pk=cart.pk).status == "open"
    assert not PayLink.objects.exists()


def test_an_associate_of_b_is_refused_a_s_pages_and_nothing_changes(alice, world_a, associate_b, world_b):
    v0 = world_a["variants"][0]
    cart = start(alice)
    add(alice, cart, v0.sku)
    open_cart = start(alice)
    add(alice, open_cart, v0.sku)
    alice.post(f"/console/{SLUG}/sell/{cart.pk}/pay-link/", {"hours": "48", "message": ""})
    link = PayLink.objects.get()
    order = link.order
    bruno = Client()
    bruno.force_login(associate_b)
    before = state(world_a["boutique"])
    payments_before = list(Payment.objects.values_list("pk", flat=True))

    for path in (f"/sell/{open_cart.pk}/", f"/orders/{order.pk}/", f"/pay-links/{link.pk}/", "/pay-links/",
                 "/sell/"):  # fmt: skip
        assert bruno.get(f"/console/{SLUG}{path}").status_code == 403, path
    for path, data in ((f"/sell/{open_cart.pk}/add/", {"q": v0.sku}), (f"/sell/{open_cart.pk}/checkout/", {"key": "x"}),
                       (f"/orders/{order.pk}/payments/", {"method": "cash", "amount": "1", "key": "y"}),
                       (f"/pay-links/{link.pk}/revoke/", {}), ("/sell/", {"channel": "shop"})):  # fmt: skip
        assert bruno.post(f"/console/{SLUG}{path}", data).status_code == 403, path
    # In his own boutique, A's ids are simply not found.
    for path in (f"/sell/{open_cart.pk}/", f"/orders/{order.pk}/", f"/pay-links/{link.pk}/"):
        assert bruno.get(f"/console/boutique-b{path}").status_code == 404, path

    assert state(world_a["boutique"]) == before
    assert list(Payment.objects.values_list("pk", flat=True)) == payments_before
    assert PayLink.objects.get().status == "active"


def test_the_cart_page_makes_a_bounded_number_of_queries(alice, world_a, django_assert_max_num_queries):
    cart = start(alice)
    for variant in world_a["variants"]:
        add(alice, cart, variant.sku)
    with django_assert_max_num_queries(30):
        assert alice.get(f"/console/{SLUG}/sell/{cart.pk}/").status_code == 200
