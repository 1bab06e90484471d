"""Back office for the inventory: read-only, walled per boutique (see core/admin_scoping.py).

Stock, holds, transfers and counts change only through the services, which keep the ledger and
the held counters true; the admin is for looking.
"""

from django.contrib import admin

from omnipresence.core.admin_scoping import BoutiqueScopedAdmin
from omnipresence.inventory.models import CycleCount, Hold, Movement, Stock, Transfer


class ReadOnlyInventoryAdmin(BoutiqueScopedAdmin, admin.ModelAdmin):
    staff_can_add = False
    staff_can_change = False

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Stock)
class StockAdmin(ReadOnlyInventoryAdmin):
    list_display = ["variant", "location", "on_hand", "held", "updated_at"]
    list_filter = ["boutique", "location"]
    search_fields = ["variant__sku"]


@admin.register(Movement)
class MovementAdmin(ReadOnlyInventoryAdmin):
    list_display = ["created_at", "kind", "variant", "location", "quantity", "reason", "actor_label"]
    list_filter = ["boutique", "kind"]


@admin.register(Hold)
class HoldAdmin(ReadOnlyInventoryAdmin):
    list_display = ["variant", "location", "kind", "quantity", "status", "client_name", "expires_at"]
    list_filter = ["boutique", "status", "kind"]


@admin.register(Transfer)
class TransferAdmin(ReadOnlyInventoryAdmin):
    list_display = ["pk", "source", "destination", "status", "shipped_at", "received_at"]
    list_filter = ["boutique", "status"]


@admin.register(CycleCount)
class CycleCountAdmin(ReadOnlyInventoryAdmin):
    list_display = ["pk", "location", "created_at"]
    list_filter = ["boutique"]
