"""Demo lookbook: one per boutique, from a demo associate to one of her clients, with a few pieces
in stock (the first with a suggested size), opened once — so the console list, the client's
page and her timeline show it in `omnipresence demo`."""

from django.db.models import Q

from omnipresence.catalog.models import Product
from omnipresence.clients.models import Client
from omnipresence.inventory.models import Stock
from omnipresence.shares import services
from omnipresence.shares.models import Share
from omnipresence.stores.access import actor_for_user
from omnipresence.stores.models import Boutique, StaffMember

NOTES = ["This is the one I told you about — your size is put first.", "", "Lovely with the coat.", ""]


def seed_shares(boutique: Boutique, log=print) -> str | None:
    """Returns the lookbook's URL (printed by the demo); does nothing if the boutique has one."""
    existing = Share.objects.select_related("boutique").filter(boutique=boutique).order_by("pk").first()
    if existing is not None:
        return services.share_url(existing)
    member = (
        StaffMember.objects.select_related("user")
        .filter(boutique=boutique, role=StaffMember.Role.ASSOCIATE, is_active=True)
        .order_by("pk")
        .first()
    )
    live = Client.objects.filter(boutique=boutique, merged_into__isnull=True, erased_at__isnull=True,
                                 identities__kind="email").distinct()  # fmt: skip
    client = None
    if member is not None:
        client = live.filter(Q(primary_associate=member.user) | Q(secondary_associate=member.user)).order_by("pk").first()
    client = client or live.order_by("pk").first()
    if member is None or client is None:
        log(f"  {boutique.name}: no lookbook (needs an associate and a client)")
        return None
    in_stock = (
        Stock.objects.filter(boutique=boutique, on_hand__gt=0, location__sells_in_person=True,
                             variant__is_active=True, variant__product__status=Product.Status.ACTIVE)
        .select_related("variant").order_by("variant__product_id", "variant_id")
    )  # fmt: skip
    picked: dict[int, str] = {}
    for stock in in_stock:
        if stock.variant.product_id not in picked and stock.on_hand > stock.held:
            picked[stock.variant.product_id] = stock.variant.sku
        if len(picked) == 4:
            break
    if len(picked) < 3:
        log(f"  {boutique.name}: no lookbook (too few pieces in stock)")
        return None
    items = [
        services.ItemSpec(product_id, sku if n == 0 else "", NOTES[n])
        for n, (product_id, sku) in enumerate(picked.items())
    ]
    actor = actor_for_user(member.user, boutique)
    share = services.share_create(actor=actor, client=client, items=items, title="A few pieces for you",
                                  note="I picked these with your spring plans in mind. Tell me what you think!")  # fmt: skip
    services.share_viewed(share=share)
    url = services.share_url(share)
    log(f"  {boutique.name}: lookbook for {client.display_name or client.pk} from {member.user.get_username()}: {url}")
    return url
