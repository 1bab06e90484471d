"""Objects of the orders app for the tenancy sweep (core/tests/test_tenancy_sweep.py): made once
per world, through the services."""

from omnipresence.inventory import services as inventory
from omnipresence.orders import services


def sweep_ids(world: dict) -> dict:
    if "orders_sweep" not in world:
        actor = world["actor"]
        variant = world["variants"][2]
        campaign = services.campaign_create(actor=actor, name="Sweep ten", kind="percentage", value=1000,
                                            code="SWEEP10")  # fmt: skip
        placed = services.cart_create(actor=actor, channel="shop", client_email="sweep@example.com")
        services.cart_line_set(actor=actor, cart=placed, variant=variant, quantity=1, fulfilment="pickup",
                               location=world["shop"])  # fmt: skip
        order = services.cart_checkout(actor=actor, cart=placed)
        cart = services.cart_create(actor=actor, channel="web", client_email="other@example.com")
        inventory.stock_receive(actor=actor, location=world["shop2"], variant=variant, quantity=2, reason="sweep")
        held = [
            inventory.hold_place(actor=actor, location=world["shop2"], variant=variant, quantity=1,
                                 client_name="Ms Vane", client_contact="vane@example.com")  # fmt: skip
            for _ in range(2)
        ]
        world["orders_sweep"] = {"cart_id": cart.pk, "order_id": order.pk, "campaign_id": campaign.pk,
                                 "cart_hold_id": held[0].pk, "order_hold_id": held[1].pk}  # fmt: skip
    return world["orders_sweep"]


def sweep_operations(world: dict) -> dict:
    """Rows for the sweep table, in an order A's own owner would get each accepted."""
    sku = world["variants"][2].sku
    ids = sweep_ids(world)
    return {
        ("POST", "/boutiques/{slug}/carts/{cart_id}/holds"): {"json": {"hold_id": ids["cart_hold_id"]}},
        ("GET", "/boutiques/{slug}/shipping-rules"): {},
        ("POST", "/boutiques/{slug}/shipping-rules"): {
            "json": {"name": "Intruder zone", "countries": ["US"], "price": 1, "weight_brackets": [[500, 100]]}
        },
        ("POST", "/boutiques/{slug}/orders/from-holds"): {"json": {"hold_ids": [ids["order_hold_id"]]}},
        ("POST", "/boutiques/{slug}/carts"): {"json": {"channel": "chat", "client_name": "Ms Vane"}},
        ("GET", "/boutiques/{slug}/carts/{cart_id}"): {},
        ("PATCH", "/boutiques/{slug}/carts/{cart_id}"): {
            "json": {"client_name": "Ms Vane", "client_email": "vane@example.com", "shipping_country": "FR"}
        },
        ("PUT", "/boutiques/{slug}/carts/{cart_id}/lines"): {
            "json": {"sku": sku, "quantity": 1, "fulfilment": "pickup", "location": "soho"}
        },
        ("PUT", "/boutiques/{slug}/carts/{cart_id}/code"): {"json": {"code": "SWEEP10"}},
        ("DELETE", "/boutiques/{slug}/carts/{cart_id}/code"): {},
        ("GET", "/boutiques/{slug}/carts/{cart_id}/price"): {},
        ("POST", "/boutiques/{slug}/carts/{cart_id}/checkout"): {"json": {}},
        ("GET", "/boutiques/{slug}/orders"): {},
        ("GET", "/boutiques/{slug}/orders/{order_id}"): {},
        ("POST", "/boutiques/{slug}/orders/{order_id}/cancel"): {},
        ("GET", "/boutiques/{slug}/campaigns"): {},
        ("POST", "/boutiques/{slug}/campaigns"): {
            "json": {"name": "Intruder sale", "kind": "percentage", "value": 9000, "code": "INTRUDER90"}
        },
        ("POST", "/boutiques/{slug}/campaigns/{campaign_id}/codes"): {
            "json": {"client": "ms.vane@example.com"}
        },
    }
