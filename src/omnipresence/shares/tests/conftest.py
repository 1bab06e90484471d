"""Fixtures for lookbooks: boutique A with an associate who has an email, a client, a second
piece (a scarf, one unit at Chelsea only) and a draft piece."""

import pytest

from omnipresence.catalog import services as catalog
from omnipresence.clients import services as clients
from omnipresence.inventory import services as inventory
from omnipresence.shares import services
from omnipresence.stores import services as stores
from omnipresence.stores.access import actor_for_user
from omnipresence.testing.browser import *  # noqa: F403 - fixtures for the browser test


def add_scarf(world):
    actor = world["actor"]
    scarf = catalog.product_create(actor=actor, title="Silk Scarf", brand="Atelier", category_path="Women > Scarves")
    variant = catalog.variant_create(actor=actor, product=scarf, sku=f"{world['boutique'].slug}-SCARF", price=9000,
                                     colour="Ivory", size="One size")  # fmt: skip
    inventory.stock_receive(actor=actor, location=world["shop2"], variant=variant, quantity=1, reason="opening stock")
    world["scarf"], world["scarf_variant"] = scarf, variant
    return scarf


def lookbook_world(world, username="alice"):
    member = stores.staff_add(
        boutique=world["boutique"], username=username, role="associate", password="pass-1234-word",
        home_location=world["shop"], first_name="Alice", last_name="Martin", email=f"{username}@atelier.example",
    )  # fmt: skip
    world["associate"] = member.user
    world["seller"] = actor_for_user(member.user, world["boutique"])
    world["client"] = clients.client_resolve(boutique=world["boutique"], email=f"eleanor@{username}.example",
                                             name="Eleanor Vane", channel="shop")  # fmt: skip
    add_scarf(world)
    world["draft"] = catalog.product_create(actor=world["actor"], title="Unreleased Jacket", status="draft")
    return world


@pytest.fixture
def shop(world_a):
    return lookbook_world(world_a)


def make_share(world, *specs, **options):
    specs = specs or (services.ItemSpec(world["product"].pk, world["variants"][1].sku, "The M fits you"),
                      services.ItemSpec(world["scarf"].pk))  # fmt: skip
    return services.share_create(actor=world["seller"], client=world["client"], items=list(specs), **options)
