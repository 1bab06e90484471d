"""Expected failures of the fulfilment queue, each with a stable code."""

from omnipresence.core.errors import Conflict


class FulfilmentCancelled(Conflict):
    code = "fulfilment_cancelled"
    default_message = "This order was cancelled: its fulfilment cannot move."


class FulfilmentClosed(Conflict):
    code = "fulfilment_closed"
    default_message = "This fulfilment is finished."


class StepBackwards(Conflict):
    code = "fulfilment_step_backwards"
    default_message = "This fulfilment is already further along."


class WrongMethod(Conflict):
    code = "wrong_fulfilment_method"
    default_message = "This step does not apply to this kind of fulfilment."


class OrderUnpaid(Conflict):
    code = "order_unpaid"
    default_message = "This order is not paid in full: take the payment first."


class PickupNotReady(Conflict):
    code = "pickup_not_ready"
    default_message = "This pickup has no code yet: mark it ready first."


class PickupCodeWrong(Conflict):
    code = "pickup_code_wrong"
    default_message = "That is not the pickup code of this order."


class PickupCodeLocked(Conflict):
    code = "pickup_code_locked"
    default_message = "Too many wrong codes: a manager must hand this order over."


class NothingToHandOver(Conflict):
    code = "nothing_to_hand_over"
    default_message = "This order has nothing to collect here."
