"""`omnipresence fulfilment_sweep`: releases pickups nobody collected, once or in a loop."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from omnipresence.fulfilment import services
from omnipresence.fulfilment.models import Fulfilment
from omnipresence.fulfilment.tests.conftest import checkout, fulfilment_of

pytestmark = pytest.mark.django_db


def test_the_sweep_releases_overdue_pickups_once(world_a, seller, uk_shipping, settings):
    settings.PICKUP_HOLD_DAYS = 7
    order = checkout(seller, world_a, (0, 1, "pickup", "soho"))
    pickup = fulfilment_of(order, "pickup")
    services.fulfilment_ready(actor=seller, fulfilment=pickup)
    out = StringIO()
    call_command("fulfilment_sweep", stdout=out)
    assert out.getvalue() == "Released 0 uncollected pickups (ready for more than 7 days).\n"
    Fulfilment.objects.filter(pk=pickup.pk).update(ready_at=pickup.order.created_at - timedelta(days=8))
    call_command("fulfilment_sweep", stdout=out)
    assert "Released 1 uncollected pickups" in out.getvalue()
    assert Fulfilment.objects.get(pk=pickup.pk).status == "released"
