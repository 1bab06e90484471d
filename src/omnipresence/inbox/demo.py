"""Demo inbox: an SMS, a WhatsApp and a web chat inbox per boutique (local provider: nothing leaves the
machine), and open conversations from demo clients — one answered by her associate (with one answer
WhatsApp could not deliver, to send again), one waiting — so the conversations API and her timeline
show them in `omnipresence demo`."""

from datetime import timedelta

import phonenumbers
from django.utils import timezone

from omnipresence.clients.models import Identity
from omnipresence.clients.services import client_identify
from omnipresence.inbox import services
from omnipresence.inbox.models import Inbox
from omnipresence.stores.access import actor_for_user, system_actor
from omnipresence.stores.models import Boutique, StaffMember

THREADS = [
    ("whatsapp", ["Hi! Is the camel coat still there in an M?", "Could you send me a photo of the back?"],
     "Yes, we have one M left in the shop — here is the back. Shall I put it aside for you?"),
    ("sms", ["Do you have the black knit in S?"], None),
]  # fmt: skip


def _demo_mobile(country: str, index: int) -> str:
    example = phonenumbers.example_number_for_type(country or "GB", phonenumbers.PhoneNumberType.MOBILE)
    national = str(example.national_number)
    number = phonenumbers.parse(f"+{example.country_code}{national[:-2]}{40 + index:02d}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _seed_presence(boutique: Boutique) -> None:
    """Routing shows in the demo: the first associate is online (capacity 6), the second away.
    Online lasts 2 minutes without the staff inbox's heartbeat (inbox.routing.AGENT_STALE)."""
    from omnipresence.inbox.routing import agent_status_set

    associates = StaffMember.objects.filter(boutique=boutique, role="associate", is_active=True).select_related("user")
    for member, status in zip(associates.order_by("pk")[:2], ("online", "away"), strict=False):
        agent_status_set(actor=actor_for_user(member.user, boutique), status=status, capacity=6)


def seed_inbox(boutique: Boutique, *, log=print) -> int:
    """Does nothing once the boutique has an inbox. Returns how many conversations were started."""
    if Inbox.objects.filter(boutique=boutique).exists():
        return 0
    manager = StaffMember.objects.filter(boutique=boutique, role__in=["manager", "owner"], is_active=True).first()
    actor = actor_for_user(manager.user, boutique) if manager else system_actor(boutique)
    shop = boutique.locations.filter(kind="shop").order_by("pk").first()
    inboxes = {
        kind: services.inbox_create(actor=actor, kind=kind, name=f"{boutique.name} {label}", team_location=shop,
                                    address=f"demo-{kind}-{boutique.slug}")  # fmt: skip
        for kind, label in (("whatsapp", "WhatsApp"), ("sms", "SMS"))
    }
    # The storefront's chat button (and the one-tag embed for her own site): inbox.webchat.
    services.inbox_create(actor=actor, kind="webchat", name=f"{boutique.name} web chat", team_location=shop,
                          address=f"/{boutique.slug}/")  # fmt: skip
    _seed_presence(boutique)
    emails = list(
        Identity.objects.filter(boutique=boutique, kind="email", client__merged_into__isnull=True,
                                client__erased_at__isnull=True)
        .select_related("client").order_by("pk")[: len(THREADS)]
    )  # fmt: skip
    started = 0
    now = timezone.now()
    for index, ((kind, incoming, answer), identity) in enumerate(zip(THREADS, emails, strict=False)):
        # The demo's clients came through the web shop with an email: now she writes from her phone,
        # which her profile learns (the resolution rule adds it to her).
        phone = _demo_mobile(boutique.country, index)
        client_identify(boutique=boutique, email=identity.value, phone=phone, channel="shop", actor_label="demo")
        message = None
        for offset, text in enumerate(incoming):
            message, _ = services.inbound_receive(
                inbox=inboxes[kind], sender=phone, body=text, name=identity.client.display_name,
                provider_message_id=f"demo-{boutique.slug}-{kind}-{offset}",
                received_at=now - timedelta(minutes=40 - 5 * offset),
            )  # fmt: skip
        started += 1
        associate_id = identity.client.primary_associate_id
        if answer and message is not None:
            member = StaffMember.objects.filter(boutique=boutique, user_id=associate_id).first() if associate_id else None
            replier = actor_for_user(member.user, boutique) if member else actor
            services.message_send(actor=replier, conversation=message.conversation, body=answer)
            _seed_rich(replier, message.conversation)
            _seed_failed(replier, message.conversation)
    _seed_canned_replies(actor)
    services.outbox_sweep()
    log(f"  {boutique.name}: {started} open conversations (WhatsApp, SMS; local provider), web chat on the shop")
    return started


def _seed_failed(actor, conversation) -> None:
    """One answer the channel could not deliver, with its reason and "Send again" in the thread."""
    from django.db import transaction

    from omnipresence.inbox.models import Message, OutboxItem

    error = "WhatsApp could not deliver it: her phone was unreachable (code 131026)"
    with transaction.atomic():  # failed before its sending after commit: nothing goes out
        note = services.message_send(actor=actor, conversation=conversation,
                                     body="I am in the shop until 7 tonight if you would like to try it on.")  # fmt: skip
        Message.objects.filter(pk=note.pk).update(status=Message.Status.FAILED, error=error)
        OutboxItem.objects.filter(message=note).update(attempts=1, last_error=error, given_up_at=timezone.now())


CANNED = [
    ("thanks", "Thank you", "Thank you {first_name}! It was lovely to help — {associate}, {shop}."),
    ("aside", "Put aside", "Hello {first_name}, I can put it aside for you until Saturday at {shop}. Shall I?"),
    ("arrived", "New arrival", "{first_name}, something in your size has just arrived at {boutique}: want a photo?"),
]


def _seed_canned_replies(actor) -> None:
    from omnipresence.inbox import rich

    if actor.can("inbox.manage"):
        for shortcut, title, body in CANNED:
            rich.canned_reply_create(actor=actor, shortcut=shortcut, title=title, body=body)


def _seed_rich(actor, conversation) -> None:
    """The answered thread gets a photo "from the shop floor" and a product card (live stock)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    from omnipresence.catalog.models import Product
    from omnipresence.inbox import rich
    from omnipresence.inbox.attachments import attachment_upload

    picture = Image.new("RGB", (900, 1200), (196, 164, 120))
    ImageDraw.Draw(picture).rectangle((250, 150, 650, 1100), fill=(150, 112, 70))  # a coat on the rail
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=80)
    photo = attachment_upload(actor=actor, conversation=conversation,
                              upload=SimpleUploadedFile("back.jpg", buffer.getvalue(), content_type="image/jpeg"))
    services.message_send(actor=actor, conversation=conversation, body="", attachment_ids=[photo.pk])
    product = Product.objects.filter(boutique=conversation.boutique, status=Product.Status.ACTIVE).order_by("pk").first()
    if product is not None:
        rich.send_product(actor=actor, conversation=conversation, product_id=product.pk,
                          body="And this one would go beautifully with it.")  # fmt: skip
