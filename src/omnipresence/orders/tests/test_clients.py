"""Orders and the one client record: resolved at checkout (email, then phone), on her timeline,
counted in her lifetime spend once paid and taken back out when refunded, re-pointed on a merge."""

from omnipresence.clients import services as clients
from omnipresence.clients.models import Client, TimelineEvent
from omnipresence.orders import services
from omnipresence.orders.models import Order
from omnipresence.orders.tests.conftest import cart_with


def kinds(client) -> list[str]:
    return list(TimelineEvent.objects.filter(client=client).order_by("occurred_at", "pk").values_list("kind", flat=True))


def test_an_order_finds_or_makes_its_client_and_lands_on_her_timeline(world_a, seller, uk_shipping):
    first = services.cart_checkout(actor=seller, cart=cart_with(seller, world_a, (0, 1, "pickup", "soho"),
                                                                client_name="Ms Vane", client_email="Vane@Example.com"))  # fmt: skip
    by_phone = services.cart_checkout(actor=seller, cart=cart_with(seller, world_a, (1, 1, "pickup", "soho"),
                                                                   channel="phone", client_phone="+44 7911 123456"))  # fmt: skip
    again = services.cart_checkout(actor=seller, cart=cart_with(seller, world_a, (2, 1, "pickup", "soho"),
                                                                client_email="vane@example.com", client_phone="+447911123456"))  # fmt: skip
    anonymous = services.cart_checkout(actor=seller, cart=cart_with(seller, world_a, (1, 1, "ship", None)))
    vane = Client.objects.get(pk=first.client_id)
    assert vane.display_name == "Ms Vane" and again.client_id == vane.pk  # the email decides
    assert by_phone.client_id != vane.pk and anonymous.client_id is None
    assert kinds(vane) == ["created", "order_placed", "order_placed"]


def test_paid_counts_once_and_refunds_come_back_out(world_a, seller, manager_actor, uk_shipping):
    from omnipresence.payments import services as payments

    order = services.cart_checkout(actor=seller, cart=cart_with(seller, world_a, (0, 1, "pickup", "soho"),
                                                                client_email="vane@example.com"))  # fmt: skip
    payment = payments.payment_record(actor=seller, order=order, method="terminal")
    vane = Client.objects.get(pk=order.client_id)
    assert (vane.lifetime_spend, vane.orders_count) == (45000, 1)
    payments.refund_create(actor=manager_actor, payment=payment, amount=5000)
    vane.refresh_from_db()
    assert (vane.lifetime_spend, vane.orders_count) == (40000, 1)
    payments.payment_record(actor=seller, order=Order.objects.get(pk=order.pk), method="cash")  # paid again
    vane.refresh_from_db()
    assert vane.orders_count == 1 and kinds(vane).count("order_paid") == 1


def test_a_merge_moves_her_orders_and_an_undo_puts_them_back(world_a, seller, manager_actor, uk_shipping):
    a = services.cart_checkout(actor=seller, cart=cart_with(seller, world_a, (0, 1, "pickup", "soho"),
                                                            client_email="sibyl@example.com"))  # fmt: skip
    b = services.cart_checkout(actor=seller, cart=cart_with(seller, world_a, (1, 1, "pickup", "soho"),
                                                            client_phone="+447911123456"))  # fmt: skip
    from omnipresence.stores.access import actor_for_user

    manager = actor_for_user(manager_actor.user, world_a["boutique"])
    record = clients.client_merge(actor=manager, survivor=Client.objects.get(pk=a.client_id),
                                  merged=Client.objects.get(pk=b.client_id))  # fmt: skip
    assert Order.objects.get(pk=b.pk).client_id == a.client_id
    clients.client_merge_undo(actor=manager, record=record)
    assert Order.objects.get(pk=b.pk).client_id == record.merged_id
