"""Reads of walk-in recognition: what her associate sees when she walks in (`walk_in_context`),
the alert sent over the socket, today's visits, and the QR codes (hers and each shop's)."""

from datetime import datetime, time
from html import escape
from zoneinfo import ZoneInfo

import segno
from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from omnipresence.accounts.models import ProductView, WishlistItem
from omnipresence.clients.models import Client, Identity, TimelineEvent
from omnipresence.clients.selectors import consent_allows
from omnipresence.core.money import format_money
from omnipresence.inventory.models import Hold
from omnipresence.orders.models import Cart
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Location
from omnipresence.visits.errors import VisitNotFound
from omnipresence.visits.models import Visit
from omnipresence.visits.services import checkin_code_ensure, checkin_token, checkin_url

CONTEXT_ITEMS = 5
TODAY_LIMIT = 200


# --- QR codes --------------------------------------------------------------------------------


def _qr_svg(data: str, label: str, *, scale: int = 4) -> str:
    """An inline SVG QR code announced as one image with a label (segno writes no role)."""
    svg = segno.make(data, error="m").svg_inline(scale=scale, border=2, dark="#111", light="#fff")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" focusable="false" ', 1)


def checkin_qr_svg(client: Client) -> str:
    """Her personal check-in QR: the console's scan page for her token (staff login required)."""
    return _qr_svg(
        checkin_url(client=client),
        _("Your check-in code for %(boutique)s") % {"boutique": client.boutique.name},
    )


def checkin_code_text(client: Client) -> str:
    return checkin_token(checkin_code_ensure(client=client))


def shop_url(location: Location) -> str:
    path = reverse("storefront:visit_shop", args=[location.boutique.slug, location.code])
    return (getattr(settings, "SITE_URL", "") or "") + path


def shop_qr_svg(location: Location) -> str:
    return _qr_svg(shop_url(location), _("Check-in code of %(shop)s") % {"shop": location.name}, scale=6)


def checkin_locations(*, boutique) -> list[Location]:
    return list(
        Location.objects.select_related("boutique")
        .filter(boutique=boutique, is_active=True, sells_in_person=True)
        .order_by("priority", "name", "id")
    )


# --- what her associate sees -----------------------------------------------------------------


def _identity_values(client: Client) -> tuple[list[str], list[str]]:
    emails, phones = [], []
    for kind, value in Identity.objects.filter(client=client).values_list("kind", "value"):
        (emails if kind == Identity.Kind.EMAIL else phones).append(value)
    return emails, phones


def _holds(client: Client, contacts: list[str]) -> list[dict]:
    placed = TimelineEvent.objects.filter(
        client=client, kind=TimelineEvent.Kind.HOLD_PLACED, ref_kind="hold"
    ).values_list("ref_id", flat=True)
    mine = Q(owner_ref=f"client:{client.pk}") | Q(pk__in=list(placed[:200]))
    if contacts:
        mine |= Q(client_contact__in=contacts)
    holds = (
        Hold.objects.filter(boutique_id=client.boutique_id, kind=Hold.Kind.CLIENT, status=Hold.Status.ACTIVE)
        .filter(mine)
        .select_related("variant__product", "location")
        .order_by("expires_at", "id")[:CONTEXT_ITEMS]
    )
    return [
        {"title": h.variant.product.title, "variant": str(h.variant), "quantity": h.quantity,
         "shop": h.location.name, "expires_at": h.expires_at.isoformat() if h.expires_at else None}
        for h in holds
    ]  # fmt: skip


def _bag(client: Client, emails: list[str], phones: list[str]) -> dict | None:
    refs = [*emails, *phones]
    if not refs:
        return None
    cart = (
        Cart.objects.filter(boutique_id=client.boutique_id, status=Cart.Status.OPEN)
        .filter(Q(client_ref__in=refs) | Q(client_email__in=emails))
        .prefetch_related("lines__variant__product")
        .order_by("-updated_at", "-id")
        .first()
    )
    if cart is None or not cart.lines.all():
        return None
    lines = [
        {"title": line.variant.product.title, "variant": str(line.variant), "quantity": line.quantity}
        for line in cart.lines.all()
    ]
    return {"id": cart.pk, "pieces": sum(line["quantity"] for line in lines), "lines": lines[:CONTEXT_ITEMS]}


def walk_in_context(client: Client) -> dict:
    """What her associate needs at the door: what she looked at online (only with her
    personalization consent), her open bag, wishlist, pieces put aside for her, the last
    conversation, her spend, tier and sizes."""
    boutique = client.boutique
    emails, phones = _identity_values(client)
    personal = consent_allows(client=client, purpose="personalization")
    viewed = []
    if personal:
        viewed = [
            {"title": view.product.title, "views": view.views, "at": view.viewed_at.isoformat()}
            for view in ProductView.objects.filter(client=client, boutique_id=client.boutique_id)
            .select_related("product")
            .order_by("-viewed_at", "-id")[:CONTEXT_ITEMS]
        ]
    wishlist = [
        {"title": item.product.title, "variant": str(item.variant) if item.variant else ""}
        for item in WishlistItem.objects.filter(client=client, boutique_id=client.boutique_id)
        .select_related("product", "variant")
        .order_by("-created_at", "-id")[:CONTEXT_ITEMS]
    ]
    message = (
        TimelineEvent.objects.filter(client=client, kind=TimelineEvent.Kind.MESSAGE)
        .order_by("-occurred_at", "-id")
        .values("summary", "occurred_at")
        .first()
    )
    return {
        "viewed": viewed,
        "viewed_hidden": not personal,
        "bag": _bag(client, emails, phones),
        "wishlist": wishlist,
        "holds": _holds(client, [*emails, *phones]),
        "last_message": {"summary": message["summary"], "at": message["occurred_at"].isoformat()}
        if message
        else None,
        "lifetime_spend": client.lifetime_spend,
        "lifetime_spend_text": format_money(client.lifetime_spend, boutique.currency, boutique.language),
        "orders_count": client.orders_count,
        "tier": client.tier,
        "tier_label": client.get_tier_display(),
        "sizes": dict(client.sizes or {}),
    }


def _visit_queryset(boutique):
    return Visit.objects.filter(boutique=boutique).select_related(
        "client", "client__boutique", "location", "acknowledged_by", "checked_in_by"
    )


def walk_in_alert(*, visit_id: int) -> dict | None:
    """The socket message for a new visit (ids and text only, JSON-ready)."""
    visit = Visit.objects.select_related("boutique").filter(pk=visit_id).first()
    if visit is None:
        return None
    visit = _visit_queryset(visit.boutique).get(pk=visit_id)
    client, slug = visit.client, visit.boutique.slug
    return {
        "type": "walk_in",
        "visit_id": visit.pk,
        "client": {"id": client.pk, "name": client.display_name or _("Client %(id)s") % {"id": client.pk},
                   "tier": client.tier, "tier_label": client.get_tier_display()},
        "location": {"code": visit.location.code, "name": visit.location.name},
        "at": visit.created_at.isoformat(),
        "context": walk_in_context(client),
        "profile_url": reverse("console:client_profile", args=[slug, client.pk]),
        "acknowledge_url": reverse("console:visit_acknowledge", args=[slug, visit.pk]),
    }  # fmt: skip


# --- the console -----------------------------------------------------------------------------


def access_visit(actor: Actor, visit_id: int) -> Visit:
    actor.require("clients.view")
    visit = _visit_queryset(actor.boutique).filter(pk=visit_id).first()
    if visit is None:
        raise VisitNotFound(f"No visit {visit_id}.")
    return visit


def day_bounds(boutique, day=None) -> tuple[datetime, datetime]:
    """Midnight to midnight of `day` (default: today) in the boutique's time zone."""
    zone = ZoneInfo(boutique.timezone or "UTC")
    day = day or timezone.now().astimezone(zone).date()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day, time.max, tzinfo=zone)
    return start, end


def visits_today(*, actor: Actor) -> list[Visit]:
    actor.require("clients.view")
    start, end = day_bounds(actor.boutique)
    return list(
        _visit_queryset(actor.boutique)
        .filter(created_at__gte=start, created_at__lte=end, client__erased_at__isnull=True)
        .order_by("-created_at", "-id")[:TODAY_LIMIT]
    )
