"""The console's order pages through HTTP: find an order, pay with a gift card, print or email the
receipt, take returns (refund, store credit, exchange), ring up a hold, a manager's shelf
override; associates cannot take returns and another boutique's staff are refused."""

import re

import pytest
from django.test import Client

from omnipresence.fulfilment.services import fulfilment_hand_over
from omnipresence.inventory import services as inventory
from omnipresence.inventory.models import Hold, Movement, Stock
from omnipresence.orders import services as orders
from omnipresence.orders.models import Cart, Order, OrderAllocation
from omnipresence.payments import gift_cards
from omnipresence.payments import services as payments
from omnipresence.payments.models import GiftCard, Payment, Refund
from omnipresence.returns.models import Return
from omnipresence.stores.access import actor_for_user

SLUG = "atelier-a"
BASE = f"/console/{SLUG}"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice(associate_a):
    return logged_in(associate_a)


@pytest.fixture
def maria(manager_a):
    return logged_in(manager_a)


@pytest.fixture
def manager(world_a, manager_a):
    return actor_for_user(manager_a, world_a["boutique"])


def order_for(
    actor, world, *, quantity=1, variant=0, channel="shop", paid=False, handed=False, **client
) -> Order:
    """A sale at Soho (taken now), made through the services; paid by card terminal and handed over
    when asked."""
    cart = orders.cart_create(actor=actor, channel=channel, **client)
    orders.cart_line_set(actor=actor, cart=cart, variant=world["variants"][variant], quantity=quantity,
                         fulfilment="pickup", location=world["shop"])  # fmt: skip
    order = orders.cart_checkout(actor=actor, cart=cart)
    if paid:
        payments.payment_record(actor=actor, order=order, method="terminal")
    if handed:
        fulfilment_hand_over(actor=actor, order=order)
    return Order.objects.get(pk=order.pk)


@pytest.fixture
def sold(associate_actor, world_a):
    """Two coats (S, 450.00 each) sold at Soho to Ms Vane, paid by card terminal and handed over."""
    return order_for(associate_actor, world_a, quantity=2, paid=True, handed=True, client_name="Ms Vane",
                     client_email="vane@example.com")  # fmt: skip


def on_hand(world, key="shop", variant=0) -> int:
    return Stock.objects.get(location=world[key], variant=world["variants"][variant]).on_hand


def written(boutique) -> tuple:
    """What a refused return must leave as it was."""
    return (
        Return.objects.count(), Refund.objects.count(), GiftCard.objects.count(),
        Order.objects.filter(boutique=boutique).count(),
        list(Stock.objects.filter(boutique=boutique).order_by("pk").values_list("on_hand", "held")),
        Movement.objects.filter(boutique=boutique).count(),
    )  # fmt: skip


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# ---------------------------------------------------------------------------------------------
# Find an order


def test_orders_are_found_by_number_or_client_and_filtered_by_channel_and_payment(
    alice, associate_actor, world_a, django_assert_max_num_queries
):
    vane = order_for(
        associate_actor, world_a, paid=True, client_name="Ms Vane", client_email="vane@example.com"
    )
    jane = order_for(
        associate_actor, world_a, channel="phone", client_name="Jane Doe", client_email="jane@example.com"
    )
    anon = order_for(associate_actor, world_a, variant=1, channel="chat")

    with django_assert_max_num_queries(14):
        response = alice.get(f"{BASE}/orders/")
    assert response.status_code == 200
    page = text(response)
    assert "3 orders" in page
    # Newest first, each linking to its order page.
    links = re.findall(rf'href="{BASE}/orders/(\d+)/"', page)
    assert links == [str(anon.pk), str(jane.pk), str(vane.pk)]
    assert 'aria-current="page">Orders</a>' in page

    def found(**query) -> list[int]:
        response = alice.get(f"{BASE}/orders/", query)
        assert response.status_code == 200
        return [
            int(n) for n in re.findall(rf'class="order-number" href="{BASE}/orders/(\d+)/"', text(response))
        ]

    assert found(q="vane") == [vane.pk]
    assert found(q="JANE@example") == [jane.pk]
    assert found(q=str(jane.pk)) == [jane.pk]
    assert found(q=f"#{anon.pk}") == [anon.pk]
    assert found(channel="phone") == [jane.pk]
    assert found(payment="paid") == [vane.pk]
    assert found(payment="unpaid") == [anon.pk, jane.pk]
    assert found(channel="shop", payment="unpaid") == []
    assert found(q="nobody") == []
    assert found(channel="bogus", payment="bogus") == [
        anon.pk,
        jane.pk,
        vane.pk,
    ]  # unknown filters are ignored


def test_orders_are_paged_by_twenty(alice, associate_actor, world_a, django_assert_max_num_queries):
    inventory.stock_receive(actor=world_a["actor"], location=world_a["shop"], variant=world_a["variants"][2],
                            quantity=30, reason="delivery")  # fmt: skip
    made = [order_for(associate_actor, world_a, variant=2, client_name=f"Client {i}") for i in range(21)]
    with django_assert_max_num_queries(14):
        first = alice.get(f"{BASE}/orders/")
    assert "21 orders" in text(first) and "Page 1 of 2" in text(first)
    assert text(first).count('class="order-card"') == 20
    second = alice.get(f"{BASE}/orders/", {"page": 2})
    assert re.findall(r'class="order-number" href="[^"]+/orders/(\d+)/"', text(second)) == [str(made[0].pk)]


# ---------------------------------------------------------------------------------------------
# Gift card or store credit


def test_paying_with_a_gift_card_shows_what_is_left_on_it(alice, associate_actor, manager, world_a):
    order = order_for(associate_actor, world_a, client_name="Ms Vane")
    card, code = gift_cards.gift_card_issue(actor=manager, amount=50000)

    page = text(alice.get(f"{BASE}/orders/{order.pk}/"))
    assert "Gift card or store credit" in page and 'name="code"' in page

    response = alice.post(
        f"{BASE}/orders/{order.pk}/gift-card/", {"code": code.lower(), "amount": "100", "key": "g1"}
    )
    assert response.status_code == 302 and response["Location"] == f"{BASE}/orders/{order.pk}/#pay"
    page = text(alice.get(response["Location"]))
    assert f"£100.00 paid with the card ending {card.last4}: £400.00 left on it." in page
    # The same form again (a double tap) pays once.
    alice.post(f"{BASE}/orders/{order.pk}/gift-card/", {"code": code, "amount": "100", "key": "g1"})
    assert Payment.objects.filter(order=order, method="gift_card").count() == 1

    # Empty amount: the rest of what is owed (350.00), the card keeps 50.00.
    response = alice.post(f"{BASE}/orders/{order.pk}/gift-card/", {"code": code, "amount": "", "key": "g2"})
    page = text(alice.get(response["Location"]))
    assert "£350.00 paid with the card ending" in page and "£50.00 left on it." in page
    order.refresh_from_db()
    card.refresh_from_db()
    assert (order.amount_paid, order.payment_status, card.balance) == (45000, "paid", 5000)


def test_a_spent_or_unknown_card_is_an_alert_and_nothing_is_paid(alice, associate_actor, manager, world_a):
    order = order_for(associate_actor, world_a)
    other = order_for(associate_actor, world_a, variant=1)
    card, code = gift_cards.gift_card_issue(actor=manager, amount=2000)
    alice.post(f"{BASE}/orders/{other.pk}/gift-card/", {"code": code, "key": "spend"})
    assert GiftCard.objects.get(pk=card.pk).balance == 0

    response = alice.post(f"{BASE}/orders/{order.pk}/gift-card/", {"code": code, "key": "k1"})
    assert response.status_code == 409
    assert re.search(
        r'id="gift-error"><p>This card has been spent: nothing is left on it.</p>', text(response)
    )

    response = alice.post(
        f"{BASE}/orders/{order.pk}/gift-card/", {"code": "AAAA-BBBB-CCCC-DDDD", "key": "k2"}
    )
    assert response.status_code == 404
    assert "No gift card or store credit has that code." in text(response)

    response = alice.post(
        f"{BASE}/orders/{order.pk}/gift-card/", {"code": code, "amount": "abc", "key": "k3"}
    )
    assert response.status_code == 422
    assert not Payment.objects.filter(order=order).exists()
    assert Order.objects.get(pk=order.pk).amount_paid == 0


# ---------------------------------------------------------------------------------------------
# Receipt


def test_the_receipt_prints_without_the_console_and_is_emailed_to_the_client(alice, sold, mailoutbox):
    page = text(alice.get(f"{BASE}/orders/{sold.pk}/"))
    assert f'href="{BASE}/orders/{sold.pk}/receipt/">Print receipt</a>' in page
    assert 'id="receipt-email" name="email" value="vane@example.com"' in page

    response = alice.get(f"{BASE}/orders/{sold.pk}/receipt/")
    assert response.status_code == 200
    receipt = text(response)
    assert f"Order {sold.pk}</strong>" in receipt and "Ms Vane" in receipt
    assert "2 × Blue Statement Coat" in receipt and "£900.00" in receipt and "Card terminal" in receipt
    assert 'id="print-receipt"' in receipt and "console/orders.css" in receipt
    from django.contrib.staticfiles import finders

    css = open(finders.find("console/orders.css")).read()
    assert re.search(r"@media print \{\s*\.site-header, \.skip-link, \.no-print", css)

    response = alice.post(f"{BASE}/orders/{sold.pk}/receipt/email/", {"email": "vane@example.com"})
    assert response.status_code == 302 and response["Location"].endswith("#receipt")
    assert "Receipt sent to vane@example.com." in text(alice.get(response["Location"]))
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert (
        mail.to == ["vane@example.com"] and mail.subject == f"Your receipt from Atelier A — order {sold.pk}"
    )
    assert "Blue Statement Coat" in mail.body

    # Another address typed by the associate.
    alice.post(f"{BASE}/orders/{sold.pk}/receipt/email/", {"email": "Friend@Example.com"})
    assert mailoutbox[1].to == ["friend@example.com"]


def test_a_receipt_without_an_address_is_refused(alice, associate_actor, world_a, mailoutbox):
    order = order_for(associate_actor, world_a, paid=True)
    response = alice.post(f"{BASE}/orders/{order.pk}/receipt/email/", {"email": ""})
    assert response.status_code == 422
    assert 'id="receipt-error"><p>Type the client&#x27;s email address.</p>' in text(response)
    assert mailoutbox == []


# ---------------------------------------------------------------------------------------------
# Returns


def return_form(order, **fields) -> dict:
    line = order.lines.get()
    data = {f"quantity-{line.pk}": "1", f"reason-{line.pk}": "wrong_size", f"restock-{line.pk}": "soho",
            "refund_method": "original", "key": "r1"}  # fmt: skip
    for name, value in fields.items():
        data[f"{name}-{line.pk}" if name in ("quantity", "reason", "restock") else name] = value
    return data


def test_the_return_form_lists_what_can_come_back(maria, sold, world_a):
    page = text(maria.get(f"{BASE}/orders/{sold.pk}/"))
    assert f'href="{BASE}/orders/{sold.pk}/return/">Take a return</a>' in page
    response = maria.get(f"{BASE}/orders/{sold.pk}/return/")
    assert response.status_code == 200
    page = text(response)
    line = sold.lines.get()
    assert "2 units can come back" in page
    assert re.findall(rf'<select id="quantity-{line.pk}" name="quantity-{line.pk}">(.*?)</select>', page) == [
        '<option value="0" selected>0</option><option value="1">1</option><option value="2">2</option>'
    ]
    # Back on sale at the manager's home shop unless chosen otherwise, or not at all.
    assert '<option value="soho" selected>Soho</option>' in page
    assert '<option value="none">Not resellable (damaged)</option>' in page
    assert '<option value="wrong_size" selected>Wrong size</option>' in page
    assert 'id="method-original" name="refund_method" value="original" checked' in page
    assert re.search(r'<input type="hidden" name="key" value="[0-9a-f]{32}">', page)
    assert "disabled" not in re.search(r'<fieldset class="plain"[^>]*>', page).group(0)


def test_a_return_to_the_original_payment_refunds_and_restocks(maria, sold, world_a):
    assert on_hand(world_a) == 0
    response = maria.post(f"{BASE}/orders/{sold.pk}/return/", return_form(sold))
    assert response.status_code == 302 and response["Location"] == f"{BASE}/orders/{sold.pk}/#returns"
    ret = Return.objects.get()
    assert (ret.amount, ret.refunded, ret.refund_method, ret.channel, ret.status) == (
        45000, 45000, "original", "shop", "completed",
    )  # fmt: skip
    assert list(Refund.objects.values_list("amount", "status")) == [(45000, "succeeded")]
    order = Order.objects.get(pk=sold.pk)
    assert (order.amount_refunded, order.payment_status) == (45000, "partially_refunded")
    assert on_hand(world_a) == 1
    assert Movement.objects.filter(kind="return", reference=f"return:{ret.pk}").count() == 1

    page = text(maria.get(response["Location"]))
    assert f"Return {ret.pk} taken: £450.00." in page and "£450.00 refunded to the original payment." in page
    assert re.search(rf'id="return-{ret.pk}">.*?1 × <span class="sku">atelier-a-COAT-BLU-S</span> · Wrong size · '
                     r"back on sale at Soho", page)  # fmt: skip
    assert 'id="credit-code"' not in page
    # One unit left to take back.
    assert "1 unit can come back" in text(maria.get(f"{BASE}/orders/{sold.pk}/return/"))


def test_a_return_for_store_credit_shows_the_code_once(maria, manager, sold, world_a):
    response = maria.post(f"{BASE}/orders/{sold.pk}/return/",
                          return_form(sold, refund_method="store_credit", restock="none", reason="faulty"))  # fmt: skip
    assert response.status_code == 302
    ret = Return.objects.get()
    credit = GiftCard.objects.get(pk=ret.credit_id)
    assert (ret.amount, ret.refunded, credit.kind, credit.balance, credit.client_ref) == (
        45000, 0, "store_credit", 45000, "vane@example.com",
    )  # fmt: skip
    assert not Refund.objects.exists() and on_hand(world_a) == 0  # damaged: nothing restocked
    assert not Movement.objects.filter(kind="return").exists()

    first = maria.get(response["Location"])
    assert first["Cache-Control"] == "no-store"
    code = re.search(r'<span class="credit-code" id="credit-code">([A-Z0-9-]+)</span>', text(first)).group(1)
    assert gift_cards.gift_card_find(actor=manager, code=code).pk == credit.pk
    assert "Give this code to the client now" in text(first)
    # Shown once: the order page afterwards lists the return and the credit by its last four only.
    again = text(maria.get(f"{BASE}/orders/{sold.pk}/"))
    assert code not in again and 'id="credit-code"' not in again
    assert f"Store credit ending {credit.last4}: £450.00 left" in again and "not resellable" in again


def test_an_exchange_for_another_size_is_paid_with_the_credit(maria, sold, world_a):
    size_m = world_a["variants"][1]
    response = maria.post(f"{BASE}/orders/{sold.pk}/return/",
                          return_form(sold, refund_method="exchange", exchange_sku=size_m.sku))  # fmt: skip
    assert response.status_code == 302
    ret = Return.objects.get()
    new = Order.objects.get(pk=ret.exchange_order_id)
    assert (new.total, new.amount_paid, new.balance, new.payment_status, new.client_email) == (
        45000, 45000, 0, "paid", "vane@example.com",
    )  # fmt: skip
    line = new.lines.get()
    assert (line.sku, line.quantity, line.fulfilment, line.location_id) == (
        size_m.sku,
        1,
        "pickup",
        world_a["shop"].pk,
    )
    assert GiftCard.objects.get(pk=ret.credit_id).balance == 0 and not Refund.objects.exists()
    assert on_hand(world_a) == 1  # the S is back on the shelf

    page = text(maria.get(response["Location"]))
    assert f'href="{BASE}/orders/{new.pk}/" id="exchange-link">Open the exchange order {new.pk}</a>' in page
    assert "she still owes" not in page


def test_an_exchange_for_an_unknown_sku_writes_nothing(maria, sold, world_a):
    before = written(world_a["boutique"])
    response = maria.post(f"{BASE}/orders/{sold.pk}/return/",
                          return_form(sold, refund_method="exchange", exchange_sku="NOPE-1"))  # fmt: skip
    assert response.status_code == 404
    assert "No piece has the SKU or barcode “NOPE-1”." in text(response)
    # What was chosen comes back in the form.
    assert 'value="exchange" checked' in text(response) and 'value="NOPE-1"' in text(response)
    assert written(world_a["boutique"]) == before


def test_an_associate_cannot_take_a_return(alice, sold, world_a):
    page = text(alice.get(f"{BASE}/orders/{sold.pk}/"))
    assert "A manager takes returns." in page and ">Take a return</a>" not in page
    response = alice.get(f"{BASE}/orders/{sold.pk}/return/")
    assert response.status_code == 200
    page = text(response)
    assert "A manager takes returns." in page
    assert re.search(r'<fieldset class="plain" disabled aria-describedby="manager-note">', page)

    before = written(world_a["boutique"])
    response = alice.post(f"{BASE}/orders/{sold.pk}/return/", return_form(sold, refund_method="store_credit"))
    assert response.status_code == 403
    assert "A manager takes returns: ask a manager to take this one." in text(response)
    assert written(world_a["boutique"]) == before


def test_a_double_submitted_return_makes_one_return(maria, sold):
    form = return_form(sold, refund_method="store_credit")
    first = maria.post(f"{BASE}/orders/{sold.pk}/return/", form)
    assert "credit-code" in text(maria.get(first["Location"]))
    second = maria.post(f"{BASE}/orders/{sold.pk}/return/", form)
    assert second.status_code == 302
    assert Return.objects.count() == 1 and GiftCard.objects.count() == 1
    # The repeat does not show the code again (it was given once).
    assert 'id="credit-code"' not in text(maria.get(second["Location"]))


def test_more_than_can_come_back_is_refused(maria, sold, world_a):
    before = written(world_a["boutique"])
    response = maria.post(f"{BASE}/orders/{sold.pk}/return/", return_form(sold, quantity="3"))
    assert response.status_code == 422 and "choose from 0 to 2" in text(response)
    response = maria.post(f"{BASE}/orders/{sold.pk}/return/", return_form(sold, quantity="0"))
    assert response.status_code == 422 and "Choose how many of a piece come back." in text(response)
    assert written(world_a["boutique"]) == before


def test_an_order_not_handed_over_offers_no_return(maria, associate_actor, world_a):
    order = order_for(associate_actor, world_a, paid=True)
    assert ">Take a return</a>" not in text(maria.get(f"{BASE}/orders/{order.pk}/"))
    assert "Nothing on this order can come back" in text(maria.get(f"{BASE}/orders/{order.pk}/return/"))


# ---------------------------------------------------------------------------------------------
# Ring up a hold


def test_ringing_up_a_hold_makes_an_order_with_the_same_hold(alice, associate_actor, world_a):
    variant = world_a["variants"][0]
    hold = inventory.hold_place(actor=associate_actor, location=world_a["shop"], variant=variant, quantity=1,
                                client_name="Ms Vane", client_contact="vane@example.com", ttl_minutes=120)  # fmt: skip
    stock_before = list(Stock.objects.order_by("pk").values_list("on_hand", "held"))
    page = text(alice.get(f"{BASE}/"))
    assert f'action="{BASE}/holds/{hold.pk}/ring-up/"' in page and "Ring up" in page

    response = alice.post(f"{BASE}/holds/{hold.pk}/ring-up/", {"next": f"{BASE}/"})
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{BASE}/orders/{order.pk}/#pay"
    assert (order.channel, order.source_kind, order.client_name, order.client_email, order.total) == (
        "shop", "hold", "Ms Vane", "vane@example.com", 45000,
    )  # fmt: skip
    assert list(OrderAllocation.objects.values_list("hold_id", flat=True)) == [hold.pk]
    hold.refresh_from_db()
    assert (hold.kind, hold.status) == ("order", "active")
    assert list(Stock.objects.order_by("pk").values_list("on_hand", "held")) == stock_before
    assert f"Order {order.pk} made from the hold for Ms Vane" in text(alice.get(response["Location"]))

    # A second tap opens the same order; the hold card no longer offers it.
    again = alice.post(f"{BASE}/holds/{hold.pk}/ring-up/")
    assert again["Location"] == f"{BASE}/orders/{order.pk}/#pay" and Order.objects.count() == 1
    assert f"/holds/{hold.pk}/ring-up/" not in text(alice.get(f"{BASE}/"))


def test_an_ended_hold_is_not_rung_up(alice, associate_actor, world_a):
    hold = inventory.hold_place(actor=associate_actor, location=world_a["shop"], variant=world_a["variants"][0],
                                quantity=1, client_name="Ms Vane", client_contact="vane@example.com")  # fmt: skip
    inventory.hold_release(actor=associate_actor, hold=hold, reason="changed her mind")
    response = alice.post(f"{BASE}/holds/{hold.pk}/ring-up/", {"next": f"{BASE}/variants/{hold.variant_id}/"})
    assert response.status_code == 302 and response["Location"] == f"{BASE}/variants/{hold.variant_id}/"
    assert "This hold has ended" in text(alice.get(response["Location"]))
    assert not Order.objects.exists() and not Cart.objects.exists()


# ---------------------------------------------------------------------------------------------
# The piece is on the shelf


def test_a_manager_sells_a_piece_the_system_says_is_gone_and_an_associate_cannot(
    alice, maria, associate_actor, world_a
):
    # Soho shows 2 of size S; the associate has a third on the counter.
    cart = orders.cart_create(actor=associate_actor, channel="shop", client_name="Ms Vane")
    orders.cart_line_set(actor=associate_actor, cart=cart, variant=world_a["variants"][0], quantity=3,
                         fulfilment="pickup", location=world_a["shop"])  # fmt: skip
    url = f"{BASE}/sell/{cart.pk}/checkout/"

    refused = alice.post(url, {"key": "c1"})
    assert refused.status_code == 409
    page = text(refused)
    assert "Not enough stock" in page and "ask a manager" in page and 'name="shelf_override"' not in page
    forced = alice.post(url, {"key": "c1", "shelf_override": "1"})
    assert forced.status_code == 403
    assert not Order.objects.exists() and not Movement.objects.filter(kind="adjustment").exists()

    refused = maria.post(url, {"key": "c2"})
    assert refused.status_code == 409
    page = text(refused)
    assert '<input type="hidden" name="shelf_override" value="1">' in page
    assert "It's on the shelf — sell it (records a count adjustment)" in page and "ask a manager" not in page
    key = re.search(
        r'name="key" value="([0-9a-f]{32})"> <input type="hidden" name="shelf_override"', page
    ).group(1)

    sold = maria.post(url, {"key": key, "shelf_override": "1"})
    order = Order.objects.get()
    assert sold.status_code == 302 and sold["Location"] == f"{BASE}/orders/{order.pk}/"
    assert order.lines.get().quantity == 3
    found = Movement.objects.get(kind="adjustment")
    assert (found.quantity, found.location_id) == (1, world_a["shop"].pk) and "maria" in found.reason
    stock = Stock.objects.get(location=world_a["shop"], variant=world_a["variants"][0])
    assert (stock.on_hand, stock.held) == (3, 3)


def test_a_short_shipped_line_offers_no_override(maria, world_a, manager):
    orders.shipping_rule_create(actor=world_a["actor"], name="UK", countries=["GB"], price=495)
    cart = orders.cart_create(actor=manager, channel="phone", shipping_country="GB")
    orders.cart_line_set(
        actor=manager, cart=cart, variant=world_a["variants"][0], quantity=50, fulfilment="ship"
    )
    page = text(maria.post(f"{BASE}/sell/{cart.pk}/checkout/", {"key": "s1"}))
    assert "Not enough stock" in page and 'name="shelf_override"' not in page and "ask a manager" not in page


# ---------------------------------------------------------------------------------------------
# Another boutique


def test_another_boutiques_staff_are_refused_and_nothing_changes(associate_b, sold, world_a, associate_actor):
    hold = inventory.hold_place(actor=associate_actor, location=world_a["shop"], variant=world_a["variants"][1],
                                quantity=1, client_name="Ms Vane", client_contact="vane@example.com")  # fmt: skip
    bruno = logged_in(associate_b)
    before = written(world_a["boutique"])
    for url in ("orders/", f"orders/{sold.pk}/receipt/", f"orders/{sold.pk}/return/"):
        assert bruno.get(f"{BASE}/{url}").status_code == 403, url
    for url, data in (
        (f"orders/{sold.pk}/gift-card/", {"code": "AAAA-BBBB-CCCC-DDDD"}),
        (f"orders/{sold.pk}/receipt/email/", {"email": "x@example.com"}),
        (f"orders/{sold.pk}/return/", return_form(sold)),
        (f"holds/{hold.pk}/ring-up/", {}),
    ):
        assert bruno.post(f"{BASE}/{url}", data).status_code == 403, url
    assert written(world_a["boutique"]) == before
    assert Hold.objects.get(pk=hold.pk).kind == "client"


def test_ids_of_another_boutique_are_not_found(maria, world_b, associate_b):
    from omnipresence.stores.access import actor_for_user as actor_of

    bruno = actor_of(associate_b, world_b["boutique"])
    theirs = order_for(bruno, world_b, paid=True)
    hold = inventory.hold_place(actor=bruno, location=world_b["shop"], variant=world_b["variants"][0], quantity=1,
                                client_name="Mme Roux", client_contact="roux@example.com")  # fmt: skip
    assert maria.get(f"{BASE}/orders/{theirs.pk}/receipt/").status_code == 404
    assert maria.get(f"{BASE}/orders/{theirs.pk}/return/").status_code == 404
    assert maria.post(f"{BASE}/holds/{hold.pk}/ring-up/").status_code == 404
    assert f"/orders/{theirs.pk}/" not in text(maria.get(f"{BASE}/orders/", {"q": str(theirs.pk)}))
