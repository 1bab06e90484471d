"""The client's pages: a pay link (/pay/<token>/) and the sandbox provider's hosted payment page
(/pay/sandbox/<reference>/). Nobody logs in: the unguessable token is the key, and a wrong one is
simply not found."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnipresence.core.errors import DomainError
from omnipresence.core.money import format_money
from omnipresence.payments import pay_links, services
from omnipresence.payments.models import Payment, SandboxCharge
from omnipresence.payments.providers import get_provider
from omnipresence.payments.providers.base import PaymentError
from omnipresence.payments.selectors import pay_link_page_order


def _link_or_404(token: str):
    try:
        return pay_links.pay_link_by_token(token)
    except DomainError:
        raise Http404("No such pay link")


def _page(request, link, *, error: DomainError | None = None, status: int = 200, payment: Payment | None = None):
    order = pay_link_page_order(link)
    boutique = order.boutique
    lines = []
    for line in order.lines.all():
        product = line.variant.product if line.variant_id else None
        images = list(product.images.all()) if product else []
        lines.append({"line": line, "image": images[0] if images else None, "product": product})
    context = {
        "boutique": boutique, "accent_colour": boutique.brand_colour, "link": link, "order": order, "lines": lines,
        "state": pay_links.pay_link_state(link), "error": error, "payment": payment,
        "associate": order.associate, "now": timezone.now(),
    }  # fmt: skip
    response = render(request, "payments/pay_link.html", context, status=status)
    # The token must not leak to other sites; same-origin still lets the CSRF check see our Origin.
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def pay_link_page(request, token: str):
    link = _link_or_404(token)
    pay_links.pay_link_viewed(link=link)
    return _page(request, link)


@require_POST
def pay_link_pay(request, token: str):
    link = _link_or_404(token)
    return_url = request.build_absolute_uri(reverse("payments:pay_link_return", args=[token]))
    try:
        payment = pay_links.pay_link_pay(link=link, return_url=return_url)
    except DomainError as error:
        return _page(request, link, error=error, status=error.status)
    if payment.status == Payment.Status.SUCCEEDED:
        return redirect("payments:pay_link", token=token)
    return redirect(payment.redirect_url)


@require_GET
def pay_link_return(request, token: str):
    """Back from the payment page: ask the provider at once rather than wait for its notification."""
    link = _link_or_404(token)
    payment = Payment.objects.filter(pay_link=link).order_by("-pk").first()
    error = None
    if payment is not None:
        try:
            payment = services.payment_sync(payment=payment)
        except PaymentError as problem:
            error = problem
    link.refresh_from_db()
    return _page(request, link, payment=payment, error=error)


@require_http_methods(["GET", "POST"])
def sandbox_page(request, reference: str):
    """The sandbox provider's hosted page: it stands for Stripe Checkout in the demo and tests."""
    charge = SandboxCharge.objects.filter(reference=reference[:64]).first()
    if charge is None:
        raise Http404("No such sandbox payment")
    sandbox = get_provider("sandbox")
    error = None
    status = 200
    if request.method == "POST":
        try:
            answer = sandbox.pay(reference=charge.reference, card=request.POST.get("card", ""))
        except DomainError as problem:
            error, status = problem, problem.status
        else:
            payment = Payment.objects.filter(provider="sandbox", reference=charge.reference).first()
            if payment is not None:
                if answer.status == "succeeded":
                    services.payment_succeeded(payment_id=payment.pk, answer=answer)
                else:
                    services.payment_sync(payment=payment)
            if answer.status == "succeeded" and charge.return_url:
                return redirect(charge.return_url)
        charge.refresh_from_db()
    view = sandbox.retrieve(reference=charge.reference)
    return render(
        request, "payments/sandbox.html",
        {"charge": charge, "state": view.status, "error": error,
         "amount_text": format_money(charge.amount, charge.currency, request.LANGUAGE_CODE or "en")},
        status=status,
    )  # fmt: skip
