"""A scan of the whole database for personal data: every text and JSON column of every table
Django knows (ours, auth, sessions, admin log…), looked at row by row in Python so JSON, case and
formatting cannot hide a match."""

from django.apps import apps
from django.db import models

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def personal_data_hits(needles: list[str]) -> list[str]:
    """`table.column#pk` for every value containing one of `needles` (case-insensitive)."""
    wanted = [n.lower() for n in needles if n]
    hits = []
    for model in apps.get_models(include_auto_created=True):
        columns = [f for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS)]
        if not columns:
            continue
        names = [f.attname for f in columns]
        for row in model._default_manager.values_list("pk", *names).iterator():
            for name, value in zip(names, row[1:], strict=True):
                text = str(value).lower() if value not in (None, "", {}, []) else ""
                if text and any(n in text for n in wanted):
                    hits.append(f"{model._meta.db_table}.{name}#{row[0]}")
    return hits
