"""Objects of the shares app for the tenancy sweep (core/tests/test_tenancy_sweep.py): a client and
a lookbook per world, made through the services. No public API: the client's page is a web page."""

from omnipresence.catalog import services as catalog
from omnipresence.clients import services as clients
from omnipresence.shares import services


def sweep_ids(world: dict) -> dict:
    if "shares_sweep" not in world:
        client = clients.client_resolve(boutique=world["boutique"], email="lookbook@example.com",
                                        name="Lydia Book", channel="shop")  # fmt: skip
        # A piece of its own: other rows of the sweep unpublish the world's product.
        piece = catalog.product_create(actor=world["actor"], title="Lookbook Belt")
        catalog.variant_create(actor=world["actor"], product=piece, sku=f"{world['boutique'].slug}-BELT", price=5000)
        share = services.share_create(actor=world["actor"], client=client, items=[services.ItemSpec(piece.pk)],
                                      title="Sweep")  # fmt: skip
        world["shares_sweep"] = {"share_id": share.pk, "share_client_id": client.pk, "share_product_id": piece.pk}
    return world["shares_sweep"]


def sweep_operations(world: dict) -> dict:
    ids = sweep_ids(world)
    return {
        ("GET", "/boutiques/{slug}/lookbooks"): {},
        ("POST", "/boutiques/{slug}/lookbooks"): {
            "json": {"client_id": ids["share_client_id"], "items": [{"product_id": ids["share_product_id"]}],
                     "title": "Intruder's lookbook"}
        },
        ("GET", "/boutiques/{slug}/lookbooks/{share_id}"): {},
        ("POST", "/boutiques/{slug}/lookbooks/{share_id}/revoke"): {},
    }
