"""API for products, variants and images. Reading the published catalog is public."""

from typing import Annotated, Literal

from django.conf import settings
from django.db import transaction
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile
from pydantic import StrictBool

from omnipresence.catalog import services
from omnipresence.catalog.models import Product, ProductImage
from omnipresence.catalog.selectors import access_product, access_variant, product_get, product_list
from omnipresence.core.api import (
    AUTH,
    ERRORS,
    PAGE,
    PRODUCT_REF,
    PUBLIC_ERRORS,
    SKU_REF,
    SLUG,
    Input,
    Num,
    Text,
    query_text,
    request_actor,
)
from omnipresence.core.pagination import MAX_PAGE_SIZE, page_bounds
from omnipresence.stores.access import boutique_by_slug

router = Router(tags=["catalog"])


class VariantOut(Schema):
    id: int
    sku: str
    barcode: str
    colour: str
    size: str
    material: str
    price: int
    compare_at_price: int | None
    currency: str
    weight_grams: int


class ImageOut(Schema):
    url: str
    thumbnail_url: str
    alt: str

    @staticmethod
    def resolve_url(obj: ProductImage) -> str:
        return obj.image.url

    @staticmethod
    def resolve_thumbnail_url(obj: ProductImage) -> str:
        return obj.thumbnail.url if obj.thumbnail else obj.image.url


class ProductOut(Schema):
    id: int
    handle: str
    title: str
    brand: str
    description: str
    category: str | None
    tags: list[str]
    status: str
    created_at: str
    variants: list[VariantOut]
    images: list[ImageOut]

    @staticmethod
    def resolve_category(obj: Product) -> str | None:
        return obj.category.path if obj.category else None

    @staticmethod
    def resolve_created_at(obj: Product) -> str:
        return obj.created_at.isoformat()

    @staticmethod
    def resolve_variants(obj: Product):
        return list(obj.variants.all())

    @staticmethod
    def resolve_images(obj: Product):
        return list(obj.images.all())


class ProductPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[ProductOut]


ProductStatus = Literal["active", "draft", "archived"]  # Product.Status, inline (two "Status" enums clashed)
PRICE = {"ge": 0, "le": 10**11}
SKU = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"


class VariantIn(Input):
    sku: str = Field(pattern=SKU)
    price: Num(**PRICE, description="Minor units of the boutique's currency")
    compare_at_price: Num(**PRICE) | None = None
    currency: str | None = Field(None, pattern=r"^[A-Za-z]{3}$", description="Must be the boutique's currency")
    barcode: str = Field("", pattern=r"^([0-9A-Za-z-]{4,32})?$")
    colour: Text(40) = ""
    size: Text(20) = ""
    material: Text(60) = ""
    weight_grams: Num(ge=0, le=1_000_000) = 0


class VariantPatch(Input):
    price: Num(**PRICE) | None = None
    compare_at_price: Num(**PRICE) | None = None
    barcode: str | None = Field(None, pattern=r"^([0-9A-Za-z-]{4,32})?$")
    colour: Text(40) | None = None
    size: Text(20) | None = None
    material: Text(60) | None = None
    weight_grams: Num(ge=0, le=1_000_000) | None = None
    is_active: StrictBool | None = None


class ProductIn(Input):
    title: Text(200, min_length=1)
    handle: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,119}$")
    brand: Text(80) = ""
    description: Text(10_000) = ""
    category: Text(400, description="A path such as 'Women > Coats'") = ""
    tags: list[Text(40)] = Field(default_factory=list, max_length=30)
    status: ProductStatus = "active"
    variants: list[VariantIn] = Field(default_factory=list, max_length=200)


class ProductPatch(Input):
    title: Text(200, min_length=1) | None = None
    brand: Text(80) | None = None
    description: Text(10_000) | None = None
    category: Text(400) | None = None
    tags: list[Text(40)] | None = Field(None, max_length=30)
    status: ProductStatus | None = None


@router.get("/boutiques/{slug}/products", response={200: ProductPage, **PUBLIC_ERRORS})
def products(request, slug: SLUG, page: PAGE = 1, page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50):
    """The published catalog, newest first (public)."""
    boutique = boutique_by_slug(slug)
    start, end = page_bounds(page, page_size)
    qs = product_list(boutique=boutique).order_by("-created_at", "-id")
    return {"count": qs.count(), "page": page, "page_size": page_size, "items": list(qs[start:end])}


@router.get("/boutiques/{slug}/products/{ref}", response={200: ProductOut, **PUBLIC_ERRORS})
def product_detail(request, slug: SLUG, ref: PRODUCT_REF):
    """A published product by id or handle (public)."""
    return product_get(boutique=boutique_by_slug(slug), product_id=ref)


@router.post("/boutiques/{slug}/products", response={201: ProductOut, **ERRORS}, auth=AUTH)
def product_create(request, slug: SLUG, payload: ProductIn):
    actor = request_actor(request, slug)
    with transaction.atomic():
        product = services.product_create(
            actor=actor, title=payload.title, handle=payload.handle, brand=payload.brand,
            description=payload.description, category_path=payload.category, tags=payload.tags,
            status=payload.status,
        )  # fmt: skip
        for position, variant in enumerate(payload.variants):
            services.variant_create(
                actor=actor, product=product, position=position, **variant.model_dump(exclude_none=True)
            )
    return Status(201, access_product(actor, product.pk))


@router.patch("/boutiques/{slug}/products/{ref}", response={200: ProductOut, **ERRORS}, auth=AUTH)
def product_update(request, slug: SLUG, ref: PRODUCT_REF, payload: ProductPatch):
    actor = request_actor(request, slug)
    product = access_product(actor, ref)
    fields = payload.model_dump(exclude_none=True)
    if "category" in fields:
        fields["category_path"] = fields.pop("category")
    services.product_update(actor=actor, product=product, **fields)
    return access_product(actor, product.pk)


@router.post("/boutiques/{slug}/products/{ref}/variants", response={201: VariantOut, **ERRORS}, auth=AUTH)
def variant_create(request, slug: SLUG, ref: PRODUCT_REF, payload: VariantIn):
    actor = request_actor(request, slug)
    product = access_product(actor, ref)
    return Status(201, services.variant_create(
        actor=actor, product=product, position=product.variants.count(), **payload.model_dump(exclude_none=True)
    ))


@router.patch("/boutiques/{slug}/variants/{sku}", response={200: VariantOut, **ERRORS}, auth=AUTH)
def variant_update(request, slug: SLUG, sku: SKU_REF, payload: VariantPatch):
    actor = request_actor(request, slug)
    variant = access_variant(actor, sku)
    # null clears compare_at_price; for every other field it means "leave as is".
    fields = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None or k == "compare_at_price"}
    return services.variant_update(actor=actor, variant=variant, **fields)


@router.post("/boutiques/{slug}/products/{ref}/images", response={201: ImageOut, **ERRORS}, auth=AUTH)
def image_upload(request, slug: SLUG, ref: PRODUCT_REF, image: File[UploadedFile], alt: query_text(200) = ""):
    actor = request_actor(request, slug)
    product = access_product(actor, ref)
    content = image.read(settings.IMAGE_MAX_BYTES + 1)
    return Status(201, services.product_image_add(
        actor=actor, product=product, content=content, filename=image.name or "image", alt=alt
    ))
