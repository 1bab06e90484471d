"""Domain errors: every expected failure carries a stable code and an HTTP status."""

from typing import Any


class DomainError(Exception):
    code = "error"
    status = 400
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, code: str | None = None, details: Any = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.details = details
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422
    default_message = "Some of the values sent are not valid."


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = "Not found."


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    default_message = "You are not allowed to do this."


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401
    default_message = "Authentication is required: send a valid API token or log in."


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = "The request conflicts with the current state."


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    default_message = "Not enough stock available."


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    status = 413
    default_message = "The upload is too large."
