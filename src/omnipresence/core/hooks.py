"""Callbacks a higher layer registers so a lower one can tell it something changed, without
importing it (the catalog tells search which products to re-index)."""

from collections.abc import Callable, Iterable

from django.db import transaction

_products_changed: list[Callable[[list[int]], None]] = []


def on_products_changed(callback: Callable[[list[int]], None]) -> None:
    if callback not in _products_changed:
        _products_changed.append(callback)


def products_changed(product_ids: Iterable[int]) -> None:
    """Call after writing products or variants; listeners run once the transaction commits."""
    ids = sorted(set(product_ids))
    if not ids:
        return

    def notify() -> None:
        for callback in _products_changed:
            callback(ids)

    transaction.on_commit(notify)
