"""API of rich messages: upload a photo or video, send a card (product, hold, pay link, personal
code), and the boutique's canned replies."""

from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, Status, UploadedFile

from omnipresence.clients.attempts import logged_attempts
from omnipresence.core.api import AUTH, ERRORS, ID, SLUG, Input, Text, request_actor
from omnipresence.core.errors import InvalidInput
from omnipresence.inbox import rich
from omnipresence.inbox.attachments import attachment_upload
from omnipresence.inbox.selectors import access_conversation

router = Router(tags=["inbox"])


class AttachmentOut(Schema):
    id: int
    url: str
    content_type: str
    size: int
    width: int | None
    height: int | None


@router.post("/boutiques/{slug}/conversations/{conversation_id}/attachments",
             response={201: AttachmentOut, **ERRORS}, auth=AUTH)  # fmt: skip
@logged_attempts("attachment_upload", target_kwarg="conversation_id")
def attachment_create(request, slug: SLUG, conversation_id: ID, file: File[UploadedFile]):
    """A photo (JPEG, PNG, WebP, GIF ≤ 10 MB; metadata removed) or a short video (MP4, MOV, WebM ≤
    25 MB) to send: pass its id in `attachment_ids` when sending the message."""
    actor = request_actor(request, slug)
    conversation = access_conversation(actor, conversation_id)
    a = attachment_upload(actor=actor, conversation=conversation, upload=file)
    return Status(201, {"id": a.pk, "url": a.url, "content_type": a.content_type,
                        "size": a.size, "width": a.width, "height": a.height})  # fmt: skip


class CardIn(Input):
    kind: Literal["product", "hold", "pay_link", "code", "appointment", "video_call"]
    body: Text(4000) = ""
    product_id: int | None = None
    variant_id: int | None = None
    location: Text(40) | None = Field(None, description="Hold: the shop's code or id")
    pay_link_id: int | None = None
    campaign_id: int | None = None
    appointment_type_id: int | None = None


class CardOut(Schema):
    id: int
    status: str
    payload: dict


def _need(value, name: str):
    if value in (None, ""):
        raise InvalidInput(_("Give %(name)s for this card.") % {"name": name}, code="invalid_card")
    return value


@router.post("/boutiques/{slug}/conversations/{conversation_id}/cards", response={201: CardOut, **ERRORS},
             auth=AUTH)  # fmt: skip
@logged_attempts("card_send", target_kwarg="conversation_id")
def card_send(request, slug: SLUG, conversation_id: ID, payload: CardIn):
    """Send a card: `product` (product_id; live price and stock on the thread), `hold` (variant_id and
    location: one unit put aside for her), `pay_link` (pay_link_id of a live link), `code` (campaign_id:
    a single-use personal code issued to her), `appointment` (appointment_type_id: an invitation to
    book it on the storefront), `video_call` (nothing more: a video call with her now, hosted by the
    caller — its appointment made and her room link sent; 409 slot_taken when the caller is busy,
    no_video_type when the boutique offers no video appointment)."""
    actor = request_actor(request, slug)
    conversation = access_conversation(actor, conversation_id)
    common = {"actor": actor, "conversation": conversation, "body": payload.body}
    if payload.kind == "product":
        message = rich.send_product(product_id=_need(payload.product_id, "product_id"), **common)
    elif payload.kind == "hold":
        message = rich.send_hold(variant_id=_need(payload.variant_id, "variant_id"),
                                 location_id=_need(payload.location, "location"), **common)  # fmt: skip
    elif payload.kind == "pay_link":
        message = rich.send_pay_link(pay_link_id=_need(payload.pay_link_id, "pay_link_id"), **common)
    elif payload.kind == "appointment":
        message = rich.send_appointment_invite(
            appointment_type_id=_need(payload.appointment_type_id, "appointment_type_id"), **common
        )
    elif payload.kind == "video_call":
        message = rich.send_video_call(**common)
    else:
        message = rich.send_code(campaign_id=_need(payload.campaign_id, "campaign_id"), **common)
    message.refresh_from_db()
    return Status(201, {"id": message.pk, "status": message.status, "payload": message.payload})


class CannedReplyOut(Schema):
    id: int
    shortcut: str
    title: str
    body: str


class CannedReplyIn(Input):
    shortcut: Text(40, min_length=1)
    title: Text(80, min_length=1)
    body: Text(2000, min_length=1)


def _reply_out(r) -> dict:
    return {"id": r.pk, "shortcut": r.shortcut, "title": r.title, "body": r.body}


@router.get("/boutiques/{slug}/canned-replies", response={200: list[CannedReplyOut], **ERRORS}, auth=AUTH)
def canned_replies(request, slug: SLUG):
    """Saved answers; variables: {first_name}, {name}, {associate}, {boutique}, {shop}."""
    return [_reply_out(r) for r in rich.canned_reply_list(actor=request_actor(request, slug))]


@router.post("/boutiques/{slug}/canned-replies", response={201: CannedReplyOut, **ERRORS}, auth=AUTH)
def canned_reply_create(request, slug: SLUG, payload: CannedReplyIn):
    """Managers save a reply (409 shortcut_taken; unknown variables 422 invalid_variable)."""
    reply = rich.canned_reply_create(actor=request_actor(request, slug), shortcut=payload.shortcut,
                                     title=payload.title, body=payload.body)  # fmt: skip
    return Status(201, _reply_out(reply))


@router.delete("/boutiques/{slug}/canned-replies/{reply_id}", response={204: None, **ERRORS}, auth=AUTH)
def canned_reply_delete(request, slug: SLUG, reply_id: ID):
    actor = request_actor(request, slug)
    rich.canned_reply_delete(actor=actor, reply=rich.access_canned_reply(actor, reply_id))
    return Status(204, None)


class RenderedOut(Schema):
    text: str


@router.get("/boutiques/{slug}/conversations/{conversation_id}/canned-replies/{reply_id}",
            response={200: RenderedOut, **ERRORS}, auth=AUTH)  # fmt: skip
def canned_reply_render(request, slug: SLUG, conversation_id: ID, reply_id: ID):
    """The reply with her name, the associate's, the boutique's and the shop's filled in."""
    actor = request_actor(request, slug)
    conversation = access_conversation(actor, conversation_id)
    reply = rich.access_canned_reply(actor, reply_id)
    return {"text": rich.canned_reply_render(reply, conversation=conversation, actor=actor)}


class MergeIn(Input):
    into_id: int = Field(..., description="Her other conversation, which stays")


class MovedOut(Schema):
    id: int
    client_id: int
    status: str
    merged_into_id: int | None


def _moved_out(c) -> dict:
    return {"id": c.pk, "client_id": c.client_id, "status": c.status, "merged_into_id": c.merged_into_id}


@router.post("/boutiques/{slug}/conversations/{conversation_id}/merge", response={200: MovedOut, **ERRORS},
             auth=AUTH)  # fmt: skip
@logged_attempts("conversation_merge", target_kwarg="conversation_id")
def conversation_merge(request, slug: SLUG, conversation_id: ID, payload: MergeIn):
    """Move this conversation's messages into her other conversation `into_id` (answered from there);
    this one is resolved and points at it. Two clients' threads: 409 different_clients."""
    from omnipresence.inbox.conversation_ops import conversation_merge as merge

    actor = request_actor(request, slug)
    source = access_conversation(actor, conversation_id)
    target = access_conversation(actor, payload.into_id)
    merge(actor=actor, conversation=source, into=target)
    source.refresh_from_db()
    return _moved_out(source)


class MoveIn(Input):
    client_id: int


@router.post("/boutiques/{slug}/conversations/{conversation_id}/move", response={200: MovedOut, **ERRORS},
             auth=AUTH)  # fmt: skip
@logged_attempts("conversation_move", target_kwarg="conversation_id")
def conversation_move(request, slug: SLUG, conversation_id: ID, payload: MoveIn):
    """File the conversation under another client of this boutique (its timeline events and the
    address she writes from follow). A verified address of the first client: 409 verified_identity."""
    from omnipresence.clients.selectors import access_client
    from omnipresence.inbox.conversation_ops import conversation_move as move

    actor = request_actor(request, slug)
    conversation = access_conversation(actor, conversation_id)
    client = access_client(actor, payload.client_id, follow_merged=False)
    return _moved_out(move(actor=actor, conversation=conversation, client=client))
