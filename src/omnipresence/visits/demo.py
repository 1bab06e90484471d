"""Demo walk-ins: two demo clients agree (in the shop) to be recognised and have a past visit;
the check-in URL of the first is printed so the demo can show a scan working."""

from datetime import timedelta

from django.utils import timezone

from omnipresence.clients import services as clients
from omnipresence.clients.models import Client
from omnipresence.stores.models import Location
from omnipresence.visits import services
from omnipresence.visits.models import Visit

WORDING = "Yes: when I walk into the shop, let my associate know I'm here."


def seed_visits(boutique, log=print) -> int:
    """Does nothing once the boutique has a visit. Returns how many visits were made."""
    if Visit.objects.filter(boutique=boutique).exists():
        return 0
    shop = (
        Location.objects.filter(boutique=boutique, is_active=True, sells_in_person=True)
        .order_by("priority", "pk")
        .first()
    )
    demo_clients = list(
        Client.objects.filter(boutique=boutique, merged_into__isnull=True, erased_at__isnull=True).order_by(
            "pk"
        )[:2]
    )
    if shop is None or not demo_clients:
        return 0
    for days, client in enumerate(demo_clients, start=2):
        clients.consent_record(actor_label="demo", client=client, purpose="walk_in", granted=True, channel="shop",
                               wording=WORDING)  # fmt: skip
        services.visit_check_in(client=client, location=shop, via=Visit.Via.CLIENT_SCAN,
                                at=timezone.now() - timedelta(days=days))  # fmt: skip
    log(f"  {boutique.name}: {len(demo_clients)} walk-ins; scan {demo_clients[0]}'s check-in at "
        f"{services.checkin_url(client=demo_clients[0])}")  # fmt: skip
    return len(demo_clients)
