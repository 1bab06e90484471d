"""Writes of live shopping: events (create, change, go live, end, replay), featured and pinned
products, the chat and its moderation, and the presence counts. Buying during the stream is in
live.shopping. Every realtime event goes out after its transaction commits (live.realtime).

Permissions: `live.host` runs the events one hosts (create with oneself as host, stream, featured,
pin, go live, end); `live.manage` (managers) does so for any event and any host; `live.moderate`
(every associate) hides messages, bans viewers from the chat, sets slow mode and posts as staff.
"""

import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from omnipresence.catalog.models import Product
from omnipresence.core.errors import Forbidden, InvalidInput, NotFound
from omnipresence.core.validation import clean_text, same_boutique
from omnipresence.live import realtime, selectors, streams
from omnipresence.live.errors import (
    ChatClosed,
    EventWrongState,
    NotFeatured,
    RateLimited,
    SlowMode,
    StreamMissing,
    ViewerBanned,
)
from omnipresence.live.models import (
    LiveChatter,
    LiveEvent,
    LiveFeatured,
    LiveMessage,
    LivePin,
    LivePresence,
    LiveReservation,
)
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Location

HOST, MANAGE, MODERATE = "live.host", "live.manage", "live.moderate"
MAX_EVENT_HOURS = 24
MAX_FEATURED = 30
MAX_PER_VIEWER = 10
MAX_SLOW_MODE = 300
MAX_RESERVATION_MINUTES = 60
NAME_MAX, TEXT_MAX = 40, 300
# A viewer may post FLOOD_POSTS messages in FLOOD_SECONDS (slow mode may ask for less); the whole chat
# takes at most LIVE_CHAT_PER_SECOND messages a second (settings), whoever sends them.
FLOOD_POSTS, FLOOD_SECONDS = 5, 10
PRESENCE_STALE_MINUTES = 10
# Control characters and the bidirectional overrides that can make a name read as another's.
_UNSAFE = re.compile("[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def _line(value, field: str, limit: int, *, code: str) -> str:
    """One line of chat text: unsafe characters dropped, spaces collapsed, 1..limit characters."""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text.", code=code, details={"field": field})
    text = " ".join(_UNSAFE.sub(" ", value).split())
    if not text:
        raise InvalidInput(f"{field} is empty.", code=code, details={"field": field})
    if len(text) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters.", code=code, details={"field": field})
    return text


def _aware(value: datetime, field: str) -> datetime:
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise InvalidInput(f"{field} needs a date, a time and a time zone.", code="invalid_schedule",
                           details={"field": field})  # fmt: skip
    return value


def _schedule(starts_at: datetime, ends_at: datetime) -> None:
    _aware(starts_at, "starts_at")
    _aware(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise InvalidInput("The event must end after it starts.", code="invalid_schedule")
    if ends_at - starts_at > timedelta(hours=MAX_EVENT_HOURS):
        raise InvalidInput(f"An event lasts at most {MAX_EVENT_HOURS} hours.", code="invalid_schedule")
    if starts_at > timezone.now() + timedelta(days=366):
        raise InvalidInput("An event starts within a year.", code="invalid_schedule")


def _staff_user(actor: Actor, user):
    if user is None or not user.memberships.filter(boutique=actor.boutique, is_active=True).exists():
        raise InvalidInput("The host must be on this boutique's staff.", code="invalid_host")
    return user


def _may_run(actor: Actor, event: LiveEvent) -> None:
    """The host runs her own events; managers run any."""
    same_boutique(actor, event)
    if actor.can(MANAGE):
        return
    actor.require(HOST)
    if event.host_id is None or event.host_id != actor.user_id:
        raise Forbidden("Only the event's host or a manager can do this.", code="not_host")


def _stream(provider: str, url: str) -> tuple[str, str]:
    if provider in ("", None):
        return "", ""
    return provider, streams.provider_for(provider).clean_url(url)


def _reservation_minutes(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RESERVATION_MINUTES:
        raise InvalidInput(f"reservation_minutes is between 1 and {MAX_RESERVATION_MINUTES}.",
                           code="invalid_reservation_minutes")  # fmt: skip
    return value


def _location(actor: Actor, location: Location | None, host) -> Location:
    if location is None:
        membership = host.memberships.filter(boutique=actor.boutique, is_active=True).select_related(
            "home_location").first() if host is not None else None  # fmt: skip
        location = membership.home_location if membership and membership.home_location_id else None
    if location is None:
        location = Location.objects.filter(boutique=actor.boutique, is_active=True).order_by("priority", "pk").first()
    if location is None:
        raise InvalidInput("The boutique has no location to sell from.", code="location_required")
    same_boutique(actor, location)
    if not location.is_active:
        raise InvalidInput(f"{location.name} is closed.", code="location_inactive")
    return location


# --- events --------------------------------------------------------------------------------------


def live_event_create(
    *, actor: Actor, title: str, starts_at: datetime, ends_at: datetime, kind: str = LiveEvent.Kind.LAUNCH,
    host=None, location: Location | None = None, description: str = "", stream_provider: str = "",
    stream_url: str = "", reservation_minutes: int | None = None,
) -> LiveEvent:  # fmt: skip
    """A scheduled event. An associate hosts her own; a manager may name any associate as host."""
    if not actor.can(MANAGE):
        actor.require(HOST)
    host = host if host is not None else actor.user
    if host is None:
        raise InvalidInput("Name the associate who hosts the event.", code="invalid_host")
    if not actor.can(MANAGE) and host.pk != actor.user_id:
        raise Forbidden("Only a manager can schedule an event for another host.", code="not_host")
    _staff_user(actor, host)
    if kind not in LiveEvent.Kind.values:
        raise InvalidInput(f"Unknown event kind '{str(kind)[:20]}'.", code="invalid_kind")
    title = clean_text(title, "title", 120)
    if not title:
        raise InvalidInput("The event needs a title.", code="title_required")
    _schedule(starts_at, ends_at)
    provider, url = _stream(stream_provider, stream_url)
    return LiveEvent.objects.create(
        boutique=actor.boutique, location=_location(actor, location, host), title=title,
        description=clean_text(description, "description", 2000), kind=kind, host=host, starts_at=starts_at,
        ends_at=ends_at, stream_provider=provider, stream_url=url,
        stream_room=f"{actor.boutique.slug}-{secrets.token_hex(6)}" if provider == "livekit" else "",
        reservation_minutes=_reservation_minutes(reservation_minutes), created_by_id=actor.user_id,
    )  # fmt: skip


EDITABLE = {"title", "description", "kind", "starts_at", "ends_at", "host", "location", "stream_provider",
            "stream_url", "reservation_minutes"}  # fmt: skip


def live_event_update(*, actor: Actor, event: LiveEvent, **changes) -> LiveEvent:
    """Change the fields given. The schedule, place and host change only before the event starts;
    the stream until it ends; nothing once it has ended (but the replay: live_replay_set)."""
    _may_run(actor, event)
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidInput(f"Cannot change {', '.join(sorted(unknown))}.", code="invalid_field")
    with transaction.atomic():
        locked = LiveEvent.objects.select_for_update().get(pk=event.pk)
        if locked.status == LiveEvent.Status.ENDED:
            raise EventWrongState("The event has ended.", code="event_ended")
        before_start = {"starts_at", "ends_at", "host", "location", "kind"} & set(changes)
        if before_start and locked.status != LiveEvent.Status.SCHEDULED:
            raise EventWrongState(f"{', '.join(sorted(before_start))} cannot change once the event is live.",
                                  code="event_started")  # fmt: skip
        fields: dict = {}
        if "title" in changes:
            fields["title"] = clean_text(changes["title"], "title", 120)
            if not fields["title"]:
                raise InvalidInput("The event needs a title.", code="title_required")
        if "description" in changes:
            fields["description"] = clean_text(changes["description"], "description", 2000)
        if "kind" in changes:
            if changes["kind"] not in LiveEvent.Kind.values:
                raise InvalidInput(f"Unknown event kind '{str(changes['kind'])[:20]}'.", code="invalid_kind")
            fields["kind"] = changes["kind"]
        if "starts_at" in changes or "ends_at" in changes:
            fields["starts_at"] = changes.get("starts_at", locked.starts_at)
            fields["ends_at"] = changes.get("ends_at", locked.ends_at)
            _schedule(fields["starts_at"], fields["ends_at"])
        if "host" in changes:
            if not actor.can(MANAGE):
                raise Forbidden("Only a manager can change the host.", code="not_host")
            fields["host"] = _staff_user(actor, changes["host"])
        if "location" in changes:
            fields["location"] = _location(actor, changes["location"], None)
        if "stream_provider" in changes or "stream_url" in changes:
            provider = changes.get("stream_provider", locked.stream_provider)
            url = changes.get("stream_url", locked.stream_url if provider == locked.stream_provider else "")
            if locked.status == LiveEvent.Status.LIVE and not provider:
                raise EventWrongState("A live event keeps a stream.", code="stream_required")
            fields["stream_provider"], fields["stream_url"] = _stream(provider, url)
            if fields["stream_provider"] == "livekit" and not locked.stream_room:
                fields["stream_room"] = f"{actor.boutique.slug}-{secrets.token_hex(6)}"
        if "reservation_minutes" in changes:
            fields["reservation_minutes"] = _reservation_minutes(changes["reservation_minutes"])
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=[*fields, "updated_at"])
        if fields.keys() & {"title", "description", "starts_at", "ends_at", "kind"}:
            realtime.emit(locked.pk, "details", title=locked.title, description=locked.description,
                          event_kind=locked.kind, starts_at=locked.starts_at.isoformat(),
                          ends_at=locked.ends_at.isoformat())  # fmt: skip
        if fields.keys() & {"stream_provider", "stream_url"} and locked.status == LiveEvent.Status.LIVE:
            realtime.emit(locked.pk, "status", **_status(locked))
    return selectors.access_event(actor, event.pk)


def live_event_delete(*, actor: Actor, event: LiveEvent) -> None:
    """Remove an event that never started and where nothing was reserved."""
    _may_run(actor, event)
    with transaction.atomic():
        locked = LiveEvent.objects.select_for_update().get(pk=event.pk)
        if locked.status != LiveEvent.Status.SCHEDULED:
            raise EventWrongState("Only an event that has not started can be deleted.", code="event_started")
        if LiveReservation.objects.filter(event=locked).exists():
            raise EventWrongState("Pieces were reserved in this event.", code="event_has_reservations")
        locked.delete()


def _status(event: LiveEvent) -> dict:
    return {
        "status": event.status, "started_at": event.started_at.isoformat() if event.started_at else None,
        "ended_at": event.ended_at.isoformat() if event.ended_at else None,
        "replay_url": event.replay_url if event.status == LiveEvent.Status.ENDED else "",
        "stream": selectors.stream_data(event),
    }  # fmt: skip


def live_event_start(*, actor: Actor, event: LiveEvent) -> LiveEvent:
    """Go live. Refused without a stream (409 stream_missing). The provider is asked first (LiveKit
    creates the room), with no lock held; then the event turns live in one conditional update."""
    _may_run(actor, event)
    current = LiveEvent.objects.get(pk=event.pk)
    if current.status != LiveEvent.Status.SCHEDULED:
        raise EventWrongState(f"The event is {current.status}, not scheduled.", code="event_not_scheduled")
    if not current.stream_provider:
        raise StreamMissing()
    streams.provider_for(current.stream_provider).prepare(room=current.stream_room)
    now = timezone.now()
    with transaction.atomic():
        started = (
            LiveEvent.objects.filter(pk=event.pk, status=LiveEvent.Status.SCHEDULED)
            .exclude(stream_provider="")
            .update(status=LiveEvent.Status.LIVE, started_at=now, updated_at=now)
        )
        if not started:
            current = LiveEvent.objects.get(pk=event.pk)
            if not current.stream_provider:
                raise StreamMissing()
            raise EventWrongState(f"The event is {current.status}, not scheduled.", code="event_not_scheduled")
        current = LiveEvent.objects.select_related("boutique").get(pk=event.pk)
        if current.pinned_product_id:
            LivePin.objects.create(event=current, product_id=current.pinned_product_id, pinned_at=now, offset_seconds=0)
            LiveEvent.objects.filter(pk=event.pk).update(pinned_at=now)
        realtime.emit(current.pk, "status", **_status(current))
    return selectors.access_event(actor, event.pk)


def live_event_end(*, actor: Actor, event: LiveEvent, replay_url: str = "") -> LiveEvent:
    """End the stream. Reservations made during it stay until they are bought or lapse. A local
    demo stream gets its test card as replay unless another URL is given."""
    _may_run(actor, event)
    url = streams.https_url(replay_url, field="replay_url") if replay_url else ""
    now = timezone.now()
    with transaction.atomic():
        locked = LiveEvent.objects.select_for_update().get(pk=event.pk)
        if locked.status != LiveEvent.Status.LIVE:
            raise EventWrongState(f"The event is {locked.status}, not live.", code="event_not_live")
        if not url and locked.stream_provider == LiveEvent.Stream.LOCAL:
            url = streams.LocalStream().player(room="", url="", identity=None)["url"]
        locked.status, locked.ended_at, locked.replay_url = LiveEvent.Status.ENDED, now, url or locked.replay_url
        locked.save(update_fields=["status", "ended_at", "replay_url", "updated_at"])
        realtime.emit(locked.pk, "status", **_status(locked))
    return selectors.access_event(actor, event.pk)


def live_replay_set(*, actor: Actor, event: LiveEvent, replay_url: str) -> LiveEvent:
    """Where the recording can be watched (an https URL from the streaming service), once ended."""
    _may_run(actor, event)
    url = streams.https_url(replay_url, field="replay_url")
    with transaction.atomic():
        locked = LiveEvent.objects.select_for_update().get(pk=event.pk)
        if locked.status != LiveEvent.Status.ENDED:
            raise EventWrongState("A replay is set once the event has ended.", code="event_not_ended")
        locked.replay_url = url
        locked.save(update_fields=["replay_url", "updated_at"])
        realtime.emit(locked.pk, "status", **_status(locked))
    return selectors.access_event(actor, event.pk)


MAX_REPLAY_SECONDS = 24 * 3600


def live_moment_set(*, actor: Actor, event: LiveEvent, pin_id, offset_seconds) -> LivePin:
    """Correct when a piece shows in the replay (the host pinned it a little late), once ended: a
    whole number of seconds from the start, within the event's length."""
    _may_run(actor, event)
    if isinstance(offset_seconds, bool) or not isinstance(offset_seconds, int) or not 0 <= offset_seconds <= MAX_REPLAY_SECONDS:
        raise InvalidInput("The moment is a whole number of seconds from the start.", code="invalid_offset")
    with transaction.atomic():
        locked = LiveEvent.objects.select_for_update().get(pk=event.pk)
        if locked.status != LiveEvent.Status.ENDED:
            raise EventWrongState("Moments of the replay are set once the event has ended.", code="event_not_ended")
        pin = LivePin.objects.filter(event=locked, pk=pin_id if isinstance(pin_id, int) else 0).first()
        if pin is None:
            raise NotFound("No such moment in this event's replay.", code="moment_not_found")
        if locked.started_at and locked.ended_at:
            length = int((locked.ended_at - locked.started_at).total_seconds())
            if offset_seconds > length:
                raise InvalidInput(f"The event lasted {length} seconds.", code="invalid_offset",
                                   details={"max": length})  # fmt: skip
        pin.offset_seconds = offset_seconds
        pin.save(update_fields=["offset_seconds"])
    return pin


def host_stream(*, actor: Actor, event: LiveEvent) -> dict:
    """What the host's broadcaster needs (LiveKit: a token that may publish)."""
    _may_run(actor, event)
    if not event.stream_provider:
        raise StreamMissing()
    identity = f"host-{actor.user_id}" if actor.user_id else f"token-{actor.token.pk if actor.token else 0}"
    return streams.provider_for(event.stream_provider).publisher(
        room=event.stream_room, url=event.stream_url, identity=identity, name=selectors.host_name(event)
    )


# --- featured and pinned products ----------------------------------------------------------------


def featured_set(*, actor: Actor, event: LiveEvent, items: list[tuple[Product, int]]) -> list[LiveFeatured]:
    """The featured products, in this order, each with how many units one viewer may reserve. A
    product left out is no longer featured (and unpinned if it was pinned)."""
    _may_run(actor, event)
    if len(items) > MAX_FEATURED:
        raise InvalidInput(f"At most {MAX_FEATURED} featured products.", code="too_many_products")
    seen: set[int] = set()
    for product, limit in items:
        same_boutique(actor, product)
        if product.pk in seen:
            raise InvalidInput(f"{product.title} is listed twice.", code="duplicate_product",
                               details={"product_id": product.pk})  # fmt: skip
        seen.add(product.pk)
        if product.status != Product.Status.ACTIVE:
            raise InvalidInput(f"{product.title} is not published.", code="product_unavailable",
                               details={"product_id": product.pk})  # fmt: skip
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PER_VIEWER:
            raise InvalidInput(f"max_per_viewer is between 1 and {MAX_PER_VIEWER}.", code="invalid_quantity")
    with transaction.atomic():
        locked = LiveEvent.objects.select_for_update().get(pk=event.pk)
        if locked.status == LiveEvent.Status.ENDED:
            raise EventWrongState("The event has ended.", code="event_ended")
        existing = {row.product_id: row for row in LiveFeatured.objects.filter(event=locked)}
        LiveFeatured.objects.filter(event=locked).exclude(product_id__in=seen).delete()
        for position, (product, limit) in enumerate(items):
            row = existing.get(product.pk)
            if row is None:
                LiveFeatured.objects.create(event=locked, product=product, position=position, max_per_viewer=limit)
            elif (row.position, row.max_per_viewer) != (position, limit):
                LiveFeatured.objects.filter(pk=row.pk).update(position=position, max_per_viewer=limit)
        if locked.pinned_product_id and locked.pinned_product_id not in seen:
            LiveEvent.objects.filter(pk=locked.pk).update(pinned_product=None, pinned_at=None)
            realtime.emit(locked.pk, "pinned", product=None, pinned_at=None)
        locked.refresh_from_db()
        realtime.emit(locked.pk, "featured", products=_jsonable(selectors.featured_data(locked)))
    return list(LiveFeatured.objects.filter(event=event).select_related("product").order_by("position", "id"))


def _jsonable(value):
    """Datetimes as ISO text, for a channel layer message (msgpack on Redis, and JSON to sockets)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def product_pin(*, actor: Actor, event: LiveEvent, product: Product | None) -> LiveEvent:
    """Pin a featured product on screen (None unpins). While live, each pin is a chapter of the
    replay (seconds after the start). Pinning the product already pinned changes nothing."""
    _may_run(actor, event)
    if product is not None:
        same_boutique(actor, product)
    now = timezone.now()
    with transaction.atomic():
        locked = LiveEvent.objects.select_for_update().get(pk=event.pk)
        if locked.status == LiveEvent.Status.ENDED:
            raise EventWrongState("The event has ended.", code="event_ended")
        if product is not None and not LiveFeatured.objects.filter(event=locked, product=product).exists():
            raise NotFeatured(details={"product_id": product.pk})
        new_id = product.pk if product is not None else None
        if locked.pinned_product_id == new_id:
            return selectors.access_event(actor, event.pk)
        locked.pinned_product_id, locked.pinned_at = new_id, now if new_id else None
        locked.save(update_fields=["pinned_product", "pinned_at", "updated_at"])
        if new_id and locked.status == LiveEvent.Status.LIVE:
            offset = max(int((now - locked.started_at).total_seconds()), 0)
            LivePin.objects.create(event=locked, product_id=new_id, pinned_at=now, offset_seconds=offset)
        data = None
        if new_id:
            data = next((p for p in selectors.featured_data(locked) if p["product_id"] == new_id), None)
        realtime.emit(locked.pk, "pinned", product=_jsonable(data), pinned_at=now.isoformat() if new_id else None)
    return selectors.access_event(actor, event.pk)


# --- chat ----------------------------------------------------------------------------------------


def _chat_open(event: LiveEvent) -> None:
    if event.status == LiveEvent.Status.ENDED:
        raise ChatClosed(_("The event has ended: the chat is closed."))


def _chat_busy(event: LiveEvent, now: datetime) -> None:
    # Approximate on purpose (no lock across viewers): it keeps a crowd of new tokens from drowning
    # the chat, it is not a quota.
    recent = LiveMessage.objects.filter(event=event, created_at__gt=now - timedelta(seconds=1)).count()
    if recent >= settings.LIVE_CHAT_PER_SECOND:
        raise RateLimited(_("The chat is very busy: send it again in a moment."), code="chat_busy",
                          details={"retry_after": 1})  # fmt: skip


def chat_post(*, event: LiveEvent, viewer_key: str, name: str, text: str) -> LiveMessage:
    """A viewer's message. Refused when she is banned (403 viewer_banned), too soon in slow mode
    (429 slow_mode), above the flood limit or when the chat is too busy (429 rate_limited /
    chat_busy), or once the event has ended (409 chat_closed). Nothing is stored when refused."""
    name = _line(name, "name", NAME_MAX, code="invalid_name")
    text = _line(text, "text", TEXT_MAX, code="invalid_text")
    now = timezone.now()
    with transaction.atomic():
        # The chatter's row lock serialises one viewer's posts (SQLite: the IMMEDIATE transaction);
        # the event comes in the same query (not locked: every viewer posts in it).
        mine = LiveChatter.objects.select_for_update(of=("self",)).select_related("event")
        chatter = mine.filter(event_id=event.pk, viewer_key=viewer_key).first()
        if chatter is None:
            _chat_open(LiveEvent.objects.only("pk", "status").get(pk=event.pk))
            try:
                with transaction.atomic():
                    LiveChatter.objects.create(event_id=event.pk, viewer_key=viewer_key, name=name)
            except IntegrityError:  # her other tab made it a moment ago
                pass
            chatter = mine.get(event_id=event.pk, viewer_key=viewer_key)
        current = chatter.event
        _chat_open(current)
        if chatter.banned_at is not None:
            raise ViewerBanned(_("You can no longer post in this chat."))
        slow = current.slow_mode_seconds
        if slow and chatter.last_posted_at and now - chatter.last_posted_at < timedelta(seconds=slow):
            wait = slow - int((now - chatter.last_posted_at).total_seconds())
            raise SlowMode(_("Slow mode: one message every %(seconds)s seconds.") % {"seconds": slow},
                           details={"retry_after": max(wait, 1), "seconds": slow})  # fmt: skip
        in_window = chatter.window_started_at and now - chatter.window_started_at < timedelta(seconds=FLOOD_SECONDS)
        if in_window and chatter.window_posts >= FLOOD_POSTS:
            wait = FLOOD_SECONDS - int((now - chatter.window_started_at).total_seconds())
            raise RateLimited(_("Too many messages: wait a moment."),
                              details={"retry_after": max(wait, 1), "limit": FLOOD_POSTS, "seconds": FLOOD_SECONDS})  # fmt: skip
        _chat_busy(current, now)
        chatter.name, chatter.last_posted_at = name, now
        if in_window:
            chatter.window_posts += 1
        else:
            chatter.window_started_at, chatter.window_posts = now, 1
        chatter.save(update_fields=["name", "last_posted_at", "window_started_at", "window_posts"])
        message = LiveMessage.objects.create(boutique_id=current.boutique_id, event=current, chatter=chatter,
                                             author_name=name, text=text, created_at=now)  # fmt: skip
        realtime.emit(current.pk, "chat", message=selectors.message_data(message))
    return message


def chat_post_staff(*, actor: Actor, event: LiveEvent, text: str) -> LiveMessage:
    """The host or an associate answers in the chat (no slow mode or flood limit for staff)."""
    actor.require(MODERATE)
    same_boutique(actor, event)
    text = _line(text, "text", TEXT_MAX, code="invalid_text")
    user = actor.user
    name = ((user.first_name or user.get_username()) if user is not None else actor.boutique.name)[:NAME_MAX]
    with transaction.atomic():
        current = LiveEvent.objects.only("pk", "status", "boutique_id").get(pk=event.pk)
        _chat_open(current)
        message = LiveMessage.objects.create(boutique_id=current.boutique_id, event=current, author_user_id=actor.user_id,
                                             author_name=name, text=text, created_at=timezone.now())  # fmt: skip
        realtime.emit(current.pk, "chat", message=selectors.message_data(message))
    return message


def message_hide(*, actor: Actor, event: LiveEvent, message: LiveMessage) -> LiveMessage:
    """Take a message out of the chat for everyone (staff still see it, marked hidden)."""
    actor.require(MODERATE)
    same_boutique(actor, event, message)
    if message.event_id != event.pk:
        raise InvalidInput("That message is in another event.", code="wrong_event")
    with transaction.atomic():
        hidden = LiveMessage.objects.filter(pk=message.pk, hidden_at__isnull=True).update(
            hidden_at=timezone.now(), hidden_by_id=actor.user_id
        )
        if hidden:
            realtime.emit(event.pk, "chat_hidden", ids=[message.pk])
    message.refresh_from_db()
    return message


def viewer_ban(*, actor: Actor, event: LiveEvent, message: LiveMessage) -> LiveChatter:
    """Ban the viewer who wrote `message` from this event's chat: her posts are refused from now on
    and her messages are hidden. Safe to repeat."""
    actor.require(MODERATE)
    same_boutique(actor, event, message)
    if message.event_id != event.pk:
        raise InvalidInput("That message is in another event.", code="wrong_event")
    if message.chatter_id is None:
        raise InvalidInput("Staff messages have no viewer to ban.", code="cannot_ban_staff")
    now = timezone.now()
    with transaction.atomic():
        chatter = LiveChatter.objects.select_for_update().get(pk=message.chatter_id)
        if chatter.banned_at is None:
            chatter.banned_at, chatter.banned_by_id = now, actor.user_id
            chatter.save(update_fields=["banned_at", "banned_by"])
        ids = list(LiveMessage.objects.filter(chatter=chatter, hidden_at__isnull=True).values_list("pk", flat=True))
        if ids:
            LiveMessage.objects.filter(pk__in=ids).update(hidden_at=now, hidden_by_id=actor.user_id)
            realtime.emit(event.pk, "chat_hidden", ids=ids)
    return chatter


def viewer_unban(*, actor: Actor, event: LiveEvent, message: LiveMessage) -> LiveChatter:
    """Let her post again (her hidden messages stay hidden)."""
    actor.require(MODERATE)
    same_boutique(actor, event, message)
    if message.chatter_id is None or message.event_id != event.pk:
        raise InvalidInput("That message has no viewer in this event.", code="cannot_ban_staff")
    LiveChatter.objects.filter(pk=message.chatter_id).update(banned_at=None, banned_by=None)
    return LiveChatter.objects.get(pk=message.chatter_id)


def slow_mode_set(*, actor: Actor, event: LiveEvent, seconds: int) -> LiveEvent:
    """One message every `seconds` per viewer (0 turns it off)."""
    actor.require(MODERATE)
    same_boutique(actor, event)
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= MAX_SLOW_MODE:
        raise InvalidInput(f"seconds is between 0 and {MAX_SLOW_MODE}.", code="invalid_slow_mode")
    with transaction.atomic():
        changed = LiveEvent.objects.filter(pk=event.pk).exclude(slow_mode_seconds=seconds).update(
            slow_mode_seconds=seconds, updated_at=timezone.now()
        )
        if changed:
            realtime.emit(event.pk, "slow_mode", seconds=seconds)
    return selectors.access_event(actor, event.pk)


# --- presence ------------------------------------------------------------------------------------


def presence_record(*, process: str, counts: dict[int, int], fresh_seconds: float) -> dict[int, tuple[int, int]]:
    """Store how many sockets this process has on each event, and return each event's (viewers now,
    peak) summed over the processes seen in the last `fresh_seconds`. A few queries for every event
    of the process together, whatever the number of viewers; called every LIVE_PRESENCE_SECONDS."""
    if not counts:
        return {}
    now = timezone.now()
    events = set(LiveEvent.objects.filter(pk__in=list(counts)).values_list("pk", flat=True))
    if not events:
        return {}
    LivePresence.objects.bulk_create(
        [LivePresence(event_id=e, process=process[:64], viewers=max(counts[e], 0), seen_at=now) for e in sorted(events)],
        update_conflicts=True, unique_fields=["event", "process"], update_fields=["viewers", "seen_at"],
    )  # fmt: skip
    totals = dict(
        LivePresence.objects.filter(event_id__in=events, seen_at__gte=now - timedelta(seconds=fresh_seconds))
        .values("event_id")
        .annotate(total=Sum("viewers"))
        .values_list("event_id", "total")
    )
    for event_id in sorted(events):
        total = totals.get(event_id, 0) or 0
        LiveEvent.objects.filter(pk=event_id).filter(~Q(viewers_now=total) | Q(viewers_peak__lt=total)).update(
            viewers_now=total, viewers_peak=Greatest(F("viewers_peak"), total)
        )
    peaks = dict(LiveEvent.objects.filter(pk__in=events).values_list("pk", "viewers_peak"))
    return {e: (totals.get(e, 0) or 0, peaks.get(e, 0)) for e in events}


def live_sweep() -> dict[str, int]:
    """Reservations whose hold has ended (expired, released) are lapsed; presence rows of server
    processes gone for ten minutes are removed. Safe to run any time, twice."""
    from omnipresence.inventory.models import Hold

    now = timezone.now()
    ended_hold = Q(hold__isnull=True) | ~Q(hold__status=Hold.Status.ACTIVE) | Q(hold__expires_at__lte=now)
    due = list(
        LiveReservation.objects.filter(status=LiveReservation.Status.RESERVED).filter(ended_hold).values_list("pk", flat=True)[:1000]
    )
    lapsed = LiveReservation.objects.filter(pk__in=due, status=LiveReservation.Status.RESERVED).filter(ended_hold).update(
        status=LiveReservation.Status.LAPSED, updated_at=now
    )  # fmt: skip
    gone, _ = LivePresence.objects.filter(seen_at__lt=now - timedelta(minutes=PRESENCE_STALE_MINUTES)).delete()
    return {"lapsed": lapsed, "presence_removed": gone}
