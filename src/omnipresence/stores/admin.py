"""Back office for boutiques, locations, staff and API tokens, walled per boutique
(see core/admin_scoping.py): owners manage staff and tokens, managers the locations."""

from django.contrib import admin

from omnipresence.core.admin_scoping import OWNER_ONLY, BoutiqueScopedAdmin, BoutiqueScopedInline
from omnipresence.stores.models import ApiToken, Boutique, HoursException, Location, OpeningHours, StaffMember


class OpeningHoursInline(BoutiqueScopedInline, admin.TabularInline):
    model = OpeningHours
    extra = 0
    exclude = ["boutique"]


class HoursExceptionInline(BoutiqueScopedInline, admin.TabularInline):
    model = HoursException
    extra = 0
    exclude = ["boutique"]


@admin.register(Boutique)
class BoutiqueAdmin(BoutiqueScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "slug", "city", "country", "currency", "language", "timezone"]
    search_fields = ["name", "slug", "city"]
    admin_roles = OWNER_ONLY
    boutique_field = None
    staff_can_add = False  # a new tenant is the hub operator's decision

    def get_readonly_fields(self, request, obj=None):
        if self.scope(request) is None:
            return super().get_readonly_fields(request, obj)
        return ["slug", "currency"]  # URLs and every stored price depend on these


@admin.register(Location)
class LocationAdmin(BoutiqueScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "boutique", "kind", "city", "offers_pickup", "fulfils_online", "feeds_online"]
    list_filter = ["boutique", "kind"]
    inlines = [OpeningHoursInline, HoursExceptionInline]


@admin.register(StaffMember)
class StaffMemberAdmin(BoutiqueScopedAdmin, admin.ModelAdmin):
    list_display = ["user", "boutique", "role", "home_location", "is_active"]
    list_filter = ["boutique", "role"]
    admin_roles = OWNER_ONLY


@admin.register(ApiToken)
class ApiTokenAdmin(BoutiqueScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "boutique", "prefix", "scopes", "created_at", "expires_at", "revoked_at"]
    list_filter = ["boutique"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at", "created_by"]
    admin_roles = OWNER_ONLY
    staff_can_add = False  # the key is shown once: create tokens in the console, the API or the CLI
