"""Reads of the client's account: the boutiques she has a relationship with, and, in one
boutique, her orders, open holds, open pay links, wishlist and the products she last opened.
Every read starts from her client (found by `session.account_client`), so nothing of another
client or boutique is reachable from here."""

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from omnipresence.accounts.models import HubAccount, ProductView, WishlistItem
from omnipresence.accounts.session import account_client
from omnipresence.catalog.models import ProductImage, Variant
from omnipresence.clients.models import Client, Identity
from omnipresence.inventory.models import Hold
from omnipresence.inventory.selectors import VariantAvailability, availability_for_variants
from omnipresence.orders.models import Order
from omnipresence.payments.models import PayLink
from omnipresence.stores.models import Boutique

MAX_ORDERS = 50


def _product_prefetch() -> list:
    return [
        Prefetch("product__images", queryset=ProductImage.objects.order_by("position", "id")),
        Prefetch("product__variants", queryset=Variant.objects.order_by("position", "id")),
    ]


def wishlist_for(client: Client) -> QuerySet[WishlistItem]:
    """Her wishlist in her boutique, newest first, with each product's photos and variants."""
    return (
        WishlistItem.objects.filter(client=client, boutique_id=client.boutique_id)
        .select_related("product", "variant")
        .prefetch_related(*_product_prefetch())
    )


def recently_viewed(client: Client, limit: int = 8) -> list[ProductView]:
    return list(
        ProductView.objects.filter(client=client, boutique_id=client.boutique_id)
        .select_related("product")
        .prefetch_related(Prefetch("product__images", queryset=ProductImage.objects.order_by("position", "id")))
        .order_by("-viewed_at", "-id")[: max(1, min(limit, 50))]
    )


def wishlisted(client: Client | None, product_id: int) -> bool:
    return client is not None and WishlistItem.objects.filter(client=client, product_id=product_id).exists()


@dataclass
class WishlistEntry:
    item: WishlistItem
    image: ProductImage | None
    price_min: int | None
    price_max: int | None
    online: bool  # can be bought on the web now
    shops: list[str]  # shops where it can be seen or collected now

    @property
    def available(self) -> bool:
        return self.online or bool(self.shops)


def wishlist_entries(client: Client) -> list[WishlistEntry]:
    """The wishlist with live availability (the same selector as the product page): one query
    for the items, two prefetches, three for availability."""
    items = list(wishlist_for(client))
    variants = [v for item in items for v in item.product.variants.all()]
    availability: dict[int, VariantAvailability] = (
        availability_for_variants(boutique=client.boutique, variants=variants) if variants else {}
    )
    entries = []
    for item in items:
        own = [v for v in item.product.variants.all() if item.variant_id is None or v.pk == item.variant_id]
        prices = [v.price for v in own]
        online = any(availability[v.pk].ship_to_home for v in own)
        shops = []
        for v in own:
            for la in availability[v.pk].locations:
                if la.available > 0 and la.location.sells_in_person and la.location.name not in shops:
                    shops.append(la.location.name)
        images = list(item.product.images.all())
        entries.append(WishlistEntry(item=item, image=images[0] if images else None,
                                     price_min=min(prices) if prices else None,
                                     price_max=max(prices) if prices else None, online=online, shops=shops))  # fmt: skip
    return entries


def account_boutiques(account: HubAccount) -> list[tuple[Boutique, Client]]:
    """The boutiques where she has a live client (by her email), by name."""
    boutique_ids = set(
        Identity.objects.filter(kind=Identity.Kind.EMAIL, value=account.email).values_list("boutique_id", flat=True)
    )
    found = []
    for boutique in Boutique.objects.filter(pk__in=boutique_ids).order_by("name", "pk"):
        client = account_client(account, boutique)
        if client is not None:
            found.append((boutique, client))
    return found


def client_orders(client: Client) -> list[Order]:
    return list(
        Order.objects.filter(boutique_id=client.boutique_id, client=client).order_by("-created_at", "-id")[:MAX_ORDERS]
    )


def client_open_holds(client: Client) -> list[Hold]:
    """Pieces put aside for her in a shop (a hold names her by the contact she gave: her email or
    phone), still active."""
    contacts = list(
        Identity.objects.filter(client=client, kind__in=[Identity.Kind.EMAIL, Identity.Kind.PHONE,
                                                          Identity.Kind.WHATSAPP]).values_list("value", flat=True)
    )  # fmt: skip
    if not contacts:
        return []
    match = Q()
    for contact in contacts:
        match |= Q(client_contact__iexact=contact)
    now = timezone.now()
    return list(
        Hold.objects.filter(match, boutique_id=client.boutique_id, kind=Hold.Kind.CLIENT, status=Hold.Status.ACTIVE)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("variant__product", "location")
        .order_by("expires_at", "id")
    )


def client_open_pay_links(client: Client) -> list[PayLink]:
    return list(
        PayLink.objects.filter(
            boutique_id=client.boutique_id, order__client=client, status=PayLink.Status.ACTIVE,
            expires_at__gt=timezone.now(),
        ).select_related("order").order_by("expires_at", "id")
    )  # fmt: skip
