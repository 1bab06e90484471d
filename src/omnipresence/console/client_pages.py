"""The associate's client pages: her book (search, filters) and a client's profile (identities,
consent, profile fields, notes and the timeline in keyset pages).

Every client id becomes a client only through `access_client` (which writes the ProfileView audit
row); every write goes through the clients services. Form text is turned into the services' typed
values here and nowhere else; what the services refuse comes back as an alert, nothing changed.
"""

from datetime import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from omnipresence.clients import services as clients
from omnipresence.clients.models import Client, ConsentPurpose
from omnipresence.clients.selectors import (
    CLIENTS_EDIT,
    BookFilters,
    access_client,
    client_book,
    consent_state,
    timeline_page,
)
from omnipresence.console.access import staff_view
from omnipresence.core.errors import DomainError, InvalidInput
from omnipresence.stores.access import Actor

BOOK_PAGE_SIZE = 20
TIMELINE_PAGE_SIZE = 50
MAX_CURSOR_ID = 2**62
PROFILE_FORM_FIELDS = (
    "display_name", "sizes", "colours", "brands", "styles", "tags", "fit_notes", "important_dates",
    "preferred_channel", "preferred_language", "notes",
)  # fmt: skip

# The book's views: (value, label, filters besides the query, only her own clients).
BOOK_VIEWS = {
    "all": (gettext_lazy("All clients"), {}, False),
    "mine": (gettext_lazy("My clients"), {}, True),
    "lapsing": (gettext_lazy("Lapsing (90 days)"), {"lapsing_days": 90}, False),
    "birthday": (gettext_lazy("Birthday in 30 days"), {"birthday_within_days": 30}, False),
    "vip": (gettext_lazy("VIP"), {"high_value": True}, False),
    "holds": (gettext_lazy("Open holds"), {"open_holds": True}, False),
    "pay_links": (gettext_lazy("Unpaid pay links"), {"unpaid_pay_links": True}, False),
    "new_arrivals": (gettext_lazy("New arrivals for her"), {"new_arrivals": True}, False),
}

CONSENT_WORDING = {
    "marketing_email": gettext_lazy("May we email you about new arrivals, events and offers?"),
    "marketing_sms": gettext_lazy("May we text you about new arrivals, events and offers?"),
    "marketing_whatsapp": gettext_lazy(
        "May we message you on WhatsApp about new arrivals, events and offers?"
    ),
    "personalization": gettext_lazy("May we use what you have bought and liked to suggest pieces for you?"),
    "walk_in": gettext_lazy("May our team recognise you and greet you by name when you visit?"),
    "hub_sharing": gettext_lazy("May we share your profile with our partner boutiques?"),
}


@staff_view
@require_GET
def client_book_page(request, actor: Actor):
    """The book: every client, or hers, searched and filtered, 20 a page, by name."""
    query = request.GET.get("q", "").strip()[:120]
    view = request.GET.get("show", "all")
    if view not in BOOK_VIEWS:
        view = "all"
    _label, filters, mine = BOOK_VIEWS[view]
    book = client_book(
        actor=actor, associate=actor.user if mine else None, filters=BookFilters(query=query, **filters)
    )
    page = Paginator(book, BOOK_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "console/clients/book.html", {
        "actor": actor, "boutique": actor.boutique, "page": page, "query": query, "show": view,
        "views": [(value, label) for value, (label, _f, _m) in BOOK_VIEWS.items()],
    })  # fmt: skip


def _cursor(request) -> tuple[datetime, int] | None:
    """The timeline cursor from ?before_at=<ISO>&before_id=<id>; anything malformed is the first page."""
    at_text, id_text = request.GET.get("before_at", ""), request.GET.get("before_id", "")
    if not at_text or not id_text or len(at_text) > 40 or len(id_text) > 19 or not id_text.isdigit():
        return None
    try:
        at = datetime.fromisoformat(at_text)
    except ValueError:
        return None
    last_id = int(id_text)
    if at.tzinfo is None or not 1 <= last_id <= MAX_CURSOR_ID:
        return None
    return at, last_id


def _profile_initial(client: Client) -> dict:
    return {
        "display_name": client.display_name,
        "sizes": "\n".join(f"{category}: {size}" for category, size in sorted(client.sizes.items())),  # jsonb keeps no order
        "colours": ", ".join(client.colours),
        "brands": ", ".join(client.brands),
        "styles": ", ".join(client.styles),
        "tags": ", ".join(client.tags),
        "fit_notes": client.fit_notes,
        "important_dates": "\n".join(f"{d['label']}: {d['date']}" for d in client.important_dates),
        "preferred_channel": client.preferred_channel,
        "preferred_language": client.preferred_language,
        "notes": client.notes,
    }


def _profile(
    request,
    actor: Actor,
    client: Client,
    *,
    edit: dict | None = None,
    error=None,
    consent_failed: bool = False,
    status: int = 200,
    extra: dict | None = None,
):
    from omnipresence.clienteling.console_views import profile_context  # tasks and messages

    timeline = timeline_page(client=client, before=_cursor(request), limit=TIMELINE_PAGE_SIZE)
    state = consent_state(client)
    return render(request, "console/clients/profile.html", {
        "actor": actor, "boutique": actor.boutique, "client": client,
        "identities": list(client.identities.all()),
        "consents": [(purpose, label, state[purpose]) for purpose, label in ConsentPurpose.choices],
        "purposes": [(purpose, label, CONSENT_WORDING[purpose]) for purpose, label in ConsentPurpose.choices],
        "timeline": timeline, "first_page": _cursor(request) is None,
        "edit": edit or _profile_initial(client), "channels": Client.PreferredChannel.choices,
        "can_edit": actor.can(CLIENTS_EDIT), "error": error, "edit_failed": edit is not None,
        "consent_failed": consent_failed, "can_privacy": actor.can("clients.privacy"),
        **profile_context(actor, client), **(extra or {}),
    }, status=status)  # fmt: skip


render_profile = _profile  # for the clienteling forms on the profile


@staff_view
@require_GET
def client_profile(request, actor: Actor, client_id: int):
    return _profile(request, actor, access_client(actor, client_id))


def _to_profile(actor: Actor, client: Client):
    return redirect(reverse("console:client_profile", args=[actor.boutique.slug, client.pk]))


def _words(text: str) -> list[str]:
    return [word.strip() for word in text.split(",") if word.strip()]


def _pairs(text: str, field: str, example: str) -> list[tuple[str, str]]:
    """Lines of "label: value" (blank lines skipped); a line without a colon is refused."""
    pairs = []
    for line in text.splitlines():
        if not line.strip():
            continue
        label, colon, value = line.partition(":")
        if not colon:
            raise InvalidInput(
                _("“%(line)s” is not a “%(example)s” line.") % {"line": line.strip()[:40], "example": example},
                code="invalid_input", details={"field": field},
            )  # fmt: skip
        pairs.append((label.strip(), value.strip()))
    return pairs


def _profile_fields(post) -> dict:
    text = {name: post.get(name, "")[:6000] for name in PROFILE_FORM_FIELDS}
    sizes: dict[str, str] = {}
    for category, size in _pairs(text["sizes"], "sizes", _("category: size")):
        if category.lower() in sizes:
            raise InvalidInput(
                _("The size for “%(c)s” is given twice.") % {"c": category[:40]}, code="invalid_sizes"
            )
        sizes[category.lower()] = size
    return {
        "display_name": text["display_name"], "sizes": sizes, "fit_notes": text["fit_notes"],
        "colours": _words(text["colours"]), "brands": _words(text["brands"]), "styles": _words(text["styles"]),
        "tags": _words(text["tags"]),
        "important_dates": [{"label": label, "date": day}
                            for label, day in _pairs(text["important_dates"], "important_dates", _("label: YYYY-MM-DD"))],
        "preferred_channel": text["preferred_channel"], "preferred_language": text["preferred_language"].strip(),
        "notes": text["notes"],
    }  # fmt: skip


@staff_view
@require_POST
def client_edit(request, actor: Actor, client_id: int):
    client = access_client(actor, client_id)
    try:
        clients.client_update(actor=actor, client=client, **_profile_fields(request.POST))
    except DomainError as error:
        # Shown on the profile with what she typed, so nothing is lost; the client is unchanged.
        submitted = {name: request.POST.get(name, "")[:6000] for name in PROFILE_FORM_FIELDS}
        return _profile(request, actor, client, edit=submitted, error=error, status=error.status)
    messages.success(request, _("Profile saved."))
    return _to_profile(actor, client)


@staff_view
@require_POST
def client_note(request, actor: Actor, client_id: int):
    client = access_client(actor, client_id)
    try:
        clients.client_note_add(actor=actor, client=client, text=request.POST.get("text", "")[:4000])
    except DomainError as error:
        return _profile(request, actor, client, error=error, status=error.status)
    messages.success(request, _("Note added."))
    return _to_profile(actor, client)


@staff_view
@require_POST
def client_consent(request, actor: Actor, client_id: int):
    """What she said in the shop, and the words she was shown (channel: shop)."""
    client = access_client(actor, client_id)
    actor.require(CLIENTS_EDIT)
    granted = request.POST.get("granted", "")
    try:
        if granted not in ("yes", "no"):
            raise InvalidInput(_("Say whether she agreed or not."), code="invalid_input")
        clients.consent_record(
            actor_label=actor.label, client=client, purpose=request.POST.get("purpose", "")[:40],
            granted=granted == "yes", channel="shop", wording=request.POST.get("wording", "")[:4000],
        )  # fmt: skip
    except DomainError as error:
        return _profile(request, actor, client, error=error, consent_failed=True, status=error.status)
    messages.success(request, _("Consent recorded."))
    return _to_profile(actor, client)
