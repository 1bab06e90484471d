"""Errors of lookbooks, with stable codes."""

from omnipresence.core.errors import DomainError


class ShareClosed(DomainError):
    """An expired or withdrawn lookbook: gone (410), and nothing else is said about it."""

    code = "share_closed"
    status = 410
    default_message = "This lookbook can no longer be used."
