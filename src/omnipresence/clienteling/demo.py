"""Demo tasks: the automatic rules run over the seeded boutique, plus a few tasks an associate
would have written by hand, so /console/<slug>/tasks/ shows real work in `omnipresence demo`."""

from datetime import timedelta

from django.utils import timezone

from omnipresence.clienteling import services
from omnipresence.clienteling.generation import tasks_generate
from omnipresence.clienteling.models import Task
from omnipresence.clients.models import Client
from omnipresence.stores.access import actor_for_user
from omnipresence.stores.models import Boutique, StaffMember

MANUAL = [
    ("Call about altering the sleeves of her coat", 0),
    ("Invite her to the spring preview evening", 2),
    ("Set aside the new knitwear in her size to try", 4),
]


def seed_clienteling(boutique: Boutique, log=print) -> dict[str, int]:
    """Does nothing once the boutique has a manual task. Returns what it made."""
    if Task.objects.filter(boutique=boutique, kind=Task.Kind.MANUAL).exists():
        return {"generated": 0, "manual": 0}
    counts = tasks_generate(boutique)
    members = list(StaffMember.objects.filter(boutique=boutique, role=StaffMember.Role.ASSOCIATE, is_active=True)
                   .select_related("user").order_by("pk"))  # fmt: skip
    clients = list(Client.objects.filter(boutique=boutique, merged_into__isnull=True, erased_at__isnull=True)
                   .order_by("pk")[: len(MANUAL)])  # fmt: skip
    made = 0
    for index, (client, (reason, days)) in enumerate(zip(clients, MANUAL, strict=False)):
        if not members:
            break
        member = members[index % len(members)]
        actor = actor_for_user(member.user, boutique)
        services.task_create(actor=actor, client=client, reason=reason, due_at=timezone.now() + timedelta(days=days))
        made += 1
    log(f"  {boutique.name}: {sum(counts.values())} automatic tasks, {made} manual tasks")
    return {"generated": sum(counts.values()), "manual": made}
