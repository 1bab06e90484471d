"""Demo live shopping: each boutique is live now with the local test-card stream (no camera, no
network), four featured pieces in stock at the host's shop (the first pinned), and a few chat
messages from viewers with the host's answer."""

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from omnipresence.catalog.models import Product
from omnipresence.inventory.models import Stock
from omnipresence.live import services, viewers
from omnipresence.live.models import LiveEvent
from omnipresence.stores.access import actor_for_user
from omnipresence.stores.models import StaffMember

CHAT = (
    ("Amelia", "Hello from Leeds! Is the coat lined?"),
    ("Noor", "Love that colour 😍"),
    ("Chloé", "Does it run true to size?"),
)
ANSWER = "Fully lined in viscose, and true to size: take your usual one."


def seed_live(boutique, log=print) -> int:
    """Does nothing once the boutique has an event. Returns how many events were made."""
    if LiveEvent.objects.filter(boutique=boutique).exists():
        return 0
    member = (
        StaffMember.objects.filter(boutique=boutique, is_active=True, role=StaffMember.Role.ASSOCIATE,
                                   home_location__isnull=False)
        .select_related("user", "home_location").order_by("pk").first()
    )  # fmt: skip
    if member is None:
        return 0
    shop = member.home_location
    in_stock = (
        Stock.objects.filter(location=shop, on_hand__gte=3, variant__product__status=Product.Status.ACTIVE)
        .values_list("variant__product_id", flat=True).order_by("variant__product_id").distinct()[:4]
    )  # fmt: skip
    products = list(Product.objects.filter(pk__in=list(in_stock)).order_by("pk"))
    if not products:
        return 0
    host = actor_for_user(member.user, boutique)
    now = timezone.now()
    event = services.live_event_create(
        actor=host, title=f"{boutique.name} live: the new season", kind=LiveEvent.Kind.LAUNCH,
        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1), location=shop,
        description="The new pieces on, in the shop, with your questions answered live.", stream_provider="local",
    )  # fmt: skip
    services.featured_set(actor=host, event=event, items=[(p, 1) for p in products])
    services.product_pin(actor=host, event=event, product=products[0])
    services.live_event_start(actor=host, event=event)
    for name, text in CHAT:
        key, _ = viewers.viewer_token_new(event_id=event.pk)
        services.chat_post(event=event, viewer_key=key, name=name, text=text)
    services.chat_post_staff(actor=host, event=event, text=ANSWER)
    page = settings.SITE_URL + reverse("storefront:live_event", args=[boutique.slug, event.pk])
    host = settings.SITE_URL + reverse("console:live_host", args=[boutique.slug, event.pk])
    log(f"  {boutique.name}: live now, {len(products)} featured pieces — watch at {page} (host view: {host})")
    return 1
