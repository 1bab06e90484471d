"""Products, their variants (the unit stock is kept in), categories and images."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from omnipresence.stores.models import Boutique


class Category(models.Model):
    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="categories")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80)
    # Materialised path of slugs ("women/coats") so a subtree is one indexed prefix query.
    path = models.CharField(max_length=400, db_index=True)

    class Meta:
        ordering = ["path"]
        verbose_name_plural = "categories"
        constraints = [models.UniqueConstraint(fields=["boutique", "path"], name="category_path_unique")]

    def __str__(self) -> str:
        return self.path


class Product(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DRAFT = "draft", _("Draft")
        ARCHIVED = "archived", _("Archived")

    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="products")
    handle = models.SlugField(max_length=120, help_text="Stable identifier used in URLs and CSV files")
    title = models.CharField(max_length=200)
    brand = models.CharField(max_length=80, blank=True, db_index=True)
    description = models.TextField(blank=True, max_length=10_000)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products")
    tags = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [models.UniqueConstraint(fields=["boutique", "handle"], name="product_handle_unique")]

    def __str__(self) -> str:
        return self.title


def product_image_path(instance: "ProductImage", filename: str) -> str:
    return f"products/{instance.boutique_id}/{instance.product_id}/{filename}"


class ProductImage(models.Model):
    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to=product_image_path)
    thumbnail = models.ImageField(upload_to=product_image_path, blank=True)
    alt = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["product_id", "position", "id"]

    def __str__(self) -> str:
        return self.alt or self.image.name


class Variant(models.Model):
    boutique = models.ForeignKey(Boutique, on_delete=models.CASCADE, related_name="variants")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(max_length=64)
    barcode = models.CharField(max_length=32, blank=True, db_index=True)
    colour = models.CharField(max_length=40, blank=True)
    size = models.CharField(max_length=20, blank=True)
    material = models.CharField(max_length=60, blank=True)
    price = models.PositiveBigIntegerField(help_text="Minor units of the boutique's currency")
    compare_at_price = models.PositiveBigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    weight_grams = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["product_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["boutique", "sku"], name="variant_sku_unique"),
            models.UniqueConstraint(
                fields=["boutique", "barcode"],
                condition=~models.Q(barcode=""),
                name="variant_barcode_unique",
            ),
        ]
        indexes = [models.Index(fields=["boutique", "colour"]), models.Index(fields=["boutique", "price"])]

    def __str__(self) -> str:
        return f"{self.sku} ({self.label})"

    @property
    def label(self) -> str:
        return " / ".join(part for part in (self.colour, self.size, self.material) if part) or self.sku
