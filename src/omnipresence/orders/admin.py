"""Back office for orders and promotions, walled per boutique (see core/admin_scoping.py).

Orders, carts and redemptions are read-only here: they change through the services, which keep
holds and coupon counters true. Shipping rules may be edited; campaigns and codes are viewed."""

from django.contrib import admin

from omnipresence.core.admin_scoping import BoutiqueScopedAdmin, ReadOnlyScopedAdmin
from omnipresence.orders.models import Campaign, Cart, Code, Order, Redemption, ShippingRule


@admin.register(Order)
class OrderAdmin(ReadOnlyScopedAdmin):
    list_display = ["pk", "created_at", "channel", "status", "client_name", "associate", "total", "currency"]
    list_filter = ["boutique", "channel", "status", "source_kind"]
    search_fields = ["client_name", "client_email", "client_ref"]


@admin.register(Cart)
class CartAdmin(ReadOnlyScopedAdmin):
    list_display = ["pk", "created_at", "channel", "status", "client_name", "code"]
    list_filter = ["boutique", "channel", "status"]


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyScopedAdmin):
    list_display = [
        "name",
        "kind",
        "value",
        "automatic",
        "used",
        "usage_limit",
        "starts_at",
        "ends_at",
        "is_active",
    ]
    list_filter = ["boutique", "kind", "automatic", "is_active"]


@admin.register(Code)
class CodeAdmin(ReadOnlyScopedAdmin):
    list_display = ["code", "campaign", "kind", "client_ref", "used", "usage_limit", "is_active"]
    list_filter = ["boutique", "kind"]
    search_fields = ["code", "client_ref"]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyScopedAdmin):
    list_display = ["campaign", "code", "order", "client_ref", "amount", "status", "created_at"]
    list_filter = ["boutique", "status"]


@admin.register(ShippingRule)
class ShippingRuleAdmin(BoutiqueScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "countries", "price", "free_above", "is_active"]
    list_filter = ["boutique", "is_active"]
