"""The storefront's bag, checkout and order confirmation.

Views parse the form, call one orders / payments service as the boutique's web channel
(`bag.web_actor`) and redirect (post / redirect / get). Expected failures become an accessible alert
on the page with what the client typed kept, never a 500. The confirmation URL carries a signed
order id, so one client cannot read another's order. A gift card or store credit given at checkout
pays first (what it holds, up to the total); the provider's page then asks only for the rest.
"""

import uuid
from datetime import timedelta

from babel import Locale
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext_lazy, to_locale
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnipresence.accounts.product_page import bag_added
from omnipresence.core.errors import DomainError, InsufficientStock, NotFound
from omnipresence.core.templatetags.omni import money
from omnipresence.inventory.selectors import availability_for_variants
from omnipresence.orders import services as orders
from omnipresence.orders.errors import CartClosed
from omnipresence.orders.models import Channel, Fulfilment, Order
from omnipresence.orders.selectors import access_order, shipping_rules
from omnipresence.payments import gift_cards
from omnipresence.payments import services as payments
from omnipresence.payments.models import GiftCard, Method, Payment, Provider
from omnipresence.payments.providers import online_provider_name
from omnipresence.payments.providers.base import PaymentError
from omnipresence.payments.selectors import payments_of_order
from omnipresence.storefront import bag as bags
from omnipresence.storefront.views import _boutique_or_404, _product_or_404
from omnipresence.stores.models import Boutique

MAX_QUANTITY = 10  # per line on the web; the shop floor sells more through the console
ORDER_SALT = "storefront-order"
ORDER_LINK_DAYS = 90  # a confirmation link from the payment page or an email stays readable this long
NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


def _quantity(value: str, *, allow_zero: bool = False) -> int | None:
    try:
        quantity = int(value)
    except (TypeError, ValueError):
        return None
    return quantity if (0 if allow_zero else 1) <= quantity <= MAX_QUANTITY else None


def page_status(error: DomainError) -> int:
    """A refused form is a 422 (409 for a conflict with the stock or a counter, 402 for a card)."""
    return error.status if error.status in (402, 409, 503) else 422


def problem_text(error: DomainError, bag: bags.Bag | None = None, country_name: str = "") -> str:
    """What the client reads for a refusal: the domain's codes in the boutique's words."""
    texts = {
        "coupon_unknown": _("We do not recognise this code. Check it and try again."),
        "coupon_expired": _("This code has expired."),
        "coupon_not_started": _("This code is not valid yet."),
        "coupon_exhausted": _("This code has been used up."),
        "coupon_already_used": _("You have already used this offer."),
        "coupon_client_required": _("This offer is once per client: enter your email with the code."),
        "coupon_not_applicable": _("This code does not apply to the pieces in your bag."),
        "coupon_wrong_channel": _("This code cannot be used online."),
        "coupon_min_spend": _("Your bag does not reach this offer's minimum spend."),
        "shipping_unavailable": _(
            "We do not deliver to %(country)s yet. Choose another country, or collect in a shop."
        )
        % {"country": country_name or _("this country")},
        "cart_checked_out": _("This bag has already been ordered."),
        "empty_cart": _("Your bag is empty."),
        "payment_declined": _("Your card was declined. Try another card."),
        "provider_unavailable": _("Payments are unavailable for a moment. Please try again."),
        "gift_card_unknown": _("We do not recognise this gift card code. Check it and try again."),
        "gift_card_expired": _("This gift card has expired."),
        "gift_card_inactive": _("This gift card has been cancelled."),
        "gift_card_empty": _("This gift card has been spent."),
        "currency_mismatch": _("This gift card is in another currency and cannot be used here."),
    }
    if error.code == "insufficient_stock":
        return _("Some pieces are no longer available as chosen:") + " " + "; ".join(short_lines(error, bag))
    return texts.get(error.code, error.message)


def short_lines(error: InsufficientStock, bag: bags.Bag | None) -> list[str]:
    """Each short line of an insufficient_stock error, by title, variant and way."""
    by_key = {}
    for entry in bag.lines if bag else []:
        line = entry.line
        by_key[(line.variant.sku, line.fulfilment, line.location.code if line.location else None)] = entry
    texts = []
    for short in (error.details or {}).get("lines", []):
        entry = by_key.get((short["sku"], short["fulfilment"], short.get("location")))
        what = f"{entry.line.variant.product.title} ({entry.line.variant.label})" if entry else short["sku"]
        way = entry.way_phrase if entry else ""
        texts.append(_("%(what)s %(way)s: %(available)s of %(requested)s available") % {
            "what": what, "way": way, "available": short["available"], "requested": short["requested"]})  # fmt: skip
    return texts


# ---------- The bag ----------


def _render_bag(request, boutique: Boutique, *, error: str = "", code_error: str = "", code_value: str = "",
                ask_email=False, email_value: str = "", status: int = 200):  # fmt: skip
    cart = bags.session_cart(request, boutique)
    bag = bags.bag_read(actor=bags.web_actor(boutique), cart=cart) if cart is not None else None
    coupon_problem = ""
    if bag is not None and bag.cart.code and bag.price.coupon_problem is not None:
        coupon_problem = problem_text(
            DomainError(bag.price.coupon_problem.message, code=bag.price.coupon_problem.code)
        )
    context = {
        "boutique": boutique, "accent_colour": boutique.brand_colour, "bag": bag, "error": error,
        "code_error": code_error, "coupon_problem": coupon_problem, "code_value": code_value, "ask_email": ask_email,
        "email_value": email_value, "quantities": range(1, MAX_QUANTITY + 1),
        "country_name": _country_name(bag.cart.shipping_country) if bag else "",
    }  # fmt: skip
    return _no_store(render(request, "storefront/cart.html", context, status=status))


@require_GET
def bag_page(request, slug: str):
    return _render_bag(request, _boutique_or_404(slug))


@require_POST
def bag_add(request, slug: str):
    """The "Add to bag" form of the product page: the variant, and the way to get it (a pickup shop or
    delivery), checked against live availability and what the bag already holds."""
    boutique = _boutique_or_404(slug)
    product = _product_or_404(boutique, request.POST.get("product", "")[:200])
    sku = request.POST.get("sku", "")
    variant = next((v for v in product.variants.all() if v.sku == sku), None)
    if variant is None:
        raise Http404(_("No such product."))
    back = (
        reverse("storefront:product", args=[boutique.slug, product.handle])
        + "?"
        + urlencode({"sku": variant.sku})
    )
    quantity = _quantity(request.POST.get("quantity", "1"))
    entry = availability_for_variants(boutique=boutique, variants=[variant])[variant.pk]
    way = bags.way_parse(request.POST.get("way", ""), entry)
    if quantity is None or way is None:
        messages.error(request, _("Choose how you would like to get it."))
        return redirect(back)
    fulfilment, location = way
    cart = bags.session_cart(request, boutique)
    line = None
    if cart is not None:
        line = next((li for li in cart.lines.all() if li.variant_id == variant.pk and li.fulfilment == fulfilment
                     and li.location_id == (location.pk if location else None)), None)  # fmt: skip
    wanted = quantity + (line.quantity if line else 0)
    if fulfilment == Fulfilment.PICKUP:
        place = next(la for la in entry.locations if la.location.pk == location.pk)
        units = place.available if place.can_pickup else 0
    else:
        units = bags.ship_units(entry)
    if wanted > units or wanted > MAX_QUANTITY:
        if units == 0:
            text = _("Sorry, this piece has just gone: choose another way to get it.")
        else:
            text = _("Only %(count)s available this way, and your bag already has %(held)s.") % {
                "count": units, "held": line.quantity if line else 0}  # fmt: skip
        messages.error(request, text)
        return redirect(back)
    actor = bags.web_actor(boutique)
    try:
        with transaction.atomic():
            if cart is None:
                cart = orders.cart_create(actor=actor, channel=Channel.WEB)
            orders.cart_line_set(actor=actor, cart=cart, variant=variant, quantity=wanted, fulfilment=fulfilment,
                                 location=location)  # fmt: skip
    except DomainError as error:
        messages.error(request, problem_text(error))
        return redirect(back)
    bags.session_cart_keep(request, boutique, cart)
    bag_added(request, boutique, product, variant)  # on her timeline, with her consent
    how = _("to collect at %(shop)s") % {"shop": location.name} if location else _("to be delivered")
    messages.success(request, _("%(title)s (%(variant)s) is in your bag, %(how)s.") % {
        "title": product.title, "variant": variant.label, "how": how})  # fmt: skip
    return redirect("storefront:cart", slug=boutique.slug)


@require_POST
def bag_line(request, slug: str, line_id: int):
    """Change a line's quantity or its way (merging into a line of the same piece and way), or
    remove it. The line is looked up among the session's own cart."""
    boutique = _boutique_or_404(slug)
    cart = bags.session_cart(request, boutique)
    line = next((li for li in cart.lines.all() if li.pk == line_id), None) if cart else None
    if line is None:
        messages.info(request, _("Your bag has changed since this page was shown."))
        return redirect("storefront:cart", slug=boutique.slug)
    actor = bags.web_actor(boutique)
    title = line.variant.product.title
    remove = "remove" in request.POST
    quantity = 0 if remove else _quantity(request.POST.get("quantity", ""), allow_zero=True)
    entry = availability_for_variants(boutique=boutique, variants=[line.variant])[line.variant_id]
    way = (
        (line.fulfilment, line.location)
        if remove
        else bags.way_parse(request.POST.get("way", bags.way_of(line)), entry)
    )
    if quantity is None or way is None:
        return _render_bag(request, boutique, error=_("Choose a quantity from 1 to %(max)s and a way to get it.")
                           % {"max": MAX_QUANTITY}, status=422)  # fmt: skip
    fulfilment, location = way
    try:
        with transaction.atomic():
            if (fulfilment, location) == (line.fulfilment, line.location) or quantity == 0:
                orders.cart_line_set(actor=actor, cart=cart, variant=line.variant, quantity=quantity,
                                     fulfilment=line.fulfilment, location=line.location)  # fmt: skip
            else:
                target = next((li for li in cart.lines.all() if li.variant_id == line.variant_id and li.pk != line.pk
                               and li.fulfilment == fulfilment and li.location == location), None)  # fmt: skip
                merged = min(quantity + (target.quantity if target else 0), MAX_QUANTITY)
                orders.cart_line_set(actor=actor, cart=cart, variant=line.variant, quantity=0,
                                     fulfilment=line.fulfilment, location=line.location)  # fmt: skip
                orders.cart_line_set(actor=actor, cart=cart, variant=line.variant, quantity=merged,
                                     fulfilment=fulfilment, location=location)  # fmt: skip
    except DomainError as error:
        return _render_bag(request, boutique, error=problem_text(error), status=page_status(error))
    if quantity == 0:
        messages.success(request, _("%(title)s has been removed from your bag.") % {"title": title})
    else:
        messages.success(request, _("Your bag has been updated."))
    return redirect("storefront:cart", slug=boutique.slug)


@require_POST
def bag_code(request, slug: str):
    """Apply a coupon code (with the client's email when the offer is once per client), or remove it."""
    boutique = _boutique_or_404(slug)
    cart = bags.session_cart(request, boutique)
    if cart is None:
        return redirect("storefront:cart", slug=boutique.slug)
    actor = bags.web_actor(boutique)
    if "remove" in request.POST:
        orders.cart_code_remove(actor=actor, cart=cart)
        messages.success(request, _("The code has been removed."))
        return redirect("storefront:cart", slug=boutique.slug)
    code = request.POST.get("code", "").strip()[:40]
    email = request.POST.get("email", "").strip()[:254]
    if not code:
        return _render_bag(request, boutique, code_error=_("Enter a code."), status=422)
    try:
        with transaction.atomic():
            if email:
                cart = orders.cart_update(actor=actor, cart=cart, client_email=email)
            orders.cart_code_apply(actor=actor, cart=cart, code=code)
    except DomainError as error:
        text = _("Enter a valid email address.") if error.code == "invalid_client" else problem_text(error)
        return _render_bag(request, boutique, code_error=text, code_value=code, email_value=email, status=page_status(error),
                           ask_email=error.code in ("coupon_client_required", "invalid_client", "coupon_already_used"))  # fmt: skip
    messages.success(request, _("Code %(code)s applied.") % {"code": code.upper()})
    return redirect("storefront:cart", slug=boutique.slug)


# ---------- Checkout ----------


def _country_name(code: str) -> str:
    try:
        return Locale.parse(to_locale(get_language() or "en")).territories.get(code, code)
    except (ValueError, TypeError):
        return code


def country_choices(boutique: Boutique) -> list[tuple[str, str]]:
    """The countries the boutique delivers to (every country when a rule covers "*")."""
    rules = shipping_rules(boutique=boutique)
    codes = {c for rule in rules for c in rule.countries if c != "*"} | {boutique.country}
    if any("*" in rule.countries for rule in rules):
        codes |= {
            c
            for c in Locale.parse("en").territories
            if len(c) == 2 and c.isalpha() and c not in NOT_COUNTRIES
        }
    return sorted(((c, _country_name(c)) for c in codes), key=lambda pair: pair[1])


class CheckoutForm(forms.Form):
    name = forms.CharField(max_length=120, label=gettext_lazy("Full name"))
    email = forms.EmailField(max_length=254, label=gettext_lazy("Email"))
    phone = forms.CharField(max_length=20, required=False, label=gettext_lazy("Phone (optional)"))
    country = forms.ChoiceField(required=False, label=gettext_lazy("Country"))
    address = forms.CharField(max_length=300, required=False, label=gettext_lazy("Address"))
    city = forms.CharField(max_length=100, required=False, label=gettext_lazy("Town or city"))
    postcode = forms.CharField(max_length=20, required=False, label=gettext_lazy("Postcode"))
    gift_card = forms.CharField(
        max_length=40, required=False, label=gettext_lazy("Gift card or store credit")
    )
    key = forms.CharField(required=False, widget=forms.HiddenInput)  # made with the form: one order per key

    def __init__(self, *args, countries: list[tuple[str, str]], delivery: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = countries
        self.delivery = delivery

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone and not (phone.startswith("+") or phone.startswith("00")):
            raise forms.ValidationError(_("Start with your country code, e.g. +44 20 7946 0000."))
        return phone

    def clean(self):
        data = super().clean()
        if self.delivery:
            for name in ("country", "address", "city", "postcode"):
                if not (data.get(name) or "").strip():
                    self.add_error(name, _("Needed to deliver your order."))
        return data

    @property
    def shipping_address(self) -> str:
        data = self.cleaned_data
        return "\n".join(part for part in (data["address"], data["city"], data["postcode"]) if part)


def _checkout_form(request, boutique: Boutique, bag: bags.Bag, data=None) -> CheckoutForm:
    cart = bag.cart
    lines = cart.shipping_address.split("\n") + ["", "", ""]
    initial = {
        "name": cart.client_name, "email": cart.client_email, "phone": cart.client_phone,
        "country": cart.shipping_country or boutique.country, "address": lines[0], "city": lines[1],
        "postcode": lines[2], "key": uuid.uuid4().hex,
    }  # fmt: skip
    return CheckoutForm(data, initial=initial, countries=country_choices(boutique), delivery=bag.ships)


def _render_checkout(request, boutique: Boutique, bag: bags.Bag, form: CheckoutForm, *, error: str = "",
                     error_in_bag: bool = False, gift_card: GiftCard | None = None, gift_card_error: str = "",
                     status: int = 200):  # fmt: skip
    covers = min(gift_card.balance, bag.price.total) if gift_card is not None else 0
    context = {
        "boutique": boutique, "accent_colour": boutique.brand_colour, "bag": bag, "form": form, "error": error,
        "minutes": settings.CHECKOUT_PAYMENT_MINUTES, "country_name": _country_name(bag.cart.shipping_country),
        "error_in_bag": error_in_bag, "gift_card": gift_card, "gift_card_covers": covers,
        "gift_card_rest": bag.price.total - covers,
        "gift_card_error": gift_card_error or (form.errors.get("gift_card") or [""])[0],
    }  # fmt: skip
    return _no_store(render(request, "storefront/checkout.html", context, status=status))


@require_http_methods(["GET", "POST"])
def checkout(request, slug: str):
    boutique = _boutique_or_404(slug)
    actor = bags.web_actor(boutique)
    cart = bags.session_cart(request, boutique, open_only=request.method != "POST")
    if cart is None:
        return redirect("storefront:cart", slug=boutique.slug)
    bag = bags.bag_read(actor=actor, cart=cart)
    if request.method == "GET":
        if bag.blocked:
            return redirect("storefront:cart", slug=boutique.slug)
        return _render_checkout(request, boutique, bag, _checkout_form(request, boutique, bag))

    if "recalculate" in request.POST and cart.status == cart.Status.OPEN:
        # The delivery cost of another country, before paying; what was typed stays, unchecked.
        try:
            cart = orders.cart_update(
                actor=actor, cart=cart, shipping_country=request.POST.get("country", "")[:2]
            )
        except DomainError as error:
            messages.error(request, problem_text(error))
        form = _checkout_form(request, boutique, bag)
        form.initial |= {name: request.POST.get(name, "") for name in form.fields}
        return _render_checkout(request, boutique, bags.bag_read(actor=actor, cart=cart), form)
    if "check_gift_card" in request.POST:
        # What a card holds, before paying with it: nothing is written, what was typed stays.
        form = _checkout_form(request, boutique, bag)
        form.initial |= {name: request.POST.get(name, "") for name in form.fields}
        code = request.POST.get("gift_card", "").strip()[:40]
        card, problem = (
            _gift_card_usable(boutique, code) if code else (None, _("Enter the code of your card."))
        )
        return _render_checkout(request, boutique, bag, form, gift_card=card if not problem else None,
                                gift_card_error=problem, status=422 if problem else 200)  # fmt: skip
    form = _checkout_form(request, boutique, bag, data=request.POST)
    form.is_valid()
    code = form.cleaned_data.get("gift_card", "")
    if code and cart.status == cart.Status.OPEN:
        # A card that cannot pay is refused before anything is written (a second click, once the
        # order exists, goes on: the card's payment is then found by its key).
        problem = _gift_card_usable(boutique, code)[1]
        if problem:
            form.add_error("gift_card", problem)
    if form.errors:
        return _render_checkout(request, boutique, bag, form, status=422,
                                error=_("Please check the highlighted fields."))  # fmt: skip
    data = form.cleaned_data
    key = f"web-{cart.pk}-{data['key'][:40] or 'form'}"
    changes = {"client_name": data["name"], "client_email": data["email"], "client_phone": data["phone"]}
    if bag.ships:
        changes |= {"shipping_country": data["country"], "shipping_address": form.shipping_address}
    try:
        # The client's details and the order in one transaction: a refusal leaves nothing written.
        with transaction.atomic():
            try:
                orders.cart_update(actor=actor, cart=cart, **changes)
            except CartClosed:
                pass  # a second click: the first one made the order, checkout returns it
            order = orders.cart_checkout(
                actor=actor, cart=cart, idempotency_key=key,
                payment_due_at=timezone.now() + timedelta(minutes=settings.CHECKOUT_PAYMENT_MINUTES),
            )  # fmt: skip
    except DomainError as error:
        if error.code == "invalid_client":
            form.add_error("phone", _("Start with your country code, e.g. +44 20 7946 0000."))
        text = problem_text(error, bag, _country_name(data.get("country") or ""))
        in_bag = error.code == "insufficient_stock" or error.code.startswith("coupon_")
        return _render_checkout(request, boutique, bags.bag_read(actor=actor, cart=cart), form, error=text,
                                error_in_bag=in_bag, status=page_status(error))  # fmt: skip
    if code:
        token = order_token(order.pk)
        try:
            gift_cards.gift_card_pay(
                actor=actor, order=order, code=code, idempotency_key=f"web-gift-{order.pk}"
            )
        except DomainError as error:
            if error.code not in ("order_already_paid", "order_cancelled"):
                # Spent or stopped since the check: the order stands, the page offers to pay it all by card.
                order = access_order(actor, order.pk)
                messages.error(request, _("We could not use your card: %(reason)s Your order is placed and your pieces "
                                          "are set aside; pay the %(amount)s below by card.")
                               % {"reason": problem_text(error), "amount": money(order.balance, boutique)})  # fmt: skip
            return redirect("storefront:order", slug=boutique.slug, token=token)
        order = access_order(actor, order.pk)
        if order.balance <= 0:
            return redirect("storefront:order", slug=boutique.slug, token=token)
    return _pay(request, boutique, order, bag=bag, form=form)


def _gift_card_usable(boutique: Boutique, code: str) -> tuple[GiftCard | None, str]:
    """The card a code names, and why it cannot pay now ("" when it can), in the client's words,
    so a bad code stops checkout before the order is made."""
    try:
        return gift_cards.gift_card_check(actor=bags.web_actor(boutique), code=code), ""
    except DomainError as error:
        card = None
        if error.code != "gift_card_unknown":
            card = gift_cards.gift_card_find(actor=bags.web_actor(boutique), code=code)
        return card, problem_text(error)


def _pay(request, boutique: Boutique, order: Order, *, bag=None, form=None):
    """Start the online payment (with no lock held: payment_start commits before calling the
    provider) and send the client to its page; a repeat returns the payment already open."""
    token = order_token(order.pk)
    return_url = request.build_absolute_uri(reverse("storefront:order", args=[boutique.slug, token]))
    try:
        payment = payments.payment_start(actor=bags.web_actor(boutique), order=order,
                                         provider=online_provider_name(), return_url=return_url)  # fmt: skip
    except DomainError as error:
        if error.code == "order_already_paid" or bag is None:
            if error.code != "order_already_paid":
                messages.error(request, problem_text(error))
            return redirect("storefront:order", slug=boutique.slug, token=token)
        return _render_checkout(
            request, boutique, bag, form, error=problem_text(error), status=page_status(error)
        )
    if payment.status == Payment.Status.SUCCEEDED or not payment.redirect_url:
        return redirect("storefront:order", slug=boutique.slug, token=token)
    return redirect(payment.redirect_url)


# ---------- Confirmation ----------


def order_token(order_id: int) -> str:
    return signing.TimestampSigner(salt=ORDER_SALT).sign(str(order_id))


def _order_or_404(boutique: Boutique, token: str) -> Order:
    try:
        order_id = int(
            signing.TimestampSigner(salt=ORDER_SALT).unsign(token, max_age=timedelta(days=ORDER_LINK_DAYS))
        )
        return access_order(bags.web_actor(boutique), order_id)
    except (signing.BadSignature, ValueError, NotFound):
        raise Http404(_("No such order."))


def payment_label(payment: Payment) -> str:
    """How a payment reads on the client's receipt: the card, or the gift card's last four."""
    last4 = payment.details.get("last4", "")
    if payment.provider == Provider.GIFT_CARD:
        if payment.details.get("kind") == GiftCard.Kind.STORE_CREDIT:
            return _("Store credit …%(last4)s") % {"last4": last4}
        return _("Gift card …%(last4)s") % {"last4": last4}
    if payment.method == Method.CASH:
        return _("Cash")
    if payment.method == Method.TERMINAL:
        return _("Card, in the shop")
    return _("Card …%(last4)s") % {"last4": last4} if last4 else _("Card")


def _order_page(request, boutique: Boutique, order: Order, *, error: str = "", payment=None):
    paid_with = [
        {"label": payment_label(p), "amount": p.amount, "refunded": sum(r.amount for r in p.refunds.all()
                                                                         if r.status == r.Status.SUCCEEDED)}
        for p in payments_of_order(order=order) if p.status == Payment.Status.SUCCEEDED
    ]  # fmt: skip
    lines = list(order.lines.all())
    prefetch_related_objects([line for line in lines if line.variant_id], "variant__product__images")
    entries = []
    for line in lines:
        images = list(line.variant.product.images.all()) if line.variant_id else []
        entries.append({"line": line, "image": images[0] if images else None})
    address = order.shipping_address.split("\n")
    context = {
        "boutique": boutique, "accent_colour": boutique.brand_colour, "order": order, "lines": entries,
        "paid": order.payment_status == Order.PaymentStatus.PAID, "payment": payment, "error": error,
        "pickups": any(line.fulfilment == Fulfilment.PICKUP for line in lines),
        "deliveries": any(line.fulfilment != Fulfilment.PICKUP for line in lines),
        "address": [part for part in address if part], "country_name": _country_name(order.shipping_country),
        "token": request.resolver_match.kwargs["token"], "paid_with": paid_with,
    }  # fmt: skip
    response = _no_store(render(request, "storefront/order_confirmation.html", context))
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to other sites
    return response


@require_GET
def order_confirmation(request, slug: str, token: str):
    """Back from the payment page: ask the provider now rather than wait for its notification."""
    boutique = _boutique_or_404(slug)
    order = _order_or_404(boutique, token)
    pending = [p for p in payments_of_order(order=order) if p.status == Payment.Status.PENDING]
    error, payment = "", pending[-1] if pending else None
    if payment is not None:
        try:
            payment = payments.payment_sync(payment=payment)
        except PaymentError as problem:
            error = problem_text(problem)
        order = access_order(bags.web_actor(boutique), order.pk)
    if order.cart_id is not None and request.session.get(bags.session_key(boutique)) == order.cart_id:
        request.session.pop(bags.session_key(boutique))  # the bag is ordered; the next one starts empty
    return _order_page(request, boutique, order, error=error, payment=payment)


@require_POST
def order_pay(request, slug: str, token: str):
    """The "Pay" button of the confirmation, after a declined card or an abandoned payment page."""
    boutique = _boutique_or_404(slug)
    order = _order_or_404(boutique, token)
    return _pay(request, boutique, order)
