"""API for search (filled in by the search module)."""

from ninja import Router

router = Router(tags=["search"])
