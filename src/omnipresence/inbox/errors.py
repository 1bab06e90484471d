"""Expected failures of the inbox, each with a stable code."""

from omnipresence.core.errors import Conflict, InvalidInput, NotFound


class ConversationNotFound(NotFound):
    code = "conversation_not_found"
    default_message = "There is no such conversation."


class InboxNotFound(NotFound):
    code = "inbox_not_found"
    default_message = "There is no such inbox."


class ConsentRequired(Conflict):
    code = "consent_required"
    default_message = "She has not agreed to marketing messages in this channel."


class WindowClosed(Conflict):
    code = "window_closed"
    default_message = (
        "WhatsApp allows free-form messages only within 24 hours of her last message; "
        "send an approved template instead."
    )


class EmptyMessage(InvalidInput):
    code = "empty_message"
    default_message = "Write a message (up to 4,000 characters)."


class ProviderFailed(Exception):
    """An adapter could not hand the message over now (network, 5xx): try again later."""
