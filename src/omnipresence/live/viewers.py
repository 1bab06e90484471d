"""Viewer tokens: a viewer of the public event page is a random key, signed with the event's id so
the token works for that event only. Joining writes nothing (1,000 viewers arriving at once cost
no database write); the key becomes a row only when she posts or reserves."""

import re
import secrets
from datetime import timedelta

from django.core import signing

from omnipresence.live.errors import ViewerTokenInvalid

SALT = "omnipresence.live.viewer"
TOKEN_HOURS = 24
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")


def viewer_token_new(*, event_id: int) -> tuple[str, str]:
    """(viewer key, token) for a new viewer of the event."""
    key = secrets.token_urlsafe(16)  # 128 bits, 22 characters
    return key, signing.TimestampSigner(salt=SALT).sign(f"{event_id}:{key}")


def viewer_key_of(token: str, *, event_id: int) -> str:
    """The viewer key a token carries, if it was made for this event and is less than a day old."""
    if not isinstance(token, str) or not 20 <= len(token) <= 200:
        raise ViewerTokenInvalid()
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(token, max_age=timedelta(hours=TOKEN_HOURS))
    except signing.BadSignature:
        raise ViewerTokenInvalid()
    event_part, _, key = value.partition(":")
    if event_part != str(event_id) or not KEY_RE.match(key):
        raise ViewerTokenInvalid()
    return key
