"""API for products, variants and images. Reading the published catalog is public."""

from django.conf import settings
from django.db import transaction
from ninja import Field, File, Router, Schema, UploadedFile
from pydantic import StrictBool, StrictInt

from omnipresence.catalog import services
from omnipresence.catalog.models import Product, ProductImage
from omnipresence.catalog.selectors import access_product, access_variant, product_get, product_list
from omnipresence.core.api import AUTH, ERRORS, PUBLIC_ERRORS, request_actor
from omnipresence.core.pagination import page_bounds
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


class VariantIn(Schema):
    sku: str = Field(min_length=1, max_length=64)
    price: StrictInt = Field(ge=0, le=10**11, description="Minor units of the boutique's currency")
    compare_at_price: StrictInt | None = Field(None, ge=0, le=10**11)
    currency: str | None = Field(None, min_length=3, max_length=3)
    barcode: str = Field("", max_length=32)
    colour: str = Field("", max_length=40)
    size: str = Field("", max_length=20)
    material: str = Field("", max_length=60)
    weight_grams: StrictInt = Field(0, ge=0, le=1_000_000)


class VariantPatch(Schema):
    price: StrictInt | None = Field(None, ge=0, le=10**11)
    compare_at_price: StrictInt | None = Field(None, ge=0, le=10**11)
    barcode: str | None = Field(None, max_length=32)
    colour: str | None = Field(None, max_length=40)
    size: str | None = Field(None, max_length=20)
    material: str | None = Field(None, max_length=60)
    weight_grams: StrictInt | None = Field(None, ge=0, le=1_000_000)
    is_active: StrictBool | None = None


class ProductIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    handle: str | None = Field(None, max_length=120)
    brand: str = Field("", max_length=80)
    description: str = Field("", max_length=10_000)
    category: str = Field("", max_length=400, description="A path such as 'Women > Coats'")
    tags: list[str] = Field(default_factory=list, max_length=30)
    status: Product.Status = Product.Status.ACTIVE
    variants: list[VariantIn] = Field(default_factory=list, max_length=200)


class ProductPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    brand: str | None = Field(None, max_length=80)
    description: str | None = Field(None, max_length=10_000)
    category: str | None = Field(None, max_length=400)
    tags: list[str] | None = Field(None, max_length=30)
    status: Product.Status | None = None


@router.get("/boutiques/{slug}/products", response={200: ProductPage, **PUBLIC_ERRORS})
def products(request, slug: str, page: int = 1, page_size: int = 50):
    """The published catalog, newest first (public)."""
    boutique = boutique_by_slug(slug)
    start, end = page_bounds(page, page_size)
    qs = product_list(boutique=boutique).order_by("-created_at", "-id")
    return {"count": qs.count(), "page": page, "page_size": page_size, "items": list(qs[start:end])}


@router.get("/boutiques/{slug}/products/{ref}", response={200: ProductOut, **PUBLIC_ERRORS})
def product_detail(request, slug: str, ref: str):
    """A published product by id or handle (public)."""
    return product_get(boutique=boutique_by_slug(slug), product_id=ref)


@router.post("/boutiques/{slug}/products", response={201: ProductOut, **ERRORS}, auth=AUTH)
def product_create(request, slug: str, payload: ProductIn):
    actor = request_actor(request, slug)
    with transaction.atomic():
        product = services.product_create(
            actor=actor, title=payload.title, handle=payload.handle, brand=payload.brand,
            description=payload.description, category_path=payload.category, tags=payload.tags,
            status=payload.status,
        )  # fmt: skip
        for position, variant in enumerate(payload.variants):
            services.variant_create(
                actor=actor, product=product, position=position, **variant.dict(exclude_none=True)
            )
    return 201, access_product(actor, product.pk)


@router.patch("/boutiques/{slug}/products/{ref}", response={200: ProductOut, **ERRORS}, auth=AUTH)
def product_update(request, slug: str, ref: str, payload: ProductPatch):
    actor = request_actor(request, slug)
    product = access_product(actor, ref)
    fields = payload.dict(exclude_none=True)
    if "category" in fields:
        fields["category_path"] = fields.pop("category")
    services.product_update(actor=actor, product=product, **fields)
    return access_product(actor, product.pk)


@router.post("/boutiques/{slug}/products/{ref}/variants", response={201: VariantOut, **ERRORS}, auth=AUTH)
def variant_create(request, slug: str, ref: str, payload: VariantIn):
    actor = request_actor(request, slug)
    product = access_product(actor, ref)
    return 201, services.variant_create(
        actor=actor, product=product, position=product.variants.count(), **payload.dict(exclude_none=True)
    )


@router.patch("/boutiques/{slug}/variants/{sku}", response={200: VariantOut, **ERRORS}, auth=AUTH)
def variant_update(request, slug: str, sku: str, payload: VariantPatch):
    actor = request_actor(request, slug)
    variant = access_variant(actor, sku)
    return services.variant_update(actor=actor, variant=variant, **payload.dict(exclude_unset=True))


@router.post("/boutiques/{slug}/products/{ref}/images", response={201: ImageOut, **ERRORS}, auth=AUTH)
def image_upload(request, slug: str, ref: str, image: File[UploadedFile], alt: str = ""):
    actor = request_actor(request, slug)
    product = access_product(actor, ref)
    content = image.read(settings.IMAGE_MAX_BYTES + 1)
    return 201, services.product_image_add(
        actor=actor, product=product, content=content, filename=image.name or "image", alt=alt
    )
