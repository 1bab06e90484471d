"""Errors of live shopping, with stable codes."""

from omnipresence.core.errors import Conflict, DomainError, Forbidden, Unauthenticated


class StreamMissing(Conflict):
    code = "stream_missing"
    default_message = "Set up the event's stream before going live."


class StreamUnavailable(DomainError):
    code = "stream_unavailable"
    status = 502
    default_message = "The streaming service could not be reached; try again."


class EventNotLive(Conflict):
    code = "event_not_live"
    default_message = "This event is not live."


class EventWrongState(Conflict):
    code = "event_wrong_state"
    default_message = "The event is not in a state that allows this."


class NotFeatured(Conflict):
    code = "product_not_featured"
    default_message = "This product is not featured in the event."


class ViewerTokenInvalid(Unauthenticated):
    code = "invalid_viewer_token"
    default_message = "Join the event again: this viewer token is not valid for it."


class ViewerBanned(Forbidden):
    code = "viewer_banned"
    default_message = "You can no longer post in this chat."


class ChatClosed(Conflict):
    code = "chat_closed"
    default_message = "The chat is closed."


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    default_message = "Too many messages: wait a moment."


class SlowMode(RateLimited):
    code = "slow_mode"
    default_message = "Slow mode is on: wait a moment before your next message."


class AlreadyReserved(Conflict):
    code = "already_reserved"
    default_message = "You have already reserved this piece."


class ReservationClosed(Conflict):
    code = "reservation_lapsed"
    default_message = "This reservation has ended; reserve the piece again."
