"""Demo returns and gift cards: a shipped piece sent back in the wrong size and refunded as store
credit, and a gift card sold at the till, so `omnipresence demo` shows both."""

from omnipresence.core.errors import DomainError
from omnipresence.inventory.models import Hold
from omnipresence.orders.models import Order, OrderAllocation
from omnipresence.payments import gift_cards
from omnipresence.returns import services
from omnipresence.returns.models import Return
from omnipresence.stores.access import actor_for_user, system_actor
from omnipresence.stores.models import Boutique, StaffMember


def seed_returns(boutique: Boutique, *, log=print) -> dict[str, str]:
    """Does nothing if the boutique has returns already. Returns the codes made (shown once)."""
    if Return.objects.filter(boutique=boutique).exists():
        return {}
    manager = StaffMember.objects.filter(boutique=boutique, role=StaffMember.Role.MANAGER, is_active=True).first()
    actor = actor_for_user(manager.user, boutique) if manager else system_actor(boutique)
    codes = {}
    try:
        handed = (
            OrderAllocation.objects.filter(line__order__boutique=boutique, hold__status=Hold.Status.CONSUMED,
                                           line__order__status=Order.Status.PLACED)  # fmt: skip
            .select_related("line__order", "location")
            .order_by("pk")
            .first()
        )
        if handed is not None:
            result = services.return_create(
                actor=actor, order=handed.line.order, channel="shop", refund_method="store_credit",
                lines=[services.LineBack(order_line=handed.line, quantity=1, reason="wrong_size",
                                         restock_location=handed.location)],
                note="came back to the shop in the wrong size", idempotency_key="demo-return-1",
            )  # fmt: skip
            codes["store_credit"] = result.credit_code
            log(f"  {boutique.name}: order #{handed.line.order_id} returned for store credit {result.credit_code}")
        _, code = gift_cards.gift_card_issue(actor=actor, amount=10000 if boutique.currency != "ZAR" else 200000,
                                             client_name="A gift from a friend", note="sold at the till")  # fmt: skip
        codes["gift_card"] = code
        log(f"  {boutique.name}: gift card {code}")
    except DomainError as error:
        log(f"  {boutique.name}: demo return skipped ({error.code})")
    return codes
