"""The associate's inbox in the console, phone first: /console/<slug>/inbox/…

- the list: tabs (mine, waiting for someone, all open, resolved), unread counts, waiting times
  against the first-response target;
- a thread: messages (cards drawn with live price and stock, photos, videos), the answer box
  (words, a canned reply, photos from the camera, a piece, a hold, a pay link, a personal code),
  status and assignment, and a side panel with her profile and latest timeline;
- several threads side by side on a tablet: /console/<slug>/inbox/<id>/?with=<id>&with=<id>.

Everything works without JavaScript (forms post, the page redraws); inbox.js adds the live
socket (new messages, typing, read, status) and sends without a reload.
"""

from datetime import timedelta

from django.contrib import messages as flash
from django.db.models import OuterRef, Subquery, prefetch_related_objects
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from omnipresence.clients.selectors import timeline_page
from omnipresence.console.access import staff_view
from omnipresence.core.errors import DomainError, InvalidInput
from omnipresence.inbox import rich, services
from omnipresence.inbox.attachments import attachment_upload
from omnipresence.inbox.models import Conversation, Message
from omnipresence.inbox.selectors import access_conversation, conversation_list, messages_page
from omnipresence.stores.access import Actor

TABS = ("mine", "waiting", "open", "resolved")
LIST_LIMIT = 60
MAX_PANES = 3


def _tab_queryset(actor: Actor, tab: str):
    if tab == "mine":
        return conversation_list(actor=actor, status="active", mine=True)
    if tab == "waiting":
        return conversation_list(actor=actor, status="active").filter(assignee__isnull=True)
    if tab == "resolved":
        return conversation_list(actor=actor, status="resolved")
    return conversation_list(actor=actor, status="active")


def _row(conversation: Conversation, now) -> dict:
    waiting = None
    if conversation.waiting_since and conversation.status != Conversation.Status.RESOLVED:
        waiting = max(int((now - conversation.waiting_since).total_seconds()), 0)
    return {
        "c": conversation, "waiting": waiting,
        "overdue": waiting is not None and waiting > conversation.inbox.first_response_target,
    }  # fmt: skip


def _list_context(request, actor: Actor) -> dict:
    tab = request.GET.get("tab", "")
    if tab not in TABS:
        tab = "mine" if _tab_queryset(actor, "mine").exists() else "open"
    now = timezone.now()
    latest = Message.objects.filter(conversation=OuterRef("pk")).order_by("-pk").values("pk")[:1]
    conversations = list(_tab_queryset(actor, tab).annotate(last_id=Subquery(latest))[:LIST_LIMIT])
    rows = [_row(c, now) for c in conversations]
    last = Message.objects.in_bulk([c.last_id for c in conversations if c.last_id])  # one query for the previews
    failed: dict[int, list[int]] = {}  # our messages the channel did not take, per conversation: one query
    for conversation_id, message_id in Message.objects.filter(
        conversation_id__in=[c.pk for c in conversations], direction=Message.Direction.OUTBOUND,
        status=Message.Status.FAILED,
    ).values_list("conversation_id", "pk"):  # fmt: skip
        failed.setdefault(conversation_id, []).append(message_id)
    for row in rows:
        row["last"] = last.get(row["c"].last_id)
        row["failed"] = failed.get(row["c"].pk, [])
    counts = {name: _tab_queryset(actor, name).count() for name in ("mine", "waiting", "open")}
    from omnipresence.inbox.models import AgentStatus
    from omnipresence.inbox.routing import agent_online

    me = AgentStatus.objects.filter(boutique=actor.boutique, user_id=actor.user_id).first()
    presence = {"status": me.status if me else "offline", "online": agent_online(me),
                "capacity": me.capacity if me else AgentStatus._meta.get_field("capacity").default}  # fmt: skip
    return {"tab": tab, "rows": rows, "counts": counts, "tabs": TABS, "presence": presence}


def _page(request, actor: Actor, panes: list, *, current: Conversation | None = None, status: int = 200):
    """The inbox page: the list and the open panes."""
    context = {"actor": actor, "boutique": actor.boutique, "panes": panes, "current": current,
               **_list_context(request, actor)}  # fmt: skip
    return render(request, "inbox/console_inbox.html", context, status=status)


@staff_view
@require_GET
def inbox_index(request, actor: Actor):
    return _page(request, actor, [])


def _pane(actor: Actor, conversation: Conversation, *, draft: str = "", error=None) -> dict:
    page = messages_page(conversation=conversation, limit=50)
    thread = page.messages
    prefetch_related_objects(thread, "attachments")
    live = rich.cards_live(boutique=actor.boutique, messages=thread)
    for message in thread:
        message.live = live.get(message.payload.get("product_id")) if message.payload.get("type") == "product" else None
    types = _appointment_types(actor)
    timeline = timeline_page(client=conversation.client, before=None, limit=8)
    return {
        "c": conversation, "thread": thread, "older": page.next_before_id, "draft": draft, "error": error,
        "timeline": timeline.events, "replies": rich.canned_reply_list(actor=actor),
        "campaigns": _campaigns(actor), "pay_links": _pay_links(actor, conversation),
        "appointment_types": types,
        "video_call": any(t.mode == "video" for t in types),
        "window_closed": _window_closed(conversation),
        "staff": _staff(actor, conversation),
        "siblings": list(
            Conversation.objects.filter(boutique=actor.boutique, client_id=conversation.client_id,
                                        merged_into__isnull=True)
            .exclude(pk=conversation.pk).select_related("inbox").order_by("-last_message_at")[:10]
        ),  # her other threads, to merge this one into
    }  # fmt: skip


def _window_closed(conversation: Conversation) -> bool:
    if conversation.inbox.kind != "whatsapp":
        return False
    last = conversation.last_inbound_at
    return last is None or timezone.now() - last > services.WHATSAPP_WINDOW


def _appointment_types(actor: Actor) -> list:
    from omnipresence.appointments.selectors import type_list

    return list(type_list(boutique=actor.boutique).order_by("name", "pk")[:30])


def _campaigns(actor: Actor) -> list:
    from omnipresence.orders.selectors import campaigns_for_personal_codes

    try:
        return list(campaigns_for_personal_codes(actor=actor))
    except DomainError:
        return []


def _pay_links(actor: Actor, conversation: Conversation) -> list:
    """Her pay links still waiting for payment (a link belongs to an order of hers)."""
    from omnipresence.payments.models import PayLink

    if not actor.can("inventory.hold"):  # who may sell may send a pay link
        return []
    return list(
        PayLink.objects.filter(boutique=actor.boutique, status=PayLink.Status.ACTIVE, order__client=conversation.client,
                               expires_at__gt=timezone.now())
        .select_related("order").order_by("-created_at")[:20]
    )  # fmt: skip


def _ids(values) -> list[int]:
    return [int(v) for v in values if isinstance(v, str) and v.isdigit()][: MAX_PANES - 1]


@staff_view
@require_GET
def inbox_thread(request, actor: Actor, conversation_id: int):
    conversation = access_conversation(actor, conversation_id)
    panes = [_pane(actor, conversation)]
    for other in _ids(request.GET.getlist("with")):
        if other != conversation.pk:
            try:
                panes.append(_pane(actor, access_conversation(actor, other)))
            except DomainError:
                continue  # a pane that is not hers to see is left out, the page still opens
    if conversation.unread:
        services.conversation_read(actor=actor, conversation=conversation)
    return _page(request, actor, panes, current=conversation)


def _back(actor: Actor, conversation: Conversation, request):
    url = reverse("console:inbox_thread", args=[actor.boutique.slug, conversation.pk])
    extra = request.POST.get("return_query", "")[:200]
    if extra and all(part.startswith(("with=", "tab=")) for part in extra.split("&")):
        url += "?" + extra
    return redirect(url + f"#pane-{conversation.pk}")


def _fail(request, actor: Actor, conversation: Conversation, error: DomainError, draft: str = ""):
    if request.headers.get("Accept", "").startswith("application/json"):
        from django.http import JsonResponse

        return JsonResponse(error.as_dict(), status=error.status)
    return _page(request, actor, [_pane(actor, conversation, draft=draft, error=error)], current=conversation,
                 status=error.status)  # fmt: skip


def _done(request, actor: Actor, conversation: Conversation, message: Message | None = None, *, status: int = 201):
    if request.headers.get("Accept", "").startswith("application/json"):
        from django.http import JsonResponse

        from omnipresence.inbox.realtime import message_data

        return JsonResponse({"message": message_data(message) if message else None}, status=status if message else 200)
    return _back(actor, conversation, request)


@staff_view
@require_POST
def inbox_send(request, actor: Actor, conversation_id: int):
    """The answer box: words and/or photos, or a canned reply, or a card; and "Send again" on a
    message of the thread that failed (its button belongs to this form)."""
    conversation = access_conversation(actor, conversation_id)
    body = request.POST.get("body", "")[:4100]
    action = request.POST.get("action", "send")
    card, _sep, ref = request.POST.get("card", "").partition(":")
    if card in ("product", "hold"):  # a button of the search results: "product:<id>", "hold:<variant>@<shop>"
        action = card
    if request.POST.get("resend"):  # "Send again" on a message that failed
        action = "resend"
    try:
        if action == "resend":
            message = services.message_resend(actor=actor, conversation=conversation,
                                              message_id=request.POST.get("resend", "")[:20])  # fmt: skip
            message.refresh_from_db()  # as it stands after its sending (on commit): the page shows no older state
            return _done(request, actor, conversation, message, status=200)
        if action == "canned":
            reply = rich.access_canned_reply(actor, _int(request.POST.get("reply")))
            draft = rich.canned_reply_render(reply, conversation=conversation, actor=actor)
            if request.headers.get("Accept", "").startswith("application/json"):
                from django.http import JsonResponse

                return JsonResponse({"text": draft})
            return _page(request, actor, [_pane(actor, conversation, draft=draft)], current=conversation)
        if action == "product":
            message = rich.send_product(actor=actor, conversation=conversation, body=body,
                                        product_id=_int(ref))  # fmt: skip
        elif action == "hold":
            variant, _at, location = ref.partition("@")
            message = rich.send_hold(actor=actor, conversation=conversation, body=body, variant_id=_int(variant),
                                     location_id=location[:40])  # fmt: skip
        elif action == "pay_link":
            message = rich.send_pay_link(actor=actor, conversation=conversation, body=body,
                                         pay_link_id=_int(request.POST.get("pay_link")))  # fmt: skip
        elif action == "video_call":
            message = rich.send_video_call(actor=actor, conversation=conversation, body=body)
        elif action == "appointment":
            message = rich.send_appointment_invite(actor=actor, conversation=conversation, body=body,
                                                   appointment_type_id=_int(request.POST.get("appointment_type")))  # fmt: skip
        elif action == "code":
            message = rich.send_code(actor=actor, conversation=conversation, body=body,
                                     campaign_id=_int(request.POST.get("campaign")))  # fmt: skip
        else:
            files = request.FILES.getlist("photos")[:10]
            ids = [attachment_upload(actor=actor, conversation=conversation, upload=f).pk for f in files]
            message = services.message_send(actor=actor, conversation=conversation, body=body,
                                            purpose=request.POST.get("purpose", "service"), attachment_ids=ids)  # fmt: skip
    except DomainError as error:
        return _fail(request, actor, conversation, error, draft=body)
    return _done(request, actor, conversation, message)


def _int(value) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise InvalidInput(_("Choose one from the list."), code="invalid_choice")


@staff_view
@require_POST
def inbox_status(request, actor: Actor, conversation_id: int):
    conversation = access_conversation(actor, conversation_id)
    status = request.POST.get("status", "")
    try:
        snooze = None
        if status == Conversation.Status.SNOOZED:
            hours = {"1h": 1, "tomorrow": 18, "week": 24 * 7}.get(request.POST.get("until", "tomorrow"), 18)
            snooze = timezone.now() + timedelta(hours=hours)
        services.conversation_update(actor=actor, conversation=conversation, status=status, snoozed_until=snooze)
    except DomainError as error:
        return _fail(request, actor, conversation, error)
    flash.success(request, _("Conversation marked “%(status)s”.") % {"status": conversation.get_status_display()})
    return _done(request, actor, conversation)


@staff_view
@require_POST
def inbox_search(request, actor: Actor, conversation_id: int):
    """The "send a piece" search of the answer box: matches with their stock per shop."""
    from omnipresence.console.sell_views import _matches

    conversation = access_conversation(actor, conversation_id)
    query = request.POST.get("q", "").strip()[:200]
    matches = _matches(actor, query) if len(query) >= 2 else []
    panes = [{**_pane(actor, conversation), "query": query, "matches": matches, "searched": True}]
    return _page(request, actor, panes, current=conversation)


@staff_view
@require_POST
def inbox_merge(request, actor: Actor, conversation_id: int):
    """Merge this thread into another of hers (the other stays and is answered from)."""
    from omnipresence.inbox.conversation_ops import conversation_merge

    conversation = access_conversation(actor, conversation_id)
    try:
        target = access_conversation(actor, _int(request.POST.get("into")))
        conversation_merge(actor=actor, conversation=conversation, into=target)
    except DomainError as error:
        return _fail(request, actor, conversation, error)
    flash.success(request, _("The conversations are merged."))
    return redirect(reverse("console:inbox_thread", args=[actor.boutique.slug, target.pk]) + f"#pane-{target.pk}")


@staff_view
@require_POST
def inbox_claim(request, actor: Actor, conversation_id: int):
    """"I'll take it": the first associate wins (409 already_claimed for the others)."""
    from omnipresence.inbox.routing import conversation_claim

    conversation = access_conversation(actor, conversation_id)
    try:
        conversation_claim(actor=actor, conversation=conversation)
    except DomainError as error:
        return _fail(request, actor, conversation, error)
    flash.success(request, _("The conversation is yours."))
    return _done(request, actor, conversation)


@staff_view
@require_POST
def inbox_transfer(request, actor: Actor, conversation_id: int):
    from omnipresence.inbox.routing import conversation_transfer, staff_user

    conversation = access_conversation(actor, conversation_id)
    try:
        user_id = _int(request.POST.get("to"))
        to_user = staff_user(actor, user_id)
        if to_user is None:
            raise InvalidInput(_("Choose a member of this boutique's staff."), code="invalid_assignee")
        conversation_transfer(actor=actor, conversation=conversation, to_user=to_user,
                              note=request.POST.get("note", "")[:300])  # fmt: skip
    except DomainError as error:
        return _fail(request, actor, conversation, error)
    flash.success(request, _("Handed over to %(name)s.") % {"name": to_user.get_full_name() or to_user.get_username()})
    return _done(request, actor, conversation)


@staff_view
@require_POST
def inbox_presence(request, actor: Actor):
    """Her own status in the inbox: online (new conversations come to her, up to her limit), away."""
    from omnipresence.inbox.routing import agent_status_set

    try:
        capacity = request.POST.get("capacity", "")
        agent_status_set(actor=actor, status=request.POST.get("status", ""),
                         capacity=int(capacity) if capacity.isdigit() else None)  # fmt: skip
    except DomainError as error:
        flash.error(request, error.message)
    return redirect(reverse("console:inbox", args=[actor.boutique.slug]))


def _staff(actor: Actor, conversation: Conversation) -> list:
    from omnipresence.stores.models import StaffMember

    return [
        m.user for m in StaffMember.objects.filter(boutique=actor.boutique, is_active=True)
        .exclude(user_id=conversation.assignee_id).select_related("user").order_by("user__username")
    ]  # fmt: skip


@staff_view
@require_GET
def inbox_messages_after(request, actor: Actor, conversation_id: int):
    """JSON: the messages after `after` (the newest the page shows) — the page asks for them each
    time its socket (re)connects, so nothing said while it was away goes missing."""
    from django.http import JsonResponse

    from omnipresence.inbox.realtime import message_data

    conversation = access_conversation(actor, conversation_id)
    after = request.GET.get("after", "0")
    after_id = int(after) if after.isdigit() else 0
    rows = list(
        Message.objects.filter(conversation=conversation, pk__gt=after_id).prefetch_related("attachments")
        .order_by("pk")[:100]
    )  # fmt: skip
    return JsonResponse({"messages": [message_data(m) for m in rows]})
