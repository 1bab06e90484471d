from django.contrib import admin

from omnipresence.catalog.models import Category, Product, ProductImage, Variant


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    exclude = ["boutique"]


class ImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    exclude = ["boutique"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["title", "brand", "boutique", "category", "status", "created_at"]
    list_filter = ["boutique", "status"]
    search_fields = ["title", "brand", "handle", "variants__sku"]
    inlines = [VariantInline, ImageInline]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["path", "name", "boutique"]
    list_filter = ["boutique"]


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = ["sku", "product", "colour", "size", "price", "currency", "boutique"]
    list_filter = ["boutique"]
    search_fields = ["sku", "barcode", "product__title"]
