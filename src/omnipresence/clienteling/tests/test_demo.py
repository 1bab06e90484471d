import pytest

from omnipresence.clienteling.demo import seed_clienteling
from omnipresence.clienteling.models import Task
from omnipresence.clients import services as clients

pytestmark = pytest.mark.django_db


def test_seed_makes_manual_and_automatic_tasks_once(world_a, alice, client_a, alice_actor):
    clients.client_update(actor=alice_actor, client=client_a, sizes={"coats": "M"}, colours=["blue"])
    assert seed_clienteling(world_a["boutique"], log=lambda *_: None) == {"generated": 1, "manual": 1}
    assert seed_clienteling(world_a["boutique"], log=lambda *_: None) == {"generated": 0, "manual": 0}
    assert set(Task.objects.values_list("kind", flat=True)) == {"manual", "new_arrival"}
    assert Task.objects.filter(kind="manual").get().assignee == alice
