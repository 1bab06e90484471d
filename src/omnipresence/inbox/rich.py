"""Rich messages: a product card, a hold made for her, a pay link, a personal code, canned replies.

A card stores what it points at (product, hold, pay link, code); the thread shows the *live*
price and stock when it is drawn (`cards_live`), so a card sent yesterday does not promise a
size that sold this morning. Every channel also gets a plain-text version (`outbound_text`):
SMS and email cannot draw a card, so they get the title, the price and the link.
"""

import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from omnipresence.catalog.models import Product
from omnipresence.catalog.selectors import access_product
from omnipresence.core.errors import Conflict, InvalidInput, NotFound
from omnipresence.core.money import format_money
from omnipresence.inbox.models import CannedReply, Conversation, Message
from omnipresence.inventory.selectors import availability_for_variants
from omnipresence.stores.access import Actor

CARD_TYPES = ("product", "hold", "pay_link", "code", "appointment")
VARIABLES = ("first_name", "name", "associate", "boutique", "shop")


def product_url(product: Product) -> str:
    return settings.SITE_URL + reverse("storefront:product", args=[product.boutique.slug, product.handle])


def product_card(*, actor: Actor, product_id) -> dict:
    """The payload of a product card: what it points at and what it looked like when sent."""
    product = access_product(actor, product_id)
    if product.status != Product.Status.ACTIVE:
        raise InvalidInput(_("Only pieces on sale can be sent."), code="product_not_active")
    variants = list(product.variants.all())
    prices = [v.price for v in variants] or [0]
    image = product.images.first()
    return {
        "type": "product", "product_id": product.pk, "title": product.title,
        "price": min(prices), "currency": actor.boutique.currency, "url": product_url(product),
        "image": image.image.url if image and image.image else "",
    }  # fmt: skip


def hold_card(hold) -> dict:
    line = f"{hold.variant.product.title} ({hold.variant.label})"
    return {
        "type": "hold", "hold_id": hold.pk, "title": line, "location": hold.location.name,
        "expires_at": hold.expires_at.isoformat() if hold.expires_at else None,
    }  # fmt: skip


def pay_link_card(link, url: str) -> dict:
    return {"type": "pay_link", "pay_link_id": link.pk, "url": url, "amount": link.order.balance,
            "currency": link.order.currency}  # fmt: skip


def code_card(code) -> dict:
    return {"type": "code", "code": code.code}


def appointment_card(appointment_type) -> dict:
    """An invitation to book: the type, where it happens, and the storefront's booking page, where
    she picks a time (her own associate first when free)."""
    url = settings.SITE_URL + reverse("storefront:appointment_book", args=[appointment_type.boutique.slug,
                                                                          appointment_type.pk])  # fmt: skip
    return {
        "type": "appointment", "appointment_type_id": appointment_type.pk, "title": appointment_type.name,
        "minutes": appointment_type.duration_minutes, "mode": appointment_type.mode,
        "location": appointment_type.location.name, "url": url,
    }  # fmt: skip


def cards_live(*, boutique, messages: list[Message]) -> dict[int, dict]:
    """For each product card among `messages`: its live lowest price and units available now
    (one availability read for all of them)."""
    ids = {m.payload.get("product_id") for m in messages if m.payload.get("type") == "product"}
    ids.discard(None)
    if not ids:
        return {}
    products = {p.pk: p for p in Product.objects.filter(boutique=boutique, pk__in=ids).prefetch_related("variants")}
    variants = [v for p in products.values() for v in p.variants.all()]
    stock = availability_for_variants(boutique=boutique, variants=variants) if variants else {}
    live = {}
    for pk, product in products.items():
        mine = [v for v in product.variants.all()]
        sizes = [(v.size or v.sku, sum(la.available for la in stock[v.pk].locations)) for v in mine if v.pk in stock]
        live[pk] = {
            "on_sale": product.status == Product.Status.ACTIVE,
            "price": min((v.price for v in mine), default=0),
            "available": sum(n for _size, n in sizes),
            "sizes": [{"size": size, "available": n} for size, n in sizes],
        }
    return live


def outbound_text(message: Message, boutique) -> str:
    """What a text-only channel sends: her associate's words, then each card as a line, then the
    photo links."""
    lines = [message.body] if message.body else []
    payload = message.payload or {}
    kind = payload.get("type")
    if kind == "product":
        price = format_money(int(payload.get("price") or 0), payload.get("currency") or boutique.currency,
                             boutique.language)  # fmt: skip
        lines.append(f"{payload.get('title', '')} — {price}\n{payload.get('url', '')}")
    elif kind == "hold":
        lines.append(_("Put aside for you at %(shop)s: %(item)s") % {"shop": payload.get("location", ""),
                                                                   "item": payload.get("title", "")})  # fmt: skip
    elif kind == "pay_link":
        lines.append(payload.get("url", ""))
    elif kind == "code":
        lines.append(_("Your personal code: %(code)s") % {"code": payload.get("code", "")})
    elif kind == "appointment":
        lines.append(_("Book a time: %(title)s") % {"title": payload.get("title", "")} + f"\n{payload.get('url', '')}")
    elif kind == "video_call":
        lines.append(_("Join me on video now: %(url)s") % {"url": payload.get("url", "")})
    for attachment in payload.get("attachments", []):
        lines.append(settings.SITE_URL + attachment.get("url", ""))
    return "\n".join(line for line in lines if line).strip()


# --- canned replies ----------------------------------------------------------------------------

_VARIABLE = re.compile(r"\{(\w+)\}")


def canned_reply_render(reply: CannedReply, *, conversation: Conversation, actor: Actor) -> str:
    """The reply with its variables filled for this client and associate. Only the known names
    are replaced (no attribute lookups: the text is the boutique's, the values are data)."""
    client = conversation.client
    name = client.display_name or ""
    shop = conversation.inbox.team_location.name if conversation.inbox.team_location_id else actor.boutique.name
    values = {
        "first_name": name.split(" ")[0] if name else "", "name": name,
        "associate": (actor.user.first_name or actor.label) if actor.user else actor.label,
        "boutique": actor.boutique.name, "shop": shop,
    }  # fmt: skip
    text = _VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), reply.body)
    return re.sub(r" +([,.!?])", r"\1", text).strip()


def _check_reply(shortcut, title, body) -> tuple[str, str, str]:
    shortcut = shortcut.strip().lower() if isinstance(shortcut, str) else ""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", shortcut):
        raise InvalidInput(_("A shortcut is 1 to 40 letters, digits, - or _."), code="invalid_shortcut")
    title = title.strip() if isinstance(title, str) else ""
    body = body.strip() if isinstance(body, str) else ""
    if not title or len(title) > 80:
        raise InvalidInput(_("Give the reply a title of up to 80 characters."), code="invalid_title")
    if not body or len(body) > 2000:
        raise InvalidInput(_("Write the reply (up to 2,000 characters)."), code="invalid_body")
    unknown = sorted({v for v in re.findall(r"\{([^{}\s]{1,40})\}", body) if v not in VARIABLES})
    if unknown:
        raise InvalidInput(
            _("Unknown variables: %(names)s. Use %(known)s.")
            % {"names": ", ".join(unknown), "known": ", ".join("{" + v + "}" for v in VARIABLES)},
            code="invalid_variable",
        )
    return shortcut, title, body


def canned_reply_create(*, actor: Actor, shortcut: str, title: str, body: str) -> CannedReply:
    actor.require("inbox.manage")
    shortcut, title, body = _check_reply(shortcut, title, body)
    try:
        with transaction.atomic():
            return CannedReply.objects.create(boutique=actor.boutique, shortcut=shortcut, title=title, body=body)
    except IntegrityError:
        raise Conflict(_("There is already a reply with that shortcut."), code="shortcut_taken")


def canned_reply_delete(*, actor: Actor, reply: CannedReply) -> None:
    actor.require("inbox.manage")
    reply.delete()


def access_canned_reply(actor: Actor, reply_id: int) -> CannedReply:
    actor.require("clients.view")
    reply = CannedReply.objects.filter(boutique=actor.boutique, pk=reply_id).first()
    if reply is None:
        raise NotFound(_("There is no such saved reply."), code="canned_reply_not_found")
    return reply


def canned_reply_list(*, actor: Actor) -> list[CannedReply]:
    actor.require("clients.view")
    return list(CannedReply.objects.filter(boutique=actor.boutique).order_by("shortcut"))


# --- actions that send a card ------------------------------------------------------------------


def send_product(*, actor: Actor, conversation: Conversation, product_id, body: str = "") -> Message:
    from omnipresence.inbox.services import message_send

    return message_send(actor=actor, conversation=conversation, body=body,
                        payload=product_card(actor=actor, product_id=product_id))  # fmt: skip


def send_hold(*, actor: Actor, conversation: Conversation, variant_id, location_id, body: str = "") -> Message:
    """"Shall I put it aside for you?" — done: one unit held for her at that shop (the boutique's
    usual client hold length), on her timeline, and the card sent. No stock: nothing held, nothing
    sent (InsufficientStock)."""
    from omnipresence.catalog.selectors import access_variant
    from omnipresence.clients.services import timeline_add
    from omnipresence.inbox.services import message_send
    from omnipresence.inventory import services as inventory
    from omnipresence.inventory.models import Hold
    from omnipresence.stores.selectors import access_location

    variant = access_variant(actor, variant_id)
    location = access_location(actor, location_id)
    client = conversation.client
    with transaction.atomic():
        hold = inventory.hold_place(
            actor=actor, location=location, variant=variant, quantity=1, kind=Hold.Kind.CLIENT,
            client_name=(client.display_name or "")[:120], client_contact=conversation.contact[:120],
            owner_ref=f"conversation:{conversation.pk}", note=f"Held in conversation {conversation.pk}",
        )  # fmt: skip
        timeline_add(
            client_id=client.pk, kind="hold_placed", occurred_at=hold.created_at,
            summary=f"Held {variant.product.title} ({variant.label}) at {location.name}",
            data={"hold_id": hold.pk, "sku": variant.sku, "location": location.code,
                  "conversation_id": conversation.pk},
            ref_kind="hold", ref_id=hold.pk, associate_id=actor.user_id,
        )  # fmt: skip
        return message_send(actor=actor, conversation=conversation, body=body, payload=hold_card(hold))


def send_pay_link(*, actor: Actor, conversation: Conversation, pay_link_id, body: str = "") -> Message:
    from omnipresence.inbox.services import message_send
    from omnipresence.payments.models import PayLink
    from omnipresence.payments.pay_links import pay_link_url
    from omnipresence.payments.selectors import access_pay_link

    link = access_pay_link(actor, pay_link_id)
    if link.status != PayLink.Status.ACTIVE:
        raise Conflict(_("That pay link is no longer waiting for payment."), code="pay_link_not_active")
    return message_send(actor=actor, conversation=conversation, body=body,
                        payload=pay_link_card(link, pay_link_url(link)))  # fmt: skip


def send_code(*, actor: Actor, conversation: Conversation, campaign_id, body: str = "") -> Message:
    """A single-use personal code of a campaign, issued to her (her email or phone) and sent."""
    from omnipresence.clients.models import Identity
    from omnipresence.inbox.services import message_send
    from omnipresence.orders.models import Campaign
    from omnipresence.orders.promotions import code_issue

    campaign = Campaign.objects.filter(boutique=actor.boutique, pk=campaign_id if isinstance(campaign_id, int) else 0).first()
    if campaign is None:
        raise NotFound(_("There is no such campaign."), code="campaign_not_found")
    refs = dict(
        Identity.objects.filter(client=conversation.client, kind__in=["email", "phone", "whatsapp"])
        .order_by("kind").values_list("kind", "value")
    )  # fmt: skip
    ref = refs.get("email") or refs.get("phone") or refs.get("whatsapp") or ""
    with transaction.atomic():
        code = code_issue(actor=actor, campaign=campaign, client_ref=ref)
        return message_send(actor=actor, conversation=conversation, body=body, payload=code_card(code))


def send_video_call(*, actor: Actor, conversation: Conversation, body: str = "") -> Message:
    """A video call with her now: the appointment (appointments.services.appointment_call_now) and
    her way into its room, sent in the chat, in one transaction — a refusal (the reply window, the
    associate's calendar) leaves neither. The room page has the video, the countdown to the cap and
    the shared cart, as for a booked consultation."""
    from omnipresence.appointments.room import room_link
    from omnipresence.appointments.services import appointment_call_now
    from omnipresence.inbox.services import message_send

    actor.require("clients.edit")
    with transaction.atomic():
        appointment = appointment_call_now(actor=actor, client=conversation.client)
        link = room_link(appointment, host=False)
        card = {"type": "video_call", "appointment_id": appointment.pk, "title": appointment.appointment_type.name,
                "url": link.url, "minutes": int((appointment.cap_ends_at - appointment.starts_at).total_seconds() // 60),
                "ends_at": appointment.cap_ends_at.isoformat()}  # fmt: skip
        return message_send(actor=actor, conversation=conversation, body=body, payload=card)


def send_appointment_invite(*, actor: Actor, conversation: Conversation, appointment_type_id,
                            body: str = "") -> Message:  # fmt: skip
    """An invitation card to book one of the boutique's active appointment types."""
    from omnipresence.appointments.selectors import public_type
    from omnipresence.inbox.services import message_send

    actor.require("clients.view")
    appointment_type = public_type(boutique=actor.boutique, type_id=appointment_type_id
                                   if isinstance(appointment_type_id, int) else 0)  # fmt: skip
    return message_send(actor=actor, conversation=conversation, body=body, payload=appointment_card(appointment_type))
