"""Orders in the console: find an order, pay it with a gift card or store credit, print or email
its receipt, take a return (refund, store credit or exchange), and ring up a client's hold.

Every page is /console/<slug>/… behind `@staff_view`; ids from the URL become objects only through
`access_order`, `access_hold` and `access_location`; writes go through the payments, returns and
orders services. Forms are plain POSTs (then a redirect), so they work without JS.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnipresence.catalog.selectors import variant_get
from omnipresence.console.access import staff_view
from omnipresence.console.sell_views import _home, _key, _order_page
from omnipresence.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from omnipresence.core.money import format_money, parse_price
from omnipresence.inventory.models import Hold
from omnipresence.inventory.selectors import access_hold
from omnipresence.orders import services as orders
from omnipresence.orders.models import Channel, Fulfilment, Order
from omnipresence.orders.selectors import access_order, order_list
from omnipresence.payments import gift_cards, receipts
from omnipresence.returns import services as returns
from omnipresence.returns.models import Reason, Return
from omnipresence.returns.selectors import return_list
from omnipresence.stores.access import Actor
from omnipresence.stores.selectors import access_location, location_list

ORDERS_PER_PAGE = 20
NOT_RESELLABLE = "none"
REFUND_METHODS = (
    (Return.RefundMethod.ORIGINAL, gettext_lazy("Refund to the original payment"),
     gettext_lazy("Back to the card, terminal or cash it was paid with.")),
    (Return.RefundMethod.STORE_CREDIT, gettext_lazy("Store credit"),
     gettext_lazy("A code worth the value, to spend in any channel.")),
    (Return.RefundMethod.EXCHANGE, gettext_lazy("Exchange for another piece"),
     gettext_lazy("The value pays for the new piece; she pays any difference.")),
)  # fmt: skip

# The services speak English to integrators; the associate reads these in the boutique's language.
GIFT_CARD_MESSAGES = {
    "gift_card_unknown": gettext_lazy(
        "No gift card or store credit has that code. Check it with the client."
    ),
    "gift_card_empty": gettext_lazy("This card has been spent: nothing is left on it."),
    "gift_card_expired": gettext_lazy("This card has expired."),
    "gift_card_inactive": gettext_lazy("This card has been cancelled."),
    "amount_too_large": gettext_lazy("That is more than the order still owes."),
    "order_already_paid": gettext_lazy("This order is paid in full."),
    "order_cancelled": gettext_lazy("This order has been cancelled."),
    "currency_mismatch": gettext_lazy("This card is in another currency."),
}


def _money(actor: Actor, amount: int) -> str:
    return format_money(amount, actor.boutique.currency, actor.boutique.language)


def _order_url(actor: Actor, order_id: int, anchor: str = "") -> str:
    url = reverse("console:sell_order", kwargs={"slug": actor.boutique.slug, "order_id": order_id})
    return f"{url}#{anchor}" if anchor else url


def _translated(failure: DomainError, actor: Actor) -> DomainError:
    if failure.code == "gift_card_insufficient":
        balance = (failure.details or {}).get("balance", 0)
        message = _("The card holds only %(balance)s: leave the amount empty to use all of it.") % {
            "balance": _money(actor, balance)
        }
    elif failure.code in GIFT_CARD_MESSAGES:
        message = str(GIFT_CARD_MESSAGES[failure.code])
    else:
        return failure
    return type(failure)(message, code=failure.code, details=failure.details)


# ---------------------------------------------------------------------------------------------
# 1. Find an order


def _search(orders_qs, query: str):
    """By number ("1042" or "#1042") or by the client's name, email or phone."""
    number = query.lstrip("#").strip()
    match = (
        Q(client_name__icontains=query) | Q(client_email__icontains=query) | Q(client_phone__icontains=query)
    )
    if number.isdigit() and len(number) <= 12:
        match |= Q(pk=int(number))
    return orders_qs.filter(match)


@staff_view
@require_GET
def order_index(request, actor: Actor):
    query = request.GET.get("q", "").strip()[:120]
    channel = request.GET.get("channel", "")
    paid = request.GET.get("payment", "")
    channel = channel if channel in Channel.values else ""
    paid = paid if paid in Order.PaymentStatus.values else ""
    found = order_list(actor=actor, channel=channel or None)
    if paid:
        found = found.filter(payment_status=paid)
    if query:
        found = _search(found, query)
    page = Paginator(found.order_by("-created_at", "-id"), ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "actor": actor, "boutique": actor.boutique, "page": page, "query": query, "channel": channel,
        "payment": paid, "channels": Channel.choices, "payment_states": Order.PaymentStatus.choices,
    }  # fmt: skip
    return render(request, "console/orders/index.html", context)


# ---------------------------------------------------------------------------------------------
# 2. On the order page: gift card, receipt


@staff_view
@require_POST
def order_gift_card(request, actor: Actor, order_id: int):
    """Pay with a gift card or store credit: all that is owed (or what the card holds, if less), or
    the amount typed."""
    order = access_order(actor, order_id)
    code = request.POST.get("code", "").strip()[:40]
    amount_text = request.POST.get("amount", "").strip()[:20]
    try:
        if not code:
            raise InvalidInput(_("Type or scan the code on the card."), code="empty_code")
        amount = None
        if amount_text:
            try:
                amount = parse_price(amount_text, order.currency)
            except InvalidInput:
                raise InvalidInput(
                    _("Type the amount as a number, or leave it empty."), code="invalid_amount"
                ) from None
            if amount <= 0:
                raise InvalidInput(_("The amount must be more than zero."), code="invalid_amount")
        payment = gift_cards.gift_card_pay(actor=actor, order=order, code=code, amount=amount,
                                           idempotency_key=request.POST.get("key", "")[:80])  # fmt: skip
        card = gift_cards.gift_card_find(actor=actor, code=code)
    except DomainError as failure:
        return _order_page(request, actor, order, error=_translated(failure, actor), status=failure.status,
                           error_in="gift")  # fmt: skip
    messages.success(request, _("%(amount)s paid with the card ending %(last4)s: %(balance)s left on it.") % {
        "amount": _money(actor, payment.amount), "last4": card.last4, "balance": _money(actor, card.balance)})  # fmt: skip
    return redirect(_order_url(actor, order.pk, "pay"))


@staff_view
@require_GET
def order_receipt(request, actor: Actor, order_id: int):
    """The receipt to print at the till (the console's header and buttons are not printed)."""
    order = access_order(actor, order_id)
    receipt = receipts.receipt_for(actor=actor, order=order)
    context = {"actor": actor, "boutique": actor.boutique, "receipt": receipt, "order": receipt.order}
    return render(request, "console/orders/receipt.html", context)


@staff_view
@require_POST
def order_receipt_send(request, actor: Actor, order_id: int):
    order = access_order(actor, order_id)
    try:
        email = request.POST.get("email", "").strip()[:254]
        try:
            sent_to = receipts.receipt_send(actor=actor, order=order, email=email)
        except InvalidInput as failure:
            if failure.code != "invalid_email":
                raise
            raise InvalidInput(_("Type the client's email address."), code="invalid_email") from None
    except DomainError as failure:
        return _order_page(request, actor, order, error=failure, status=failure.status, error_in="receipt")
    messages.success(request, _("Receipt sent to %(email)s.") % {"email": sent_to})
    return redirect(_order_url(actor, order.pk, "receipt"))


# ---------------------------------------------------------------------------------------------
# 3. Take a return


@dataclass
class _Row:
    """One order line on the return form, with what was chosen (kept when the form comes back)."""

    line: object
    returnable: int
    quantity: int = 0
    reason: str = Reason.WRONG_SIZE
    restock: str = ""

    @property
    def quantities(self) -> range:
        return range(self.returnable + 1)


def _return_rows(actor: Actor, order, data, default_restock: str) -> list[_Row]:
    rows = []
    for line in order.lines.all():
        row = _Row(line=line, returnable=returns.returnable(line), restock=default_restock)
        if data is not None:
            row.quantity = _whole(data.get(f"quantity-{line.pk}", "0"))
            row.reason = data.get(f"reason-{line.pk}", row.reason)[:20]
            row.restock = data.get(f"restock-{line.pk}", row.restock)[:40]
        rows.append(row)
    return rows


def _whole(text: str) -> int:
    text = (text or "0").strip()
    return int(text) if text.isdigit() and len(text) <= 4 else -1


def _lines_back(actor: Actor, rows: list[_Row]) -> list:
    lines = []
    for row in rows:
        if row.quantity == 0:
            continue
        if row.quantity < 0 or row.quantity > row.returnable:
            raise InvalidInput(
                _("%(sku)s: choose from 0 to %(n)s.") % {"sku": row.line.sku, "n": row.returnable},
                code="invalid_quantity",
            )
        if row.reason not in Reason.values:
            raise InvalidInput(
                _("Choose why %(sku)s comes back.") % {"sku": row.line.sku}, code="invalid_reason"
            )
        restock = None if row.restock == NOT_RESELLABLE else access_location(actor, row.restock)
        lines.append(returns.LineBack(order_line=row.line, quantity=row.quantity, reason=row.reason,
                                      restock_location=restock))  # fmt: skip
    if not lines:
        raise InvalidInput(_("Choose how many of a piece come back."), code="empty_return")
    return lines


def _exchange(actor: Actor, sku: str, locations) -> list:
    """One new piece by SKU or barcode, taken now from the associate's shop."""
    if not sku:
        raise InvalidInput(
            _("Scan or type the SKU of the piece she takes instead."), code="exchange_lines_required"
        )
    try:
        variant = variant_get(boutique=actor.boutique, variant_ref=sku)
    except NotFound:
        raise NotFound(
            _("No piece has the SKU or barcode “%(sku)s”.") % {"sku": sku}, code="variant_not_found"
        ) from None
    home = _home(actor, locations)
    if home is None:
        raise InvalidInput(
            _("Your home shop does not hand pieces over, so it cannot exchange."), code="no_home_shop"
        )
    return [returns.ExchangeLine(variant=variant, quantity=1, fulfilment=Fulfilment.PICKUP, location=home)]


@staff_view
@require_http_methods(["GET", "POST"])
def order_return(request, actor: Actor, order_id: int):
    """The units that came back, where they go back on sale, and how she is paid back. Managers and
    owners take returns; an associate sees the form disabled."""
    order = access_order(actor, order_id)
    locations = list(location_list(boutique=actor.boutique))
    home_id = actor.membership.home_location_id if actor.membership else None
    default_restock = next(
        (loc.code for loc in locations if loc.pk == home_id), locations[0].code if locations else ""
    )
    data = request.POST if request.method == "POST" else None
    rows = _return_rows(actor, order, data, default_restock)
    method = (data.get("refund_method", "") if data is not None else "")[:20] or Return.RefundMethod.ORIGINAL
    sku = (data.get("exchange_sku", "") if data is not None else "").strip()[:64]
    note = (data.get("note", "") if data is not None else "").strip()[:300]
    error, status = None, 200
    if data is not None:
        key = data.get("key", "")[:80]
        try:
            if not actor.can(returns.TAKE_RETURNS):
                raise Forbidden(
                    _("A manager takes returns: ask a manager to take this one."), code="forbidden"
                )
            if method not in Return.RefundMethod.values:
                raise InvalidInput(_("Choose how she is paid back."), code="invalid_refund_method")
            lines = _lines_back(actor, rows)
            exchange = _exchange(actor, sku, locations) if method == Return.RefundMethod.EXCHANGE else []
            try:
                result = returns.return_create(
                    actor=actor, order=order, lines=lines, refund_method=method, channel=Channel.SHOP,
                    exchange=exchange, note=note, idempotency_key=key,
                )  # fmt: skip
            except IntegrityError:
                # The same form submitted twice at once: the other request made the return.
                existing = (
                    return_list(actor=actor, order=order).filter(idempotency_key=key).first() if key else None
                )
                if existing is None:
                    raise
                result = returns.ReturnResult(existing)
        except DomainError as failure:
            error, status = failure, failure.status
        else:
            # The order page shows this once (and the store credit code with it), then forgets it.
            request.session["return_done"] = {
                "order": order.pk,
                "return": result.ret.pk,
                "code": result.credit_code,
            }
            return redirect(_order_url(actor, order.pk, "returns"))
    context = {
        "actor": actor, "boutique": actor.boutique, "order": order, "rows": rows, "reasons": Reason.choices,
        "locations": locations, "not_resellable": NOT_RESELLABLE, "methods": REFUND_METHODS, "method": method,
        "exchange_sku": sku, "note": note, "error": error, "return_key": _key(),
        "takes_returns": actor.can(returns.TAKE_RETURNS), "anything": any(row.returnable for row in rows),
        "home": _home(actor, locations),
    }  # fmt: skip
    return render(request, "console/orders/return.html", context, status=status)


# ---------------------------------------------------------------------------------------------
# 4. A client's hold becomes an order


def _back(request, actor: Actor) -> str:
    target = request.POST.get("next", "")
    if (
        target
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
        and target.startswith(f"/console/{actor.boutique.slug}/")
    ):
        return target
    return reverse("console:dashboard", kwargs={"slug": actor.boutique.slug})


def _order_of_hold(actor: Actor, hold) -> Order | None:
    return order_list(actor=actor).filter(lines__allocations__hold=hold).first()


@staff_view
@require_POST
def hold_ring_up(request, actor: Actor, hold_id: int):
    """Ring up a piece put aside for a client: the same hold becomes the order's (the units are never
    back on sale in between), and payment is taken on the order page. A second tap opens that order."""
    hold = access_hold(actor, hold_id)
    order = _order_of_hold(actor, hold) if hold.kind == Hold.Kind.ORDER else None
    if order is None:
        try:
            order = orders.order_from_holds(actor=actor, holds=[hold], channel=Channel.SHOP)
        except DomainError as failure:
            order = _order_of_hold(actor, hold)
            if order is None:
                messages.error(request, failure.message)
                return redirect(_back(request, actor))
        else:
            messages.success(request, _("Order %(number)s made from the hold for %(client)s: take the payment.") % {
                "number": order.pk, "client": hold.client_name or _("a client")})  # fmt: skip
    return redirect(_order_url(actor, order.pk, "pay"))
