"""Objects of the payments app for the tenancy sweep (core/tests/test_tenancy_sweep.py)."""

from omnipresence.inventory import services as inventory
from omnipresence.orders import services as orders
from omnipresence.payments import gift_cards, pay_links, services

# The providers' notifications: anyone may post, only a verified signature is believed.
PUBLIC = {("POST", "/webhooks/payments/{provider}")}


def sweep_ids(world: dict) -> dict:
    if "payments_sweep" not in world:
        actor = world["actor"]
        variant = world["variants"][0]
        inventory.stock_receive(actor=actor, location=world["shop2"], variant=variant, quantity=10, reason="sweep")
        cart = orders.cart_create(actor=actor, channel="shop", client_email="pay@example.com")
        orders.cart_line_set(actor=actor, cart=cart, variant=variant, quantity=1, fulfilment="pickup",
                             location=world["shop2"])  # fmt: skip
        order = orders.cart_checkout(actor=actor, cart=cart)
        payment = services.payment_record(actor=actor, order=order, method="cash", amount=100)
        link_cart = orders.cart_create(actor=actor, channel="chat", client_email="link@example.com")
        orders.cart_line_set(actor=actor, cart=link_cart, variant=variant, quantity=1, fulfilment="pickup",
                             location=world["shop2"])  # fmt: skip
        link = pay_links.pay_link_create(actor=actor, cart=link_cart)
        spare = orders.cart_create(actor=actor, channel="chat", client_email="spare@example.com")
        orders.cart_line_set(actor=actor, cart=spare, variant=variant, quantity=1, fulfilment="pickup",
                             location=world["shop2"])  # fmt: skip
        world["payments_sweep"] = {
            "payment_id": payment.pk, "link_id": link.pk, "pay_order_id": order.pk, "spare_cart_id": spare.pk,
            "provider": "manual", "gift_card_code": gift_cards.gift_card_issue(actor=actor, amount=2500)[1],
        }  # fmt: skip
    return world["payments_sweep"]


def sweep_operations(world: dict) -> dict:
    ids = sweep_ids(world)
    own = {"order_id": ids["pay_order_id"]}
    return {
        ("GET", "/boutiques/{slug}/orders/{order_id}/payments"): {"ids": own},
        ("POST", "/boutiques/{slug}/orders/{order_id}/payments"): {
            "json": {"provider": "manual", "method": "cash", "amount": 1}, "ids": own,
        },
        ("POST", "/boutiques/{slug}/payments/{payment_id}/refunds"): {"json": {"amount": 50, "reason": "other"}},
        ("GET", "/boutiques/{slug}/pay-links"): {},
        ("POST", "/boutiques/{slug}/pay-links"): {"json": {"cart_id": ids["spare_cart_id"], "hours": 2}},
        ("GET", "/boutiques/{slug}/pay-links/{link_id}"): {},
        ("POST", "/boutiques/{slug}/pay-links/{link_id}/revoke"): {},
        ("POST", "/boutiques/{slug}/orders/{order_id}/refund-and-cancel"): {"ids": own},
        ("POST", "/boutiques/{slug}/gift-cards"): {"json": {"amount": 5000, "client": "gift@example.com"}},
        ("POST", "/boutiques/{slug}/gift-cards/balance"): {"json": {"code": ids["gift_card_code"]}},
    }
