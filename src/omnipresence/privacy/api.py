"""API of the privacy app (filled in by its owner)."""

from ninja import Router

router = Router(tags=["privacy"])
