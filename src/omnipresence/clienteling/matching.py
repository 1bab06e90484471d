"""Which clients a hold, a pay link or a new arrival is about — the one rule shared by the task
sweep and the client book's filters (registered into clients.selectors by the AppConfig).

A client hold names its client by a `hold_placed` timeline event (ref "hold"), an owner_ref
"client:<id>", or its client_contact (an email or phone, matched to her identities). A pay link
is her order's. A new arrival is an active product created in the last 14 days with an active
variant in her size for that category (her `sizes` key is the category's slug or name, at any
level: "coats" matches "Women > Coats") and in one of her colours (case and accents aside).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from omnipresence.catalog.models import Product, Variant
from omnipresence.clients.models import Client, Identity, TimelineEvent
from omnipresence.clients.selectors import live_clients, name_fold
from omnipresence.clients.services import identity_normalise
from omnipresence.core.errors import InvalidInput
from omnipresence.inventory.models import Hold
from omnipresence.payments.models import PayLink
from omnipresence.stores.models import Boutique

NEW_ARRIVAL_DAYS = 14
MAX_NEW_PRODUCTS = 500


def _contact_keys(boutique: Boutique, contact: str) -> list[str]:
    keys = []
    for kind in ("email", "phone"):
        try:
            keys.append(identity_normalise(kind=kind, value=contact, country=boutique.country))
        except InvalidInput:
            continue
    return keys


def _live_ids(boutique: Boutique, ids) -> set[int]:
    return set(live_clients(boutique=boutique).filter(pk__in=set(ids)).values_list("pk", flat=True))


def hold_clients(*, boutique: Boutique, expiring_before: datetime | None = None) -> dict[int, int]:
    """Active client holds (optionally only those expiring before a moment) → the live client."""
    holds = Hold.objects.filter(boutique=boutique, kind=Hold.Kind.CLIENT, status=Hold.Status.ACTIVE)
    if expiring_before is not None:
        holds = holds.filter(expires_at__isnull=False, expires_at__gt=timezone.now(), expires_at__lte=expiring_before)
    rows = list(holds.values_list("pk", "owner_ref", "client_contact")[:5000])
    if not rows:
        return {}
    found: dict[int, int] = {}
    placed = TimelineEvent.objects.filter(
        boutique=boutique, kind=TimelineEvent.Kind.HOLD_PLACED, ref_kind="hold", ref_id__in=[r[0] for r in rows]
    ).values_list("ref_id", "client_id")
    found.update(dict(placed))
    contacts: dict[str, list[int]] = {}
    for hold_id, owner_ref, contact in rows:
        if hold_id in found:
            continue
        kind, _, ref = owner_ref.partition(":")
        if kind == "client" and ref.isdigit():
            found[hold_id] = int(ref)
        elif contact:
            for key in _contact_keys(boutique, contact):
                contacts.setdefault(key, []).append(hold_id)
    if contacts:
        for value, client_id in Identity.objects.filter(boutique=boutique, value__in=list(contacts)).values_list(
            "value", "client_id"
        ):
            for hold_id in contacts[value]:
                found.setdefault(hold_id, client_id)
    survivors = _survivors(boutique, set(found.values()))
    return {hold_id: survivors[cid] for hold_id, cid in found.items() if cid in survivors}


def _survivors(boutique: Boutique, client_ids: set[int]) -> dict[int, int]:
    """Each id → the live client it stands for now (a merged-away client is her survivor)."""
    out: dict[int, int] = {}
    rows = dict(Client.objects.filter(boutique=boutique, pk__in=client_ids).values_list("pk", "merged_into_id"))
    pending = {cid: cid for cid in client_ids if cid in rows}
    for _ in range(10):
        if not pending:
            break
        live = _live_ids(boutique, pending.values())
        nexts = dict(Client.objects.filter(pk__in=set(pending.values()) - live).values_list("pk", "merged_into_id"))
        still = {}
        for origin, current in pending.items():
            if current in live:
                out[origin] = current
            elif nexts.get(current):
                still[origin] = nexts[current]
        pending = still
    return out


def unpaid_pay_links(*, boutique: Boutique, sent_before: datetime | None = None) -> dict[int, int]:
    """Pay links still waiting for payment (optionally only those sent before a moment) → client."""
    links = PayLink.objects.filter(
        boutique=boutique, status=PayLink.Status.ACTIVE, expires_at__gt=timezone.now(), order__client__isnull=False
    )
    if sent_before is not None:
        links = links.filter(created_at__lte=sent_before)
    found = dict(links.values_list("pk", "order__client_id")[:5000])
    survivors = _survivors(boutique, set(found.values()))
    return {link_id: survivors[cid] for link_id, cid in found.items() if cid in survivors}


@dataclass(frozen=True)
class Arrival:
    product_id: int
    title: str
    colour: str
    size: str


def _category_keys(category) -> set[str]:
    if category is None:
        return set()
    keys = {name_fold(part) for part in category.path.split("/")}
    keys |= {name_fold(category.name), name_fold(category.slug)}
    return {key for key in keys if key}


def new_arrivals(*, boutique: Boutique, client_ids=None, now: datetime | None = None) -> dict[int, list[Arrival]]:
    """Live clients with sizes and colours → the new products with a variant for her (one entry
    per product, newest first)."""
    now = now or timezone.now()
    products = list(
        Product.objects.filter(boutique=boutique, status=Product.Status.ACTIVE,
                               created_at__gte=now - timedelta(days=NEW_ARRIVAL_DAYS), created_at__lte=now)
        .select_related("category").order_by("-created_at", "-id")[:MAX_NEW_PRODUCTS]
    )  # fmt: skip
    if not products:
        return {}
    by_id = {p.pk: p for p in products}
    offers: dict[tuple[str, str], list[tuple[int, str]]] = {}  # (category key, size) → [(product, colour)]
    for product_id, colour, size in Variant.objects.filter(product_id__in=by_id, is_active=True).values_list(
        "product_id", "colour", "size"
    ):
        if not colour or not size:
            continue
        for key in _category_keys(by_id[product_id].category):
            offers.setdefault((key, size.strip().casefold()), []).append((product_id, colour))
    clients = live_clients(boutique=boutique).exclude(sizes={}).exclude(colours=[])
    if client_ids is not None:
        clients = clients.filter(pk__in=client_ids)
    order = {p.pk: i for i, p in enumerate(products)}
    found: dict[int, list[Arrival]] = {}
    for client_id, sizes, colours in clients.values_list("pk", "sizes", "colours").iterator():
        if not isinstance(sizes, dict) or not isinstance(colours, list):
            continue
        liked = {name_fold(str(c)) for c in colours}
        matches: dict[int, Arrival] = {}
        for category, size in sizes.items():
            for product_id, colour in offers.get((name_fold(str(category)), str(size).strip().casefold()), ()):
                if product_id not in matches and name_fold(colour) in liked:
                    matches[product_id] = Arrival(product_id, by_id[product_id].title, colour, str(size))
        if matches:
            found[client_id] = sorted(matches.values(), key=lambda a: order[a.product_id])
    return found


# --- the client book's filters (registered in clients.selectors) -------------------------------


def book_open_holds(boutique: Boutique) -> Q:
    return Q(pk__in=set(hold_clients(boutique=boutique).values()))


def book_unpaid_pay_links(boutique: Boutique) -> Q:
    return Q(pk__in=set(unpaid_pay_links(boutique=boutique).values()))


def book_new_arrivals(boutique: Boutique) -> Q:
    return Q(pk__in=set(new_arrivals(boutique=boutique)))
