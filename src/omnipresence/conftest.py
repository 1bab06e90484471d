"""Shared test fixtures: a small two-boutique world built through the services."""

import os
from datetime import time

import pytest
from django.db import connection
from django.test import Client

from omnipresence.catalog import services as catalog
from omnipresence.inventory import services as inventory
from omnipresence.stores import services as stores
from omnipresence.stores.access import actor_for_user, system_actor

IN_CI = os.environ.get("CI", "").lower() == "true"


def _on_postgres() -> bool:
    from django.conf import settings

    return "postgresql" in settings.DATABASES["default"]["ENGINE"]


def pytest_sessionstart(session):
    # CI's PostgreSQL pass sets this: silently testing SQLite there would hide a missing database.
    if os.environ.get("OMNIPRESENCE_REQUIRE_POSTGRES") == "1" and not _on_postgres():
        pytest.exit("OMNIPRESENCE_REQUIRE_POSTGRES=1 but DATABASE_URL does not point at PostgreSQL", returncode=1)


def pytest_collection_modifyitems(config, items):
    if _on_postgres():
        return
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.skip(reason="PostgreSQL only: runs in the PostgreSQL pass (DATABASE_URL)"))


@pytest.fixture(autouse=True)
def _test_settings(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Staff fixtures hash passwords; the production hasher's deliberate slowness only costs time here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_boutique(slug: str, *, currency="GBP", country="GB", language="en-GB", tz="Europe/London", city="London"):
    boutique = stores.boutique_create(
        name=slug.replace("-", " ").title(), slug=slug, country=country, currency=currency, language=language,
        timezone_name=tz, city=city, tax_rate_bp=2000,
    )  # fmt: skip
    actor = system_actor(boutique)
    shop = stores.location_create(actor=actor, code="soho", name="Soho", kind="shop", offers_pickup=True,
                                  fulfils_online=True, city=city)  # fmt: skip
    shop2 = stores.location_create(actor=actor, code="chelsea", name="Chelsea", kind="shop", offers_pickup=True,
                                   city=city)  # fmt: skip
    warehouse = stores.location_create(actor=actor, code="warehouse", name="Warehouse", kind="warehouse",
                                       sells_in_person=False, fulfils_online=True, priority=10)  # fmt: skip
    every_day = [(d, time(0, 0), time(23, 59)) for d in range(7)]
    for loc in (shop, shop2):
        stores.opening_hours_set(actor=actor, location=loc, periods=every_day)
    product = catalog.product_create(
        actor=actor, title="Blue Statement Coat", brand="Maison Bleue", category_path="Women > Coats",
        tags=["wool", "winter"], description="A long blue wool coat.",
    )  # fmt: skip
    variants = [
        catalog.variant_create(actor=actor, product=product, sku=f"{slug}-COAT-BLU-{size}", price=45000,
                               colour="Blue", size=size, position=i)  # fmt: skip
        for i, size in enumerate(["S", "M", "L"])
    ]
    for variant in variants:
        inventory.stock_receive(actor=actor, location=shop, variant=variant, quantity=2, reason="opening stock")
        inventory.stock_receive(actor=actor, location=warehouse, variant=variant, quantity=5, reason="opening stock")
    return {
        "boutique": boutique, "actor": actor, "shop": shop, "shop2": shop2, "warehouse": warehouse,
        "product": product, "variants": variants,
    }  # fmt: skip


def make_staff(world, username, role="associate"):
    member = stores.staff_add(
        boutique=world["boutique"], username=username, role=role, password="pass-1234-word",
        home_location=world["shop"],
    )  # fmt: skip
    return member.user


@pytest.fixture
def world_a(db):
    return make_boutique("atelier-a")


@pytest.fixture
def world_b(db):
    return make_boutique("boutique-b", currency="EUR", country="FR", language="fr-FR", tz="Europe/Paris", city="Paris")


@pytest.fixture
def associate_a(world_a):
    return make_staff(world_a, "alice", "associate")


@pytest.fixture
def manager_a(world_a):
    return make_staff(world_a, "maria", "manager")


@pytest.fixture
def owner_a(world_a):
    return make_staff(world_a, "olivia", "owner")


@pytest.fixture
def associate_b(world_b):
    return make_staff(world_b, "bruno", "associate")


@pytest.fixture
def associate_actor(world_a, associate_a):
    return actor_for_user(associate_a, world_a["boutique"])


@pytest.fixture
def token_a(world_a):
    _, key = stores.api_token_create(boutique=world_a["boutique"], name="integration")
    return key


@pytest.fixture
def api_a(token_a):
    """An API client for boutique A authenticated with a full-scope token."""
    return Client(headers={"Authorization": f"Bearer {token_a}"})


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"
