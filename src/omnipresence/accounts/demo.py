"""Demo storefront accounts: a few demo clients with an email agree to personal recommendations
(on the web), keep a wishlist of two to four pieces and have opened a few product pages, so the
associate sees them on the client's profile in `omnipresence demo`."""

import random
from datetime import timedelta

from django.utils import timezone

from omnipresence.accounts import services
from omnipresence.accounts.models import WishlistItem
from omnipresence.catalog.models import Product
from omnipresence.clients.models import Client, Identity
from omnipresence.clients.services import consent_record
from omnipresence.stores.models import Boutique

CLIENTS = 3
WORDING = "Use what I save, look at and buy here to recommend pieces to me, and show them to the team that looks after me."


def seed_accounts(boutique: Boutique, log=print) -> int:
    """Does nothing once a demo client has a wishlist. Returns how many clients got one."""
    if WishlistItem.objects.filter(boutique=boutique).exists():
        return 0
    with_email = Identity.objects.filter(boutique=boutique, kind=Identity.Kind.EMAIL).values_list("client_id", flat=True)
    clients = list(
        Client.objects.filter(pk__in=with_email, boutique=boutique, merged_into__isnull=True, erased_at__isnull=True)
        .order_by("pk")[:CLIENTS]
    )
    products = list(Product.objects.filter(boutique=boutique, status=Product.Status.ACTIVE).order_by("pk")[:40])
    if not clients or len(products) < 2:
        return 0
    rng = random.Random(f"accounts-{boutique.slug}")  # the same demo every time
    now = timezone.now()
    for client in clients:
        consent_record(actor_label="demo", client=client, purpose="personalization", granted=True, channel="web",
                       wording=WORDING)  # fmt: skip
        picks = rng.sample(products, min(len(products), rng.randint(2, 4)))
        for product in picks:
            services.wishlist_add(client=client, product=product)
        for product in rng.sample(products, min(len(products), 5)):
            for days in reversed(range(rng.randint(1, 3))):  # the latest view last
                services.product_view_record(client=client, product=product,
                                             now=now - timedelta(days=days, hours=rng.randint(0, 20)))  # fmt: skip
    log(f"  {boutique.name}: {len(clients)} storefront accounts with a wishlist and recently viewed pieces")
    return len(clients)
