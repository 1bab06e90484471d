"""Expected failures of carts, checkout and promotions, each with a stable code."""

from omnipresence.core.errors import Conflict, DomainError, InvalidInput, NotFound


class CouponError(DomainError):
    """A code that cannot be used on this cart; `code` says why (coupon_expired, …)."""

    code = "coupon_invalid"
    status = 422
    default_message = "This code cannot be used."


class CouponUnknown(CouponError, NotFound):
    code = "coupon_unknown"
    status = 404
    default_message = "There is no such code."


class CouponExhausted(CouponError, Conflict):
    code = "coupon_exhausted"
    status = 409
    default_message = "This code has been used as many times as it may be."


class CouponAlreadyUsed(CouponError, Conflict):
    code = "coupon_already_used"
    status = 409
    default_message = "This client has already used this offer."


class CurrencyMismatch(InvalidInput):
    code = "currency_mismatch"
    default_message = "The amounts are in different currencies."


class CartClosed(Conflict):
    code = "cart_checked_out"
    default_message = "This cart has been checked out; start a new one."


class ShippingUnavailable(InvalidInput):
    code = "shipping_unavailable"
    default_message = "There is no shipping to this destination."


class OrderPaid(Conflict):
    code = "order_paid"
    default_message = "This order has been paid: refund it before cancelling."


class OrderFulfilled(Conflict):
    code = "order_fulfilled"
    default_message = "Part of this order has already been handed over or shipped: take a return instead."
