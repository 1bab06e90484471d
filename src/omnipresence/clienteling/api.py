"""API for clienteling: tasks (list, create, done / dismiss / snooze / assign), running the
automatic rules now, handing a departing associate's clients over, and consent-checked messages."""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Query, Router, Schema, Status

from omnipresence.clienteling import outreach, services
from omnipresence.clienteling.generation import tasks_generate
from omnipresence.clienteling.models import Task
from omnipresence.clienteling.selectors import TASKS_ASSIGN, access_staff_user, access_task, task_list
from omnipresence.clients.attempts import logged_attempts
from omnipresence.clients.selectors import access_associate, access_client
from omnipresence.core.api import AUTH, ERRORS, ID, PAGE, SLUG, Input, Moment, Num, Text, request_actor
from omnipresence.core.errors import InvalidInput, NotFound
from omnipresence.core.pagination import MAX_PAGE_SIZE, page_bounds
from omnipresence.stores.models import Location

router = Router(tags=["clienteling"])

PAGE_SIZE = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Username = Text(150, min_length=1)
ShopCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]


class TaskOut(Schema):
    id: int
    client_id: int
    client_name: str
    kind: str
    reason: str
    status: str
    due_at: datetime
    snoozed_until: datetime | None
    assignee: str | None
    team_location: str | None
    done_at: datetime | None
    done_by: str | None
    note: str
    created_by: str
    created_at: datetime


def _task_out(t: Task) -> dict:
    return {
        "id": t.pk, "client_id": t.client_id, "client_name": t.client.display_name, "kind": t.kind,
        "reason": t.reason, "status": t.status, "due_at": t.due_at, "snoozed_until": t.snoozed_until,
        "assignee": t.assignee.get_username() if t.assignee else None,
        "team_location": t.team_location.code if t.team_location else None, "done_at": t.done_at,
        "done_by": t.done_by.get_username() if t.done_by else None, "note": t.note,
        "created_by": t.created_by_label, "created_at": t.created_at,
    }  # fmt: skip


def _shop(actor, code: str | None):
    if not code:
        return None
    location = Location.objects.filter(boutique=actor.boutique, code=code).first()
    if location is None:
        raise NotFound(f"No location '{code}'.", code="location_not_found")
    return location


class TaskIn(Input):
    client_id: Num(ge=1, le=2**62)
    reason: Text(300, min_length=1)
    due_at: Moment | None = None
    assignee: Username | None = Field(None, description="Username; none: yourself")
    team_location: ShopCode | None = Field(None, description="A shop's code: a task for its team")
    note: Text(500) = ""


class TaskPatchIn(Input):
    action: Literal["done", "dismiss", "snooze", "assign"]
    note: Text(500) = ""
    snoozed_until: Moment | None = Field(None, description="For snooze")
    assignee: Username | None = Field(None, description="For assign: a username (or none with no team: nobody)")
    team_location: ShopCode | None = Field(None, description="For assign: a shop's code")


class GenerateOut(Schema):
    follow_up: int
    hold_expiring: int
    pay_link_unpaid: int
    birthday: int
    new_arrival: int


class ReassignIn(Input):
    from_user: Username
    to_user: Username | None = None
    to_location: ShopCode | None = None


class ReassignOut(Schema):
    clients: int
    primary: int
    secondary: int
    tasks: int


class MessageIn(Input):
    purpose: Literal["marketing", "transactional"]
    channel: Literal["email", "sms", "whatsapp"] = "email"
    subject: Text(200, min_length=1)
    body: Text(5000, min_length=1)
    task_id: Num(ge=1, le=2**62) | None = None


class MessageOut(Schema):
    channel: str
    to: str
    purpose: str


@router.get("/boutiques/{slug}/tasks", response={200: list[TaskOut], **ERRORS}, auth=AUTH)
def tasks(request, slug: SLUG, view: Literal["mine", "team", "all", "unassigned"] = "mine",
          status: Literal["open", "done", "dismissed", ""] = "open",
          kind: Literal[tuple(Task.Kind.values)] | None = None,
          client_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
          page: PAGE = 1, page_size: PAGE_SIZE = 50):  # fmt: skip
    """Due first: mine (default), my shop's team, all or unassigned (managers). Open tasks
    snoozed until later are left out."""
    actor = request_actor(request, slug)
    start, end = page_bounds(page, page_size)
    rows = task_list(actor=actor, view=view, status=status, kind=kind or "", client_id=client_id)
    return [_task_out(t) for t in rows[start:end]]


@router.post("/boutiques/{slug}/tasks", response={201: TaskOut, **ERRORS}, auth=AUTH)
@logged_attempts("task_create", target_kwarg=None)
def task_create(request, slug: SLUG, payload: TaskIn):
    actor = request_actor(request, slug)
    client = access_client(actor, payload.client_id)
    assignee = access_associate(actor, payload.assignee) if payload.assignee else None
    task = services.task_create(
        actor=actor, client=client, reason=payload.reason, due_at=payload.due_at, assignee=assignee,
        team_location=_shop(actor, payload.team_location), note=payload.note,
    )  # fmt: skip
    return Status(201, _task_out(access_task(actor, task.pk)))


@router.post("/boutiques/{slug}/tasks/generate", response={200: GenerateOut, **ERRORS}, auth=AUTH)
def tasks_generate_now(request, slug: SLUG):
    """Run the automatic rules now (managers); each task is made once, however often this runs."""
    actor = request_actor(request, slug)
    actor.require(TASKS_ASSIGN)
    return tasks_generate(actor.boutique)


@router.patch("/boutiques/{slug}/tasks/{task_id}", response={200: TaskOut, **ERRORS}, auth=AUTH)
@logged_attempts("task_update", target_kwarg="task_id")
def task_update(request, slug: SLUG, task_id: ID, payload: TaskPatchIn):
    """done (on her timeline), dismiss, snooze (until snoozed_until), assign (managers)."""
    actor = request_actor(request, slug)
    task = access_task(actor, task_id)
    if payload.action == "done":
        services.task_done(actor=actor, task=task, note=payload.note)
    elif payload.action == "dismiss":
        services.task_dismiss(actor=actor, task=task, note=payload.note)
    elif payload.action == "snooze":
        if payload.snoozed_until is None:
            raise InvalidInput("Send snoozed_until.", code="invalid_snooze")
        services.task_snooze(actor=actor, task=task, until=payload.snoozed_until)
    else:
        actor.require(TASKS_ASSIGN)
        assignee = access_associate(actor, payload.assignee) if payload.assignee else None
        services.task_assign(actor=actor, task=task, assignee=assignee,
                             team_location=_shop(actor, payload.team_location))  # fmt: skip
    return _task_out(access_task(actor, task.pk))


@router.post("/boutiques/{slug}/clients/reassign", response={200: ReassignOut, **ERRORS}, auth=AUTH)
@logged_attempts("reassign", target_kwarg=None)
def clients_reassign(request, slug: SLUG, payload: ReassignIn):
    """Hand an associate's clients and open tasks to another associate, or her open tasks to a
    shop's team (her clients then have no associate). All or nothing."""
    actor = request_actor(request, slug)
    actor.require(TASKS_ASSIGN)
    return services.clients_reassign(
        actor=actor, from_user=access_staff_user(actor, payload.from_user),
        to_user=access_associate(actor, payload.to_user) if payload.to_user else None,
        to_location=_shop(actor, payload.to_location),
    )  # fmt: skip


@router.post("/boutiques/{slug}/clients/{client_id}/messages", response={201: MessageOut, **ERRORS}, auth=AUTH)
@logged_attempts("message", target_kwarg="client_id")
def client_message(request, slug: SLUG, client_id: ID, payload: MessageIn):
    """Email her. Marketing needs her marketing-by-email consent (403 consent_required, nothing
    sent, the refusal logged); transactional does not. sms / whatsapp: 409 channel_unavailable."""
    actor = request_actor(request, slug)
    client = access_client(actor, client_id)
    task = access_task(actor, payload.task_id) if payload.task_id else None
    sent = outreach.client_message_send(
        actor=actor, client=client, purpose=payload.purpose, channel=payload.channel, subject=payload.subject,
        body=payload.body, task=task, log_refusal=False,
    )  # fmt: skip
    return Status(201, sent)
