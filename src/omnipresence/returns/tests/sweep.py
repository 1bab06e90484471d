"""Objects of the returns app for the tenancy sweep (core/tests/test_tenancy_sweep.py)."""

from omnipresence.inventory import services as inventory
from omnipresence.orders import services as orders
from omnipresence.orders.models import OrderAllocation
from omnipresence.payments import services as payments


def sweep_ids(world: dict) -> dict:
    if "returns_sweep" not in world:
        actor = world["actor"]
        variant = world["variants"][1]
        inventory.stock_receive(actor=actor, location=world["shop2"], variant=variant, quantity=3, reason="sweep")
        cart = orders.cart_create(actor=actor, channel="shop", client_email="ret@example.com")
        orders.cart_line_set(actor=actor, cart=cart, variant=variant, quantity=2, fulfilment="pickup",
                             location=world["shop2"])  # fmt: skip
        order = orders.cart_checkout(actor=actor, cart=cart)
        payments.payment_record(actor=actor, order=order, method="cash")
        for allocation in OrderAllocation.objects.filter(line__order=order).select_related("hold"):
            inventory.hold_consume(actor=actor, hold=allocation.hold, reference=f"order:{order.pk}")
        world["returns_sweep"] = {"returned_order_id": order.pk, "returned_line_id": order.lines.get().pk}
    return world["returns_sweep"]


def sweep_operations(world: dict) -> dict:
    ids = sweep_ids(world)
    return {
        ("POST", "/boutiques/{slug}/orders/{order_id}/returns"): {
            "json": {"lines": [{"line_id": ids["returned_line_id"], "quantity": 1, "reason": "faulty"}],
                     "refund_method": "store_credit"},
            "ids": {"order_id": ids["returned_order_id"]},
        },  # fmt: skip
        ("GET", "/boutiques/{slug}/returns"): {},
        ("GET", "/boutiques/{slug}/returns/rates"): {},
    }
