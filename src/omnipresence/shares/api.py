"""API of the shares app (filled in by its owner)."""

from ninja import Router

router = Router(tags=["shares"])
