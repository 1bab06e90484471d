"""Secure pay links: fixed items and amount, units held until paid / expired / revoked, one charge
however the client clicks, tampered tokens not found, a reminder once, the page in the browser's
place of a chat."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from omnipresence.core.errors import Conflict, InvalidInput, NotFound
from omnipresence.inventory.models import Hold
from omnipresence.inventory.selectors import availability_for_variants
from omnipresence.orders.models import Order
from omnipresence.payments import pay_links, services
from omnipresence.payments.models import PayLink, Payment, SandboxCharge
from omnipresence.payments.pay_links import PayLinkClosed
from omnipresence.payments.tests.conftest import cart_with


def soho_available(world, index=0) -> int:
    variant = world["variants"][index]
    entry = availability_for_variants(boutique=world["boutique"], variants=[variant])[variant.pk]
    return next(la.available for la in entry.locations if la.location.pk == world["shop"].pk)


def test_a_link_fixes_the_items_and_holds_the_units(seller, world_a, link):
    order = link.order
    assert (order.total, order.channel, order.payment_status) == (45000, "chat", "unpaid")
    assert order.payment_due_at == link.expires_at
    assert link.expires_at - link.created_at == pytest.approx(timedelta(hours=48), abs=timedelta(seconds=5))
    assert soho_available(world_a) == 1  # 2 on the shelf, 1 held for the link
    token = pay_links.pay_link_token(link)
    assert len(token) == 43  # 256 bits, base64url
    assert pay_links.pay_link_by_token(token).pk == link.pk
    assert link.token_hash != token and token not in link.nonce


@pytest.mark.parametrize("tamper", [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), lambda t: t[:30], lambda t: "x" * 43])
def test_a_tampered_token_is_not_found(link, tamper):
    with pytest.raises(NotFound):
        pay_links.pay_link_by_token(tamper(pay_links.pay_link_token(link)))
    assert Client().get(f"/pay/{tamper(pay_links.pay_link_token(link))}/").status_code == 404


def test_asking_again_for_the_same_cart_returns_the_same_link(seller, world_a, link):
    again = pay_links.pay_link_create(actor=seller, cart=link.order.cart)
    assert again.pk == link.pk and PayLink.objects.count() == 1 and Order.objects.count() == 1


@pytest.mark.parametrize("hours", [0, -1, 24 * 14 + 1])
def test_an_expiry_out_of_range_is_refused_and_nothing_is_written(seller, world_a, uk_shipping, hours):
    cart = cart_with(seller, world_a, (0, 1, "pickup", "soho"), channel="chat")
    with pytest.raises(InvalidInput) as raised:
        pay_links.pay_link_create(actor=seller, cart=cart, hours=hours)
    assert raised.value.code == "invalid_expiry"
    assert not Order.objects.exists() and not PayLink.objects.exists()


def pay_through_the_pages(link, client=None, card="4242 4242 4242 4242"):
    client = client or Client()
    token = pay_links.pay_link_token(link)
    page = client.get(f"/pay/{token}/")
    assert page.status_code == 200
    go = client.post(f"/pay/{token}/pay/")
    assert go.status_code == 302 and go["Location"].startswith("/pay/sandbox/sbx_")
    sandbox = client.get(go["Location"])
    assert sandbox.status_code == 200
    paid = client.post(go["Location"], {"card": card})
    return token, go, paid


def test_the_client_pays_the_link_in_the_sandbox(world_a, link):
    client = Client()
    page = client.get(f"/pay/{pay_links.pay_link_token(link)}/")
    html = page.content.decode()
    assert "Blue Statement Coat" in html and "£450.00" in html and "The coat we spoke about" in html
    assert page["Referrer-Policy"] == "same-origin" and page["Cache-Control"] == "no-store"
    token, go, paid = pay_through_the_pages(link, client)
    assert paid.status_code == 302 and paid["Location"].endswith(f"/pay/{token}/return/")
    back = client.get(paid["Location"])
    assert back.status_code == 200 and "Paid — thank you!" in back.content.decode()
    link.refresh_from_db()
    order = Order.objects.get(pk=link.order_id)
    assert (link.status, link.views, order.payment_status, order.amount_paid) == ("paid", 2, "paid", 45000)  # two visits of the page
    assert soho_available(world_a) == 1  # the unit stays held for the paid order
    assert Payment.objects.get().pay_link_id == link.pk
    from omnipresence.clients.models import TimelineEvent

    assert list(TimelineEvent.objects.filter(client_id=order.client_id).order_by("pk").values_list("kind", flat=True)) == [
        "created", "order_placed", "pay_link_sent", "order_paid", "pay_link_paid"]


def test_double_clicks_and_resubmits_make_one_payment_and_one_charge(link):
    client = Client()
    token = pay_links.pay_link_token(link)
    first = client.post(f"/pay/{token}/pay/")
    second = client.post(f"/pay/{token}/pay/")
    assert first["Location"] == second["Location"]
    for _ in range(3):
        client.post(first["Location"], {"card": "4242424242424242"})
    assert Payment.objects.count() == 1 and SandboxCharge.objects.filter(status="succeeded").count() == 1
    assert Order.objects.get(pk=link.order_id).amount_paid == 45000
    # Paying a paid link again is refused with a clear message, not a second charge.
    again = client.post(f"/pay/{token}/pay/")
    assert again.status_code == 410 and "has been paid" in again.content.decode()
    assert Payment.objects.count() == 1


def test_a_declined_card_shows_why_and_takes_nothing(link):
    _, go, declined = pay_through_the_pages(link, card="4000 0000 0000 0002")
    assert declined.status_code == 402 and "declined" in declined.content.decode()
    assert Order.objects.get(pk=link.order_id).amount_paid == 0
    assert Payment.objects.get().status == "pending"  # she may try another card


def test_revoking_stops_the_link_and_gives_the_units_back(seller, world_a, link):
    token = pay_links.pay_link_token(link)
    go = Client().post(f"/pay/{token}/pay/")  # she opened the payment page
    revoked = pay_links.pay_link_revoke(actor=seller, link=link)
    assert revoked.status == "revoked" and soho_available(world_a) == 2
    assert Order.objects.get(pk=link.order_id).status == "cancelled"
    assert Payment.objects.get().status == "cancelled"
    page = Client().get(f"/pay/{token}/")
    assert "withdrawn" in page.content.decode() and "pay-now" not in page.content.decode()
    late = Client().post(go["Location"], {"card": "4242424242424242"})
    assert late.status_code == 200 and "expired" in late.content.decode()
    assert SandboxCharge.objects.get().status == "expired" and Order.objects.get(pk=link.order_id).amount_paid == 0


def test_a_paid_link_cannot_be_revoked(seller, link):
    pay_through_the_pages(link)
    with pytest.raises(Conflict) as raised:
        pay_links.pay_link_revoke(actor=seller, link=PayLink.objects.get(pk=link.pk))
    assert raised.value.code == "pay_link_paid"


def test_the_sweep_expires_links_and_releases_their_units(seller, world_a, link):
    later = link.expires_at + timedelta(seconds=1)
    with pytest.raises(PayLinkClosed) as raised:
        PayLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
        pay_links.pay_link_pay(link=PayLink.objects.get(pk=link.pk), return_url="/")
    assert raised.value.code == "pay_link_expired" and raised.value.status == 410
    assert pay_links.pay_links_sweep(now=later)["expired"] == 1
    assert PayLink.objects.get(pk=link.pk).status == "expired"
    assert Order.objects.get(pk=link.order_id).status == "cancelled" and soho_available(world_a) == 2
    assert pay_links.pay_links_sweep(now=later) == {"expired": 0, "reminded": 0, "orders_cancelled": 0}


def test_one_reminder_after_half_the_links_life(link, mailoutbox):
    early = link.created_at + timedelta(hours=23)
    assert pay_links.pay_links_sweep(now=early)["reminded"] == 0
    halfway = link.created_at + timedelta(hours=25)
    assert pay_links.pay_links_sweep(now=halfway)["reminded"] == 1
    assert pay_links.pay_links_sweep(now=halfway)["reminded"] == 0
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["vane@example.com"] and "Atelier A" in mail.subject
    assert pay_links.pay_link_url(link) in mail.body and "£450.00" in mail.body


def test_unpaid_web_orders_are_cancelled_after_their_due_time(seller, world_a, uk_shipping):
    from omnipresence.orders import services as orders

    cart = cart_with(seller, world_a, (0, 1, "pickup", "soho"), channel="web")
    due = timezone.now() + timedelta(minutes=30)
    order = orders.cart_checkout(actor=seller, cart=cart, payment_due_at=due)
    paid_cart = cart_with(seller, world_a, (1, 1, "pickup", "soho"), channel="web")
    paid = orders.cart_checkout(actor=seller, cart=paid_cart, payment_due_at=due)
    services.payment_record(actor=seller, order=paid, method="cash")
    done = pay_links.pay_links_sweep(now=due + timedelta(seconds=1))
    assert done["orders_cancelled"] == 1
    assert Order.objects.get(pk=order.pk).status == "cancelled" and Order.objects.get(pk=paid.pk).status == "placed"
    assert not Hold.objects.filter(owner_ref=f"order:{order.pk}", status="active").exists()


def test_a_link_for_an_order_after_a_deposit_asks_for_the_rest(seller, order):
    services.payment_record(actor=seller, order=order, method="cash", amount=10000)
    link = pay_links.pay_link_create(actor=seller, order=Order.objects.get(pk=order.pk), hours=24)
    page = Client().get(pay_links.pay_link_path(link))
    html = page.content.decode()
    assert "£800.00" in html and "Already paid" in html
    pay_through_the_pages(link)
    assert Order.objects.get(pk=order.pk).payment_status == "paid"
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [10000, 80000]


def test_the_same_cart_costs_the_same_on_the_web_at_the_till_and_in_a_pay_link(seller, world_a, uk_shipping):
    from omnipresence.inventory import services as inventory
    from omnipresence.orders import services as orders

    orders.campaign_create(actor=world_a["actor"], name="Welcome", kind="percentage", value=1000, code="WELCOME10")
    inventory.stock_receive(actor=world_a["actor"], location=world_a["shop"], variant=world_a["variants"][0],
                            quantity=3, reason="delivery")  # fmt: skip
    lines = ((0, 1, "pickup", "soho"), (1, 2, "ship", None))
    totals = {}
    for channel in ("web", "shop", "chat"):
        cart = cart_with(seller, world_a, *lines, channel=channel, code="WELCOME10",
                         client_email=f"{channel}@example.com")  # fmt: skip
        price = orders.cart_price(actor=seller, cart=cart)
        if channel == "chat":
            order = pay_links.pay_link_create(actor=seller, cart=cart).order  # the amount the link asks for
        else:
            order = orders.cart_checkout(actor=seller, cart=cart)
        totals[channel] = (price.total, order.total, order.discount, order.shipping, order.tax)
    assert totals["web"] == totals["shop"] == totals["chat"] == (121500, 121500, 13500, 0, 20250)
