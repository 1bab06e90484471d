"""Objects of the fulfilment app for the tenancy sweep (core/tests/test_tenancy_sweep.py): one paid
order with a delivery (picked, packed then shipped by the sweep) and a pickup already ready, whose
code the collect row sends; made once per world, through the services."""

from omnipresence.fulfilment import services
from omnipresence.fulfilment.codes import code_display
from omnipresence.fulfilment.models import Fulfilment
from omnipresence.orders import services as orders


def sweep_ids(world: dict) -> dict:
    if "fulfilment_sweep" not in world:
        actor = world["actor"]
        variant = world["variants"][1]  # units the other sweep rows leave alone: the warehouse's, Soho's last
        orders.shipping_rule_create(actor=actor, name="Sweep world", countries=["*"], price=500)
        cart = orders.cart_create(actor=actor, channel="web", client_name="Ms Sweep", client_email="sweep@example.com",
                                  shipping_country="GB", shipping_address="1 Sweep Street")  # fmt: skip
        orders.cart_line_set(actor=actor, cart=cart, variant=variant, quantity=1, fulfilment="ship")
        orders.cart_line_set(actor=actor, cart=cart, variant=variant, quantity=1, fulfilment="pickup",
                             location=world["shop"])  # fmt: skip
        order = orders.cart_checkout(actor=actor, cart=cart)
        orders.order_payments_set(order_id=order.pk, paid=order.total, refunded=0)
        delivery = Fulfilment.objects.get(order=order, method="delivery")
        pickup = Fulfilment.objects.get(order=order, method="pickup")
        _, code = services.fulfilment_ready(actor=actor, fulfilment=pickup)
        world["fulfilment_sweep"] = {
            "ids": {"fulfilment_id": delivery.pk, "delivery_id": delivery.pk, "pickup_id": pickup.pk},
            "code": code_display(code),
        }
    return world["fulfilment_sweep"]["ids"]


def sweep_operations(world: dict) -> dict:
    """Rows for the sweep table, in an order A's own owner would get each accepted (ready on a
    pickup that is ready already answers 200 unchanged)."""
    sweep_ids(world)
    code = world["fulfilment_sweep"]["code"]
    return {
        ("GET", "/boutiques/{slug}/fulfilments"): {},
        ("GET", "/boutiques/{slug}/fulfilments/{fulfilment_id}"): {},
        ("POST", "/boutiques/{slug}/fulfilments/{fulfilment_id}/pick"): {},
        ("POST", "/boutiques/{slug}/fulfilments/{fulfilment_id}/pack"): {},
        ("POST", "/boutiques/{slug}/fulfilments/{pickup_id}/ready"): {},
        ("POST", "/boutiques/{slug}/fulfilments/{delivery_id}/ship"): {
            "json": {"carrier": "Royal Mail", "tracking_code": "RM123456789GB"}
        },
        ("POST", "/boutiques/{slug}/fulfilments/{pickup_id}/collect"): {"json": {"code": code}},
    }
