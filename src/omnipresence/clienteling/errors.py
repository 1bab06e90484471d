"""Expected failures of tasks and outreach, each with a stable code."""

from omnipresence.core.errors import Conflict, InvalidInput, NotFound


class TaskNotFound(NotFound):
    code = "task_not_found"
    default_message = "There is no such task."


class TaskClosed(Conflict):
    code = "task_closed"
    default_message = "This task is already done or dismissed."


class InvalidAssignee(InvalidInput):
    code = "invalid_assignee"
    default_message = "The assignee is not on this boutique's staff."


class ConsentRequired(Conflict):
    code = "consent_required"
    default_message = "She has not agreed to marketing by email: send only what she asked for."


class NoEmail(Conflict):
    code = "no_email"
    default_message = "She has no email address on her profile."


class ChannelUnavailable(Conflict):
    code = "channel_unavailable"
    default_message = "Messages on this channel come with the inbox; send an email for now."


class SendFailed(Conflict):
    code = "send_failed"
    status = 502
    default_message = "The mail server did not take the message; try again in a moment."
