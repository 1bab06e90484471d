"""Campaigns, codes and their redemptions: creating them, checking a code against a cart, and
counting usage at checkout (a conditional UPDATE per counter plus a unique Redemption row)."""

import re
import secrets
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify

from omnipresence.catalog.models import Product
from omnipresence.core.errors import InvalidInput
from omnipresence.orders.errors import CouponAlreadyUsed, CouponError, CouponExhausted, CouponUnknown
from omnipresence.orders.models import Campaign, Channel, Code, Order, Redemption
from omnipresence.orders.pricing import Promotion
from omnipresence.orders.selectors import code_find
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Boutique

CODE_RE = re.compile(r"^[A-Z0-9_-]{3,40}$")
# No 0/O, 1/I/L: read aloud over the phone or copied from a chat without mistakes. 16 of 31 ≈ 79 bits.
PERSONAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")


def client_ref_normalise(value: str) -> str:
    """A client's key for per-client limits: a lower-case email, or an E.164 phone number."""
    value = (value or "").strip()
    if not value:
        return ""
    if "@" in value:
        if not EMAIL_RE.match(value) or len(value) > 254:
            raise InvalidInput(f"'{value[:60]}' is not an email address.", code="invalid_client")
        return value.lower()
    phone = re.sub(r"[\s().-]", "", value)
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    if not PHONE_RE.match(phone):
        raise InvalidInput("A phone number must be in international form (+44…).", code="invalid_client")
    return phone


def promotion_of(campaign: Campaign, code: Code | None = None) -> Promotion:
    return Promotion(
        id=campaign.pk, name=campaign.name, kind=campaign.kind, value=campaign.value, currency=campaign.currency,
        min_spend=campaign.min_spend, channels=tuple(campaign.channels), category_paths=tuple(campaign.category_paths),
        product_ids=tuple(campaign.product_ids), code=code.code if code else "",
    )  # fmt: skip


def _category_prefix(text: str) -> str:
    parts = [slugify(p.strip()) for p in re.split(r"\s*(?:>|/)\s*", text) if p.strip()]
    if not parts or not all(parts):
        raise InvalidInput(f"'{text[:60]}' is not a category path.", code="invalid_category")
    return "/".join(parts)


def campaign_create(
    *,
    actor: Actor,
    name: str,
    kind: str,
    value: int = 0,
    min_spend: int = 0,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    channels: list[str] | tuple[str, ...] = (),
    category_paths: list[str] | tuple[str, ...] = (),
    product_ids: list[int] | tuple[int, ...] = (),
    automatic: bool = False,
    per_client_limit: int | None = None,
    usage_limit: int | None = None,
    code: str = "",
    code_usage_limit: int | None = None,
) -> Campaign:
    """A promotion: automatic, or used through codes (a shared `code` here, personal ones later)."""
    actor.require("catalog.edit")
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise InvalidInput("A campaign needs a name of at most 120 characters.", code="invalid_name")
    if kind not in Campaign.Kind.values:
        raise InvalidInput(f"Unknown campaign kind '{kind}'.", code="invalid_kind")
    if kind == Campaign.Kind.PERCENTAGE and not 1 <= value <= 10_000:
        raise InvalidInput("A percentage is 1–10000 basis points (1000 = 10%).", code="invalid_value")
    if kind == Campaign.Kind.FIXED and not 1 <= value <= 10**11:
        raise InvalidInput("A fixed discount is a positive amount in minor units.", code="invalid_value")
    if kind == Campaign.Kind.FREE_SHIPPING:
        value = 0
    if min_spend < 0:
        raise InvalidInput("min_spend cannot be negative.", code="invalid_value")
    for moment in (starts_at, ends_at):
        if moment is not None and timezone.is_naive(moment):
            raise InvalidInput("Dates need a time zone.", code="invalid_window")
    if starts_at and ends_at and ends_at <= starts_at:
        raise InvalidInput("ends_at must be after starts_at.", code="invalid_window")
    unknown = set(channels) - set(Channel.values)
    if unknown:
        raise InvalidInput(f"Unknown channel(s): {', '.join(sorted(unknown))}.", code="invalid_channel")
    paths = sorted({_category_prefix(p) for p in category_paths})
    ids = sorted(set(product_ids))
    if ids and Product.objects.filter(boutique=actor.boutique, pk__in=ids).count() != len(ids):
        raise InvalidInput("Some products are not in this boutique.", code="product_not_found")
    for limit in (per_client_limit, usage_limit, code_usage_limit):
        if limit is not None and limit < 1:
            raise InvalidInput("A limit is at least 1.", code="invalid_limit")
    code = (code or "").strip().upper()
    if code and automatic:
        raise InvalidInput("An automatic campaign has no code.", code="invalid_code")
    if code and not CODE_RE.match(code):
        raise InvalidInput("A code is 3–40 letters, digits, '-' or '_'.", code="invalid_code")
    try:
        with transaction.atomic():
            campaign = Campaign.objects.create(
                boutique=actor.boutique, name=name, kind=kind, value=value, currency=actor.boutique.currency,
                min_spend=min_spend, starts_at=starts_at, ends_at=ends_at, channels=sorted(set(channels)),
                category_paths=paths, product_ids=ids, automatic=automatic, per_client_limit=per_client_limit,
                usage_limit=usage_limit, created_by_id=actor.user_id,
            )  # fmt: skip
            if code:
                Code.objects.create(boutique=actor.boutique, campaign=campaign, code=code, kind=Code.Kind.SHARED,
                                    usage_limit=code_usage_limit, issued_by_id=actor.user_id)  # fmt: skip
    except IntegrityError:
        raise InvalidInput(f"The code {code} exists already.", code="code_taken")
    return campaign


def code_issue(*, actor: Actor, campaign: Campaign, client_ref: str) -> Code:
    """A single-use personal code for one client (an email or an E.164 phone), unguessable."""
    actor.require("inventory.hold")  # associates issue them from the console or a conversation
    if campaign.boutique_id != actor.boutique.pk:
        raise InvalidInput("That belongs to another boutique.", code="wrong_boutique")
    if campaign.automatic:
        raise InvalidInput("An automatic campaign has no codes.", code="invalid_code")
    if not campaign.is_active:
        raise InvalidInput("This campaign is not active.", code="campaign_inactive")
    ref = client_ref_normalise(client_ref)
    if not ref:
        raise InvalidInput("A personal code needs the client's email or phone.", code="invalid_client")
    for _ in range(5):
        text = "-".join("".join(secrets.choice(PERSONAL_ALPHABET) for _ in range(4)) for _ in range(4))
        try:
            with transaction.atomic():
                return Code.objects.create(
                    boutique=actor.boutique, campaign=campaign, code=text, kind=Code.Kind.PERSONAL, client_ref=ref,
                    usage_limit=1, issued_by_id=actor.user_id,
                )  # fmt: skip
        except IntegrityError:  # pragma: no cover - 79 bits; a collision is astronomically rare
            continue
    raise RuntimeError("could not draw a unique code")  # pragma: no cover


def coupon_check(*, boutique: Boutique, code_text: str, client_ref: str, now: datetime | None = None) -> Code:
    """The code, if the database says it can be used now by this client; the cart-dependent checks
    (channel, scope, minimum spend, currency) are the pricing function's."""
    now = now or timezone.now()
    code = code_find(boutique=boutique, code=code_text) if code_text else None
    if code is None or not code.is_active or not code.campaign.is_active:
        raise CouponUnknown(f"There is no code '{code_text[:40]}'.")
    campaign = code.campaign
    if campaign.starts_at is not None and now < campaign.starts_at:
        raise CouponError("This code is not valid yet.", code="coupon_not_started")
    if campaign.ends_at is not None and now >= campaign.ends_at:
        raise CouponError("This code has expired.", code="coupon_expired")
    if (code.usage_limit is not None and code.used >= code.usage_limit) or (
        campaign.usage_limit is not None and campaign.used >= campaign.usage_limit
    ):
        raise CouponExhausted()
    if code.kind == Code.Kind.PERSONAL and code.client_ref != client_ref:
        raise CouponError("This code was issued to another client.", code="coupon_not_applicable")
    if campaign.per_client_limit:
        if not client_ref:
            raise CouponError(
                "Give the client's email or phone to use this code.", code="coupon_client_required"
            )
        if _client_uses(campaign, client_ref) >= campaign.per_client_limit:
            raise CouponAlreadyUsed()
    return code


def _client_uses(campaign: Campaign, client_ref: str) -> int:
    return Redemption.objects.filter(
        campaign=campaign, client_ref=client_ref, status=Redemption.Status.REDEEMED
    ).count()


def redemption_record(*, order: Order, campaign: Campaign, code: Code | None, amount: int) -> Redemption:
    """Count one use, inside the checkout's transaction: conditional UPDATEs on the campaign's and
    the code's counters (campaign row first, then code: always that order), then the Redemption row,
    whose unique (campaign, client, slot) enforces the per-client limit even between racing
    checkouts. Raises and rolls back with the checkout when a limit is reached."""
    within = Q(usage_limit__isnull=True) | Q(used__lt=F("usage_limit"))
    if not Campaign.objects.filter(within, pk=campaign.pk).update(used=F("used") + 1):
        raise CouponExhausted(f"'{campaign.name}' has been used as many times as it may be.")
    if code is not None and not Code.objects.filter(within, pk=code.pk).update(used=F("used") + 1):
        raise CouponExhausted()
    slot = 0
    if campaign.per_client_limit:
        if not order.client_ref:
            raise CouponError(
                "Give the client's email or phone to use this offer.", code="coupon_client_required"
            )
        taken = set(
            Redemption.objects.filter(
                campaign=campaign, client_ref=order.client_ref, status=Redemption.Status.REDEEMED, slot__gt=0
            ).values_list("slot", flat=True)
        )
        free = [s for s in range(1, campaign.per_client_limit + 1) if s not in taken]
        if not free:
            raise CouponAlreadyUsed()
        slot = free[0]
    try:
        with transaction.atomic():
            return Redemption.objects.create(
                boutique_id=order.boutique_id, campaign=campaign, code=code, order=order,
                client_ref=order.client_ref, slot=slot, amount=amount,
            )  # fmt: skip
    except IntegrityError:
        raise CouponAlreadyUsed()


def redemptions_release(*, order: Order) -> int:
    """Give back the uses of a cancelled order. Each row goes from redeemed to released once (a
    conditional update), and only then are its counters decremented: never released twice."""
    now = timezone.now()
    released = 0
    for redemption in Redemption.objects.filter(order=order, status=Redemption.Status.REDEEMED).order_by(
        "campaign_id"
    ):
        if not Redemption.objects.filter(pk=redemption.pk, status=Redemption.Status.REDEEMED).update(
            status=Redemption.Status.RELEASED, released_at=now
        ):
            continue
        Campaign.objects.filter(pk=redemption.campaign_id, used__gt=0).update(used=F("used") - 1)
        if redemption.code_id is not None:
            Code.objects.filter(pk=redemption.code_id, used__gt=0).update(used=F("used") - 1)
        released += 1
    return released
