"""Writes for tasks: a manual task for a client, done / dismissed / snoozed, given to someone
else (managers), and a departing associate's clients and tasks handed over in one go. A task
marked done lands on the client's timeline ("Followed up: …", with the associate)."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from omnipresence.clienteling.errors import InvalidAssignee, TaskClosed
from omnipresence.clienteling.models import Task
from omnipresence.clienteling.selectors import TASKS_ASSIGN
from omnipresence.clients.errors import ClientNotFound
from omnipresence.clients.models import Client
from omnipresence.clients.selectors import CLIENTS_EDIT
from omnipresence.clients.services import timeline_add
from omnipresence.core.errors import InvalidInput
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Location, StaffMember

MAX_SNOOZE_DAYS = 366


def _text(value, field: str, limit: int, *, required: bool = False) -> str:
    if not isinstance(value, str) or "\x00" in value:
        raise InvalidInput(f"{field} must be text.", code="invalid_input", details={"field": field})
    value = " ".join(value.split()) if field == "reason" else value.strip()
    if len(value) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters.", code="too_long", details={"field": field})
    if required and not value:
        raise InvalidInput(f"{field} is required.", code="required", details={"field": field})
    return value


def _moment(value, field: str) -> datetime:
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise InvalidInput(f"{field} must be a date and time with a time zone.", code="invalid_input",
                           details={"field": field})  # fmt: skip
    return value


def _staff_user(actor: Actor, user):
    """`user` if she is active staff of the actor's boutique, else invalid_assignee."""
    if user is None:
        return None
    if not getattr(user, "pk", None) or not StaffMember.objects.filter(
        boutique=actor.boutique, user_id=user.pk, is_active=True
    ).exists():
        raise InvalidAssignee()
    return user


def _shop(actor: Actor, location):
    if location is None:
        return None
    if (
        not isinstance(location, Location) or location.boutique_id != actor.boutique.pk
        or location.kind != Location.Kind.SHOP or not location.is_active
    ):  # fmt: skip
        raise InvalidInput("The team is one of this boutique's shops.", code="invalid_team")
    return location


def _own_client(actor: Actor, client: Client) -> Client:
    if not isinstance(client, Client) or client.boutique_id != actor.boutique.pk or not client.is_live:
        raise ClientNotFound()
    return client


def task_create(
    *, actor: Actor, client: Client, reason: str, due_at: datetime | None = None, assignee=None,
    team_location: Location | None = None, note: str = "", source: tuple[str, int] | None = None,
) -> Task:  # fmt: skip
    """A manual task about one client. Nobody named: the actor's own (a manager may leave it
    unassigned by being an integration). Naming someone else or a team needs tasks.assign,
    except one's own home shop's team. With `source` (ref_kind, ref_id) it is another domain's
    automatic follow-up of that thing (an appointment that took place): its page finds it."""
    actor.require(CLIENTS_EDIT)
    client = _own_client(actor, client)
    reason = _text(reason, "reason", 300, required=True)
    note = _text(note, "note", 500)
    due_at = _moment(due_at, "due_at") if due_at is not None else timezone.now()
    assignee = _staff_user(actor, assignee)
    team_location = _shop(actor, team_location)
    if assignee is not None and team_location is not None:
        raise InvalidInput("Give the task to a person or to a team, not both.", code="invalid_assignee")
    if assignee is None and team_location is None:
        assignee = actor.user
    own_team = team_location is not None and team_location.pk == getattr(actor.membership, "home_location_id", None)
    if (assignee is not None and assignee.pk != actor.user_id) or (team_location is not None and not own_team):
        actor.require(TASKS_ASSIGN)
    ref_kind, ref_id = source if source is not None else ("", None)
    return Task.objects.create(
        boutique=actor.boutique, client=client, assignee=assignee, team_location=team_location,
        kind=Task.Kind.FOLLOW_UP if source is not None else Task.Kind.MANUAL, reason=reason, due_at=due_at,
        note=note, ref_kind=ref_kind, ref_id=ref_id, created_by_id=actor.user_id, created_by_label=actor.label[:160],
    )  # fmt: skip


def _locked_open(task: Task) -> Task:
    locked = Task.objects.select_for_update().select_related("client").get(pk=task.pk)
    if locked.status != Task.Status.OPEN:
        raise TaskClosed()
    return locked


def task_done(*, actor: Actor, task: Task, note: str = "") -> Task:
    """Done: on her timeline as "Followed up: <reason>" with the associate (once per task)."""
    actor.require(CLIENTS_EDIT)
    note = _text(note, "note", 500)
    now = timezone.now()
    with transaction.atomic():
        locked = _locked_open(task)
        Task.objects.filter(pk=locked.pk).update(
            status=Task.Status.DONE, done_at=now, done_by_id=actor.user_id, note=note or locked.note, updated_at=now
        )
        summary = f"Followed up: {locked.reason}" + (f" — {note}" if note else "")
        timeline_add(
            client_id=locked.client_id, kind="task", occurred_at=now, summary=summary, ref_kind="task",
            ref_id=locked.pk, associate_id=actor.user_id,
            data={"task_kind": locked.kind, "reason": locked.reason, "note": note, "by": actor.label},
        )  # fmt: skip
    return Task.objects.get(pk=task.pk)


def task_dismiss(*, actor: Actor, task: Task, note: str = "") -> Task:
    actor.require(CLIENTS_EDIT)
    note = _text(note, "note", 500)
    now = timezone.now()
    with transaction.atomic():
        locked = _locked_open(task)
        Task.objects.filter(pk=locked.pk).update(
            status=Task.Status.DISMISSED, done_at=now, done_by_id=actor.user_id, note=note or locked.note,
            updated_at=now,
        )  # fmt: skip
    return Task.objects.get(pk=task.pk)


def task_snooze(*, actor: Actor, task: Task, until: datetime) -> Task:
    """Out of the lists until `until` (in the future, within a year); the due date stays."""
    actor.require(CLIENTS_EDIT)
    until = _moment(until, "snoozed_until")
    now = timezone.now()
    if not now < until <= now + timedelta(days=MAX_SNOOZE_DAYS):
        raise InvalidInput("Snooze until a moment in the next year.", code="invalid_snooze")
    with transaction.atomic():
        locked = _locked_open(task)
        Task.objects.filter(pk=locked.pk).update(snoozed_until=until, updated_at=now)
    return Task.objects.get(pk=task.pk)


def task_assign(*, actor: Actor, task: Task, assignee=None, team_location: Location | None = None) -> Task:
    """Give an open task to a person, to a shop's team, or to nobody (managers)."""
    actor.require(TASKS_ASSIGN)
    assignee = _staff_user(actor, assignee)
    team_location = _shop(actor, team_location)
    if assignee is not None and team_location is not None:
        raise InvalidInput("Give the task to a person or to a team, not both.", code="invalid_assignee")
    with transaction.atomic():
        locked = _locked_open(task)
        Task.objects.filter(pk=locked.pk).update(
            assignee=assignee, team_location=team_location, updated_at=timezone.now()
        )
    return Task.objects.get(pk=task.pk)


# --- handing a departing associate's book over ------------------------------------------------


def clients_reassign_preview(*, actor: Actor, from_user) -> dict[str, int]:
    """What clients_reassign would move, for the confirmation page."""
    actor.require(TASKS_ASSIGN)
    from_user = _staff_user(actor, from_user) if from_user is not None else None
    if from_user is None:
        raise InvalidAssignee("Choose the associate whose clients are handed over.")
    clients = Client.objects.filter(boutique=actor.boutique, merged_into__isnull=True, erased_at__isnull=True)
    return {
        "primary": clients.filter(primary_associate=from_user).count(),
        "secondary": clients.filter(secondary_associate=from_user).count(),
        "tasks": Task.objects.filter(boutique=actor.boutique, assignee=from_user, status=Task.Status.OPEN).count(),
    }


def clients_reassign(*, actor: Actor, from_user, to_user=None, to_location: Location | None = None) -> dict[str, int]:
    """Hand `from_user`'s clients (as primary and as secondary associate) and her open tasks to
    `to_user`; or, with `to_location`, her open tasks to that shop's team and her clients to
    nobody (a manager then gives them out). One transaction: all of it or nothing. A client whose
    other associate is already `to_user` keeps her once, as primary."""
    actor.require(TASKS_ASSIGN)
    if from_user is None:
        raise InvalidAssignee("Choose the associate whose clients are handed over.")
    # She may already have left (inactive): she only needs to have been on this boutique's staff.
    if not StaffMember.objects.filter(boutique=actor.boutique, user_id=getattr(from_user, "pk", None)).exists():
        raise InvalidAssignee()
    to_user = _staff_user(actor, to_user)
    to_location = _shop(actor, to_location)
    if (to_user is None) == (to_location is None):
        raise InvalidInput("Hand over to one associate or to one shop's team.", code="invalid_assignee")
    if to_user is not None and to_user.pk == from_user.pk:
        raise InvalidInput("Hand over to someone else.", code="invalid_assignee")
    now = timezone.now()
    with transaction.atomic():
        clients = Client.objects.filter(boutique=actor.boutique, merged_into__isnull=True, erased_at__isnull=True)
        ids = list(
            clients.filter(Q(primary_associate=from_user) | Q(secondary_associate=from_user))
            .select_for_update().order_by("pk").values_list("pk", flat=True)
        )  # fmt: skip
        mine = clients.filter(pk__in=ids)
        if to_user is not None:
            # Already hers as secondary: she becomes primary, and the secondary slot empties.
            mine.filter(primary_associate=from_user, secondary_associate=to_user).update(
                secondary_associate=None, updated_at=now
            )
            mine.filter(primary_associate=to_user, secondary_associate=from_user).update(
                secondary_associate=None, updated_at=now
            )
        primary = mine.filter(primary_associate=from_user).update(primary_associate=to_user, updated_at=now)
        secondary = mine.filter(secondary_associate=from_user).update(secondary_associate=to_user, updated_at=now)
        tasks = Task.objects.filter(boutique=actor.boutique, assignee=from_user, status=Task.Status.OPEN).update(
            assignee=to_user, team_location=to_location, updated_at=now
        )
    return {"clients": len(ids), "primary": primary, "secondary": secondary, "tasks": tasks}


# --- merges and privacy ------------------------------------------------------------------------


def tasks_merge(*, survivor_id: int, merged_id: int, **_) -> dict:
    """Move the merged client's tasks to the survivor, except an automatic one the survivor
    already has for the same source (it stays behind, out of every list)."""
    taken = set(
        Task.objects.filter(client_id=survivor_id, ref_id__isnull=False).values_list("kind", "ref_kind", "ref_id")
    )
    moving = [
        pk for pk, kind, ref_kind, ref_id in
        Task.objects.filter(client_id=merged_id).values_list("pk", "kind", "ref_kind", "ref_id")
        if ref_id is None or (kind, ref_kind, ref_id) not in taken
    ]  # fmt: skip
    Task.objects.filter(pk__in=moving).update(client_id=survivor_id)
    return {"task": moving}


def tasks_merge_undo(*, survivor_id: int, merged_id: int, moved: dict, **_) -> None:
    Task.objects.filter(pk__in=moved.get("task", []), client_id=survivor_id).update(client_id=merged_id)


def _her_client_ids(client) -> list[int]:
    """Her, and the profiles merged into her (an automatic task may have stayed on one)."""
    return [client.pk, *Client.objects.filter(merged_into_id=client.pk).values_list("pk", flat=True)]


def tasks_export(*, client) -> list[dict]:
    return [
        {"kind": t.kind, "reason": t.reason, "status": t.status, "due_at": t.due_at.isoformat(),
         "done_at": t.done_at.isoformat() if t.done_at else None, "note": t.note,
         "created_at": t.created_at.isoformat()}
        for t in Task.objects.filter(client_id__in=_her_client_ids(client)).order_by("created_at", "id")
    ]  # fmt: skip


def tasks_erase(*, client) -> dict:
    """Reasons and notes may hold personal details: her tasks go."""
    deleted, _ = Task.objects.filter(client_id__in=_her_client_ids(client)).delete()
    return {"task": deleted}
