"""Expected failures of the inbox, each with a stable code."""

from omnipresence.core.errors import Conflict, DomainError, InvalidInput, NotFound


class ConversationNotFound(NotFound):
    code = "conversation_not_found"
    default_message = "There is no such conversation."


class MessageNotFound(NotFound):
    code = "message_not_found"
    default_message = "There is no such message of ours in this conversation."


class NotFailed(Conflict):
    code = "not_failed"
    default_message = "Only a message that was not sent can be sent again."


class StillSending(Conflict):
    code = "still_sending"
    default_message = "It is still on its way to the provider: try again in a minute."


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


class AlreadyClaimed(Conflict):
    code = "already_claimed"
    default_message = "Someone else has taken this conversation."


class AtCapacity(Conflict):
    code = "at_capacity"
    default_message = "She already has as many open conversations as her capacity allows."


class ProviderFailed(Exception):
    """An adapter could not hand the message over now (network, 5xx): try again later. With
    `permanent`, the provider refused it for good (a 4xx: a wrong number, a revoked token): the
    outbox gives up at once and the message is `failed` with the provider's words. With `unknown`,
    the request reached the provider and no answer came back (a timeout, a dropped connection, a
    5xx): it may have been sent, so the outbox waits for the provider's receipt before trying again."""

    def __init__(self, message: str = "", *, permanent: bool = False, unknown: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.unknown = unknown


class InvalidConfig(DomainError):
    code = "invalid_config"
    status = 400
    default_message = "The inbox's provider settings are incomplete or wrong."
