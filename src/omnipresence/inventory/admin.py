"""Back office for the inventory: read-only, walled per boutique (see core/admin_scoping.py).

Stock, holds, transfers and counts change only through the services, which keep the ledger and
the held counters true; the admin is for looking.
"""

from django.contrib import admin

from omnipresence.core.admin_scoping import ReadOnlyScopedAdmin
from omnipresence.inventory.models import CycleCount, Hold, Movement, Stock, Transfer


@admin.register(Stock)
class StockAdmin(ReadOnlyScopedAdmin):
    list_display = ["variant", "location", "on_hand", "held", "updated_at"]
    list_filter = ["boutique", "location"]
    search_fields = ["variant__sku"]


@admin.register(Movement)
class MovementAdmin(ReadOnlyScopedAdmin):
    list_display = ["created_at", "kind", "variant", "location", "quantity", "reason", "actor_label"]
    list_filter = ["boutique", "kind"]


@admin.register(Hold)
class HoldAdmin(ReadOnlyScopedAdmin):
    list_display = ["variant", "location", "kind", "quantity", "status", "client_name", "expires_at"]
    list_filter = ["boutique", "status", "kind"]


@admin.register(Transfer)
class TransferAdmin(ReadOnlyScopedAdmin):
    list_display = ["pk", "source", "destination", "status", "shipped_at", "received_at"]
    list_filter = ["boutique", "status"]


@admin.register(CycleCount)
class CycleCountAdmin(ReadOnlyScopedAdmin):
    list_display = ["pk", "location", "created_at"]
    list_filter = ["boutique"]
