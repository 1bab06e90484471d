"""Public storefront pages: the hub, a boutique's catalogue and a product with live availability.

Views parse the request, call search / catalog / inventory selectors and render; nothing here
writes. htmx requests get the part of the page they replace (`request.htmx`).
"""

from dataclasses import dataclass

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from omnipresence.accounts.product_page import product_page_context
from omnipresence.catalog.models import Product, Variant
from omnipresence.catalog.selectors import product_get
from omnipresence.core.errors import InvalidInput, NotFound
from omnipresence.core.templatetags.omni import pickup_when
from omnipresence.inventory.selectors import VariantAvailability, availability_for_product
from omnipresence.search.selectors import SearchResult, search_products
from omnipresence.storefront.bag import ways_for
from omnipresence.storefront.search_params import parse_search
from omnipresence.storefront.selectors import facet_options
from omnipresence.stores.access import boutique_by_slug
from omnipresence.stores.models import Boutique, Location
from omnipresence.stores.selectors import boutique_list, location_list

PAGE_SIZE = 24
HUB_PAGE_SIZE = 12
LOW_STOCK = 3
SORT_LABELS = {
    "relevance": "Most relevant",
    "price_asc": "Price: low to high",
    "price_desc": "Price: high to low",
    "newest": "Newest",
}


def _boutique_or_404(slug: str) -> Boutique:
    try:
        return boutique_by_slug(slug)
    except NotFound:
        raise Http404(_("No such boutique."))


def _sort_options(current: str) -> list[dict]:
    return [
        {"value": key, "label": _(label), "selected": key == current} for key, label in SORT_LABELS.items()
    ]


@require_GET
def hub_home(request):
    boutiques = list(boutique_list())
    params = parse_search(request.GET, currency=None)
    result: SearchResult | None = None
    cards = []
    if params.query and not params.errors:
        result = _search(params, None, HUB_PAGE_SIZE)
        by_id = {b.pk: b for b in boutiques}
        cards = [(hit, by_id.get(hit.product.boutique_id)) for hit in result.hits]
    context = {
        "boutiques": boutiques,
        "params": params,
        "result": result,
        "cards": cards,
        "pages": _pages(params, result, HUB_PAGE_SIZE),
    }
    return render(request, "storefront/hub.html", context, status=400 if params.errors else 200)


def _search(params, boutique: Boutique | None, page_size: int) -> SearchResult:
    """Run the search; input it refuses becomes a message on the page (and a 400), not a 500."""
    try:
        return search_products(
            query=params.query, filters=params.filters(boutique), sort=params.sort, page=params.page,
            page_size=page_size,
        )  # fmt: skip
    except InvalidInput as error:
        params.errors.append(error.message)
        return SearchResult(hits=[], count=0, page=1, page_size=page_size, query=params.query)


def _pages(params, result: SearchResult | None, page_size: int) -> dict | None:
    if result is None:
        return None
    last = max((result.count + page_size - 1) // page_size, 1)
    return {
        "number": result.page,
        "last": last,
        "previous": params.url_for_page(result.page - 1) if result.page > 1 else None,
        "next": params.url_for_page(result.page + 1) if result.page < last else None,
    }


@require_GET
def boutique_home(request, slug: str):
    boutique = _boutique_or_404(slug)
    shops = [loc for loc in location_list(boutique=boutique) if loc.sells_in_person]
    params = parse_search(request.GET, currency=boutique.currency, shop_codes={s.code for s in shops})
    result = _search(params, boutique, PAGE_SIZE)
    facets = result.facets if any(result.facets.values()) else facet_options(boutique=boutique)
    chosen = {
        name: {value.casefold() for value in values}
        for name, values in (("category", [params.category] if params.category else []), ("brand", params.brand),
                             ("colour", params.colour), ("size", params.size))
    }  # fmt: skip
    facet_groups = [
        {
            "name": name,
            "legend": legend,
            "multiple": name != "category",
            "values": [
                {
                    "value": v.value,
                    "label": v.label,
                    "count": v.count,
                    "selected": v.selected or v.value.casefold() in chosen[name],
                }  # fmt: skip
                for v in facets.get(name, [])
            ],
        }
        for name, legend in (
            ("category", _("Category")),
            ("brand", _("Designer")),
            ("colour", _("Colour")),
            ("size", _("Size")),
        )  # fmt: skip
        if facets.get(name)
    ]
    labels = {(g["name"], v["value"]): v["label"] for g in facet_groups for v in g["values"]}
    active = _active_filters(params, shops, labels)
    context = {
        "boutique": boutique,
        "accent_colour": boutique.brand_colour,
        "shops": shops,
        "params": params,
        "result": result,
        "facet_groups": facet_groups,
        "active_filters": active,
        "sort_options": _sort_options(params.sort),
        "pages": _pages(params, result, PAGE_SIZE),
    }
    status = 400 if params.errors else 200
    template = "storefront/boutique.html"
    if request.htmx and request.htmx.target == "catalog":
        template = "storefront/_catalog.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _active_filters(params, shops: list[Location], labels: dict[tuple[str, str], str]) -> list[dict]:
    """Chips for what narrows the results now, each a link that removes it."""
    names = {s.code: s.name for s in shops}
    chips = []
    if params.category:
        label = labels.get(("category", params.category), params.category.replace("/", " › "))
        chips.append({"label": label, "url": params.url_without("category")})
    for name in ("brand", "colour", "size"):
        for value in getattr(params, name):
            chips.append({"label": labels.get((name, value), value), "url": params.url_without(name, value)})
    if params.price_min_text:
        chips.append(
            {
                "label": _("from %(price)s") % {"price": params.price_min_text},
                "url": params.url_without("min"),
            }
        )
    if params.price_max_text:
        chips.append(
            {
                "label": _("up to %(price)s") % {"price": params.price_max_text},
                "url": params.url_without("max"),
            }
        )
    if params.shop:
        chips.append({"label": _("In stock at %(shop)s") % {"shop": names.get(params.shop, params.shop)},
                      "url": params.url_without("shop")})  # fmt: skip
    if params.online:
        chips.append({"label": _("Available online"), "url": params.url_without("online")})
    return chips


# ---------- Product page ----------


@dataclass
class Picker:
    colours: list[dict]
    sizes: list[dict]
    selected: Variant | None


def _picker(variants: list[Variant], data, availability: dict[int, VariantAvailability]) -> Picker:
    """Choose the variant from ?sku= or ?colour=&size=; a size missing in the chosen colour falls
    back to that colour's first size."""
    selected = None
    sku = data.get("sku", "")
    if sku:
        selected = next((v for v in variants if v.sku == sku), None)
    if selected is None:
        colour, size = data.get("colour"), data.get("size")
        candidates = [v for v in variants if colour is None or v.colour == colour] or variants
        selected = next((v for v in candidates if size is None or v.size == size), None)
        if selected is None:
            selected = candidates[0] if candidates else None
        if selected is not None and colour is None and size is None:
            # First visit: open on a variant somebody can actually get.
            selected = next((v for v in variants if availability[v.pk].total > 0), selected)
    colours, sizes = [], []
    for variant in variants:
        if variant.colour and variant.colour not in [c["value"] for c in colours]:
            colours.append(
                {"value": variant.colour, "selected": selected and variant.colour == selected.colour}
            )
    in_colour = [v for v in variants if selected is None or v.colour == selected.colour]
    for variant in variants:
        if variant.size and variant.size not in [s["value"] for s in sizes]:
            match = next((v for v in in_colour if v.size == variant.size), None)
            sizes.append({
                "value": variant.size,
                "selected": bool(selected and variant.size == selected.size),
                "exists": match is not None,
                "sold_out": match is None or availability[match.pk].total == 0,
            })  # fmt: skip
    return Picker(colours=colours, sizes=sizes, selected=selected)


def _shown(location: Location) -> bool:
    # The same locations the websocket payload reports (inventory.consumers.availability_payload).
    return location.sells_in_person or location.feeds_online


def availability_snapshot(availability: dict[int, VariantAvailability]) -> str:
    """A compact fingerprint of every variant's availability; the page's script compares it
    with each websocket message and refreshes only when something changed."""
    parts = []
    for entry in availability.values():
        parts.append(f"{entry.variant.sku}|online|{entry.online}")
        parts.extend(
            f"{entry.variant.sku}|{la.location.code}|{la.available}"
            for la in entry.locations
            if _shown(la.location)
        )
    return ";".join(sorted(parts))


def availability_lines(entry: VariantAvailability | None) -> list[dict]:
    """What a client reads: "2 left at Soho — pickup today from 14:00", "Ship to home"…"""
    if entry is None:
        return []
    lines = []
    for la in entry.locations:
        location = la.location
        if not location.sells_in_person or location.kind != Location.Kind.SHOP:
            continue
        if la.available <= 0:
            lines.append(
                {
                    "state": "out",
                    "text": _("Out of stock at %(shop)s") % {"shop": location.name},
                    "detail": "",
                }
            )
            continue
        if la.available <= LOW_STOCK:
            stock = ngettext("%(count)s left at %(shop)s", "%(count)s left at %(shop)s", la.available) % {
                "count": la.available, "shop": location.name}  # fmt: skip
            state = "low"
        else:
            stock = _("In stock at %(shop)s") % {"shop": location.name}
            state = "in"
        text = stock
        if la.can_pickup:
            text = _("%(stock)s — pickup %(when)s") % {
                "stock": stock,
                "when": pickup_when(la.pickup_at, location),
            }
        detail = location.address or location.city
        lines.append({"state": state, "text": text, "detail": detail})
    if entry.ship_to_home:
        lines.append({"state": "in", "text": _("Ship to home"), "detail": _("Delivered to your door")})
    else:
        lines.append({"state": "out", "text": _("Not available to ship"), "detail": ""})
    return lines


def _product_or_404(boutique: Boutique, handle: str) -> Product:
    try:
        return product_get(boutique=boutique, product_id=handle)
    except NotFound:
        raise Http404(_("No such product."))


def _product_context(request, boutique: Boutique, product: Product) -> dict:
    variants = list(product.variants.all())
    availability = availability_for_product(boutique=boutique, product=product)
    picker = _picker(variants, request.GET, availability)
    selected = picker.selected
    fragment_url = reverse("storefront:availability", args=[boutique.slug, product.handle])
    if selected is not None:
        fragment_url += f"?sku={selected.sku}"
    return {
        "boutique": boutique,
        "accent_colour": boutique.brand_colour,
        "product": product,
        "images": list(product.images.all()),
        "picker": picker,
        "variant": selected,
        "lines": availability_lines(availability.get(selected.pk) if selected else None),
        "ways": ways_for(availability[selected.pk]) if selected else [],  # the "Add to bag" choices
        "snapshot": availability_snapshot(availability),
        "fragment_url": fragment_url,
        "socket_path": f"/ws/availability/{boutique.slug}/{product.pk}/",
    }


@require_GET
def product_detail(request, slug: str, handle: str):
    boutique = _boutique_or_404(slug)
    product = _product_or_404(boutique, handle)
    context = _product_context(request, boutique, product)
    context |= product_page_context(request, boutique, product)  # her wishlist button; her view, with consent
    return render(request, "storefront/product.html", context)


@require_GET
def product_availability(request, slug: str, handle: str):
    """The availability block alone, for the websocket-triggered refresh and the polling fallback."""
    boutique = _boutique_or_404(slug)
    product = _product_or_404(boutique, handle)
    response = render(request, "storefront/_availability.html", _product_context(request, boutique, product))
    response["Cache-Control"] = "no-store"
    return response
