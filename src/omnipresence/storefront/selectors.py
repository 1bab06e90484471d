"""Reads the storefront needs beyond search and availability.

`facet_options` is a stop-gap: while search answers without facets (its interim implementation),
the boutique page still offers the catalogue's own values, without counts.
"""

from django.db.models import Q

from omnipresence.catalog.models import Category, Product, Variant
from omnipresence.search.selectors import FacetValue
from omnipresence.stores.models import Boutique


def facet_options(*, boutique: Boutique) -> dict[str, list[FacetValue]]:
    """Every category, brand, colour and size a published product of the boutique uses."""
    live = Variant.objects.filter(boutique=boutique, is_active=True, product__status=Product.Status.ACTIVE)
    colours = sorted({c for c in live.values_list("colour", flat=True).distinct() if c}, key=str.casefold)
    sizes = list(
        dict.fromkeys(s for s in live.order_by("position", "size").values_list("size", flat=True) if s)
    )
    products = Product.objects.filter(boutique=boutique, status=Product.Status.ACTIVE)
    brands = sorted({b for b in products.values_list("brand", flat=True).distinct() if b}, key=str.casefold)
    categories = (
        Category.objects.filter(boutique=boutique)
        .filter(Q(products__status=Product.Status.ACTIVE) | Q(children__isnull=False))
        .distinct()
    )
    names = {c.path: c.name for c in categories}

    def category_label(path: str) -> str:
        parts = path.split("/")
        return " › ".join(names.get("/".join(parts[: i + 1]), parts[i]) for i in range(len(parts)))

    return {
        "category": [FacetValue(value=c.path, label=category_label(c.path), count=0) for c in categories],
        "brand": [FacetValue(value=b, label=b, count=0) for b in brands],
        "colour": [FacetValue(value=c, label=c, count=0) for c in colours],
        "size": [FacetValue(value=s, label=s, count=0) for s in sizes],
    }
