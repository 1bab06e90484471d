"""Callbacks a higher layer registers so a lower one can tell it something changed, without
importing it (the catalog tells search which products to re-index)."""

from collections.abc import Callable, Iterable

from django.db import transaction

_products_changed: list[Callable[[list[int]], None]] = []


def on_products_changed(callback: Callable[[list[int]], None]) -> None:
    if callback not in _products_changed:
        _products_changed.append(callback)


def products_changed(product_ids: Iterable[int]) -> None:
    """Call after writing products or variants; listeners run once the transaction commits.

    Ids gather in one set per database connection, and the first after-commit flush takes them
    all, so a bulk import of 2,000 rows notifies a few times, not 2,000. Ids left over from a
    rolled-back transaction are flushed with the next commit: listeners read the database as it
    is, so an extra notification is harmless.
    """
    ids = set(product_ids)
    if not ids:
        return
    connection = transaction.get_connection()
    pending: set[int] | None = getattr(connection, "_omni_products_pending", None)
    if pending is None:
        pending = connection._omni_products_pending = set()
    pending.update(ids)

    def flush() -> None:
        batch = sorted(connection._omni_products_pending)
        connection._omni_products_pending.clear()
        if batch:
            for callback in _products_changed:
                callback(batch)

    transaction.on_commit(flush)


# Domain events a higher layer reacts to inside the same transaction (so what it writes commits or
# rolls back with the change that caused it): "order.placed", "order.cancelled", "order.paid",
# each with `order_id`. Callbacks take keyword arguments and must be safe to run twice.
_subscribers: dict[str, list[Callable[..., None]]] = {}


def subscribe(event: str, callback: Callable[..., None]) -> None:
    callbacks = _subscribers.setdefault(event, [])
    if callback not in callbacks:
        callbacks.append(callback)


def emit(event: str, **payload) -> None:
    for callback in _subscribers.get(event, ()):
        callback(**payload)


# Periodic sweeps (expired holds, pay links, unpaid orders, uncollected pickups): each app
# registers its own; the embedded server's sweeper thread and `omnipresence sweep` run them all.
_sweeps: dict[str, Callable[[], object]] = {}


def on_sweep(name: str, callback: Callable[[], object]) -> None:
    _sweeps[name] = callback


def run_sweeps() -> dict[str, object]:
    """Run every sweep; one that fails is logged and does not stop the others."""
    import logging

    results: dict[str, object] = {}
    for name, callback in _sweeps.items():
        try:
            results[name] = callback()
        except Exception:
            logging.getLogger(__name__).exception("sweep %s failed", name)
            results[name] = "failed"
    return results
