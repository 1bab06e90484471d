"""Demo inbox: an SMS and a WhatsApp inbox per boutique (local provider: nothing leaves the
machine), and open conversations from demo clients — one answered by her associate, one waiting —
so the conversations API and her timeline show them in `omnipresence demo`."""

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
    services.outbox_sweep()
    log(f"  {boutique.name}: {started} open conversations (WhatsApp, SMS; local provider)")
    return started
