"""Writes for the catalog: categories, products, variants and images."""

import io
import re
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from PIL import Image, UnidentifiedImageError

from omnipresence.catalog.models import Category, Product, ProductImage, Variant
from omnipresence.core.errors import Conflict, InvalidInput, PayloadTooLarge
from omnipresence.core.hooks import products_changed
from omnipresence.core.money import MAX_PRICE_MINOR
from omnipresence.stores.access import Actor

# No "/": a SKU is used as a URL path segment (/variants/{sku}, /availability/{sku}).
SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
BARCODE_RE = re.compile(r"^[0-9A-Za-z\-]{4,32}$")
MAX_TAGS = 30
THUMBNAIL_SIZE = (480, 600)

PRODUCT_FIELDS = {"title", "brand", "description", "category_path", "tags", "status"}
VARIANT_FIELDS = {"barcode", "colour", "size", "material", "price", "compare_at_price", "weight_grams", "is_active"}


def _text(value: str | None, field: str, max_length: int, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(f"{field} is required.", code="missing_field", details={"field": field})
    if len(value) > max_length:
        raise InvalidInput(
            f"{field} is longer than {max_length} characters.", code="too_long", details={"field": field}
        )
    if "\x00" in value:
        raise InvalidInput(f"{field} contains a NUL character.", code="invalid_text", details={"field": field})
    return value


def _tags(tags: list[str] | str | None) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str):
        tags = [t for t in re.split(r"[,;|]", tags)]
    cleaned = []
    for tag in tags:
        tag = _text(str(tag), "tag", 40).lower()
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise InvalidInput(f"At most {MAX_TAGS} tags.", code="too_many_tags")
    return cleaned


def _price(value, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be a whole number of minor units.", code="invalid_price")
    if value < 0 or value > MAX_PRICE_MINOR:
        raise InvalidInput(f"{field} is out of range.", code="invalid_price", details={"field": field})
    return value


def category_ensure(*, boutique, path: str) -> Category | None:
    """The category at `path` ("Women > Coats" or "women/coats"), creating missing levels."""
    path = (path or "").strip()
    if not path:
        return None
    names = [p.strip() for p in re.split(r"\s*(?:>|/)\s*", path) if p.strip()]
    if len(names) > 6:
        raise InvalidInput("A category path has at most 6 levels.", code="invalid_category")
    parent = None
    slugs: list[str] = []
    for name in names:
        name = _text(name, "category", 80)
        slug = slugify(name) or uuid.uuid5(uuid.NAMESPACE_URL, name).hex[:8]
        slugs.append(slug)
        full = "/".join(slugs)
        category = Category.objects.filter(boutique=boutique, path=full).first()
        if category is None:
            category = Category.objects.create(boutique=boutique, parent=parent, name=name, slug=slug, path=full)
        parent = category
    return parent


def product_create(
    *,
    actor: Actor,
    title: str,
    handle: str | None = None,
    brand: str = "",
    description: str = "",
    category_path: str = "",
    tags: list[str] | str | None = None,
    status: str = Product.Status.ACTIVE,
) -> Product:
    actor.require("catalog.edit")
    title = _text(title, "title", 200, required=True)
    handle = slugify(handle or title)[:120]
    if not handle:
        raise InvalidInput("The product needs a handle made of letters or digits.", code="invalid_handle")
    if status not in Product.Status.values:
        raise InvalidInput(f"Unknown status '{status}'.", code="invalid_status")
    try:
        with transaction.atomic():
            product = Product.objects.create(
                boutique=actor.boutique,
                handle=handle,
                title=title,
                brand=_text(brand, "brand", 80),
                description=_text(description, "description", 10_000),
                category=category_ensure(boutique=actor.boutique, path=category_path),
                tags=_tags(tags),
                status=status,
            )
            products_changed([product.pk])
            return product
    except IntegrityError:
        raise Conflict(f"A product with handle '{handle}' exists already.", code="product_exists")


def product_update(*, actor: Actor, product: Product, **fields) -> Product:
    actor.require("catalog.edit")
    unknown = set(fields) - PRODUCT_FIELDS
    if unknown:
        raise InvalidInput(f"Unknown product fields: {sorted(unknown)}", code="invalid_field")
    with transaction.atomic():
        if "title" in fields:
            product.title = _text(fields["title"], "title", 200, required=True)
        if "brand" in fields:
            product.brand = _text(fields["brand"], "brand", 80)
        if "description" in fields:
            product.description = _text(fields["description"], "description", 10_000)
        if "tags" in fields:
            product.tags = _tags(fields["tags"])
        if "status" in fields:
            if fields["status"] not in Product.Status.values:
                raise InvalidInput(f"Unknown status '{fields['status']}'.", code="invalid_status")
            product.status = fields["status"]
        if "category_path" in fields:
            product.category = category_ensure(boutique=actor.boutique, path=fields["category_path"])
        product.save()
        products_changed([product.pk])
    return product


def _variant_values(fields: dict, currency: str) -> dict:
    values: dict = {}
    if "barcode" in fields:
        barcode = _text(fields["barcode"], "barcode", 32)
        if barcode and not BARCODE_RE.match(barcode):
            raise InvalidInput(f"'{barcode}' is not a valid barcode.", code="invalid_barcode")
        values["barcode"] = barcode
    for name, limit in (("colour", 40), ("size", 20), ("material", 60)):
        if name in fields:
            values[name] = _text(fields[name], name, limit)
    if "price" in fields:
        if fields["price"] is None:
            raise InvalidInput("price is required.", code="invalid_price")
        values["price"] = _price(fields["price"], "price")
    if "compare_at_price" in fields:
        values["compare_at_price"] = _price(fields["compare_at_price"], "compare_at_price")
    if "weight_grams" in fields:
        weight = fields["weight_grams"]
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 1_000_000:
            raise InvalidInput("weight_grams must be between 0 and 1,000,000.", code="invalid_weight")
        values["weight_grams"] = weight
    if "is_active" in fields:
        values["is_active"] = bool(fields["is_active"])
    if "currency" in fields and fields["currency"] and fields["currency"].upper() != currency:
        raise InvalidInput(
            f"Prices of this boutique are in {currency}, not {fields['currency']}.", code="currency_mismatch"
        )
    return values


def variant_create(*, actor: Actor, product: Product, sku: str, price: int, **fields) -> Variant:
    actor.require("catalog.edit")
    sku = (sku or "").strip()
    if not SKU_RE.match(sku):
        raise InvalidInput(
            f"'{sku[:70]}' is not a valid SKU (letters, digits, . _ -; at most 64).", code="invalid_sku"
        )
    unknown = set(fields) - VARIANT_FIELDS - {"currency", "position"}
    if unknown:
        raise InvalidInput(f"Unknown variant fields: {sorted(unknown)}", code="invalid_field")
    currency = actor.boutique.currency
    values = _variant_values({**fields, "price": price}, currency)
    try:
        with transaction.atomic():
            variant = Variant.objects.create(
                boutique=actor.boutique,
                product=product,
                sku=sku,
                currency=currency,
                position=fields.get("position", 0),
                **values,
            )
            products_changed([product.pk])
            return variant
    except IntegrityError:
        raise Conflict(f"SKU or barcode of '{sku}' is already used in this boutique.", code="variant_exists")


def variant_update(*, actor: Actor, variant: Variant, **fields) -> Variant:
    actor.require("catalog.edit")
    unknown = set(fields) - VARIANT_FIELDS - {"currency"}
    if unknown:
        raise InvalidInput(f"Unknown variant fields: {sorted(unknown)}", code="invalid_field")
    values = _variant_values(fields, actor.boutique.currency)
    for key, value in values.items():
        setattr(variant, key, value)
    try:
        with transaction.atomic():
            variant.save(update_fields=list(values) or None)
            products_changed([variant.product_id])
    except IntegrityError:
        raise Conflict("That barcode is already used in this boutique.", code="variant_exists")
    return variant


def product_image_add(*, actor: Actor, product: Product, content: bytes, filename: str, alt: str = "") -> ProductImage:
    """Store an uploaded image (re-encoded, so nothing but pixels is kept) and its thumbnail."""
    actor.require("catalog.edit")
    if len(content) > settings.IMAGE_MAX_BYTES:
        raise PayloadTooLarge(f"Images are limited to {settings.IMAGE_MAX_BYTES // (1024 * 1024)} MB.")
    try:
        with Image.open(io.BytesIO(content)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(content))
        if image.width * image.height > 40_000_000:
            raise InvalidInput("The image has too many pixels.", code="invalid_image")
        image = image.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise InvalidInput("The file is not an image we can read (JPEG, PNG, WebP).", code="invalid_image")
    stem = slugify(filename.rsplit(".", 1)[0])[:40] or "image"
    full = io.BytesIO()
    image.thumbnail((2000, 2000))
    image.save(full, "JPEG", quality=88)
    thumb = image.copy()
    thumb.thumbnail(THUMBNAIL_SIZE)
    thumb_io = io.BytesIO()
    thumb.save(thumb_io, "JPEG", quality=82)
    position = product.images.count()
    picture = ProductImage(boutique=actor.boutique, product=product, alt=_text(alt, "alt", 200), position=position)
    token = uuid.uuid4().hex[:8]
    picture.image.save(f"{stem}-{token}.jpg", ContentFile(full.getvalue()), save=False)
    picture.thumbnail.save(f"{stem}-{token}-thumb.jpg", ContentFile(thumb_io.getvalue()), save=False)
    picture.save()
    return picture
