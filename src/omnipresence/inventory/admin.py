from django.contrib import admin

from omnipresence.inventory.models import CycleCount, Hold, Movement, Stock, Transfer


@admin.register(Stock)
class StockAdmin(admin.ModelAdmin):
    list_display = ["variant", "location", "on_hand", "held", "updated_at"]
    list_filter = ["boutique", "location"]
    search_fields = ["variant__sku"]
    readonly_fields = ["on_hand", "held"]  # changed only through movements and holds


@admin.register(Movement)
class MovementAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "variant", "location", "quantity", "reason", "actor_label"]
    list_filter = ["boutique", "kind"]

    def has_change_permission(self, request, obj=None):
        return False  # the ledger is append-only

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Hold)
class HoldAdmin(admin.ModelAdmin):
    list_display = ["variant", "location", "kind", "quantity", "status", "client_name", "expires_at"]
    list_filter = ["boutique", "status", "kind"]

    def has_change_permission(self, request, obj=None):
        return False  # holds change through the console or API so the counters stay true


@admin.register(Transfer)
class TransferAdmin(admin.ModelAdmin):
    list_display = ["pk", "source", "destination", "status", "shipped_at", "received_at"]
    list_filter = ["boutique", "status"]


@admin.register(CycleCount)
class CycleCountAdmin(admin.ModelAdmin):
    list_display = ["pk", "location", "created_at"]
