"""What other apps re-point when two clients are merged (and put back on undo).

Orders, holds, conversations… sit above clients and keep their own `client_id`s. Each registers
once, from its AppConfig.ready:

    from omnipresence.clients.hooks import on_merge
    on_merge("orders", merge=orders_merge, undo=orders_merge_undo)

`merge(survivor_id=…, merged_id=…)` runs inside the merge transaction and returns what it moved,
as JSON (e.g. `{"order": [3, 9]}`); that value is stored in the MergeRecord and handed back to
`undo(survivor_id=…, merged_id=…, moved=…)` inside the undo transaction. Raising a DomainError
from either refuses the whole merge or undo. Both must only touch rows of those two clients.
"""

from collections.abc import Callable
from typing import Any

MergeCallback = Callable[..., Any]
UndoCallback = Callable[..., None]

_handlers: dict[str, tuple[MergeCallback, UndoCallback]] = {}


def on_merge(name: str, *, merge: MergeCallback, undo: UndoCallback) -> None:
    _handlers[name] = (merge, undo)


def merge_handlers() -> dict[str, tuple[MergeCallback, UndoCallback]]:
    return dict(_handlers)


# --- Privacy: what each app hands over for an export and wipes for an erasure ------------------
#
# Every app that stores something about a client registers once, from its AppConfig.ready:
#
#     from omnipresence.clients.hooks import on_privacy
#     on_privacy("orders", export=orders_export, erase=orders_erase)
#
# `export(client=…)` returns JSON-able data about that client (a dict or a list), gathered under
# the app's name in her download. `erase(client=…)` runs inside the erasure transaction and blanks
# or deletes every personal field that app holds about her (names, emails, phones, addresses,
# free-text notes and messages), keeping what accounting needs (amounts, dates, SKUs); it returns
# {table: rows changed}. Raising a DomainError refuses the whole erasure. Both must only touch
# rows of that client (and of her boutique).

ExportCallback = Callable[..., Any]
EraseCallback = Callable[..., dict]

_privacy: dict[str, tuple[ExportCallback | None, EraseCallback | None]] = {}


def on_privacy(name: str, *, export: ExportCallback | None = None, erase: EraseCallback | None = None) -> None:
    _privacy[name] = (export, erase)


def privacy_handlers() -> dict[str, tuple[ExportCallback | None, EraseCallback | None]]:
    return dict(_privacy)
