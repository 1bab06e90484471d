"""Writes for lookbooks: an associate makes one for a client (the link is sent at once), revokes
it; the client opens it (counted, on her timeline once a day), asks about a piece, has one held at
a shop, or puts one in her bag with the lookbook's attribution.

The client's actions run without a login: the token is the key, and each action checks that the
lookbook is still open. Holds go through the inventory's hold service (no oversell), the bag
through the orders services, the timeline through clients.services.timeline_add.
"""

import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from omnipresence.catalog.models import Product, Variant
from omnipresence.clients.errors import ClientNotFound
from omnipresence.clients.models import Client, Identity
from omnipresence.clients.selectors import CLIENTS_EDIT
from omnipresence.clients.services import timeline_add
from omnipresence.core.errors import Conflict, InvalidInput, NotFound
from omnipresence.core.timeutil import format_local
from omnipresence.core.validation import clean_text, same_boutique
from omnipresence.inventory import services as inventory
from omnipresence.inventory.models import Hold
from omnipresence.inventory.selectors import availability_for_variants
from omnipresence.orders import services as orders
from omnipresence.orders.models import Cart, Channel, Fulfilment, SourceKind
from omnipresence.shares.errors import ShareClosed
from omnipresence.shares.models import Share, ShareAction, ShareItem
from omnipresence.stores.access import Actor, actor_for_user, system_actor
from omnipresence.stores.models import Boutique, Location, StaffMember

log = logging.getLogger(__name__)

MAX_ITEMS = 24
MAX_DAYS = 90
MAX_QUESTIONS = 30  # per lookbook: a link passed around cannot flood the associate's inbox
MAX_ACTIVE_HOLDS = 3  # per lookbook: a link cannot put a shop's whole stock aside
MAX_BAG_UNITS = 10  # the storefront's own limit per line
DAY_KEY = 100_000  # share_viewed's reference: share id × DAY_KEY + days since DAY_ZERO
DAY_ZERO = date(2020, 1, 1)


def default_days() -> int:
    return getattr(settings, "SHARE_LINK_DAYS", 30)


# --- tokens ----------------------------------------------------------------------------------


def _token(nonce: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"share:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def share_token(share: Share) -> str:
    return _token(share.nonce)


def share_path(share: Share) -> str:
    return reverse("storefront:share", args=[share.boutique.slug, share_token(share)])


def share_url(share: Share) -> str:
    return settings.SITE_URL + share_path(share)


def share_by_token(*, boutique: Boutique, token: str) -> Share:
    """The lookbook a client opened, in this boutique. A tampered, unknown or another boutique's
    token is simply not found."""
    token = (token or "").strip()
    if not 20 <= len(token) <= 100:
        raise NotFound("There is no such lookbook.", code="share_not_found")
    share = (
        Share.objects.select_related("boutique", "client", "associate")
        .filter(boutique=boutique, token_hash=_hash(token))
        .first()
    )
    if share is None or not hmac.compare_digest(_token(share.nonce), token):
        raise NotFound("There is no such lookbook.", code="share_not_found")
    return share


def share_state(share: Share, *, now: datetime | None = None) -> str:
    """active / expired / revoked, read at this moment."""
    if share.revoked_at is not None:
        return "revoked"
    if share.expires_at <= (now or timezone.now()):
        return "expired"
    return "active"


def share_require_open(share: Share) -> None:
    state = share_state(share)
    if state == "revoked":
        raise ShareClosed(_("This lookbook has been withdrawn by the boutique."), code="share_revoked")
    if state == "expired":
        raise ShareClosed(_("This lookbook has expired. Ask your associate for a new one."), code="share_expired")


# --- the associate ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemSpec:
    product_id: int
    variant_sku: str = ""
    note: str = ""


def _item_rows(actor: Actor, items: list[ItemSpec]) -> list[tuple[Product, Variant | None, str]]:
    if not items:
        raise InvalidInput("Add at least one piece.", code="empty_share")
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"A lookbook has at most {MAX_ITEMS} pieces.", code="too_many_items")
    ids = [spec.product_id for spec in items]
    if any(isinstance(pid, bool) or not isinstance(pid, int) or pid < 1 for pid in ids):
        raise InvalidInput("product_id is a positive whole number.", code="invalid_input")
    products = {
        p.pk: p
        for p in Product.objects.filter(boutique=actor.boutique, pk__in=ids).prefetch_related("variants")
    }
    rows, seen = [], set()
    for index, spec in enumerate(items):
        product = products.get(spec.product_id)
        details = {"item": index, "product_id": spec.product_id}
        if product is None:
            raise InvalidInput(f"No product {spec.product_id} in this boutique.", code="product_not_found",
                               details=details)  # fmt: skip
        if product.status != Product.Status.ACTIVE:
            raise InvalidInput(f"{product.title} is not published.", code="product_unpublished", details=details)
        variant = None
        sku = clean_text(spec.variant_sku, "variant_sku", 64)
        if sku:
            variant = next((v for v in product.variants.all() if v.sku == sku and v.is_active), None)
            if variant is None:
                raise InvalidInput(f"{product.title} has no size '{sku}'.", code="size_not_found",
                                   details={**details, "variant_sku": sku})  # fmt: skip
        key = (product.pk, variant.pk if variant else None)
        if key in seen:
            raise InvalidInput(f"{product.title} is in the lookbook twice.", code="duplicate_item", details=details)
        seen.add(key)
        rows.append((product, variant, clean_text(spec.note, "note", 300)))
    return rows


def _staff(boutique: Boutique, user) -> bool:
    return user is not None and StaffMember.objects.filter(boutique=boutique, user=user, is_active=True).exists()


def share_create(
    *, actor: Actor, client: Client, items: list[ItemSpec], title: str = "", note: str = "",
    days: int | None = None, associate=None,
) -> Share:  # fmt: skip
    """A lookbook for one client, from `associate` (default: the actor's user). Its link is sent
    now (share_sent on her timeline); it works for `days` (default SHARE_LINK_DAYS, 30)."""
    actor.require(CLIENTS_EDIT)
    if client.boutique_id != actor.boutique.pk:
        raise ClientNotFound()
    if not client.is_live:
        raise ClientNotFound(f"No client {client.pk}.")
    associate = associate if associate is not None else actor.user
    if associate is not None and not _staff(actor.boutique, associate):
        raise InvalidInput("The associate is not on this boutique's staff.", code="invalid_associate")
    days = default_days() if days is None else days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"A lookbook lasts from 1 to {MAX_DAYS} days.", code="invalid_expiry")
    title = clean_text(title, "title", 120)
    note = clean_text(note, "note", 2000)
    rows = _item_rows(actor, items)
    now = timezone.now()
    with transaction.atomic():
        nonce = secrets.token_urlsafe(24)
        share = Share.objects.create(
            boutique=actor.boutique, client=client, associate=associate, title=title, note=note, nonce=nonce,
            token_hash=_hash(_token(nonce)), expires_at=now + timedelta(days=days), sent_at=now,
        )  # fmt: skip
        ShareItem.objects.bulk_create([
            ShareItem(share=share, product=product, variant=variant, note=item_note, position=position)
            for position, (product, variant, item_note) in enumerate(rows)
        ])  # fmt: skip
        timeline_add(
            client_id=client.pk, kind="share_sent", occurred_at=now,
            summary=f"Lookbook sent: {title or _plain_titles(rows)} · {len(rows)} pieces",
            data={"share_id": share.pk, "products": [p.pk for p, _v, _n in rows]},
            ref_kind="share", ref_id=share.pk, associate_id=getattr(associate, "pk", None),
        )  # fmt: skip
    return Share.objects.select_related("boutique", "client", "associate").get(pk=share.pk)


def _plain_titles(rows) -> str:
    return ", ".join(product.title for product, _v, _n in rows)[:120]


def share_revoke(*, actor: Actor, share: Share) -> Share:
    """The link stops working at once. Holds it made stay (they are the shop's to release)."""
    actor.require(CLIENTS_EDIT)
    same_boutique(actor, share)
    Share.objects.filter(pk=share.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    share.refresh_from_db()
    return share


# --- the client ------------------------------------------------------------------------------


def share_viewed(*, share: Share, now: datetime | None = None) -> None:
    """Count an open; the first of each day (in the boutique's zone) goes on her timeline, with the
    associate, so attribution can credit her. The day is part of the event's reference, so two
    opens racing still write it once."""
    now = now or timezone.now()
    Share.objects.filter(pk=share.pk).update(views=F("views") + 1, last_viewed_at=now)
    Share.objects.filter(pk=share.pk, first_viewed_at__isnull=True).update(first_viewed_at=now)
    day = now.astimezone(ZoneInfo(share.boutique.timezone)).date()
    timeline_add(
        client_id=share.client_id, kind="share_viewed", occurred_at=now,
        summary=f"Opened the lookbook {share.title or share.pk}", data={"share_id": share.pk, "day": day.isoformat()},
        ref_kind="share_day", ref_id=share.pk * DAY_KEY + (day - DAY_ZERO).days, associate_id=share.associate_id,
    )  # fmt: skip


def _item_of(share: Share, item_id) -> ShareItem:
    item = ShareItem.objects.select_related("product").filter(share=share, pk=item_id).first() if item_id else None
    if item is None or item.product.status != Product.Status.ACTIVE:
        raise NotFound(_("That piece is no longer in this lookbook."), code="share_item_not_found")
    return item


def _variant_of(item: ShareItem, sku: str) -> Variant:
    variant = Variant.objects.filter(product=item.product, sku=(sku or "")[:64], is_active=True).first()
    if variant is None:
        raise InvalidInput(_("Choose a size."), code="size_required")
    return variant


def _action(share: Share, item: ShareItem, kind: str, summary: str, **fields) -> ShareAction:
    action = ShareAction.objects.create(boutique_id=share.boutique_id, share=share, item=item, kind=kind, **fields)
    timeline_add(
        client_id=share.client_id, kind="share_action", occurred_at=action.created_at, summary=summary,
        data={"share_id": share.pk, "item_id": item.pk, "product_id": item.product_id, "action": kind,
              **({"text": fields["text"]} if fields.get("text") else {})},
        ref_kind="share_action", ref_id=action.pk, associate_id=share.associate_id,
    )  # fmt: skip
    return action


def share_ask(*, share: Share, item_id: int, text: str) -> ShareAction:
    """Her question about a piece: on her timeline, and emailed to the associate."""
    share_require_open(share)
    item = _item_of(share, item_id)
    text = clean_text(text, "text", 1000)
    if not text:
        raise InvalidInput(_("Write your question."), code="required")
    if ShareAction.objects.filter(share=share, kind=ShareAction.Kind.ASK).count() >= MAX_QUESTIONS:
        raise Conflict(_("This lookbook has had many questions: contact the boutique directly."),
                       code="too_many_questions")  # fmt: skip
    with transaction.atomic():
        action = _action(share, item, ShareAction.Kind.ASK, f"Asked about {item.product.title}: {text}", text=text)
        transaction.on_commit(lambda: _email_associate(share.pk, action.pk))
    return action


def _email_associate(share_id: int, action_id: int) -> None:
    share = Share.objects.select_related("boutique", "client", "associate").filter(pk=share_id).first()
    action = ShareAction.objects.select_related("item__product").filter(pk=action_id).first()
    if share is None or action is None or share.associate is None or not share.associate.email:
        return
    boutique = share.boutique
    profile = settings.SITE_URL + reverse("console:client_profile", args=[boutique.slug, share.client_id])
    with translation.override(boutique.language.split("-")[0]):
        who = share.client.display_name or _("Your client")
        subject = _("%(who)s asked about %(piece)s") % {"who": who, "piece": action.item.product.title}
        body = _("%(who)s asked about %(piece)s in the lookbook “%(title)s”:\n\n%(text)s\n\nHer profile: %(url)s") % {
            "who": who, "piece": action.item.product.title, "title": share.title or share.pk, "text": action.text,
            "url": profile,
        }  # fmt: skip
    try:
        send_mail(subject, body, None, [share.associate.email])
    except Exception:  # the question is on her timeline already; a mail server down must not lose it
        log.exception("could not email the associate of lookbook %s", share_id)


def _hold_actor(share: Share) -> Actor:
    """Holds are the associate's (created_by), as if she had put the piece aside herself."""
    if share.associate is not None and _staff(share.boutique, share.associate):
        return actor_for_user(share.associate, share.boutique)
    return system_actor(share.boutique)


def _contact(client: Client) -> str:
    identities = {i.kind: i.value for i in Identity.objects.filter(client=client).order_by("kind", "value")}
    return identities.get("email") or identities.get("phone") or identities.get("whatsapp") or ""


def share_hold(*, share: Share, item_id: int, variant_sku: str, location_code: str) -> Hold:
    """She asks for a size to be put aside at a shop: one unit, for the boutique's usual client
    hold length, created by the associate. No stock: InsufficientStock, nothing held."""
    share_require_open(share)
    item = _item_of(share, item_id)
    variant = _variant_of(item, variant_sku)
    location = Location.objects.filter(boutique=share.boutique, code=(location_code or "")[:40]).first()
    if location is None or not location.is_active or not location.sells_in_person:
        raise InvalidInput(_("Choose a shop."), code="location_unavailable")
    held = ShareAction.objects.filter(share=share, kind=ShareAction.Kind.HOLD).values_list("hold_id", flat=True)
    if Hold.objects.filter(pk__in=list(held), status=Hold.Status.ACTIVE, expires_at__gt=timezone.now()).count() >= (
        MAX_ACTIVE_HOLDS
    ):
        raise Conflict(
            _("%(n)s pieces are already held for you: ask your associate to hold more.") % {"n": MAX_ACTIVE_HOLDS},
            code="too_many_holds",
        )  # fmt: skip
    client = share.client
    with transaction.atomic():
        hold = inventory.hold_place(
            actor=_hold_actor(share), location=location, variant=variant, quantity=1, kind=Hold.Kind.CLIENT,
            client_name=client.display_name[:120], client_contact=_contact(client)[:120],
            owner_ref=f"share:{share.pk}", note=f"Held by the client from lookbook {share.pk}",
        )  # fmt: skip
        until = format_local(hold.expires_at, location.tz_name, share.boutique.language, "medium") if hold.expires_at else ""
        what = f"{item.product.title} ({variant.label}) at {location.name}"
        timeline_add(
            client_id=client.pk, kind="hold_placed", occurred_at=hold.created_at,
            summary=f"Held {what}" + (f" until {until}" if until else ""),
            data={"hold_id": hold.pk, "sku": variant.sku, "location": location.code, "share_id": share.pk},
            ref_kind="hold", ref_id=hold.pk, associate_id=share.associate_id,
        )  # fmt: skip
        _action(share, item, ShareAction.Kind.HOLD, f"Asked to hold {what}", variant=variant, hold_id=hold.pk)
    return hold


def _bag_way(variant: Variant, boutique: Boutique, quantity: int, line=None) -> tuple[str, Location | None]:
    """The way of her bag's line for this size if it has one (checked for stock), else delivery
    when the locations that ship have it, else collect at the first shop that can have it ready;
    she can change it in the bag. The web never promises a unit that is not there."""
    entry = availability_for_variants(boutique=boutique, variants=[variant])[variant.pk]
    ships = sum(la.available for la in entry.locations if la.location.fulfils_online and la.location.feeds_online)
    if line is not None and line.fulfilment == Fulfilment.SHIP:
        if ships >= quantity:
            return Fulfilment.SHIP, None
    elif line is not None:
        place = next((la for la in entry.locations if la.location.pk == line.location_id), None)
        if place is not None and place.available >= quantity:
            return line.fulfilment, line.location
    elif ships >= quantity:
        return Fulfilment.SHIP, None
    else:
        place = next((la for la in entry.pickup if la.location.is_active and la.available >= quantity), None)
        if place is not None:
            return Fulfilment.PICKUP, place.location
    raise Conflict(_("Sorry, this size has just gone."), code="out_of_stock")


def share_buy(*, share: Share, item_id: int, variant_sku: str, cart: Cart | None) -> Cart:
    """The size goes into her storefront bag (`cart`, or a new one), and the bag is credited to the
    lookbook: channel web, the associate, source share_link / share:<id>."""
    share_require_open(share)
    item = _item_of(share, item_id)
    variant = _variant_of(item, variant_sku)
    boutique = share.boutique
    actor = system_actor(boutique)  # the boutique's web channel, as the storefront writes
    associate = share.associate if _staff(boutique, share.associate) else None
    client = share.client
    email = next((i.value for i in Identity.objects.filter(client=client, kind="email").order_by("value")), "")
    source = {"associate": associate, "source_kind": SourceKind.SHARE_LINK, "source_ref": f"share:{share.pk}"}
    with transaction.atomic():
        if cart is None or cart.status != Cart.Status.OPEN or cart.boutique_id != boutique.pk:
            cart = orders.cart_create(actor=actor, channel=Channel.WEB, client_name=client.display_name,
                                      client_email=email, **source)  # fmt: skip
        else:
            mine = {"client_name": client.display_name, "client_email": email} if not cart.client_email else {}
            cart = orders.cart_update(actor=actor, cart=cart, **source, **mine)
        line = next((li for li in cart.lines.all() if li.variant_id == variant.pk and li.hold_id is None), None)
        quantity = (line.quantity if line else 0) + 1
        if quantity > MAX_BAG_UNITS:
            raise InvalidInput(_("Your bag already has %(n)s of these.") % {"n": MAX_BAG_UNITS}, code="too_many")
        fulfilment, location = _bag_way(variant, boutique, quantity, line)
        cart = orders.cart_line_set(actor=actor, cart=cart, variant=variant, quantity=quantity, fulfilment=fulfilment,
                                    location=location)  # fmt: skip
        _action(share, item, ShareAction.Kind.BUY, f"Put {item.product.title} ({variant.label}) in her bag",
                variant=variant, cart_id=cart.pk)  # fmt: skip
    return cart
