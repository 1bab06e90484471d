"""Reads for the catalog. Accessors turn a user-supplied id into an object of the actor's boutique."""

from django.db.models import Prefetch, QuerySet

from omnipresence.catalog.models import Product, ProductImage, Variant
from omnipresence.core.errors import NotFound
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Boutique


def access_product(actor: Actor, product_id: int | str) -> Product:
    return product_get(boutique=actor.boutique, product_id=product_id, include_unpublished=True)


def product_get(*, boutique: Boutique, product_id: int | str, include_unpublished: bool = False) -> Product:
    """A product by handle or id (a handle wins: "2024" may be a handle), with variants and
    images prefetched."""
    qs = product_detail_queryset(boutique=boutique)
    if not include_unpublished:
        qs = qs.filter(status=Product.Status.ACTIVE)
    product = None if isinstance(product_id, int) else qs.filter(handle=str(product_id)).first()
    if product is None and str(product_id).isdigit():
        product = qs.filter(pk=int(product_id)).first()
    if product is None:
        raise NotFound(f"No product '{product_id}'.", code="product_not_found")
    return product


def product_detail_queryset(*, boutique: Boutique) -> QuerySet[Product]:
    return (
        Product.objects.filter(boutique=boutique)
        .select_related("category", "boutique")
        .prefetch_related(
            Prefetch("variants", queryset=Variant.objects.filter(is_active=True).order_by("position", "id")),
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
        )
    )


def access_variant(actor: Actor, variant_ref: int | str) -> Variant:
    """A variant of the actor's boutique, by id, SKU or barcode."""
    return variant_get(boutique=actor.boutique, variant_ref=variant_ref)


def variant_get(*, boutique: Boutique, variant_ref: int | str) -> Variant:
    qs = Variant.objects.select_related("product").filter(boutique=boutique)
    ref = str(variant_ref).strip()
    variant = qs.filter(sku=ref).first()
    if variant is None and ref:
        variant = qs.filter(barcode=ref).first()
    if variant is None and isinstance(variant_ref, int):
        variant = qs.filter(pk=variant_ref).first()
    if variant is None:
        raise NotFound(f"No variant with SKU or barcode '{ref[:64]}'.", code="variant_not_found")
    return variant


def published_variant_get(*, boutique: Boutique, variant_ref: str) -> Variant:
    """A variant the public may see: active, of an active (published) product, by SKU or barcode."""
    variant = variant_get(boutique=boutique, variant_ref=variant_ref)
    if not variant.is_active or variant.product.status != Product.Status.ACTIVE:
        raise NotFound(f"No variant with SKU or barcode '{str(variant_ref)[:64]}'.", code="variant_not_found")
    return variant


def variants_by_sku(*, boutique: Boutique, skus: list[str]) -> dict[str, Variant]:
    return {v.sku: v for v in Variant.objects.filter(boutique=boutique, sku__in=skus)}


def product_list(*, boutique: Boutique, include_unpublished: bool = False) -> QuerySet[Product]:
    qs = Product.objects.filter(boutique=boutique).select_related("category")
    if not include_unpublished:
        qs = qs.filter(status=Product.Status.ACTIVE)
    return qs.prefetch_related(
        Prefetch("variants", queryset=Variant.objects.filter(is_active=True).order_by("position", "id")),
        Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
    )
