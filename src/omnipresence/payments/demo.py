"""Demo payments: the seeded orders paid in different ways (card online, card terminal, a pay link
paid from a chat), and a live pay link waiting for a client, so `omnipresence demo` shows them."""

from omnipresence.core.errors import DomainError
from omnipresence.inventory.models import Stock
from omnipresence.orders import services as orders
from omnipresence.orders.models import Order
from omnipresence.payments import pay_links, services
from omnipresence.payments.models import PayLink, Payment
from omnipresence.payments.providers import get_provider
from omnipresence.stores.access import actor_for_user, system_actor
from omnipresence.stores.models import Boutique, StaffMember


def _sandbox_pay(actor, order, *, pay_link=None) -> None:
    payment = services.payment_start(actor=actor, order=order, provider="sandbox", pay_link=pay_link)
    answer = get_provider("sandbox").pay(reference=payment.reference, card="4242 4242 4242 4242")
    services.payment_succeeded(payment_id=payment.pk, answer=answer)


def seed_payments(boutique: Boutique, *, log=print) -> dict[str, int]:
    """Pay the demo orders and leave one pay link open. Does nothing if the boutique has payments."""
    if Payment.objects.filter(boutique=boutique).exists() or PayLink.objects.filter(boutique=boutique).exists():
        return {"payments": 0, "pay_links": 0}
    member = (
        StaffMember.objects.filter(boutique=boutique, is_active=True, role=StaffMember.Role.ASSOCIATE)
        .select_related("user", "home_location")
        .order_by("pk")
        .first()
    )
    actor = actor_for_user(member.user, boutique) if member else system_actor(boutique)
    placed = list(Order.objects.filter(boutique=boutique, status=Order.Status.PLACED).order_by("pk"))
    try:
        for order in placed:
            if order.channel == "web" and order.source_kind == "":
                _sandbox_pay(actor, order)  # paid online by card
            elif order.channel == "shop":
                services.payment_record(actor=actor, order=order, method="terminal", note="terminal receipt 1042")
            elif order.channel == "chat":
                # The associate sent a pay link in the chat and the client paid it.
                link = pay_links.pay_link_create(actor=actor, order=order, hours=48,
                                                 message="Here is the link for the coat we talked about.")  # fmt: skip
                _sandbox_pay(system_actor(boutique), Order.objects.get(pk=order.pk), pay_link=link)
        _open_link(actor, boutique)
    except DomainError as error:  # a demo without that payment, never a broken seed
        log(f"  {boutique.name}: demo payment skipped ({error.code})")
    counts = {
        "payments": Payment.objects.filter(boutique=boutique, status="succeeded").count(),
        "pay_links": PayLink.objects.filter(boutique=boutique).count(),
    }
    log(f"  {boutique.name}: {counts['payments']} payments, {counts['pay_links']} pay links")
    return counts


def _open_link(actor, boutique: Boutique) -> PayLink | None:
    """A pay link an associate has just sent from a chat: two pieces put aside for a client."""
    home = actor.membership.home_location if actor.membership else None
    stocks = list(
        Stock.objects.filter(boutique=boutique, location=home, on_hand__gte=2, held=0)
        .select_related("variant")
        .order_by("variant__product_id", "pk")[:40]
    ) if home else []  # fmt: skip
    picked, seen = [], set()
    for stock in stocks:
        if stock.variant.product_id not in seen:
            picked.append(stock)
            seen.add(stock.variant.product_id)
        if len(picked) == 2:
            break
    if len(picked) < 2:
        return None
    name, email = "Ingrid Lindqvist", "ingrid@example.com"
    cart = orders.cart_create(actor=actor, channel="chat", client_name=name, client_email=email,
                              associate=actor.user, source_kind="conversation", source_ref="demo-chat")  # fmt: skip
    for stock in picked:
        orders.cart_line_set(actor=actor, cart=cart, variant=stock.variant, quantity=1, fulfilment="pickup",
                             location=home)  # fmt: skip
    return pay_links.pay_link_create(
        actor=actor, cart=cart, hours=72,
        message="As promised, both pieces in your size are put aside for you. Pay here and collect them any day.",
    )  # fmt: skip


def demo_pay_link(boutique: Boutique) -> PayLink | None:
    """The open demo pay link of a boutique, to print its address."""
    return PayLink.objects.filter(boutique=boutique, status=PayLink.Status.ACTIVE).order_by("-pk").first()
