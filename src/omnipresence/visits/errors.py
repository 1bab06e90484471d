"""Expected failures of walk-in recognition."""

from omnipresence.core.errors import Conflict, Forbidden, NotFound


class ConsentRequired(Forbidden):
    code = "consent_required"
    default_message = "She has not agreed to be recognised when she walks in."


class CheckInCodeNotFound(NotFound):
    code = "checkin_code_not_found"
    default_message = "That check-in code is not valid (it may have been replaced)."


class VisitNotFound(NotFound):
    code = "visit_not_found"
    default_message = "No such visit."


class VisitTaken(Conflict):
    code = "visit_taken"
    default_message = "Someone else is already looking after her."
