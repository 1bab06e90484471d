"""API of the clienteling app (filled in by its owner)."""

from ninja import Router

router = Router(tags=["clienteling"])
