"""Reads for lookbooks: the accessor every share id goes through, the associate's list, what the
client's page shows (items with photos, sizes and live stock per variant)."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet

from omnipresence.catalog.models import Product, ProductImage, Variant
from omnipresence.clients.selectors import CLIENTS_VIEW
from omnipresence.core.errors import NotFound
from omnipresence.inventory.selectors import VariantAvailability, availability_for_variants
from omnipresence.shares.models import Share, ShareAction, ShareItem
from omnipresence.stores.access import Actor

ITEMS = Prefetch(
    "items",
    queryset=ShareItem.objects.select_related("product", "variant").prefetch_related(
        Prefetch("product__variants", queryset=Variant.objects.filter(is_active=True).order_by("position", "id")),
        Prefetch("product__images", queryset=ProductImage.objects.order_by("position", "id")),
    ).order_by("position", "id"),
)


def share_queryset(*, actor: Actor) -> QuerySet[Share]:
    return Share.objects.filter(boutique=actor.boutique).select_related("client", "associate", "boutique")


def access_share(actor: Actor, share_id: int) -> Share:
    actor.require(CLIENTS_VIEW)
    share = share_queryset(actor=actor).prefetch_related(ITEMS).filter(pk=share_id).first()
    if share is None:
        raise NotFound(f"No lookbook {share_id}.", code="share_not_found")
    return share


def share_list(*, actor: Actor, associate_id: int | None = None, client_id: int | None = None) -> QuerySet[Share]:
    """Newest first, with the number of items and of the client's actions."""
    actor.require(CLIENTS_VIEW)
    qs = share_queryset(actor=actor).annotate(
        item_count=Count("items", distinct=True), action_count=Count("actions", distinct=True)
    )
    if associate_id is not None:
        qs = qs.filter(associate_id=associate_id)
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    return qs.order_by("-created_at", "-id")


def share_actions(*, share: Share, limit: int = 50) -> list[ShareAction]:
    return list(share.actions.select_related("item__product", "variant").order_by("-created_at", "-id")[:limit])


@dataclass
class SizeStock:
    variant: Variant
    available: int  # every location the web or the shops show
    online: int
    shops: list  # LocationAvailability at shops selling in person, with stock


@dataclass
class ItemView:
    item: ShareItem
    product: Product
    image: ProductImage | None
    sizes: list[SizeStock]
    price_min: int
    price_max: int

    @property
    def in_stock(self) -> bool:
        return any(size.available > 0 for size in self.sizes)

    @property
    def hold_places(self) -> list:
        """(variant, location, available) for every size at every shop with it, for the Hold form."""
        return [(size.variant, la.location, la.available) for size in self.sizes for la in size.shops]


def _size_stock(entry: VariantAvailability) -> SizeStock:
    shown = [la for la in entry.locations if la.location.sells_in_person or la.location.feeds_online]
    shops = [
        la for la in entry.locations
        if la.location.sells_in_person and la.location.is_active and la.available > 0
    ]  # fmt: skip
    return SizeStock(variant=entry.variant, available=sum(la.available for la in shown), online=entry.online,
                     shops=shops)  # fmt: skip


def share_page_items(*, share: Share) -> list[ItemView]:
    """Each item of the lookbook as the client's page shows it. A bounded number of queries:
    the items with their products, variants and photos, then one availability read for all."""
    items = [item for item in share.items.all() if item.product.status == Product.Status.ACTIVE]
    variants = [v for item in items for v in item.product.variants.all()]
    stock = availability_for_variants(boutique=share.boutique, variants=variants)
    views = []
    for item in items:
        product_variants = list(item.product.variants.all())
        if item.variant_id and any(v.pk == item.variant_id for v in product_variants):
            # The associate chose a size: it comes first, the others stay on offer.
            product_variants.sort(key=lambda v: v.pk != item.variant_id)
        images = list(item.product.images.all())
        prices = [v.price for v in product_variants] or [0]
        views.append(ItemView(
            item=item, product=item.product, image=images[0] if images else None,
            sizes=[_size_stock(stock[v.pk]) for v in product_variants], price_min=min(prices), price_max=max(prices),
        ))  # fmt: skip
    return views
