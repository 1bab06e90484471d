"""Tenant walls for the Django admin (the back office).

Hub operators are superusers and see everything. A boutique's owner or manager may be given
`is_staff`; they then see and change only the rows of the boutiques where they are active staff
with an admin role. Their rights come from that membership, not from Django model permissions,
so nobody has to hand out `catalog.change_product` per boutique.
"""

from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

ADMIN_ROLES = ("owner", "manager")
OWNER_ONLY = ("owner",)


def admin_boutique_ids(request, roles: tuple[str, ...] = ADMIN_ROLES) -> frozenset[int] | None:
    """Ids of the boutiques the request's user may administer with one of `roles`; None means
    every boutique (a superuser). Cached on the request, since one page asks many times."""
    user = request.user
    if not (user.is_active and user.is_staff):
        return frozenset()
    if user.is_superuser:
        return None
    cache = request.__dict__.setdefault("_omni_admin_boutiques", {})
    if roles not in cache:
        # Looked up by name: core sits below stores and must not import it.
        staff_member = apps.get_model("stores", "StaffMember")
        cache[roles] = frozenset(
            staff_member.objects.filter(user=user, is_active=True, role__in=roles).values_list(
                "boutique_id", flat=True
            )
        )
    return cache[roles]


class BoutiqueScopedMixin:
    """For ModelAdmin and inlines alike: permissions from membership, foreign-key choices limited
    to the user's boutiques."""

    admin_roles: tuple[str, ...] = ADMIN_ROLES
    # Path from the model to its boutique; None for the Boutique model itself.
    boutique_field: str | None = "boutique"
    staff_can_add = True
    staff_can_change = True
    staff_can_delete = False  # deleting cascades into the stock ledger: hub operators only

    def scope(self, request) -> frozenset[int] | None:
        return admin_boutique_ids(request, self.admin_roles)

    def boutique_id_of(self, obj) -> int | None:
        if obj is None:
            return None
        if obj._meta.model_name == "boutique" and obj._meta.app_label == "stores":
            return obj.pk
        if hasattr(obj, "boutique_id"):
            return obj.boutique_id
        target = obj
        parts = (self.boutique_field or "").split("__")
        for part in parts[:-1]:
            target = getattr(target, part, None)
            if target is None:
                return None
        return getattr(target, f"{parts[-1]}_id", None)

    def _allowed(self, request, obj, flag: bool) -> bool:
        ids = self.scope(request)
        if not flag or not ids:
            return False
        return obj is None or self.boutique_id_of(obj) in ids

    def has_module_permission(self, request):
        ids = self.scope(request)
        return super().has_module_permission(request) if ids is None else bool(ids)

    def has_view_permission(self, request, obj=None):
        if self.scope(request) is None:
            return super().has_view_permission(request, obj)
        return self._allowed(request, obj, True)

    def has_change_permission(self, request, obj=None):
        if self.scope(request) is None:
            return super().has_change_permission(request, obj)
        return self._allowed(request, obj, self.staff_can_change)

    def has_add_permission(self, request, *args):
        if self.scope(request) is None:
            return super().has_add_permission(request, *args)
        obj = args[0] if args else None  # inlines receive the parent object
        return self._allowed(request, obj, self.staff_can_add)

    def has_delete_permission(self, request, obj=None):
        if self.scope(request) is None:
            return super().has_delete_permission(request, obj)
        return self._allowed(request, obj, self.staff_can_delete)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        ids = self.scope(request)
        if ids is not None:
            related = db_field.related_model
            if related._meta.label == "stores.Boutique":
                kwargs["queryset"] = related._default_manager.filter(pk__in=ids)
            elif related is get_user_model():
                # Only people on the staff of the user's boutiques: no names from elsewhere.
                kwargs["queryset"] = related._default_manager.filter(memberships__boutique_id__in=ids).distinct()
            elif any(f.name == "boutique" for f in related._meta.fields):
                kwargs["queryset"] = related._default_manager.filter(boutique_id__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class BoutiqueScopedInline(BoutiqueScopedMixin):
    """An inline whose rows belong to the parent's boutique (the parent is what is checked)."""

    staff_can_delete = True  # a row of hours or a picture, not the ledger


class BoutiqueScopedAdmin(BoutiqueScopedMixin):
    def get_queryset(self, request):
        qs = super().get_queryset(request)
        ids = self.scope(request)
        if ids is None:
            return qs
        if self.boutique_field is None:
            return qs.filter(pk__in=ids)
        return qs.filter(**{f"{self.boutique_field}__in": ids})

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if self.scope(request) is None:
            return filters
        # A plain related filter would list every boutique's names and locations.
        scoped = []
        for item in filters:
            field = self.model._meta.get_field(item) if isinstance(item, str) and "__" not in item else None
            if field is not None and field.is_relation:
                scoped.append((item, admin.RelatedOnlyFieldListFilter))
            else:
                scoped.append(item)
        return scoped

    def save_model(self, request, obj, form, change):
        ids = self.scope(request)
        if ids is not None:
            if self.boutique_field == "boutique" and obj.boutique_id is None and len(ids) == 1:
                obj.boutique_id = next(iter(ids))
            if self.boutique_id_of(obj) not in ids:
                raise PermissionDenied
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        # Inline rows carry their parent's boutique (the inline forms do not show the field).
        parent_boutique = getattr(form.instance, "boutique_id", None)
        for row in formset.save(commit=False):
            if hasattr(row, "boutique_id") and parent_boutique is not None:
                row.boutique_id = parent_boutique
            row.save()
        for row in formset.deleted_objects:
            row.delete()
        formset.save_m2m()


class ReadOnlyScopedAdmin(BoutiqueScopedAdmin, admin.ModelAdmin):
    """For rows that change only through services (ledger, holds, orders): the admin is for looking."""

    staff_can_add = False
    staff_can_change = False

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
