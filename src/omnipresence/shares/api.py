"""API of lookbooks: create one for a client (its `url` is in every answer: the token is an HMAC,
so the link can be shown again), list, read, revoke. The client's page is not an API."""

from datetime import datetime
from typing import Annotated

from ninja import Field, Query, Router, Schema, Status

from omnipresence.clients.attempts import _anonymous_label, attempt_log, logged_attempts
from omnipresence.clients.selectors import access_associate, access_client
from omnipresence.core.api import AUTH, ERRORS, ID, SLUG, Input, Num, Text, request_actor
from omnipresence.core.errors import DomainError
from omnipresence.shares import services
from omnipresence.shares.models import Share
from omnipresence.shares.selectors import access_share, share_list
from omnipresence.stores.models import Boutique

router = Router(tags=["lookbooks"])
CLIENT_ID = Annotated[int | None, Query(ge=1, le=2**62)]


class ShareItemIn(Input):
    product_id: Num(ge=1, le=2**62)
    variant_sku: Text(64) = Field("", description="The size the associate suggests (optional)")
    note: Text(300) = ""


class ShareIn(Input):
    client_id: Num(ge=1, le=2**62)
    items: list[ShareItemIn] = Field(min_length=1, max_length=services.MAX_ITEMS)
    title: Text(120) = ""
    note: Text(2000) = Field("", description="The associate's words to the client")
    days: Num(ge=1, le=services.MAX_DAYS) | None = Field(None, description="How long the link works; default 30")
    associate: Text(150) | None = Field(None, description="Username of the associate it is from; default: you")


class ShareItemOut(Schema):
    id: int
    product_id: int
    title: str
    variant_sku: str | None
    note: str
    position: int


class ShareOut(Schema):
    id: int
    client_id: int
    associate: str | None
    title: str
    note: str
    url: str
    status: str
    expires_at: datetime
    created_at: datetime
    sent_at: datetime | None
    first_viewed_at: datetime | None
    last_viewed_at: datetime | None
    views: int
    revoked_at: datetime | None
    items: list[ShareItemOut]


def _out(share: Share) -> dict:
    return {
        "id": share.pk, "client_id": share.client_id,
        "associate": share.associate.get_username() if share.associate else None, "title": share.title,
        "note": share.note, "url": services.share_url(share), "status": services.share_state(share),
        "expires_at": share.expires_at, "created_at": share.created_at, "sent_at": share.sent_at,
        "first_viewed_at": share.first_viewed_at, "last_viewed_at": share.last_viewed_at, "views": share.views,
        "revoked_at": share.revoked_at,
        "items": [{"id": i.pk, "product_id": i.product_id, "title": i.product.title,
                   "variant_sku": i.variant.sku if i.variant else None, "note": i.note, "position": i.position}
                  for i in share.items.all()],
    }  # fmt: skip


@router.get("/boutiques/{slug}/lookbooks", response={200: list[ShareOut], **ERRORS}, auth=AUTH)
@logged_attempts("share_list", target_kwarg="client_id")
def lookbooks(request, slug: SLUG, client_id: CLIENT_ID = None, mine: bool = False):
    """Newest first (200 at most); `client_id` for one client's, `mine` for the caller's own."""
    actor = request_actor(request, slug)
    if client_id is not None:
        client_id = access_client(actor, client_id).pk
    shares = share_list(actor=actor, client_id=client_id, associate_id=actor.user_id if mine else None)
    return [_out(s) for s in shares.prefetch_related("items__product", "items__variant")[:200]]


@router.post("/boutiques/{slug}/lookbooks", response={201: ShareOut, **ERRORS}, auth=AUTH)
def lookbook_create(request, slug: SLUG, payload: ShareIn):
    """A lookbook for one client; send her `url`. Another boutique's product, an unpublished one or
    a size the piece does not have is refused (422) and nothing is made."""
    try:
        actor = request_actor(request, slug)
        client = access_client(actor, payload.client_id)
        share = services.share_create(
            actor=actor, client=client, title=payload.title, note=payload.note, days=payload.days,
            associate=access_associate(actor, payload.associate) if payload.associate else None,
            items=[services.ItemSpec(i.product_id, i.variant_sku, i.note) for i in payload.items],
        )  # fmt: skip
    except DomainError as error:
        actor = getattr(request, "omni_actor", None)
        boutique = getattr(actor, "boutique", None) or Boutique.objects.filter(slug=slug).first()
        attempt_log(boutique=boutique, actor=actor, actor_label="" if actor else _anonymous_label(request),
                    action="share_create", target=f"client:{payload.client_id}", error=error)  # fmt: skip
        raise
    return Status(201, _out(access_share(actor, share.pk)))


@router.get("/boutiques/{slug}/lookbooks/{share_id}", response={200: ShareOut, **ERRORS}, auth=AUTH)
@logged_attempts("share_view", target_kwarg="share_id")
def lookbook_detail(request, slug: SLUG, share_id: ID):
    actor = request_actor(request, slug)
    return _out(access_share(actor, share_id))


@router.post("/boutiques/{slug}/lookbooks/{share_id}/revoke", response={200: ShareOut, **ERRORS}, auth=AUTH)
@logged_attempts("share_revoke", target_kwarg="share_id")
def lookbook_revoke(request, slug: SLUG, share_id: ID):
    """The link stops working at once (holds it made stay)."""
    actor = request_actor(request, slug)
    services.share_revoke(actor=actor, share=access_share(actor, share_id))
    return _out(access_share(actor, share_id))
