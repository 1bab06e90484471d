"""The storefront bag, checkout and confirmation through Django's test client: a client adds pieces
from the product page form, changes them in the bag, checks out and pays on the sandbox page."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from omnipresence.inventory import services as inventory
from omnipresence.inventory.models import Hold
from omnipresence.orders import services as orders
from omnipresence.orders.models import Cart, Order, OrderAllocation
from omnipresence.payments.models import Payment
from omnipresence.storefront.cart_views import order_token

COAT = "/atelier-a/p/blue-statement-coat/"
BAG = "/atelier-a/cart/"
CHECKOUT = "/atelier-a/checkout/"
CARD = "4242 4242 4242 4242"


class Forms(HTMLParser):
    """The forms of a page: action, and each field's value (checked radios, selected options) and
    the choices it offers (enabled ones only)."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: dict[str, dict] = {}
        self._form = None
        self._select = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action", ""), "values": {}, "choices": {}}
            self.forms[a.get("id") or a.get("action", "")] = self._form
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            name = a["name"]
            if a.get("type") == "radio":
                self._form["choices"].setdefault(name, []).append(a["value"])
                if "checked" in a:
                    self._form["values"][name] = a["value"]
            else:
                self._form["values"][name] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
            self._form["choices"][self._select] = []
        elif tag == "option" and self._select:
            if "disabled" not in a:
                self._form["choices"][self._select].append(a["value"])
            if "selected" in a:
                self._form["values"][self._select] = a["value"]

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def page_forms(response) -> dict[str, dict]:
    assert response.status_code == 200, response.status_code
    return Forms(response.content.decode()).forms


@pytest.fixture
def uk_shipping(world_a):
    return orders.shipping_rule_create(
        actor=world_a["actor"], name="UK", countries=["GB"], price=495, free_above=20000
    )


def add(client, sku: str, way: str):
    """Add a piece the way the product page form does."""
    form = page_forms(client.get(COAT, {"sku": sku}))["add-to-bag"]
    assert way in form["choices"]["way"], form["choices"]
    return client.post(form["action"], {**form["values"], "way": way})


def session_cart(client, slug="atelier-a") -> Cart:
    return Cart.objects.get(pk=client.session[f"cart:{slug}"])


def checkout_data(client, **changes) -> dict:
    form = page_forms(client.get(CHECKOUT))["checkout-form"]
    data = {**form["values"], "name": "Jane Doe", "email": "jane@example.com", "phone": "+44 20 7946 0000",
            "country": "GB", "address": "1 Frith Street", "city": "London", "postcode": "W1D 3JA"}  # fmt: skip
    return {**data, **changes}


# ---------- Product page → bag ----------


def test_product_page_offers_each_way_with_real_availability(client, world_a):
    response = client.get(COAT, {"sku": "atelier-a-COAT-BLU-M"})
    form = page_forms(response)["add-to-bag"]
    html = response.content.decode()
    # Soho has 2 and offers pickup; Chelsea offers pickup but has none; the warehouse ships.
    assert form["choices"]["way"] == ["pickup:soho", "ship"]
    assert form["values"] == {"csrfmiddlewaretoken": form["values"]["csrfmiddlewaretoken"],
                              "product": "blue-statement-coat", "sku": "atelier-a-COAT-BLU-M", "quantity": "1",
                              "way": "pickup:soho"}  # fmt: skip
    # Ready within the shop's hours: today, or tomorrow late in the evening (the shop closes at 23:59).
    assert "Collect at Soho" in html and re.search(r"Ready (today|tomorrow) from", html) and "2 left" in html
    assert "Deliver to me" in html and "Collect at Chelsea" not in html
    assert 'id="bag-link"' in html and '<span class="bag-count" aria-hidden="true">0</span>' in html


def test_add_to_bag_for_pickup_and_for_delivery(client, world_a):
    response = add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    assert response.status_code == 302 and response["Location"] == BAG
    response = add(client, "atelier-a-COAT-BLU-L", "ship")
    assert response.status_code == 302

    cart = session_cart(client)
    lines = [(line.variant.sku, line.quantity, line.fulfilment, line.location and line.location.code)
             for line in cart.lines.order_by("id")]  # fmt: skip
    assert lines == [("atelier-a-COAT-BLU-M", 1, "pickup", "soho"), ("atelier-a-COAT-BLU-L", 1, "ship", None)]
    assert (cart.channel, cart.status, cart.boutique_id) == ("web", "open", world_a["boutique"].pk)

    html = client.get(BAG).content.decode()
    assert html.count('<li class="bag-line') == 2
    assert "Blue / M" in html and "Blue / L" in html and "2 pieces" in html
    assert re.search(r"Ready to collect at Soho (today|tomorrow) from", html)
    assert "In stock — delivered to your door" in html
    assert '<span class="bag-count" aria-hidden="true">2</span>' in html
    assert "is in your bag, to be delivered" in html  # the last message, shown once
    assert "is in your bag" not in client.get(BAG).content.decode()


def test_adding_the_same_piece_again_adds_to_its_line(client, world_a):
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    assert [(li.quantity, li.fulfilment) for li in session_cart(client).lines.all()] == [(2, "pickup")]
    # Soho has only 2: a third is refused, and the bag is unchanged.
    response = add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    assert response.status_code == 302 and response["Location"].startswith(COAT)
    html = client.get(response["Location"]).content.decode()
    assert 'role="alert"' in html and "Only 2 available this way, and your bag already has 2." in html
    assert [li.quantity for li in session_cart(client).lines.all()] == [2]


def test_a_way_without_stock_or_from_elsewhere_is_refused(client, world_a):
    form = page_forms(client.get(COAT, {"sku": "atelier-a-COAT-BLU-M"}))["add-to-bag"]
    for way in ("pickup:chelsea", "pickup:warehouse", "pickup:nowhere", "", "ship_from:soho"):
        response = client.post(form["action"], {**form["values"], "way": way})
        assert response.status_code == 302 and response["Location"].startswith(COAT), way
    assert "cart:atelier-a" not in client.session or not session_cart(client).lines.exists()
    assert client.post(form["action"], {**form["values"], "sku": "boutique-b-COAT-BLU-M"}).status_code == 404


# ---------- The bag ----------


def test_bag_changes_quantity_way_and_removes(client, world_a, uk_shipping):
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    line = session_cart(client).lines.get()
    forms = page_forms(client.get(BAG))
    line_form = forms[f"/atelier-a/cart/lines/{line.pk}/"]
    # Soho, and delivery; Chelsea is shown (without stock) but cannot be chosen.
    assert line_form["choices"]["way"] == ["pickup:soho", "ship"]
    assert line_form["values"]["way"] == "pickup:soho" and line_form["values"]["quantity"] == "1"

    response = client.post(line_form["action"], {**line_form["values"], "quantity": "2"})
    assert response.status_code == 302
    assert [(li.quantity, li.fulfilment) for li in session_cart(client).lines.all()] == [(2, "pickup")]

    response = client.post(line_form["action"], {**line_form["values"], "quantity": "2", "way": "ship"})
    assert response.status_code == 302
    moved = session_cart(client).lines.get()
    assert (moved.quantity, moved.fulfilment, moved.location_id) == (2, "ship", None)

    html = client.get(BAG).content.decode()
    assert "Delivery to United Kingdom" in html and "Free" in html  # 900.00 is above 200.00
    remove = page_forms(client.get(BAG))[f"/atelier-a/cart/lines/{moved.pk}/"]
    response = client.post(remove["action"], {**remove["values"], "remove": "1"})
    assert response.status_code == 302
    assert not session_cart(client).lines.exists()
    assert "Your bag is empty." in client.get(BAG).content.decode()


def test_a_line_whose_way_has_no_stock_warns_and_blocks_checkout(client, world_a):
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    variant = world_a["variants"][1]
    inventory.hold_place(actor=world_a["actor"], location=world_a["shop"], variant=variant, quantity=2,
                         client_name="Someone else")  # fmt: skip
    response = client.get(BAG)
    html = response.content.decode()
    assert 'id="bag-warning"' in html and "No longer available to collect at Soho." in html
    assert 'class="bag-line short"' in html
    assert 'id="checkout-link"' not in html and 'class="checkout-button" disabled' in html
    assert client.get(CHECKOUT)["Location"] == BAG


def test_bag_of_a_stale_line_id_or_bad_quantity(client, world_a):
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    line = session_cart(client).lines.get()
    assert client.post("/atelier-a/cart/lines/999999/", {"quantity": "1", "way": "ship"})["Location"] == BAG
    for quantity in ("abc", "-1", "11", ""):
        response = client.post(
            f"/atelier-a/cart/lines/{line.pk}/", {"quantity": quantity, "way": "pickup:soho"}
        )
        assert response.status_code == 422 and 'role="alert"' in response.content.decode(), quantity
    assert session_cart(client).lines.get().quantity == 1


def test_coupon_applies_with_the_discounted_total_in_minor_units(client, world_a, uk_shipping):
    orders.campaign_create(
        actor=world_a["actor"], name="Welcome", kind="percentage", value=1000, code="WELCOME10"
    )
    add(client, "atelier-a-COAT-BLU-L", "ship")
    response = client.post("/atelier-a/cart/code/", {"code": "welcome10"})
    assert response.status_code == 302
    cart = session_cart(client)
    assert cart.code == "WELCOME10"
    breakdown = orders.cart_price(actor=world_a["actor"], cart=cart)
    # 45000 − 10 % = 40500; delivery free above 20000; VAT 20 % inclusive = round(40500 × 2000 / 12000).
    assert (breakdown.subtotal, breakdown.discount, breakdown.shipping, breakdown.tax, breakdown.total) == (
        45000, 4500, 0, 6750, 40500)  # fmt: skip
    html = client.get(BAG).content.decode()
    assert "Code <strong>WELCOME10</strong> applied" in html
    assert '<dd id="total-subtotal">£450.00</dd>' in html and "−£45.00" in html
    assert '<dd id="total-tax">£67.50</dd>' in html and '<dd id="total-total">£405.00</dd>' in html

    assert client.post("/atelier-a/cart/code/", {"remove": "1"}).status_code == 302
    assert session_cart(client).code == ""
    assert '<dd id="total-total">£450.00</dd>' in client.get(BAG).content.decode()


def test_an_unknown_or_expired_code_is_shown_next_to_the_field(client, world_a):
    orders.campaign_create(actor=world_a["actor"], name="Gone", kind="percentage", value=1000, code="GONE",
                           ends_at=timezone.now() - timedelta(days=1))  # fmt: skip
    add(client, "atelier-a-COAT-BLU-L", "ship")
    for code, message in (("NOPE", "We do not recognise this code."), ("GONE", "This code has expired.")):
        response = client.post("/atelier-a/cart/code/", {"code": code})
        html = response.content.decode()
        assert response.status_code in (409, 422) and 'id="code-error"' in html and message in html
        assert f'value="{code}"' in html
    assert session_cart(client).code == ""


def test_a_once_per_client_code_asks_for_the_email(client, world_a):
    orders.campaign_create(actor=world_a["actor"], name="Welcome", kind="percentage", value=1000, code="WELCOME10",
                           per_client_limit=1)  # fmt: skip
    add(client, "atelier-a-COAT-BLU-L", "ship")
    html = client.post("/atelier-a/cart/code/", {"code": "WELCOME10"}).content.decode()
    assert "enter your email with the code" in html and 'name="email"' in html
    assert (
        client.post("/atelier-a/cart/code/", {"code": "WELCOME10", "email": "jane@example.com"}).status_code
        == 302
    )
    cart = session_cart(client)
    assert (cart.code, cart.client_email) == ("WELCOME10", "jane@example.com")


def test_bag_page_query_count_is_bounded(client, world_a, uk_shipping, django_assert_max_num_queries):
    for sku in ("atelier-a-COAT-BLU-S", "atelier-a-COAT-BLU-M", "atelier-a-COAT-BLU-L"):
        add(client, sku, "ship")
    # session, boutique, cart + lines, images, availability (3), pricing (rules, campaigns), header count (2)
    with django_assert_max_num_queries(16):
        assert client.get(BAG).status_code == 200


# ---------- Checkout and payment ----------


def test_checkout_makes_a_web_order_holds_its_units_and_pays_on_the_sandbox(
    client, world_a, uk_shipping, settings
):
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    add(client, "atelier-a-COAT-BLU-L", "ship")
    data = checkout_data(client)
    assert len(data["key"]) == 32
    before = timezone.now()
    response = client.post(CHECKOUT, data)
    assert response.status_code == 302 and response["Location"].startswith("/pay/sandbox/")

    order = Order.objects.get()
    assert (order.channel, order.status, order.payment_status) == ("web", "placed", "unpaid")
    assert (order.client_name, order.client_email, order.client_phone) == (
        "Jane Doe",
        "jane@example.com",
        "+442079460000",
    )
    assert (order.shipping_country, order.shipping_address) == ("GB", "1 Frith Street\nLondon\nW1D 3JA")
    assert (order.subtotal, order.discount, order.shipping, order.tax, order.total) == (
        90000,
        0,
        0,
        15000,
        90000,
    )
    due = before + timedelta(minutes=settings.CHECKOUT_PAYMENT_MINUTES)
    assert (
        due <= order.payment_due_at <= timezone.now() + timedelta(minutes=settings.CHECKOUT_PAYMENT_MINUTES)
    )
    lines = [(li.sku, li.fulfilment, li.location and li.location.code) for li in order.lines.order_by("id")]
    assert lines == [("atelier-a-COAT-BLU-M", "pickup", "soho"), ("atelier-a-COAT-BLU-L", "ship", None)]
    # The pickup line is held at Soho; the delivered one at the warehouse (it ships first: priority 10).
    allocations = sorted((a.line.sku, a.location.code, a.quantity, a.hold.kind, a.hold.status)
                         for a in OrderAllocation.objects.select_related("line", "location", "hold"))  # fmt: skip
    assert allocations == [("atelier-a-COAT-BLU-L", "warehouse", 1, "order", "active"),
                           ("atelier-a-COAT-BLU-M", "soho", 1, "order", "active")]  # fmt: skip
    payment = Payment.objects.get()
    assert (payment.order_id, payment.provider, payment.amount, payment.status) == (
        order.pk,
        "sandbox",
        90000,
        "pending",
    )
    assert response["Location"] == payment.redirect_url
    assert "0</span>" in client.get(BAG).content.decode()  # the ordered bag is no longer a bag

    # The client pays with the test card and comes back to the confirmation page.
    response = client.post(response["Location"], {"card": CARD}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(f"http://testserver/atelier-a/orders/{order.pk}:")
    html = response.content.decode()
    order.refresh_from_db()
    assert order.payment_status == "paid" and order.amount_paid == 90000
    assert "Thank you, Jane Doe" in html and f"Your order {order.pk} is confirmed and paid" in html
    assert "Collect at Soho" in html and "We will email you when it is ready to collect." in html
    assert "Delivery" in html and "1 Frith Street" in html and "United Kingdom" in html
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "no-referrer"
    assert "cart:atelier-a" not in client.session


def test_a_double_submitted_checkout_makes_one_order(client, world_a, uk_shipping):
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    data = checkout_data(client)
    first = client.post(CHECKOUT, data)
    second = client.post(CHECKOUT, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Order.objects.count() == 1 and Payment.objects.count() == 1
    assert Hold.objects.filter(kind="order", status="active").count() == 1
    # Even a second tab with another form key: one cart makes one order.
    third = client.post(CHECKOUT, {**data, "key": "another-tab"})
    assert third["Location"] == first["Location"] and Order.objects.count() == 1


def test_out_of_stock_at_checkout_lists_the_line_and_writes_nothing(client, world_a, uk_shipping):
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    add(client, "atelier-a-COAT-BLU-L", "ship")
    data = checkout_data(client)
    inventory.hold_place(actor=world_a["actor"], location=world_a["shop"], variant=world_a["variants"][1],
                         quantity=2, client_name="Walk-in")  # fmt: skip
    holds_before = Hold.objects.count()
    response = client.post(CHECKOUT, data)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'role="alert"' in html and 'id="checkout-error"' in html
    assert "Blue Statement Coat (Blue / M) to collect at Soho: 0 of 1 available" in html
    assert "Blue / L" not in html.split('id="checkout-error"')[1].split("</div>")[0]
    assert (
        'value="Jane Doe"' in html and 'value="jane@example.com"' in html and 'value="1 Frith Street"' in html
    )
    assert (
        Order.objects.count() == 0 and Payment.objects.count() == 0 and Hold.objects.count() == holds_before
    )
    cart = session_cart(client)
    assert (cart.status, cart.client_name, cart.client_email, cart.shipping_address) == ("open", "", "", "")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"name": ""}, "name", "This field is required."),
        ({"address": ""}, "address", "Needed to deliver your order."),
        ({"phone": "020 7946 0000"}, "phone", "Start with your country code"),
        ({"country": "ZZ"}, "country", "Select a valid choice."),
    ],
)
def test_invalid_checkout_details_are_shown_with_the_values_kept(client, world_a, uk_shipping, changes, field,
                                                                 message):  # fmt: skip
    add(client, "atelier-a-COAT-BLU-L", "ship")
    data = checkout_data(client, **changes)
    response = client.post(CHECKOUT, data)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'role="alert"' in html and message in html
    assert f'id="id_{field}-error"' in html and 'aria-invalid="true"' in html
    assert 'value="Jane Doe"' in html or field == "name"
    assert Order.objects.count() == 0


def test_no_delivery_to_the_country_is_an_alert_not_a_500(client, world_a):
    add(client, "atelier-a-COAT-BLU-L", "ship")  # no shipping rule at all
    response = client.post(CHECKOUT, checkout_data(client))
    assert response.status_code == 422
    assert "We do not deliver to United Kingdom yet" in response.content.decode()
    assert Order.objects.count() == 0


def test_a_pickup_only_checkout_asks_for_no_address(client, world_a):
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    html = client.get(CHECKOUT).content.decode()
    assert 'name="address"' not in html and 'name="country"' not in html
    assert "We will email you when it is ready to collect." in html
    data = checkout_data(client)
    for name in ("address", "city", "postcode", "country"):
        data.pop(name)
    assert client.post(CHECKOUT, data).status_code == 302
    order = Order.objects.get()
    assert (order.shipping_address, order.shipping, order.total) == ("", 0, 45000)


def test_a_coupon_that_stopped_applying_is_refused_at_checkout(client, world_a, uk_shipping):
    orders.campaign_create(actor=world_a["actor"], name="Welcome", kind="percentage", value=1000, code="WELCOME10",
                           per_client_limit=1)  # fmt: skip
    add(client, "atelier-a-COAT-BLU-L", "ship")
    client.post("/atelier-a/cart/code/", {"code": "WELCOME10", "email": "jane@example.com"})
    earlier = orders.cart_create(actor=world_a["actor"], channel="shop", client_email="jane@example.com")
    orders.cart_line_set(actor=world_a["actor"], cart=earlier, variant=world_a["variants"][0], quantity=1,
                         fulfilment="pickup", location=world_a["shop"])  # fmt: skip
    orders.cart_code_apply(actor=world_a["actor"], cart=earlier, code="WELCOME10")
    orders.cart_checkout(actor=world_a["actor"], cart=earlier)
    response = client.post(CHECKOUT, checkout_data(client))
    assert response.status_code == 422
    html = response.content.decode()
    assert "You have already used this offer." in html and "Change your bag" in html
    assert Order.objects.count() == 1


def test_checkout_of_an_empty_bag_goes_back_to_the_bag(client, world_a):
    assert client.get(CHECKOUT)["Location"] == BAG
    assert client.post(CHECKOUT, {"name": "x"})["Location"] == BAG


# ---------- Confirmation ----------


def _ordered(client, world_a) -> Order:
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    client.post(CHECKOUT, checkout_data(client))
    return Order.objects.get()


def test_the_confirmation_before_paying_offers_to_pay(client, world_a):
    order = _ordered(client, world_a)
    response = client.get(f"/atelier-a/orders/{order_token(order.pk)}/")
    html = response.content.decode()
    assert response.status_code == 200 and "Your payment is not complete" in html and 'id="pay-again"' in html
    again = client.post(f"/atelier-a/orders/{order_token(order.pk)}/pay/")
    assert again["Location"] == Payment.objects.get().redirect_url  # the payment already open


def test_a_tampered_or_foreign_confirmation_token_is_404(client, world_a, world_b):
    order = _ordered(client, world_a)
    token = order_token(order.pk)
    value, stamp, signature = token.split(":")
    for bad in (str(order.pk), f"{order.pk + 1}:{stamp}:{signature}", f"{token}x", "x:y:z"):
        assert client.get(f"/atelier-a/orders/{bad}/").status_code == 404, bad
        assert client.post(f"/atelier-a/orders/{bad}/pay/").status_code == 404, bad
    assert client.get(f"/boutique-b/orders/{token}/").status_code == 404  # signed, but not B's order
    assert client.get(f"/atelier-a/orders/{token}/").status_code == 200


# ---------- Tenancy of the session ----------


def test_another_boutiques_cart_id_in_the_session_is_refused(client, world_a, world_b):
    actor_b = world_b["actor"]
    cart_b = orders.cart_create(actor=actor_b, channel="web")
    orders.cart_line_set(actor=actor_b, cart=cart_b, variant=world_b["variants"][0], quantity=1)
    line_b = cart_b.lines.get()
    session = client.session
    session["cart:atelier-a"] = cart_b.pk
    session.save()

    html = client.get(BAG).content.decode()
    assert "Your bag is empty." in html and "boutique-b-COAT" not in html
    assert "cart:atelier-a" not in client.session  # dropped
    session = client.session
    session["cart:atelier-a"] = cart_b.pk
    session.save()
    assert client.post(f"/atelier-a/cart/lines/{line_b.pk}/", {"remove": "1"})["Location"] == BAG
    assert client.post("/atelier-a/cart/code/", {"code": "X"})["Location"] == BAG
    assert client.post(CHECKOUT, {"name": "Eve"})["Location"] == BAG
    line_b.refresh_from_db()
    cart_b.refresh_from_db()
    assert (line_b.quantity, cart_b.client_name, cart_b.status) == (1, "", "open")
    # Adding to A's bag starts a cart of A; B's cart is untouched.
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    assert session_cart(client).boutique_id == world_a["boutique"].pk
    assert cart_b.lines.count() == 1


def test_a_console_cart_of_the_same_boutique_is_not_a_web_bag(client, world_a):
    shop_cart = orders.cart_create(actor=world_a["actor"], channel="shop", client_name="Ms Vane")
    session = client.session
    session["cart:atelier-a"] = shop_cart.pk
    session.save()
    assert "Your bag is empty." in client.get(BAG).content.decode()
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    assert session_cart(client).pk != shop_cart.pk and not shop_cart.lines.exists()


def test_a_bag_of_boutique_a_does_not_show_in_boutique_b(client, world_a, world_b):
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    html_b = client.get("/boutique-b/cart/").content.decode()
    assert "Your bag is empty." in html_b and '<span class="bag-count" aria-hidden="true">0</span>' in html_b
    assert '<span class="bag-count" aria-hidden="true">1</span>' in client.get(BAG).content.decode()
    assert "cart:boutique-b" not in client.session


def test_checkout_recalculates_delivery_for_another_country(client, world_a, uk_shipping):
    orders.shipping_rule_create(actor=world_a["actor"], name="World", countries=["*"], price=2500)
    add(client, "atelier-a-COAT-BLU-L", "ship")
    data = checkout_data(client, country="FR", name="Jeanne")
    assert "FR" in page_forms(client.get(CHECKOUT))["checkout-form"]["choices"]["country"]
    response = client.post(CHECKOUT, {**data, "recalculate": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Delivery to France" in html and '<dd id="total-delivery">£25.00</dd>' in html
    assert 'value="Jeanne"' in html and "Pay £475.00" in html
    assert session_cart(client).shipping_country == "FR" and Order.objects.count() == 0
