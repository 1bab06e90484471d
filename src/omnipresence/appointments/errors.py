"""Expected failures of appointments: each a stable code and an HTTP status."""

from omnipresence.core.errors import Conflict, Forbidden, InvalidInput, NotFound


class AppointmentTypeNotFound(NotFound):
    code = "appointment_type_not_found"
    default_message = "No such appointment type in this boutique."


class AppointmentNotFound(NotFound):
    code = "appointment_not_found"
    default_message = "No such appointment."


class LinkInvalid(NotFound):
    code = "appointment_link_invalid"
    default_message = "This appointment link is not valid."


class SlotTaken(Conflict):
    code = "slot_taken"
    default_message = "That time has just been taken: please choose another."


class SlotUnavailable(InvalidInput):
    code = "slot_unavailable"
    default_message = "That time is not one of the slots offered."


class SlotHoldExpired(Conflict):
    code = "slot_hold_expired"
    default_message = "The time kept for you has run out: please choose it again."


class AppointmentNotActive(Conflict):
    code = "appointment_not_active"
    default_message = "This appointment is no longer booked."


class IdempotencyConflict(Conflict):
    code = "idempotency_key_reused"
    default_message = "This idempotency key was used for another booking."


class RoomClosed(Conflict):
    code = "room_closed"
    default_message = "The appointment's time is over: the room is closed."


class RoomNotOpen(Conflict):
    code = "room_not_open"
    default_message = "The room opens shortly before the appointment."


class NotYourAppointment(Forbidden):
    code = "not_your_appointment"
    default_message = "This is another associate's appointment."
