"""The database guarantee against double booking, on PostgreSQL only.

An exclusion constraint needs GiST and the btree_gist extension, which SQLite has not: there the
constraint produces no SQL (Django skips a constraint whose SQL is empty) and the booking's
IMMEDIATE transaction, which serialises writers, is the guarantee."""

from django.contrib.postgres.constraints import ExclusionConstraint


class PostgresExclusionConstraint(ExclusionConstraint):
    """An ExclusionConstraint that is a no-op on any database but PostgreSQL."""

    def _check_postgres_installed(self, *args):
        # Django asks for django.contrib.postgres in INSTALLED_APPS; the constraint's SQL needs
        # none of it (no hstore, no range fields on the model), so the SQLite install goes without.
        return []

    def constraint_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().constraint_sql(model, schema_editor)

    def create_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().create_sql(model, schema_editor)

    def remove_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().remove_sql(model, schema_editor)

    def validate(self, model, instance, exclude=None, using="default"):
        from django.db import connections

        if connections[using].vendor != "postgresql":
            return
        super().validate(model, instance, exclude=exclude, using=using)
