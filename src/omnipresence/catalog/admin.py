"""Back office for the catalog, walled per boutique (see core/admin_scoping.py)."""

from django.contrib import admin

from omnipresence.catalog.models import Category, Product, ProductImage, Variant
from omnipresence.core.admin_scoping import BoutiqueScopedAdmin, BoutiqueScopedInline


class VariantInline(BoutiqueScopedInline, admin.TabularInline):
    model = Variant
    extra = 0
    exclude = ["boutique", "currency"]
    staff_can_delete = False  # stock and the ledger hang off variants: deactivate instead


class ImageInline(BoutiqueScopedInline, admin.TabularInline):
    model = ProductImage
    extra = 0
    exclude = ["boutique"]


@admin.register(Product)
class ProductAdmin(BoutiqueScopedAdmin, admin.ModelAdmin):
    list_display = ["title", "brand", "boutique", "category", "status", "created_at"]
    list_filter = ["boutique", "status"]
    search_fields = ["title", "brand", "handle", "variants__sku"]
    inlines = [VariantInline, ImageInline]

    def save_formset(self, request, form, formset, change):
        for row in formset.forms:
            variant = row.instance
            if isinstance(variant, Variant) and not variant.currency:
                variant.currency = form.instance.boutique.currency  # prices are in the boutique's currency
        super().save_formset(request, form, formset, change)


@admin.register(Category)
class CategoryAdmin(BoutiqueScopedAdmin, admin.ModelAdmin):
    list_display = ["path", "name", "boutique"]
    list_filter = ["boutique"]


@admin.register(Variant)
class VariantAdmin(BoutiqueScopedAdmin, admin.ModelAdmin):
    list_display = ["sku", "product", "colour", "size", "price", "currency", "boutique"]
    list_filter = ["boutique"]
    search_fields = ["sku", "barcode", "product__title"]
    readonly_fields = ["currency"]
    staff_can_add = False  # add variants on their product's page

    def save_model(self, request, obj, form, change):
        obj.boutique_id = obj.product.boutique_id
        obj.currency = obj.currency or obj.product.boutique.currency
        super().save_model(request, obj, form, change)
