"""API for CSV imports and exports."""

from ninja import Router

router = Router(tags=["imports"])
