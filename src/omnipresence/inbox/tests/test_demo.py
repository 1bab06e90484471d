from omnipresence.clients import services as clients
from omnipresence.inbox import services
from omnipresence.inbox.demo import seed_inbox
from omnipresence.inbox.models import Conversation, LocalDelivery, Message
from omnipresence.stores.access import actor_for_user


def test_the_demo_opens_conversations_once(world_a, manager_a, django_capture_on_commit_callbacks):
    boutique = world_a["boutique"]
    sibyl = clients.client_resolve(boutique=boutique, email="sibyl@example.com", name="Sibyl Vane")
    clients.client_resolve(boutique=boutique, email="dorian@example.com", name="Dorian Gray")
    with django_capture_on_commit_callbacks(execute=True):
        assert seed_inbox(boutique, log=lambda *_: None) == 2
    assert seed_inbox(boutique, log=lambda *_: None) == 0
    assert Conversation.objects.count() == 2
    assert Conversation.objects.filter(client=sibyl, inbox__kind="whatsapp").exists()  # her phone joined her
    answer, photo, card, undelivered = Message.objects.filter(direction="out").order_by("pk")
    assert answer.status == "sent" and answer.conversation.status == "pending"
    assert photo.attachments.get().content_type == "image/jpeg" and card.payload["type"] == "product"
    assert {m.conversation_id for m in (answer, photo, card, undelivered)} == {answer.conversation_id}
    # One answer WhatsApp could not deliver: it says why, nothing went out, and it can be sent again.
    assert undelivered.status == "failed" and "code 131026" in undelivered.error
    assert not LocalDelivery.objects.filter(idempotency_key=f"msg-{undelivered.pk}").exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.message_resend(actor=actor_for_user(manager_a, boutique), conversation=undelivered.conversation,
                                message_id=undelivered.pk)  # fmt: skip
    undelivered.refresh_from_db()
    assert undelivered.status == "sent"
    from omnipresence.inbox.models import CannedReply

    assert sorted(CannedReply.objects.filter(boutique=boutique).values_list("shortcut", flat=True)) == [
        "arrived", "aside", "thanks"
    ]  # fmt: skip
    assert Conversation.objects.filter(status="open", waiting_since__isnull=False).count() == 1


def test_the_demo_conversation_ends_with_an_invitation_to_book(world_a, associate_a, django_capture_on_commit_callbacks):
    from omnipresence.appointments.demo import seed_appointments
    from omnipresence.appointments.models import AppointmentType
    from omnipresence.inbox import routing
    from omnipresence.stores.access import actor_for_user

    boutique = world_a["boutique"]
    routing.agent_status_set(actor=actor_for_user(associate_a, boutique), status="online", capacity=6)
    clients.client_resolve(boutique=boutique, email="sibyl@example.com", name="Sibyl Vane")
    clients.client_resolve(boutique=boutique, email="dorian@example.com", name="Dorian Gray")
    with django_capture_on_commit_callbacks(execute=True):
        seed_inbox(boutique, log=lambda *_: None)
        seed_appointments(boutique, log=lambda *_: None)
    invite = Message.objects.filter(direction="out").order_by("pk").last()
    video = AppointmentType.objects.get(boutique=boutique, kind="video_consultation")
    assert invite.payload["type"] == "appointment" and invite.payload["appointment_type_id"] == video.pk
    assert invite.payload["url"].endswith(f"/atelier-a/appointments/book/{video.pk}/")
    assert invite.conversation.assignee_id is not None and invite.author_id == invite.conversation.assignee_id
