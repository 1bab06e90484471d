"""Writes of the client's storefront account: magic-link login, her wishlist, the product pages
she opened and what she put in her bag (both only with her personalization consent).

The login link proves an email: asking for one answers the same whether or not an account exists
(the account is made when the link is used), at most LINKS_PER_HOUR are sent per email, and a link
is used once, by a POST (a mail scanner opening it with GET logs nobody in).
"""

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from omnipresence.accounts.models import HubAccount, MagicLink, ProductView, WishlistItem
from omnipresence.catalog.models import Product, Variant
from omnipresence.clients.models import Client, TimelineEvent
from omnipresence.clients.selectors import consent_allows
from omnipresence.clients.services import identity_normalise, timeline_add
from omnipresence.core.errors import Conflict, DomainError, InvalidInput, NotFound
from omnipresence.stores.models import Boutique

LINK_MINUTES = 15
LINKS_PER_HOUR = 5
MAX_NEXT = 500
PERSONALIZATION = "personalization"


class LinkThrottled(DomainError):
    code = "login_link_throttled"
    status = 429
    default_message = "Too many login links were asked for this email in the last hour."


class LinkInvalid(DomainError):
    code = "login_link_invalid"
    status = 410
    default_message = "This login link is not valid any more."


# --- magic links -----------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def email_clean(email: str) -> str:
    """The stored form of an email (lower-case), or InvalidInput."""
    return identity_normalise(kind="email", value=email if isinstance(email, str) else "", country="")


_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


def safe_next(path: str | None, default: str = "") -> str:
    """`path` when it is a path of this site ("/atelier/account/"), else `default`: never another
    host, a scheme, "//evil.example" or a backslash trick."""
    if not isinstance(path, str) or not path or len(path) > MAX_NEXT or _CONTROL.search(path):
        return default
    if not path.startswith("/") or path.startswith("//"):
        return default
    if not url_has_allowed_host_and_scheme(path, allowed_hosts=set(), require_https=False):
        return default
    return path


def magic_link_request(*, email: str, next_path: str = "", boutique: Boutique | None = None,
                       now: datetime | None = None) -> MagicLink:  # fmt: skip
    """Send a login link to `email` (in the boutique's language, or the hub's). The caller shows
    the same answer whatever happens next; only a malformed email or the throttle is told."""
    email = email_clean(email)
    now = now or timezone.now()
    with transaction.atomic():
        recent = MagicLink.objects.filter(email=email, created_at__gt=now - timedelta(hours=1)).count()
        if recent >= LINKS_PER_HOUR:
            raise LinkThrottled(details={"per_hour": LINKS_PER_HOUR})
        token = secrets.token_urlsafe(32)  # 256 bits
        link = MagicLink.objects.create(
            email=email, token_hash=_hash(token), next_path=safe_next(next_path), boutique=boutique,
            created_at=now, expires_at=now + timedelta(minutes=LINK_MINUTES),
        )  # fmt: skip
        transaction.on_commit(lambda: _send(link, token))
    return link


def _send(link: MagicLink, token: str) -> None:
    boutique = link.boutique
    language = (boutique.language if boutique else settings.LANGUAGE_CODE).split("-")[0]
    url = settings.SITE_URL + reverse("storefront:account_link", args=[token])
    with translation.override(language):
        where = boutique.name if boutique else _("Omnipresence boutiques")
        subject = _("Your login link for %(where)s") % {"where": where}
        body = _(
            "Hello,\n\nTo log in to your account at %(where)s, open this link within %(minutes)s minutes "
            "and press \"Log in\":\n\n%(url)s\n\nIf you did not ask for it, ignore this email: nobody can "
            "log in without it.\n\n%(where)s"
        ) % {"where": where, "minutes": LINK_MINUTES, "url": url}
    send_mail(subject, body, None, [link.email])


def magic_link_find(token: str, *, now: datetime | None = None) -> MagicLink:
    """The open link a token names (for the page with the "Log in" button); nothing is written."""
    now = now or timezone.now()
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise LinkInvalid()
    link = MagicLink.objects.select_related("boutique").filter(token_hash=_hash(token)).first()
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise LinkInvalid(details={"email": link.email if link else ""})
    return link


def magic_link_use(token: str, *, now: datetime | None = None) -> tuple[HubAccount, MagicLink]:
    """Spend the link (once: of two concurrent presses, one wins) and return her account, made
    now if this is her first login."""
    now = now or timezone.now()
    link = magic_link_find(token, now=now)
    with transaction.atomic():
        spent = MagicLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
        if not spent:
            raise LinkInvalid(details={"email": link.email})
        account = hub_account_for(link.email)
    return account, link


def hub_account_for(email: str) -> HubAccount:
    account = HubAccount.objects.filter(email=email).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return HubAccount.objects.create(email=email)
    except IntegrityError:  # made by a concurrent first login
        return HubAccount.objects.get(email=email)


# --- wishlist --------------------------------------------------------------------------------


def _same_boutique(client: Client, product: Product) -> None:
    if product.boutique_id != client.boutique_id:
        raise NotFound("No such product.", code="product_not_found")
    if not client.is_live:
        raise Conflict("This client is no longer active.", code="client_not_live")


def _wishlist_event(client: Client, product: Product, what: str) -> None:
    if not consent_allows(client=client, purpose=PERSONALIZATION):
        return
    summary = (f"Saved {product.title} to her wishlist" if what == "added"
               else f"Removed {product.title} from her wishlist")  # fmt: skip
    timeline_add(client_id=client.pk, kind=TimelineEvent.Kind.WISHLIST, occurred_at=timezone.now(), summary=summary,
                 data={"action": what, "product_id": product.pk, "handle": product.handle})  # fmt: skip


def wishlist_add(*, client: Client, product: Product, variant: Variant | None = None) -> tuple[WishlistItem, bool]:
    """Keep the product on her wishlist (again: nothing changes). The timeline hears of it only
    with her personalization consent; the wishlist is hers either way."""
    _same_boutique(client, product)
    if variant is not None and variant.product_id != product.pk:
        raise InvalidInput("That variant is not of this product.", code="invalid_variant")
    with transaction.atomic():
        item = WishlistItem.objects.filter(client=client, product=product).first()
        if item is not None:
            return item, False
        try:
            with transaction.atomic():
                item = WishlistItem.objects.create(
                    boutique_id=client.boutique_id, client=client, product=product, variant=variant
                )
        except IntegrityError:  # a double click
            return WishlistItem.objects.get(client=client, product=product), False
        _wishlist_event(client, product, "added")
    return item, True


def wishlist_remove(*, client: Client, product: Product) -> bool:
    _same_boutique(client, product)
    with transaction.atomic():
        removed, _ = WishlistItem.objects.filter(client=client, product=product).delete()
        if removed:
            _wishlist_event(client, product, "removed")
    return bool(removed)


# --- what she looked at ----------------------------------------------------------------------


def product_view_record(*, client: Client | None, product: Product, now: datetime | None = None) -> ProductView | None:
    """Her latest view of the product and how many times she opened it, with her personalization
    consent only (without it nothing is recorded)."""
    if client is None or product.boutique_id != client.boutique_id or not client.is_live:
        return None
    if not consent_allows(client=client, purpose=PERSONALIZATION):
        return None
    now = now or timezone.now()
    rows = ProductView.objects.filter(client=client, product=product)
    with transaction.atomic():
        if not rows.update(viewed_at=now, views=F("views") + 1):
            try:
                with transaction.atomic():
                    ProductView.objects.create(boutique_id=client.boutique_id, client=client, product=product,
                                               viewed_at=now)  # fmt: skip
            except IntegrityError:  # a concurrent first view
                rows.update(viewed_at=now, views=F("views") + 1)
    return rows.first()


def cart_activity_record(*, client: Client | None, product: Product, variant: Variant | None = None,
                         now: datetime | None = None) -> TimelineEvent | None:  # fmt: skip
    """"Added X to her bag" on her timeline, at most once per product per day (the boutique's
    day), with her personalization consent only."""
    if client is None or product.boutique_id != client.boutique_id or not client.is_live:
        return None
    if not consent_allows(client=client, purpose=PERSONALIZATION):
        return None
    now = now or timezone.now()
    boutique = client.boutique
    local = timezone.localtime(now, timezone=_zone(boutique.timezone))
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    already = TimelineEvent.objects.filter(
        client=client, kind=TimelineEvent.Kind.CART, occurred_at__gte=day_start, data__product_id=product.pk
    ).exists()
    if already:
        return None
    what = f"{product.title} ({variant.label})" if variant is not None else product.title
    return timeline_add(
        client_id=client.pk, kind=TimelineEvent.Kind.CART, occurred_at=now, summary=f"Added {what} to her bag",
        data={"product_id": product.pk, "handle": product.handle, "sku": variant.sku if variant else ""},
    )  # fmt: skip


def _zone(name: str):
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")
