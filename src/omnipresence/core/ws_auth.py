"""Websocket authentication: the Django session, as for pages."""

from channels.auth import AuthMiddlewareStack


def SessionAuthStack(inner):  # noqa: N802 - mirrors channels' naming
    return AuthMiddlewareStack(inner)
