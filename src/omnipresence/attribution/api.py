"""API of the attribution app (filled in by its owner)."""

from ninja import Router

router = Router(tags=["attribution"])
