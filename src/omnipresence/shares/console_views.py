"""The associate's lookbooks in the console: /console/<slug>/lookbooks/ — her list, the builder
(pick the client, search pieces, add them with a size, reorder, a note, create), and a lookbook's
page with its link, copy and share buttons, what the client did, and revoke.

The builder keeps its state in the form itself (hidden fields posted back with every button), so
it works without JS and nothing is saved until "Create". Ids become objects only through
`access_client`, `access_share` and the boutique-scoped catalog selectors; writes go through the
shares services.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnipresence.catalog.selectors import product_detail_queryset
from omnipresence.clients.selectors import access_client, client_search
from omnipresence.console.access import staff_view
from omnipresence.console.share import share_links
from omnipresence.core.errors import DomainError, InvalidInput
from omnipresence.inventory.selectors import availability_for_variants
from omnipresence.search.selectors import SearchFilters, search_products
from omnipresence.shares import services
from omnipresence.shares.selectors import access_share, share_actions, share_list
from omnipresence.stores.access import Actor

MATCH_LIMIT = 8
LIST_LIMIT = 100


def _state_rows(shares) -> list[dict]:
    return [{"share": share, "state": services.share_state(share)} for share in shares]


@staff_view
@require_GET
def lookbook_index(request, actor: Actor):
    everyone = request.GET.get("who") == "all"
    shares = share_list(actor=actor, associate_id=None if everyone else actor.user_id)[:LIST_LIMIT]
    context = {"actor": actor, "boutique": actor.boutique, "rows": _state_rows(shares), "everyone": everyone}
    return render(request, "shares/console_list.html", context)


# --- the builder -----------------------------------------------------------------------------


def _draft(request) -> dict:
    """What the builder's form carries: the client, title, note and the items in order."""
    data = request.POST if request.method == "POST" else request.GET
    products = data.getlist("item_product")[: services.MAX_ITEMS + 1]
    skus = data.getlist("item_sku")
    notes = data.getlist("item_note")
    items = []
    for index, raw in enumerate(products):
        if raw.isdigit() and len(raw) < 19:
            items.append({
                "product_id": int(raw), "sku": (skus[index] if index < len(skus) else "")[:64],
                "note": (notes[index] if index < len(notes) else "")[:300],
            })  # fmt: skip
    client = data.get("client", "")
    return {
        "client_id": int(client) if client.isdigit() and len(client) < 19 else None,
        "title": data.get("title", "")[:120], "note": data.get("note", "")[:2000], "items": items,
        "q": data.get("q", "").strip()[:200], "client_q": data.get("client_q", "").strip()[:120],
    }  # fmt: skip


def _apply(draft: dict, op: str, request) -> None:
    """The builder's buttons: choose / clear the client, add an item, remove or move one."""
    name, _sep, arg = op.partition(":")
    items = draft["items"]
    index = int(arg) if arg.isdigit() and len(arg) < 4 else None
    if name == "client" and arg.isdigit() and len(arg) < 19:
        draft["client_id"], draft["client_q"] = int(arg), ""
    elif name == "clear_client":
        draft["client_id"] = None
    elif name == "add" and arg.isdigit() and len(arg) < 19:
        if len(items) >= services.MAX_ITEMS:
            raise InvalidInput(_("A lookbook has at most %(n)s pieces.") % {"n": services.MAX_ITEMS}, code="too_many_items")
        items.append({"product_id": int(arg), "sku": request.POST.get(f"size_{arg}", "")[:64], "note": ""})
    elif name == "remove" and index is not None and index < len(items):
        items.pop(index)
    elif name == "up" and index is not None and 0 < index < len(items):
        items[index - 1], items[index] = items[index], items[index - 1]
    elif name == "down" and index is not None and index < len(items) - 1:
        items[index + 1], items[index] = items[index], items[index + 1]


def _builder(request, actor: Actor, draft: dict, *, error=None, status: int = 200):
    client = access_client(actor, draft["client_id"]) if draft["client_id"] else None
    if client is not None:
        draft["client_id"] = client.pk  # a merged-away client is her survivor
    client_matches = list(client_search(actor, draft["client_q"])[:MATCH_LIMIT]) if draft["client_q"] else None
    products = {p.pk: p for p in product_detail_queryset(boutique=actor.boutique).filter(
        pk__in=[item["product_id"] for item in draft["items"]])}  # fmt: skip
    items = []
    for item in draft["items"]:
        product = products.get(item["product_id"])
        if product is None:
            continue  # not this boutique's: dropped, never shown
        variant = next((v for v in product.variants.all() if v.sku == item["sku"]), None)
        items.append({**item, "product": product, "variant": variant})
    matches = None
    if draft["q"]:
        result = search_products(query=draft["q"], filters=SearchFilters(boutique=actor.boutique), page_size=MATCH_LIMIT)
        stock = availability_for_variants(boutique=actor.boutique, variants=[v for h in result.hits for v in h.variants])
        matches = [{"product": hit.product, "sizes": [(v, stock[v.pk].total) for v in hit.variants]}
                   for hit in result.hits]  # fmt: skip
    context = {
        "actor": actor, "boutique": actor.boutique, "draft": draft, "client": client,
        "client_matches": client_matches, "items": items, "matches": matches, "error": error,
        "max_items": services.MAX_ITEMS,
    }  # fmt: skip
    return render(request, "shares/console_new.html", context, status=status)


@staff_view
@require_http_methods(["GET", "POST"])
def lookbook_new(request, actor: Actor):
    draft = _draft(request)
    if request.method == "GET":
        return _builder(request, actor, draft)
    op = request.POST.get("op", "")[:40]
    if op != "create":
        try:
            _apply(draft, op, request)
        except DomainError as error:
            return _builder(request, actor, draft, error=error, status=error.status)
        return _builder(request, actor, draft)
    try:
        if draft["client_id"] is None:
            raise InvalidInput(_("Choose the client this lookbook is for."), code="client_required")
        client = access_client(actor, draft["client_id"])
        share = services.share_create(
            actor=actor, client=client, title=draft["title"], note=draft["note"],
            items=[services.ItemSpec(i["product_id"], i["sku"], i["note"]) for i in draft["items"]],
        )  # fmt: skip
    except DomainError as error:
        return _builder(request, actor, draft, error=error, status=error.status)
    messages.success(request, _("Lookbook created: send her the link."))
    return redirect("console:lookbook", slug=actor.boutique.slug, share_id=share.pk)


# --- a lookbook ------------------------------------------------------------------------------


def _share_texts(share, url: str) -> dict:
    """The message she receives, in her language (else the boutique's), and the WhatsApp / email links."""
    boutique = share.boutique
    language = (share.client.preferred_language or boutique.language).split("-")[0]
    email = next((i.value for i in share.client.identities.all() if i.kind == "email"), "")
    with translation.override(language):
        hello = _("Hello %(name)s,") % {"name": share.client.display_name} if share.client.display_name else _("Hello,")
        text = share.note.strip() or _("I have picked a few pieces for you at %(boutique)s:") % {"boutique": boutique.name}
        subject = share.title or _("A few pieces for you from %(boutique)s") % {"boutique": boutique.name}
    return share_links(body=f"{hello}\n{text}\n{url}", subject=subject, email=email)


@staff_view
@require_GET
def lookbook_detail(request, actor: Actor, share_id: int):
    share = access_share(actor, share_id)
    url = services.share_url(share)
    context = {
        "actor": actor, "boutique": actor.boutique, "share": share, "url": url, "state": services.share_state(share),
        "items": list(share.items.all()), "actions": share_actions(share=share), **_share_texts(share, url),
    }  # fmt: skip
    return render(request, "shares/console_detail.html", context)


@staff_view
@require_POST
def lookbook_revoke(request, actor: Actor, share_id: int):
    share = access_share(actor, share_id)
    services.share_revoke(actor=actor, share=share)
    messages.success(request, _("The lookbook's link no longer works."))
    return redirect("console:lookbook", slug=actor.boutique.slug, share_id=share.pk)


def builder_url(slug: str, client_id: int) -> str:
    """For a "New lookbook" link on a client's profile."""
    from django.urls import reverse

    return reverse("console:lookbook_new", args=[slug]) + "?" + urlencode({"client": client_id})
