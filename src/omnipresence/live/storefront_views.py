"""The public live shopping pages, under /<slug>/live/ (namespace storefront): the boutique's events,
the event page (player, featured pieces with live stock, pinned piece, chat, reserve and buy) and,
once ended, its replay with the moment each piece was shown.

A viewer is a signed viewer token (live.viewers), made when she opens the event page and put in the
page (its socket, its forms); her first post or reservation keeps it in her session, per event. Everything works
without JavaScript (forms post here, the page redirects back); event.js adds the live updates.
"""

from django.http import Http404
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnipresence.catalog.selectors import variant_get
from omnipresence.core.errors import DomainError, InvalidInput, NotFound
from omnipresence.live import selectors, services, shopping, streams, viewers
from omnipresence.live.errors import ViewerTokenInvalid
from omnipresence.live.models import LiveEvent, LiveReservation
from omnipresence.stores.access import boutique_by_slug

SESSION_KEY = "live_viewers"  # {event id: viewer token}


def _event_or_404(slug: str, event_id: int) -> LiveEvent:
    try:
        return selectors.event_get(boutique=boutique_by_slug(slug), event_id=event_id)
    except NotFound:
        raise Http404


def viewer(request, event: LiveEvent, *, create: bool) -> tuple[str | None, str]:
    """(her viewer key, token) for this event: the token kept in her session, else the one her form
    carried (the page puts it in every form), else a new one when `create` (what the API's join
    gives). Opening the page writes nothing; her first post or reservation keeps the token in her
    session, so her reservations follow her from page to page."""
    tokens = request.session.get(SESSION_KEY, {})
    for token, kept in ((tokens.get(str(event.pk)), True), (request.POST.get("viewer_token", "")[:300], False)):
        if not token:
            continue
        try:
            key = viewers.viewer_key_of(token, event_id=event.pk)
        except ViewerTokenInvalid:
            continue
        if not kept and request.method == "POST":
            _keep(request, event, token)
        return key, token
    if not create:
        return None, ""
    key, token = viewers.viewer_token_new(event_id=event.pk)
    if request.method == "POST":
        _keep(request, event, token)
    return key, token


def _keep(request, event: LiveEvent, token: str) -> None:
    tokens = {k: v for k, v in request.session.get(SESSION_KEY, {}).items() if k != str(event.pk)}
    request.session[SESSION_KEY] = {**dict(list(tokens.items())[-9:]), str(event.pk): token}  # the last ten events


def _seek_seconds(request) -> int | None:
    value = request.GET.get("t", "")
    return int(value) if value.isdigit() and len(value) < 7 else None


def _reservation_rows(event: LiveEvent, key: str | None) -> list[dict]:
    if key is None:
        return []
    rows = []
    for reservation in selectors.viewer_reservations(event=event, viewer_key=key):
        state = selectors.reservation_state(reservation)
        if state in (LiveReservation.Status.RESERVED, LiveReservation.Status.ORDERED):
            rows.append({"reservation": reservation, "state": state})
    return rows


def _render_event(request, event: LiveEvent, *, status: int = 200, error: DomainError | None = None, chat_form=None):
    live = event.status == LiveEvent.Status.LIVE
    key, token = viewer(request, event, create=event.status != LiveEvent.Status.ENDED)
    data = selectors.event_public_data(event)
    if event.stream_provider == LiveEvent.Stream.LIVEKIT and key and event.status != LiveEvent.Status.ENDED:
        data["stream"] = selectors.stream_data(event, identity=f"viewer-{key}")  # her subscribe token
    replay = selectors.replay_data(event) if event.status == LiveEvent.Status.ENDED else None
    context = {
        "boutique": event.boutique, "event": event, "data": data, "live": live, "replay": replay,
        "seek": _seek_seconds(request), "messages_list": [selectors.message_data(m) for m in selectors.chat_list(event=event)],
        "reservations": _reservation_rows(event, key), "error": error,
        "chat_form": chat_form or {"name": request.session.get("live_chat_name", "")},
        "viewer_token": token,
        "socket_url": f"/ws/live/{event.boutique.slug}/{event.pk}/?token={token}" if token else "",
        "local_card": static(streams.LOCAL_STREAM), "name_max": services.NAME_MAX, "text_max": services.TEXT_MAX,
    }  # fmt: skip
    return render(request, "live/storefront/event.html", context, status=status)


@never_cache
@require_GET
def live_events(request, slug: str):
    try:
        boutique = boutique_by_slug(slug)
    except NotFound:
        raise Http404
    groups = selectors.events_by_state(boutique=boutique)
    return render(request, "live/storefront/events.html", {"boutique": boutique, **groups})


@never_cache
@require_GET
def live_event(request, slug: str, event_id: int):
    return _render_event(request, _event_or_404(slug, event_id))


@require_GET
def live_event_ics(request, slug: str, event_id: int):
    """The event for her calendar (nothing asked of her, nothing kept)."""
    from django.http import HttpResponse

    from omnipresence.live.calendar import event_ics

    event = _event_or_404(slug, event_id)
    response = HttpResponse(event_ics(event), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="live-{event.pk}.ics"'
    return response


def _back(event: LiveEvent, anchor: str = "") -> str:
    return reverse("storefront:live_event", args=[event.boutique.slug, event.pk]) + anchor


def _quantity(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= services.MAX_PER_VIEWER:
        raise InvalidInput(_("Choose a quantity from 1 to %(max)s.") % {"max": services.MAX_PER_VIEWER},
                           code="invalid_quantity")  # fmt: skip
    return int(raw)


@never_cache
@require_POST
def live_reserve(request, slug: str, event_id: int):
    """Reserve a featured piece: a short live hold at the event's shop, shown with its countdown."""
    event = _event_or_404(slug, event_id)
    try:
        key, _token = viewer(request, event, create=event.status == LiveEvent.Status.LIVE)
        if key is None:
            raise ViewerTokenInvalid(_("Open the event page again to join it."))
        sku = request.POST.get("sku", "").strip()[:64]
        if not sku:
            raise InvalidInput(_("Choose a size or colour."), code="invalid_sku")
        variant = variant_get(boutique=event.boutique, variant_ref=sku)
        shopping.reservation_place(event=event, viewer_key=key, variant=variant,
                                   quantity=_quantity(request.POST.get("quantity", "1")))  # fmt: skip
    except DomainError as error:
        return _render_event(request, event, status=error.status, error=error)
    return redirect(_back(event, "#my-reservations"))


def _my_reservation(request, event: LiveEvent, reservation_id: int) -> tuple[str, LiveReservation]:
    key, _token = viewer(request, event, create=False)
    if key is None:
        raise Http404
    try:
        return key, selectors.access_reservation(event, key, reservation_id)
    except NotFound:
        raise Http404


@never_cache
@require_POST
def live_release(request, slug: str, event_id: int, reservation_id: int):
    event = _event_or_404(slug, event_id)
    _, reservation = _my_reservation(request, event, reservation_id)
    try:
        shopping.reservation_release(event=event, reservation=reservation)
    except DomainError as error:
        return _render_event(request, event, status=error.status, error=error)
    return redirect(_back(event, "#my-reservations"))


def _checkout_context(event: LiveEvent, reservation: LiveReservation, **extra) -> dict:
    line = selectors.reservation_cart_line(reservation)
    return {"boutique": event.boutique, "event": event, "reservation": reservation, "line": line,
            "shipped": line is not None and line.fulfilment != "pickup", **extra}  # fmt: skip


@never_cache
@require_http_methods(["GET", "POST"])
def live_checkout(request, slug: str, event_id: int, reservation_id: int):
    """Buy the reserved piece: her cart (made on the first POST, "Buy"), then her details and the
    order, paid online (the page answers with the payment page)."""
    event = _event_or_404(slug, event_id)
    _, reservation = _my_reservation(request, event, reservation_id)
    if request.method == "GET":
        if reservation.cart_id is None:
            return redirect(_back(event, "#my-reservations"))
        return render(request, "live/storefront/checkout.html", _checkout_context(event, reservation))
    try:
        if request.POST.get("step") != "details":  # "Buy": the hold goes into a cart of her own
            shopping.reservation_cart(event=event, reservation=reservation)
            return redirect(reverse("storefront:live_checkout", args=[slug, event.pk, reservation.pk]))
        order = shopping.reservation_checkout(
            event=event, reservation=reservation, client_name=request.POST.get("name", "").strip()[:120],
            client_email=request.POST.get("email", "").strip()[:254], client_phone=request.POST.get("phone", "").strip()[:20],
            shipping_country=request.POST.get("country", "").strip()[:2].upper(),
            shipping_address=request.POST.get("address", "").strip()[:500],
        )  # fmt: skip
    except DomainError as error:
        if reservation.cart_id is None and request.POST.get("step") != "details":
            return _render_event(request, event, status=error.status, error=error)
        reservation = selectors.access_reservation(event, reservation.viewer_key, reservation.pk)
        return render(request, "live/storefront/checkout.html",
                      _checkout_context(event, reservation, error=error, form=request.POST), status=error.status)  # fmt: skip
    from omnipresence.storefront.cart_views import order_token  # the storefront's confirmation link

    order_url = reverse("storefront:order", args=[slug, order_token(order.pk)])
    if order.balance > 0:
        payment = shopping.reservation_payment_start(event=event, order=order,
                                                     return_url=request.build_absolute_uri(order_url))  # fmt: skip
        if payment.redirect_url:
            return redirect(payment.redirect_url)
    return redirect(order_url)


@never_cache
@require_POST
def live_chat(request, slug: str, event_id: int):
    """Her message, without JavaScript (event.js posts on the socket)."""
    event = _event_or_404(slug, event_id)
    form = {"name": request.POST.get("name", "")[:100], "text": request.POST.get("text", "")[:1000]}
    try:
        key, _token = viewer(request, event, create=event.status != LiveEvent.Status.ENDED)
        if key is None:
            raise ViewerTokenInvalid(_("Open the event page again to join it."))
        services.chat_post(event=event, viewer_key=key, name=form["name"], text=form["text"])
    except DomainError as error:
        return _render_event(request, event, status=error.status, error=error, chat_form=form)
    request.session["live_chat_name"] = form["name"][: services.NAME_MAX]
    return redirect(_back(event, "#chat"))
