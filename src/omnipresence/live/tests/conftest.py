"""Fixtures of the live tests: an event of boutique A hosted by alice (an associate) at the Soho
shop, with the local demo stream and the coat featured; the same event gone live."""

from datetime import timedelta

import pytest
from django.utils import timezone

from omnipresence.catalog import services as catalog
from omnipresence.inventory import services as inventory
from omnipresence.live import services, viewers
from omnipresence.stores.access import actor_for_user
from omnipresence.testing.browser import *  # noqa: F403 - fixtures for the browser tests


@pytest.fixture
def host_actor(world_a, associate_a):
    return actor_for_user(associate_a, world_a["boutique"])


@pytest.fixture
def manager_actor(world_a, manager_a):
    return actor_for_user(manager_a, world_a["boutique"])


def make_event(world, actor, *, stream="local", **extra):
    now = timezone.now()
    options = {"title": "Winter coats, live", "starts_at": now + timedelta(minutes=10),
               "ends_at": now + timedelta(hours=1), "location": world["shop"], "stream_provider": stream, **extra}  # fmt: skip
    return services.live_event_create(actor=actor, **options)


@pytest.fixture
def event(world_a, host_actor):
    event = make_event(world_a, host_actor)
    services.featured_set(actor=host_actor, event=event, items=[(world_a["product"], 2)])
    return event


@pytest.fixture
def live_event(event, host_actor):
    return services.live_event_start(actor=host_actor, event=event)


@pytest.fixture
def viewer(live_event):
    """(key, token) of a viewer of the live event."""
    return viewers.viewer_token_new(event_id=live_event.pk)


def second_product(world, *, units=3):
    """Another published product with one variant and `units` at the Soho shop."""
    actor = world["actor"]
    product = catalog.product_create(actor=actor, title="Silk Scarf", brand="Maison Bleue", category_path="Women > Scarves")
    variant = catalog.variant_create(actor=actor, product=product, sku=f"{world['boutique'].slug}-SCARF", price=9000,
                                     colour="Red", size="One")  # fmt: skip
    if units:
        inventory.stock_receive(actor=actor, location=world["shop"], variant=variant, quantity=units, reason="test")
    return product, variant
