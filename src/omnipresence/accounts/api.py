"""API of the accounts app (filled in by its owner)."""

from ninja import Router

router = Router(tags=["accounts"])
