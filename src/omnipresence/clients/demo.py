"""Demo clients: the clients the demo orders made get what an associate would have learnt about
them — sizes, colours, brands, a birthday, her associate, consents given in the shop and a note —
so the profile and its timeline show in `omnipresence demo`."""

from omnipresence.clients import services
from omnipresence.clients.models import Client
from omnipresence.stores.access import actor_for_user, system_actor
from omnipresence.stores.models import Boutique, StaffMember

PROFILES = [
    {"sizes": {"coats": "M", "shoes": "38"}, "colours": ["navy", "camel"], "brands": ["Maison Bleue"],
     "styles": ["tailored"], "important_dates": [{"label": "birthday", "date": "--03-07"}],
     "fit_notes": "Prefers a longer sleeve", "tags": ["loyal"]},
    {"sizes": {"knitwear": "S"}, "colours": ["black"], "styles": ["minimal"], "tags": ["new in"]},
]
WORDING = "Yes, send me news of new arrivals and private sales by email."


def seed_clients(boutique: Boutique, *, log=print) -> int:
    """Does nothing once a demo client has a profile. Returns how many profiles were filled in."""
    clients = list(Client.objects.filter(boutique=boutique, merged_into__isnull=True).order_by("pk")[: len(PROFILES)])
    if not clients or any(c.sizes for c in clients):
        return 0
    member = StaffMember.objects.filter(boutique=boutique, role=StaffMember.Role.ASSOCIATE, is_active=True).first()
    actor = actor_for_user(member.user, boutique) if member else system_actor(boutique)
    for client, profile in zip(clients, PROFILES, strict=False):
        services.client_update(actor=actor, client=client, primary_associate=actor.user, **profile)
        services.consent_record(actor_label=actor.label, client=client, purpose="marketing_email", granted=True,
                                channel="shop", wording=WORDING)  # fmt: skip
        services.client_note_add(actor=actor, client=client, text="Asked to be told when the spring coats arrive.")
    log(f"  {boutique.name}: {len(clients)} client profiles filled in")
    return len(clients)
