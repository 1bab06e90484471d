"""Selling in the console: start a sale, build the cart (scan, search, quantities, fulfilment,
coupon), then take payment at the till or send the client a pay link; the order page records
cash or card-terminal payments; the pay-links page follows and revokes the links sent.

Every page is /console/<slug>/… behind `@staff_view`; ids from the URL become objects only
through `access_cart`, `access_order` and `access_pay_link`; every write goes through the orders
and payments services. Every form is a plain POST (then a redirect) so it works without JS.
"""

import uuid

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnipresence.catalog.selectors import access_variant, variant_get
from omnipresence.console.access import staff_view
from omnipresence.console.share import share_links
from omnipresence.core.errors import DomainError, InvalidInput, NotFound
from omnipresence.core.money import Money, parse_price
from omnipresence.inventory.selectors import availability_for_variants
from omnipresence.orders import services as orders
from omnipresence.orders.models import Channel, Fulfilment, Order, SourceKind
from omnipresence.orders.selectors import access_cart, access_order, order_handed_over, order_list
from omnipresence.payments import pay_links
from omnipresence.payments import services as payments
from omnipresence.payments.models import Method, PayLink
from omnipresence.payments.selectors import access_pay_link, pay_link_list, payments_of_order
from omnipresence.returns.selectors import return_list
from omnipresence.returns.services import TAKE_RETURNS
from omnipresence.search.selectors import SearchFilters, search_products
from omnipresence.stores.access import Actor
from omnipresence.stores.selectors import access_location, location_list

SALE_CHANNELS = (Channel.SHOP, Channel.PHONE, Channel.CHAT, Channel.SOCIAL, Channel.APPOINTMENT)
# In person the client usually takes the piece away; at a distance it is sent.
IN_PERSON = {Channel.SHOP, Channel.APPOINTMENT}
MATCH_LIMIT = 8
PAY_LINKS_SHOWN = 100
PAY_LINK_STATES = (
    ("", gettext_lazy("All")),
    (PayLink.Status.ACTIVE, gettext_lazy("Waiting for payment")),
    (PayLink.Status.PAID, gettext_lazy("Paid")),
    (PayLink.Status.EXPIRED, gettext_lazy("Expired")),
    (PayLink.Status.REVOKED, gettext_lazy("Revoked")),
)


# ---------------------------------------------------------------------------------------------
# Forms: they check the shape of input; the services check the rules.


class SaleStartForm(forms.Form):
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        choices=[(c.value, c.label) for c in SALE_CHANNELS],
        initial=Channel.SHOP,
    )
    client_name = forms.CharField(label=gettext_lazy("Client name"), max_length=120, required=False)
    client_email = forms.EmailField(label=gettext_lazy("Client email"), max_length=254, required=False)
    client_phone = forms.CharField(label=gettext_lazy("Client phone"), max_length=20, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client_name"].widget.attrs.update({"autocomplete": "off"})
        self.fields["client_email"].widget.attrs.update({"autocomplete": "off", "autocapitalize": "none"})
        self.fields["client_phone"].widget = forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})


class PayLinkForm(forms.Form):
    hours = forms.IntegerField(
        label=gettext_lazy("Link lasts (hours)"), min_value=1, max_value=24 * 14, initial=48,
        help_text=gettext_lazy("The pieces stay put aside for the client until then."),
    )  # fmt: skip
    message = forms.CharField(
        label=gettext_lazy("Message to the client"), max_length=500, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip


class PaymentForm(forms.Form):
    amount = forms.CharField(label=gettext_lazy("Amount"), max_length=20)
    note = forms.CharField(
        label=gettext_lazy("Note"), max_length=200, required=False,
        help_text=gettext_lazy("For example the terminal's receipt number."),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})


# ---------------------------------------------------------------------------------------------
# Helpers


def _key() -> str:
    """An idempotency key for one rendered form: submitting it twice does the thing once."""
    return uuid.uuid4().hex


def _home(actor: Actor, locations) -> object | None:
    """The associate's shop, where "take now" units come from (if it hands pieces over)."""
    home_id = actor.membership.home_location_id if actor.membership else None
    return next((loc for loc in locations if loc.pk == home_id and loc.offers_pickup), None)


def _choice_of(line, home) -> str:
    if line.fulfilment == Fulfilment.SHIP:
        return "ship"
    if line.fulfilment == Fulfilment.PICKUP and home is not None and line.location_id == home.pk:
        return "now"
    return f"{line.fulfilment}:{line.location.code}"


def _fulfilment_of(actor: Actor, choice: str, home) -> tuple[str, object | None]:
    """A fulfilment choice from a form ("now", "ship", "pickup:<code>", "ship_from:<code>")."""
    if choice == "ship":
        return Fulfilment.SHIP, None
    if choice == "now":
        if home is None:
            raise InvalidInput(
                _("Your home shop does not hand pieces over: choose a shop."), code="no_home_shop"
            )
        return Fulfilment.PICKUP, home
    kind, _sep, code = choice.partition(":")
    if kind not in (Fulfilment.PICKUP, Fulfilment.SHIP_FROM) or not code:
        raise InvalidInput(_("Choose how the client gets this piece."), code="invalid_fulfilment")
    return kind, access_location(actor, code[:40])


def _default_fulfilment(cart, home) -> tuple[str, object | None]:
    if cart.channel in IN_PERSON and home is not None:
        return Fulfilment.PICKUP, home
    return Fulfilment.SHIP, None


def _amount_text(amount: int, currency: str) -> str:
    return str(Money(amount, currency).as_decimal())


def _owned_order(actor: Actor, cart):
    """The order a checked-out cart made, if any (the back button lands on an old cart)."""
    return order_list(actor=actor).filter(cart_id=cart.pk).first()


def _cart_url(actor: Actor, cart_id: int) -> str:
    return reverse("console:sell_cart", kwargs={"slug": actor.boutique.slug, "cart_id": cart_id})


def _matches(actor: Actor, query: str) -> list[dict]:
    """Pieces whose text matches, with what is available at each location, to add from a list."""
    result = search_products(
        query=query, filters=SearchFilters(boutique=actor.boutique), page_size=MATCH_LIMIT
    )
    variants = [v for hit in result.hits for v in hit.variants]
    stock = availability_for_variants(boutique=actor.boutique, variants=variants)
    return [{"product": hit.product, "variants": [stock[v.pk] for v in hit.variants]} for hit in result.hits]


# ---------------------------------------------------------------------------------------------
# 1. Start a sale


@staff_view
@require_http_methods(["GET", "POST"])
def sale_start(request, actor: Actor):
    status = 200
    error = None
    if request.method == "POST":
        form = SaleStartForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                cart = orders.cart_create(
                    actor=actor, channel=data["channel"], client_name=data["client_name"],
                    client_email=data["client_email"], client_phone=data["client_phone"],
                    associate=request.user, source_kind=SourceKind.ASSOCIATE,
                )  # fmt: skip
            except DomainError as failure:
                error, status = failure, failure.status
            else:
                return redirect(_cart_url(actor, cart.pk))
        else:
            status = 400
    else:
        form = SaleStartForm()
    context = {"actor": actor, "boutique": actor.boutique, "form": form, "error": error}
    return render(request, "console/sell/start.html", context, status=status)


# ---------------------------------------------------------------------------------------------
# 2. The cart


def _shelf(actor: Actor, error, locations) -> dict | None:
    """After checkout was refused for stock: whether the short lines are all at shops that sell in
    person (where someone can look at the shelf), and whether this actor may confirm them."""
    if error is None or error.code != "insufficient_stock" or not isinstance(error.details, dict):
        return None
    shops = {loc.code for loc in locations if loc.sells_in_person}
    short = error.details.get("lines") or []
    overridable = bool(short) and all(entry.get("location") in shops for entry in short)
    return {"overridable": overridable, "can_override": overridable and actor.can("inventory.adjust")}


def _cart_page(request, actor: Actor, cart, *, error=None, status=200, query="", matches=None):
    locations = list(location_list(boutique=actor.boutique))
    home = _home(actor, locations)
    breakdown = orders.cart_price(actor=actor, cart=cart)
    priced = {p.key: p for p in breakdown.lines}
    lines = [
        {"line": line, "price": priced.get(str(line.pk)), "choice": _choice_of(line, home)}
        for line in cart.lines.all()
    ]
    choices = [("ship", _("Ship to the client"))]
    if home is not None:
        choices.insert(0, ("now", _("Take now (%(shop)s)") % {"shop": home.name}))
    choices += [
        (f"pickup:{loc.code}", _("Collect at %(shop)s") % {"shop": loc.name})
        for loc in locations
        if loc.offers_pickup and loc != home
    ]
    context = {
        "actor": actor, "boutique": actor.boutique, "cart": cart, "lines": lines, "price": breakdown,
        "fulfilment_choices": choices, "home": home, "error": error, "query": query, "matches": matches,
        "checkout_key": _key(), "pay_link_form": PayLinkForm(), "takes_now": cart.channel in IN_PERSON,
        "shelf": _shelf(actor, error, locations),
    }  # fmt: skip
    return render(request, "console/sell/cart.html", context, status=status)


def _open_cart(actor: Actor, cart_id: int):
    cart = access_cart(actor, cart_id)
    return cart, (_owned_order(actor, cart) if cart.status != cart.Status.OPEN else None)


@staff_view
@require_GET
def cart_page(request, actor: Actor, cart_id: int):
    cart, order = _open_cart(actor, cart_id)
    if order is not None:
        return redirect("console:sell_order", slug=actor.boutique.slug, order_id=order.pk)
    return _cart_page(request, actor, cart)


@staff_view
@require_GET
def cart_search(request, actor: Actor, cart_id: int):
    """htmx: the matches for what is being typed in the scan field (the no-JS path is cart_add)."""
    cart = access_cart(actor, cart_id)
    query = request.GET.get("q", "").strip()[:200]
    matches = _matches(actor, query) if len(query) >= 2 else None
    context = {"actor": actor, "boutique": actor.boutique, "cart": cart, "query": query, "matches": matches}
    return render(request, "console/sell/_matches.html", context)


@staff_view
@require_POST
def cart_add(request, actor: Actor, cart_id: int):
    """Scan or type: an exact SKU or barcode (or a piece picked from the matches) adds one unit;
    any other text lists the matches."""
    cart, order = _open_cart(actor, cart_id)
    if order is not None:
        return redirect("console:sell_order", slug=actor.boutique.slug, order_id=order.pk)
    query = request.POST.get("q", "").strip()[:200]
    variant_id = request.POST.get("variant", "")
    try:
        if variant_id:
            if not variant_id.isdigit():
                raise NotFound(_("That piece is not in this boutique."), code="variant_not_found")
            variant = access_variant(actor, int(variant_id))
        elif not query:
            raise InvalidInput(_("Scan a barcode or type a SKU or a name."), code="empty_query")
        else:
            try:
                variant = variant_get(boutique=actor.boutique, variant_ref=query)
            except NotFound:
                matches = _matches(actor, query)
                if not matches:
                    raise NotFound(
                        _("No piece matches “%(query)s”. Check the SKU, or scan the barcode.")
                        % {"query": query},
                        code="variant_not_found",
                    ) from None
                return _cart_page(request, actor, cart, query=query, matches=matches)
        locations = list(location_list(boutique=actor.boutique))
        fulfilment, location = _default_fulfilment(cart, _home(actor, locations))
        current = next(
            (line.quantity for line in cart.lines.all()
             if line.variant_id == variant.pk and line.fulfilment == fulfilment
             and line.location_id == (location.pk if location else None)),
            0,
        )  # fmt: skip
        orders.cart_line_set(actor=actor, cart=cart, variant=variant, quantity=current + 1,
                             fulfilment=fulfilment, location=location)  # fmt: skip
    except DomainError as failure:
        return _cart_page(request, actor, cart, error=failure, status=failure.status, query=query)
    messages.success(request, _("Added %(sku)s.") % {"sku": variant.sku})
    return redirect(_cart_url(actor, cart.pk) + "#scan")


@staff_view
@require_POST
def cart_line(request, actor: Actor, cart_id: int, line_id: int):
    """One line: + / − / remove, or move it to another fulfilment (take now, collect, ship)."""
    cart, order = _open_cart(actor, cart_id)
    if order is not None:
        return redirect("console:sell_order", slug=actor.boutique.slug, order_id=order.pk)
    line = next((line for line in cart.lines.all() if line.pk == line_id), None)
    op = request.POST.get("op", "")
    try:
        if line is None:
            raise NotFound(_("That line is no longer in the cart."), code="cart_line_not_found")
        if op in ("inc", "dec", "remove"):
            quantity = {"inc": line.quantity + 1, "dec": line.quantity - 1, "remove": 0}[op]
            orders.cart_line_set(actor=actor, cart=cart, variant=line.variant, quantity=max(quantity, 0),
                                 fulfilment=line.fulfilment, location=line.location)  # fmt: skip
        elif op == "move":
            home = _home(actor, list(location_list(boutique=actor.boutique)))
            fulfilment, location = _fulfilment_of(actor, request.POST.get("fulfilment", "")[:60], home)
            same = (fulfilment, location.pk if location else None) == (line.fulfilment, line.location_id)
            if not same:
                there = next(
                    (other.quantity for other in cart.lines.all()
                     if other.variant_id == line.variant_id and other.fulfilment == fulfilment
                     and other.location_id == (location.pk if location else None)),
                    0,
                )  # fmt: skip
                # Two line writes that must happen together (no move-line service yet).
                with transaction.atomic():
                    orders.cart_line_set(actor=actor, cart=cart, variant=line.variant, quantity=there + line.quantity,
                                         fulfilment=fulfilment, location=location)  # fmt: skip
                    orders.cart_line_set(actor=actor, cart=cart, variant=line.variant, quantity=0,
                                         fulfilment=line.fulfilment, location=line.location)  # fmt: skip
        else:
            raise InvalidInput(_("Unknown change."), code="invalid_op")
    except DomainError as failure:
        return _cart_page(request, actor, access_cart(actor, cart.pk), error=failure, status=failure.status)
    return redirect(_cart_url(actor, cart.pk) + "#lines")


@staff_view
@require_POST
def cart_code(request, actor: Actor, cart_id: int):
    cart, order = _open_cart(actor, cart_id)
    if order is not None:
        return redirect("console:sell_order", slug=actor.boutique.slug, order_id=order.pk)
    try:
        if request.POST.get("op") == "remove":
            orders.cart_code_remove(actor=actor, cart=cart)
            messages.success(request, _("Code removed."))
        else:
            code = request.POST.get("code", "").strip()
            if not code:
                raise InvalidInput(_("Type the code the client gave you."), code="empty_code")
            cart = orders.cart_code_apply(actor=actor, cart=cart, code=code[:40])
            messages.success(request, _("Code %(code)s applied.") % {"code": cart.code})
    except DomainError as failure:
        return _cart_page(request, actor, cart, error=failure, status=failure.status)
    return redirect(_cart_url(actor, cart.pk) + "#price")


@staff_view
@require_POST
def cart_checkout(request, actor: Actor, cart_id: int):
    """Take payment: the cart becomes an order (its units held for it); the key from the rendered
    form makes a double submit return the same order. `shelf_override=1` (a manager): the piece is on
    the shelf although the system says it is gone; the service records the count adjustment."""
    cart = access_cart(actor, cart_id)
    try:
        order = orders.cart_checkout(actor=actor, cart=cart, idempotency_key=request.POST.get("key", "")[:80],
                                     shelf_override=request.POST.get("shelf_override") == "1")  # fmt: skip
    except DomainError as failure:
        existing = _owned_order(actor, cart)
        if existing is not None:
            return redirect("console:sell_order", slug=actor.boutique.slug, order_id=existing.pk)
        return _cart_page(request, actor, cart, error=failure, status=failure.status)
    return redirect("console:sell_order", slug=actor.boutique.slug, order_id=order.pk)


@staff_view
@require_POST
def cart_pay_link(request, actor: Actor, cart_id: int):
    """Send a pay link: the cart is checked out now and the link keeps the pieces until it ends."""
    cart = access_cart(actor, cart_id)
    form = PayLinkForm(request.POST)
    if not form.is_valid():
        error = InvalidInput(
            " ".join(e for errors in form.errors.values() for e in errors), code="invalid_input"
        )
        return _cart_page(request, actor, cart, error=error, status=400)
    try:
        link = pay_links.pay_link_create(
            actor=actor, cart=cart, hours=form.cleaned_data["hours"], message=form.cleaned_data["message"]
        )
    except DomainError as failure:
        if cart.status != cart.Status.OPEN:
            return render(
                request, "console/error.html", {"actor": actor, "error": failure}, status=failure.status
            )
        return _cart_page(request, actor, cart, error=failure, status=failure.status)
    return redirect("console:pay_link", slug=actor.boutique.slug, link_id=link.pk)


# ---------------------------------------------------------------------------------------------
# 3. The order


def _order_page(
    request, actor: Actor, order, *, form=None, error=None, status=200, error_in="", return_done=None
):
    """`error_in` names the panel whose form failed ("gift", "receipt"), so the alert shows there;
    `return_done` is the return just taken (its store credit code is shown this once)."""
    link = pay_link_list(actor=actor).filter(order_id=order.pk).first()
    balance = order.balance
    returns = list(return_list(actor=actor, order=order).select_related("exchange_order"))
    done = next((r for r in returns if return_done and r.pk == return_done.get("return")), None)
    context = {
        "actor": actor, "boutique": actor.boutique, "order": order, "payments": payments_of_order(order=order),
        "pay_link": link, "link_state": pay_links.pay_link_state(link) if link else None,
        "payable": order.status == Order.Status.PLACED and balance > 0, "balance": balance,
        "form": form or PaymentForm(initial={"amount": _amount_text(max(balance, 0), order.currency)}),
        "payment_key": _key(), "card_key": _key(), "gift_key": _key(), "error": error, "error_in": error_in,
        "returns": returns, "takes_returns": actor.can(TAKE_RETURNS), "handed_over": order_handed_over(order),
        "return_done": done, "credit_code": (return_done or {}).get("code", "") if done else "",
    }  # fmt: skip
    return render(request, "console/sell/order.html", context, status=status)


@staff_view
@require_GET
def order_page(request, actor: Actor, order_id: int):
    order = access_order(actor, order_id)
    # Set by the return page after a return; popped so a store credit code is shown only once.
    done = request.session.get("return_done")
    if done and done.get("order") == order.pk:
        del request.session["return_done"]
    else:
        done = None
    response = _order_page(request, actor, order, return_done=done)
    if done:
        response["Cache-Control"] = "no-store"
    return response


@staff_view
@require_POST
def order_payment(request, actor: Actor, order_id: int):
    """Cash or card terminal at the till: all that is owed, or part (a deposit, split tender)."""
    order = access_order(actor, order_id)
    form = PaymentForm(request.POST)
    method = request.POST.get("method", "")
    try:
        if method not in (Method.CASH, Method.TERMINAL):
            raise InvalidInput(_("Choose cash or card terminal."), code="invalid_method")
        if not form.is_valid():
            raise InvalidInput(_("Type the amount taken."), code="invalid_amount")
        amount = parse_price(form.cleaned_data["amount"], order.currency)
        if amount <= 0:
            raise InvalidInput(_("The amount must be more than zero."), code="invalid_amount")
        payment = payments.payment_record(
            actor=actor, order=order, method=method, amount=amount, note=form.cleaned_data["note"],
            idempotency_key=request.POST.get("key", "")[:80],
        )  # fmt: skip
    except DomainError as failure:
        return _order_page(request, actor, order, form=form, error=failure, status=failure.status)
    messages.success(request, _("%(method)s payment recorded.") % {"method": payment.get_method_display()})
    return redirect("console:sell_order", slug=actor.boutique.slug, order_id=order.pk)


@staff_view
@require_POST
def order_card(request, actor: Actor, order_id: int):
    """A hosted card payment (the sandbox provider here): the associate or the client pays on its page
    and comes back to this order."""
    order = access_order(actor, order_id)
    back = request.build_absolute_uri(
        reverse("console:sell_order", kwargs={"slug": actor.boutique.slug, "order_id": order.pk})
    )
    try:
        payment = payments.payment_start(actor=actor, order=order, provider="sandbox", return_url=back,
                                         idempotency_key=request.POST.get("key", "")[:80])  # fmt: skip
    except DomainError as failure:
        return _order_page(request, actor, order, error=failure, status=failure.status)
    if not payment.redirect_url:
        return redirect("console:sell_order", slug=actor.boutique.slug, order_id=order.pk)
    return redirect(payment.redirect_url)


# ---------------------------------------------------------------------------------------------
# 4. Pay links


def _share(link, url: str, boutique) -> dict:
    """The text a client receives (in the boutique's language), and the links that open it in
    WhatsApp or an email."""
    with translation.override(boutique.language.split("-")[0]):
        text = link.message.strip() or _("Your pieces from %(boutique)s are ready to pay here:") % {
            "boutique": boutique.name
        }
        subject = _("Your pieces from %(boutique)s") % {"boutique": boutique.name}
    return share_links(body=f"{text}\n{url}", subject=subject, email=link.order.client_email)


@staff_view
@require_GET
def pay_link_page(request, actor: Actor, link_id: int):
    link = access_pay_link(actor, link_id)
    order = access_order(actor, link.order_id)
    url = pay_links.pay_link_url(link)
    context = {
        "actor": actor, "boutique": actor.boutique, "link": link, "order": order, "url": url,
        "state": pay_links.pay_link_state(link), **_share(link, url, actor.boutique),
    }  # fmt: skip
    return render(request, "console/sell/pay_link.html", context)


@staff_view
@require_GET
def pay_link_index(request, actor: Actor):
    """The pay links this associate sent (?who=all: the whole boutique's), by state."""
    state = request.GET.get("status", "")
    if state not in dict(PAY_LINK_STATES):
        state = ""
    everyone = request.GET.get("who") == "all"
    links = pay_link_list(actor=actor)
    if not everyone:
        links = links.filter(created_by_id=actor.user_id)
    now = timezone.now()
    # An active link past its expiry is expired already, before the sweep marks it.
    if state == PayLink.Status.ACTIVE:
        links = links.filter(status=PayLink.Status.ACTIVE, expires_at__gt=now)
    elif state == PayLink.Status.EXPIRED:
        links = links.filter(status__in=[PayLink.Status.ACTIVE, PayLink.Status.EXPIRED], expires_at__lte=now)
    elif state:
        links = links.filter(status=state)
    rows = [
        {"link": link, "state": pay_links.pay_link_state(link, now=now), "url": pay_links.pay_link_url(link)}
        for link in links.order_by("-created_at", "-id")[:PAY_LINKS_SHOWN]
    ]
    context = {
        "actor": actor, "boutique": actor.boutique, "rows": rows, "status": state, "everyone": everyone,
        "states": PAY_LINK_STATES,
    }  # fmt: skip
    return render(request, "console/sell/pay_links.html", context)


@staff_view
@require_http_methods(["GET", "POST"])
def pay_link_revoke(request, actor: Actor, link_id: int):
    """Revoke asks first (GET), then withdraws the link and puts the pieces back on sale (POST)."""
    link = access_pay_link(actor, link_id)
    error, status = None, 200
    if request.method == "POST":
        try:
            pay_links.pay_link_revoke(actor=actor, link=link)
        except DomainError as failure:
            error, status = failure, failure.status
        else:
            messages.success(request, _("Pay link for order %(number)s revoked: the pieces are on sale again.") % {
                "number": link.order_id})  # fmt: skip
            return redirect("console:pay_links", slug=actor.boutique.slug)
    context = {"actor": actor, "boutique": actor.boutique, "link": link, "error": error}
    return render(request, "console/sell/pay_link_revoke.html", context, status=status)
