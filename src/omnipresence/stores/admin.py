from django.contrib import admin

from omnipresence.stores.models import ApiToken, Boutique, HoursException, Location, OpeningHours, StaffMember


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0
    exclude = ["boutique"]


class HoursExceptionInline(admin.TabularInline):
    model = HoursException
    extra = 0
    exclude = ["boutique"]


@admin.register(Boutique)
class BoutiqueAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "city", "country", "currency", "language", "timezone"]
    search_fields = ["name", "slug", "city"]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "boutique", "kind", "city", "offers_pickup", "fulfils_online", "feeds_online"]
    list_filter = ["boutique", "kind"]
    inlines = [OpeningHoursInline, HoursExceptionInline]

    def save_formset(self, request, form, formset, change):
        for obj in formset.save(commit=False):
            obj.boutique_id = form.instance.boutique_id
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ["user", "boutique", "role", "home_location", "is_active"]
    list_filter = ["boutique", "role"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "boutique", "prefix", "scopes", "created_at", "expires_at", "revoked_at"]
    list_filter = ["boutique"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
