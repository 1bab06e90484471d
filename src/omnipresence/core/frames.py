"""Reading a websocket's text frame: one JSON object with a string `type`, of bounded size; and
one parameter of the socket's address (`?t=…`), the way every consumer reads its token.

Every consumer reads its frames here, so a frame too large, not JSON, nested deep enough to make
the parser recurse out of stack (RecursionError), or not an object with a type is the same error
frame everywhere, and never an exception that closes the socket with a traceback."""

import json
from urllib.parse import unquote

from django.utils.translation import gettext as _


def query_param(scope, name: str, *, limit: int) -> str:
    """The first `name=` value of the socket's query string, decoded and cut to `limit` ("" when absent)."""
    query = scope.get("query_string", b"").decode("latin-1")
    for part in query.split("&"):
        key, _sep, value = part.partition("=")
        if key == name:
            return unquote(value)[:limit]
    return ""


def frame_read(text_data, *, limit: int) -> tuple[dict | None, tuple[str, str] | None]:
    """(the frame, None), or (None, (code, message)) for the error frame to answer with."""
    if not isinstance(text_data, str) or len(text_data) > limit:
        return None, ("invalid_frame", _("Send one JSON object of at most %(limit)s characters.") % {
            "limit": f"{limit:,}"})  # fmt: skip
    try:
        content = json.loads(text_data)
    except (ValueError, RecursionError):
        content = None
    if not isinstance(content, dict) or not isinstance(content.get("type"), str):
        return None, ("invalid_frame", _("Send a JSON object with a type."))
    return content, None
