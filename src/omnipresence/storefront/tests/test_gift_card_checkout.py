"""A gift card or store credit at the storefront's checkout, through Django's test client: it pays
first (what it holds, up to the total), the sandbox page asks only for the rest, a card that
cannot pay is refused before anything is written, and the confirmation lists what paid."""

from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from omnipresence.inventory.models import Hold
from omnipresence.orders import services as orders
from omnipresence.orders.models import Cart, Order
from omnipresence.payments import gift_cards
from omnipresence.payments.models import GiftCard, GiftCardMovement, Payment
from omnipresence.storefront.cart_views import ORDER_SALT, order_token
from omnipresence.storefront.tests.test_cart import BAG, CARD, CHECKOUT, add, checkout_data, session_cart
from omnipresence.stores.access import system_actor


def issue(world, amount: int, **kwargs) -> tuple[GiftCard, str]:
    return gift_cards.gift_card_issue(actor=system_actor(world["boutique"]), amount=amount, **kwargs)


def card_state(card: GiftCard) -> tuple[int, list[int]]:
    card.refresh_from_db()
    return card.balance, list(GiftCardMovement.objects.filter(card=card).values_list("amount", flat=True))


def confirmation(order: Order) -> str:
    return f"/atelier-a/orders/{order_token(order.pk)}/"


def confirmed_order_id(location: str) -> int:
    """The order a confirmation URL names (its token is timestamped: two clicks a second apart differ)."""
    token = location.removeprefix("/atelier-a/orders/").removesuffix("/")
    assert location == f"/atelier-a/orders/{token}/", location
    return int(signing.TimestampSigner(salt=ORDER_SALT).unsign(token))


@pytest.fixture
def uk_shipping(world_a):
    return orders.shipping_rule_create(
        actor=world_a["actor"], name="UK", countries=["GB"], price=495, free_above=20000
    )


# ---------- Paying ----------


def test_a_gift_card_that_covers_the_total_pays_it_all_with_no_provider_page(client, world_a):
    card, code = issue(world_a, 50000)
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")  # 45000
    response = client.post(CHECKOUT, checkout_data(client, gift_card=code.lower()))

    order = Order.objects.get()
    assert response.status_code == 302 and confirmed_order_id(response["Location"]) == order.pk
    assert (order.status, order.payment_status, order.total, order.amount_paid) == (
        "placed",
        "paid",
        45000,
        45000,
    )
    payment = Payment.objects.get()
    assert (payment.order_id, payment.provider, payment.method, payment.amount, payment.status,
            payment.idempotency_key) == (order.pk, "gift_card", "gift_card", 45000, "succeeded",
                                         f"web-gift-{order.pk}")  # fmt: skip
    assert card_state(card) == (5000, [50000, -45000])
    assert Hold.objects.filter(kind="order", status="active").count() == 1

    response = client.get(response["Location"])
    html = response.content.decode()
    assert response.status_code == 200 and "Thank you, Jane Doe" in html
    assert f"Your order {order.pk} is confirmed and paid (£450.00)" in html
    paid_with = html.split('id="paid-with"')[1].split("</dl>")[0]
    assert f"Gift card …{card.last4}</dt><dd>£450.00</dd>" in paid_with
    assert "Card" not in paid_with.replace("Gift card", "") and "Still to pay" not in paid_with
    assert "cart:atelier-a" not in client.session


def test_a_gift_card_that_covers_part_leaves_exactly_the_rest_for_the_sandbox(client, world_a, uk_shipping):
    card, code = issue(world_a, 10000)
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    add(client, "atelier-a-COAT-BLU-L", "ship")  # 90000 in all, delivery free above 20000
    response = client.post(CHECKOUT, checkout_data(client, gift_card=code))

    assert response.status_code == 302 and response["Location"].startswith("/pay/sandbox/")
    order = Order.objects.get()
    assert (order.total, order.amount_paid, order.payment_status) == (90000, 10000, "partially_paid")
    rows = [(p.provider, p.amount, p.status) for p in Payment.objects.order_by("pk")]
    assert rows == [("gift_card", 10000, "succeeded"), ("sandbox", 80000, "pending")]
    assert response["Location"] == Payment.objects.get(provider="sandbox").redirect_url
    assert card_state(card) == (0, [10000, -10000])
    assert 'id="sandbox-amount">£800.00<' in client.get(response["Location"]).content.decode()

    response = client.post(response["Location"], {"card": CARD}, follow=True)
    assert response.status_code == 200
    order.refresh_from_db()
    assert (order.payment_status, order.amount_paid) == ("paid", 90000)
    html = response.content.decode()
    assert f"Your order {order.pk} is confirmed and paid (£900.00)" in html
    paid_with = html.split('id="paid-with"')[1].split("</dl>")[0]
    assert paid_with.count("<dt>") == 2
    assert f"<dt>Gift card …{card.last4}</dt><dd>£100.00</dd>" in paid_with
    assert "<dt>Card …4242</dt><dd>£800.00</dd>" in paid_with


def test_before_paying_the_rest_the_confirmation_shows_what_is_still_owed(client, world_a):
    card, code = issue(world_a, 10000)
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    client.post(CHECKOUT, checkout_data(client, gift_card=code))
    order = Order.objects.get()
    html = client.get(confirmation(order)).content.decode()
    assert "Your payment is not complete" in html
    assert f"<dt>Gift card …{card.last4}</dt><dd>£100.00</dd>" in html
    assert 'id="order-balance">£350.00<' in html and "Pay £350.00" in html


def test_store_credit_pays_and_reads_as_store_credit(client, world_a):
    card, code = issue(world_a, 45000, kind="store_credit", client="jane@example.com")
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    response = client.post(CHECKOUT, checkout_data(client, gift_card=code), follow=True)
    assert Order.objects.get().payment_status == "paid" and card_state(card) == (0, [45000, -45000])
    assert f"<dt>Store credit …{card.last4}</dt><dd>£450.00</dd>" in response.content.decode()


def test_a_double_submit_with_a_gift_card_makes_one_order_and_one_card_payment(client, world_a):
    card, code = issue(world_a, 45000)  # exactly the total: the card is empty after the first click
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    data = checkout_data(client, gift_card=code)
    first = client.post(CHECKOUT, data)
    second = client.post(CHECKOUT, data)
    third = client.post(CHECKOUT, {**data, "key": "another-tab"})
    order = Order.objects.get()
    assert first.status_code == second.status_code == third.status_code == 302
    assert [confirmed_order_id(r["Location"]) for r in (first, second, third)] == [order.pk] * 3
    assert [(p.provider, p.amount) for p in Payment.objects.all()] == [("gift_card", 45000)]
    assert card_state(card) == (0, [45000, -45000])
    assert (order.payment_status, order.amount_paid) == ("paid", 45000)


def test_a_double_submit_of_a_partial_gift_card_sends_both_clicks_to_one_sandbox_payment(client, world_a):
    card, code = issue(world_a, 10000)
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    data = checkout_data(client, gift_card=code)
    first = client.post(CHECKOUT, data)
    second = client.post(CHECKOUT, data)
    assert first["Location"] == second["Location"] and first["Location"].startswith("/pay/sandbox/")
    rows = sorted((p.provider, p.amount, p.status) for p in Payment.objects.all())
    assert rows == [("gift_card", 10000, "succeeded"), ("sandbox", 35000, "pending")]
    assert Order.objects.count() == 1 and card_state(card) == (0, [10000, -10000])


# ---------- Refused before anything is written ----------


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("unknown", "We do not recognise this gift card code. Check it and try again."),
        ("expired", "This gift card has expired."),
        ("cancelled", "This gift card has been cancelled."),
        ("other_boutique", "We do not recognise this gift card code. Check it and try again."),
    ],
)
def test_a_card_that_cannot_pay_is_refused_with_nothing_written(client, world_a, world_b, uk_shipping, state,
                                                                message):  # fmt: skip
    card, code = issue(world_b if state == "other_boutique" else world_a, 20000)
    if state == "unknown":
        code = "ABCD-EFGH-JKLM-NPQR"
    elif state == "expired":
        GiftCard.objects.filter(pk=card.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    elif state == "cancelled":
        GiftCard.objects.filter(pk=card.pk).update(is_active=False)
    add(client, "atelier-a-COAT-BLU-L", "ship")
    holds_before = Hold.objects.count()
    response = client.post(CHECKOUT, checkout_data(client, gift_card=code))

    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="checkout-error"' in html and "Please check the highlighted fields." in html
    assert f'<p class="field-error" id="id_gift_card-error" role="alert">{message}</p>' in html
    assert 'aria-describedby="id_gift_card-error" aria-invalid="true"' in html
    assert f'value="{code}"' in html and 'value="Jane Doe"' in html and 'value="1 Frith Street"' in html
    assert (
        Order.objects.count() == 0 and Payment.objects.count() == 0 and Hold.objects.count() == holds_before
    )
    assert card_state(card) == (20000, [20000])
    cart = session_cart(client)
    assert (cart.status, cart.client_name, cart.client_email, cart.shipping_address) == ("open", "", "", "")


def test_an_empty_card_is_refused_before_checkout(client, world_a):
    card, code = issue(world_a, 45000)
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    client.post(CHECKOUT, checkout_data(client, gift_card=code))  # spends all of it
    client.cookies.clear()  # another client, another bag, the same card
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    response = client.post(CHECKOUT, checkout_data(client, gift_card=code))
    assert response.status_code == 422 and "This gift card has been spent." in response.content.decode()
    assert (
        Order.objects.count() == 1
        and Payment.objects.count() == 1
        and card_state(card) == (0, [45000, -45000])
    )
    assert session_cart(client).status == Cart.Status.OPEN


def test_a_card_spent_meanwhile_leaves_the_order_to_pay_in_full_with_a_notice(client, world_a, monkeypatch):
    card, code = issue(world_a, 20000)
    # A till spends the whole card while this client checks out (after the check, before the pay).
    shop = orders.cart_create(actor=world_a["actor"], channel="shop")
    orders.cart_line_set(actor=world_a["actor"], cart=shop, variant=world_a["variants"][2], quantity=1,
                         fulfilment="pickup", location=world_a["shop"])  # fmt: skip
    at_the_till = orders.cart_checkout(actor=world_a["actor"], cart=shop)
    checkout = orders.cart_checkout

    def checkout_while_the_till_spends(**kwargs):
        gift_cards.gift_card_pay(actor=world_a["actor"], order=at_the_till, code=code)
        return checkout(**kwargs)

    monkeypatch.setattr(orders, "cart_checkout", checkout_while_the_till_spends)
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    response = client.post(CHECKOUT, checkout_data(client, gift_card=code))

    order = Order.objects.get(channel="web")
    assert response.status_code == 302 and confirmed_order_id(response["Location"]) == order.pk
    assert (order.status, order.payment_status, order.amount_paid) == ("placed", "unpaid", 0)
    assert not Payment.objects.filter(order=order).exists()
    assert card_state(card) == (0, [20000, -20000])  # only the till's spend
    html = client.get(response["Location"]).content.decode()
    assert ("We could not use your card: This gift card has been spent. Your order is placed and your pieces are "
            "set aside; pay the £450.00 below by card.") in html  # fmt: skip
    assert "Pay £450.00" in html and 'id="paid-with"' not in html
    again = client.post(f"{response['Location']}pay/")
    sandbox = Payment.objects.get(order=order)
    assert again["Location"] == sandbox.redirect_url and (sandbox.provider, sandbox.amount) == (
        "sandbox",
        45000,
    )


# ---------- Checking a balance ----------


def test_check_balance_shows_what_the_card_holds_and_writes_nothing(client, world_a):
    card, code = issue(world_a, 10000)
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    data = checkout_data(client, gift_card=code, check_gift_card="1")
    response = client.post(CHECKOUT, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert f"Gift card …{card.last4} holds £100.00." in html
    assert "It pays £100.00 of your order; you pay the other £350.00 by card." in html
    assert f'value="{code}"' in html and 'value="Jane Doe"' in html and 'value="jane@example.com"' in html
    assert f'name="key" value="{data["key"]}"' in html  # the same form: Pay afterwards is still one order
    assert (
        Order.objects.count() == 0 and Payment.objects.count() == 0 and card_state(card) == (10000, [10000])
    )
    assert session_cart(client).client_name == ""

    credit, credit_code = issue(world_a, 60000, kind="store_credit", client="jane@example.com")
    html = client.post(CHECKOUT, {**data, "gift_card": credit_code}).content.decode()
    assert f"Your store credit …{credit.last4} holds £600.00." in html and "It pays your whole order." in html
    assert "Your card pays it all: there is nothing more to pay." in html


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Enter the code of your card."),
        ("ABCD-EFGH-JKLM-NPQR", "We do not recognise this gift card code."),
    ],
)
def test_check_balance_of_no_or_an_unknown_code_says_so(client, world_a, code, message):
    add(client, "atelier-a-COAT-BLU-M", "pickup:soho")
    response = client.post(CHECKOUT, checkout_data(client, gift_card=code, check_gift_card="1"))
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html and 'aria-invalid="true"' in html and 'value="Jane Doe"' in html
    assert Order.objects.count() == 0 and Payment.objects.count() == 0
    assert client.get(BAG).status_code == 200


# ---------- On a phone ----------


@pytest.mark.browser
def test_checking_a_balance_then_paying_the_rest_on_a_phone(asgi_live_server, browser, transactional_db):
    import re

    from playwright.sync_api import expect

    from omnipresence.conftest import make_boutique
    from omnipresence.testing.browser import PHONE, screenshot

    world = make_boutique("atelier-a")
    card, code = issue(world, 10000)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{asgi_live_server}/atelier-a/p/blue-statement-coat/?sku=atelier-a-COAT-BLU-M")
    page.get_by_role("button", name="Add to bag").click()
    page.goto(f"{asgi_live_server}/atelier-a/checkout/")
    page.get_by_label("Full name").fill("Jane Doe")
    page.get_by_label("Email").fill("jane@example.com")
    page.get_by_label("Code (optional)").fill(code)
    page.get_by_role("button", name="Check balance").click()
    expect(page.locator("#gift-card-balance")).to_have_text(
        re.compile(
            rf"Gift card …{card.last4} holds £100\.00\.\s+It pays £100\.00 of your order; "
            r"you pay the other £350\.00 by card\."
        )  # fmt: skip
    )
    expect(page.get_by_label("Full name")).to_have_value("Jane Doe")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    page.locator("#gift-card-balance").scroll_into_view_if_needed()
    screenshot(page, "checkout-gift-card-390")

    page.get_by_label("Full name").press("Enter")  # Enter pays, it does not check the balance again
    expect(page.locator("#sandbox-amount")).to_have_text("£350.00")
    page.get_by_label("Card number").fill(CARD)
    page.locator("#sandbox-pay").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, Jane Doe")
    expect(page.locator("#paid-with")).to_contain_text(f"Gift card …{card.last4}")
    expect(page.locator("#paid-with")).to_contain_text("Card …4242")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    page.locator("#paid-with").scroll_into_view_if_needed()
    screenshot(page, "confirmation-gift-card-390")
    context.close()
    assert card_state(card) == (0, [10000, -10000])
