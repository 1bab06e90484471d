"""The appointment room's pages under /<slug>/appointments/room/<room>/ (namespace storefront).

Every request carries the room token (`?t=`, or the form's `t`): it says who is there, her or the
associate, and nothing else is needed — no login. The page shows the appointment, the countdown to
the hard cap, the video and the shared cart. Changes are plain form posts (they work without
JavaScript: post / redirect / get); with JavaScript the page posts them with fetch, and the room's
socket pushes every change to both windows, which then reload the cart's fragment (`cart/`)."""

from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from omnipresence.appointments import room as rooms
from omnipresence.appointments.models import AppointmentType
from omnipresence.catalog.models import Variant
from omnipresence.core.errors import DomainError, InvalidInput
from omnipresence.stores.access import boutique_by_slug
from omnipresence.stores.models import Boutique

ACTIONS = {"add", "set", "remove", "pay_link", "collect", "finish"}


def _enter(slug: str, room: str, token: str):
    boutique = boutique_by_slug(slug)
    entry, appointment = rooms.room_enter(boutique=boutique, room=room, token=token)
    return boutique, entry, appointment


def _error_page(request, slug: str, error: DomainError):
    boutique = Boutique.objects.filter(slug=slug).first()  # the shop's header when the shop exists
    return render(request, "appointments/room/error.html", {"error": error, "boutique": boutique}, status=error.status)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _context(request, boutique, entry, appointment, token: str, *, error: DomainError | None = None) -> dict:
    state = rooms.room_state(appointment.pk)
    video_url = ""
    provider = appointment.video_provider or ""
    if appointment.mode == AppointmentType.Mode.VIDEO and provider != "local":
        try:
            from omnipresence.appointments.invitations import join_link

            link = join_link(appointment, host=entry.host)
            video_url = link.url if link else ""
        except DomainError:  # a meeting link not pasted yet, a provider not configured: no button
            video_url = ""
    associate = appointment.associate
    choices = []
    if entry.host and state["open"]:
        choices = list(Variant.objects.filter(boutique=boutique, is_active=True, product__status="active")
                       .select_related("product").order_by("product__title", "position", "sku")[:200])  # fmt: skip
    return {
        "boutique": boutique, "appointment": appointment, "entry": entry, "token": token, "state": state,
        "client_first_name": (appointment.client.display_name or "").split(" ")[0] or _("you"),
        "associate_name": associate.first_name or associate.get_username(), "provider": provider,
        "video_url": video_url, "variant_choices": choices, "error": error,
        "socket_path": f"/ws/appointments/{boutique.slug}/room/{entry.room}/?{urlencode({'t': token})}",
        "cart_url": reverse("storefront:appointment_room_cart", args=[boutique.slug, entry.room]),
        "action_url": reverse("storefront:appointment_room_action", args=[boutique.slug, entry.room]),
    }  # fmt: skip


@never_cache
@require_GET
def room_page(request, slug: str, room: str):
    token = request.GET.get("t", "")
    try:
        boutique, entry, appointment = _enter(slug, room, token)
    except DomainError as error:
        return _error_page(request, slug, error)
    return render(request, "appointments/room/page.html", _context(request, boutique, entry, appointment, token))


@never_cache
@require_GET
def room_cart(request, slug: str, room: str):
    """The shared cart's fragment, what both windows reload when the socket says it changed."""
    token = request.GET.get("t", "")
    try:
        boutique, entry, appointment = _enter(slug, room, token)
    except DomainError as error:
        return JsonResponse(error.as_dict(), status=error.status)
    return render(request, "appointments/room/_cart.html", _context(request, boutique, entry, appointment, token))


def _variant_ref(value: str):
    value = (value or "").strip()[:64]
    return int(value) if value.isdigit() and len(value) < 12 else value


def _act(entry, action: str, post) -> str:
    """One change; returns what to tell her (a short sentence)."""
    if action == "add":
        rooms.room_cart_add(entry=entry, variant_ref=_variant_ref(post.get("variant")), quantity=post.get("quantity", "1"))
        return _("Added to the cart.")
    if action == "set":
        rooms.room_cart_set(entry=entry, variant_ref=_variant_ref(post.get("variant")), quantity=post.get("quantity"))
        return _("The cart is updated.")
    if action == "remove":
        rooms.room_cart_set(entry=entry, variant_ref=_variant_ref(post.get("variant")), quantity=0)
        return _("Taken out of the cart.")
    if action == "pay_link":
        rooms.room_pay_link_send(entry=entry)
        return _("The pay link is sent.")
    if action == "collect":
        order = rooms.room_click_and_collect(entry=entry)
        return _("Order %(id)s is ready to be collected.") % {"id": order.pk}
    rooms.room_finish(entry=entry)
    return _("The appointment is finished: a follow-up task is on your list.")


@never_cache
@require_POST
def room_action(request, slug: str, room: str):
    token = request.POST.get("t", "")
    try:
        boutique, entry, appointment = _enter(slug, room, token)
    except DomainError as error:
        if _wants_json(request):
            return JsonResponse(error.as_dict(), status=error.status)
        return _error_page(request, slug, error)
    action = request.POST.get("action", "")
    try:
        if action not in ACTIONS:
            raise InvalidInput(_("Unknown action."), code="invalid_action")
        said = _act(entry, action, request.POST)
    except DomainError as error:
        if _wants_json(request):
            return JsonResponse(error.as_dict(), status=error.status)
        context = _context(request, boutique, entry, appointment, token, error=error)
        return render(request, "appointments/room/page.html", context, status=error.status)
    if _wants_json(request):
        return JsonResponse({"ok": True, "message": said, "state": rooms.room_state(appointment.pk)})
    url = reverse("storefront:appointment_room", args=[boutique.slug, entry.room])
    return redirect(f"{url}?{urlencode({'t': token})}")
