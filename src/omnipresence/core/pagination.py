"""Bounded paging for lists: a page never returns more than MAX_PAGE_SIZE rows."""

from omnipresence.core.errors import InvalidInput

MAX_PAGE_SIZE = 200


def page_bounds(page: int, page_size: int) -> tuple[int, int]:
    if page < 1:
        raise InvalidInput("page starts at 1.", code="invalid_page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"page_size must be between 1 and {MAX_PAGE_SIZE}.", code="invalid_page")
    start = (page - 1) * page_size
    return start, start + page_size
