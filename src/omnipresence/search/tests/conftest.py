"""A small catalog in two boutiques (London and Paris), built through the services and indexed."""

import pytest

from omnipresence.catalog import services as catalog
from omnipresence.inventory import services as inventory
from omnipresence.search.services import search_index_rebuild


def add_product(world, title, *, variants, stock=(), **fields):
    """variants: (sku suffix, colour, size, price); stock: (sku suffix, location key, quantity)."""
    actor = world["actor"]
    product = catalog.product_create(actor=actor, title=title, **fields)
    made = {}
    for position, (suffix, colour, size, price) in enumerate(variants):
        made[suffix] = catalog.variant_create(
            actor=actor, product=product, sku=f"{world['boutique'].slug}-{suffix}", price=price,
            colour=colour, size=size, position=position,
        )  # fmt: skip
    for suffix, location, quantity in stock:
        inventory.stock_receive(actor=actor, location=world[location], variant=made[suffix], quantity=quantity)
    return product, made


@pytest.fixture
def shop(world_a, world_b):
    """Boutique A (London): the fixture's Blue Statement Coat plus a camel coat, a scarf, a shirt,
    a draft, an archived product and one without active variants. Boutique B (Paris): its own
    Blue Statement Coat and a coat with accents."""
    a, b = world_a, world_b
    camel, camel_variants = add_product(
        a, "Camel Wrap Coat", brand="Atelier Nord", category_path="Women > Coats", tags=["wool"],
        description="Soft camel wool.",
        variants=[("CAMEL-S", "Camel", "S", 52000), ("CAMEL-M", "Camel", "M", 52000)],
        stock=[("CAMEL-S", "shop2", 1)],
    )  # fmt: skip
    scarf, scarf_variants = add_product(
        a, "Silk Scarf", brand="Maison Bleue", category_path="Accessories > Scarves", tags=["silk", "gift"],
        description="A printed silk scarf, blue and cream.",
        variants=[("SCARF-BLU", "Blue", "One size", 9000), ("SCARF-CRM", "Cream", "One size", 9000)],
        stock=[("SCARF-BLU", "shop", 1)],
    )  # fmt: skip
    shirt, shirt_variants = add_product(
        a, "Linen Shirt", brand="Atelier Nord", category_path="Men > Shirts", description="Breathable linen.",
        variants=[("SHIRT-WHT-M", "White", "M", 12000), ("SHIRT-BLU-M", "Blue", "M", 12500),
                  ("SHIRT-BLU-L", "Blue", "L", 12500)],
        stock=[("SHIRT-WHT-M", "warehouse", 3), ("SHIRT-BLU-M", "warehouse", 3), ("SHIRT-BLU-L", "warehouse", 3)],
    )  # fmt: skip
    add_product(a, "Draft Trench Coat", status="draft", category_path="Men > Coats",
                variants=[("TRENCH", "Blue", "M", 30000)])  # fmt: skip
    add_product(a, "Archived Blue Coat", status="archived", category_path="Women > Coats",
                variants=[("OLD", "Blue", "M", 30000)])  # fmt: skip
    jumper, jumper_variants = add_product(a, "Wool Jumper", category_path="Women > Knitwear",
                                          variants=[("JUMPER", "Blue", "M", 20000)])  # fmt: skip
    catalog.variant_update(actor=a["actor"], variant=jumper_variants["JUMPER"], is_active=False)
    manteau, _ = add_product(
        b, "Manteau Élégant", brand="Maison Bleue", category_path="Femme > Manteaux", tags=["laine"],
        description="Un manteau en laine.", variants=[("MANTEAU-NOIR-38", "Noir", "38", 61000)],
        stock=[("MANTEAU-NOIR-38", "shop", 1)],
    )  # fmt: skip
    search_index_rebuild()
    return {
        "a": a, "b": b, "coat": a["product"], "camel": camel, "scarf": scarf, "shirt": shirt,
        "scarf_variants": scarf_variants, "camel_variants": camel_variants, "shirt_variants": shirt_variants,
        "coat_b": b["product"], "manteau": manteau,
    }  # fmt: skip
