"""API of the visits app (filled in by its owner)."""

from ninja import Router

router = Router(tags=["visits"])
