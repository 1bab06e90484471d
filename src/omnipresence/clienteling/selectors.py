"""Reads for tasks: the accessor every task id goes through, and the lists an associate works
from (hers, her shop's team's, every task for a manager, unassigned ones)."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from omnipresence.clienteling.errors import TaskNotFound
from omnipresence.clienteling.models import Task
from omnipresence.clients.selectors import CLIENTS_VIEW
from omnipresence.core.errors import InvalidInput, NotFound
from omnipresence.stores.access import Actor
from omnipresence.stores.models import StaffMember

TASKS_ASSIGN = "tasks.assign"
VIEWS = ("mine", "team", "all", "unassigned")


def _home_location_id(actor: Actor) -> int | None:
    return getattr(actor.membership, "home_location_id", None)


def _visible(actor: Actor) -> Q:
    """A manager (or an integration with tasks.assign) sees every task; an associate hers, her
    shop team's and those she created."""
    if actor.can(TASKS_ASSIGN):
        return Q()
    mine = Q(assignee_id=actor.user_id) | Q(created_by_id=actor.user_id) if actor.user_id else Q(pk__in=[])
    home = _home_location_id(actor)
    if home:
        mine |= Q(assignee__isnull=True, team_location_id=home)
    return mine


def _base(actor: Actor) -> QuerySet[Task]:
    return (
        Task.objects.filter(boutique=actor.boutique, client__merged_into__isnull=True, client__erased_at__isnull=True)
        .select_related("client", "assignee", "team_location", "done_by")
    )


def access_task(actor: Actor, task_id: int) -> Task:
    actor.require(CLIENTS_VIEW)
    task = _base(actor).filter(_visible(actor), pk=task_id).first()
    if task is None:
        raise TaskNotFound(f"No task {task_id}.")
    return task


def task_list(
    *, actor: Actor, view: str = "mine", status: str = Task.Status.OPEN, kind: str = "", client_id: int | None = None,
    include_snoozed: bool = False,
) -> QuerySet[Task]:  # fmt: skip
    """Due first. `view`: mine (assigned to me), team (my home shop's team), all (managers),
    unassigned (managers). Open tasks snoozed until later are left out unless asked for."""
    actor.require(CLIENTS_VIEW)
    if view not in VIEWS:
        raise InvalidInput(f"view is one of {', '.join(VIEWS)}.", code="invalid_filter")
    if status and status not in Task.Status.values:
        raise InvalidInput(f"status is one of {', '.join(Task.Status.values)}.", code="invalid_filter")
    if kind and kind not in Task.Kind.values:
        raise InvalidInput(f"kind is one of {', '.join(Task.Kind.values)}.", code="invalid_filter")
    qs = _base(actor).filter(_visible(actor))
    if view == "mine":
        qs = qs.filter(assignee_id=actor.user_id) if actor.user_id else qs.none()
    elif view == "team":
        home = _home_location_id(actor)
        qs = qs.filter(assignee__isnull=True, team_location_id=home) if home else qs.none()
    elif view in ("all", "unassigned"):
        actor.require(TASKS_ASSIGN)
        if view == "unassigned":
            qs = qs.filter(assignee__isnull=True, team_location__isnull=True)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    if status == Task.Status.OPEN and not include_snoozed:
        qs = qs.filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=timezone.now()))
    return qs.order_by("due_at", "id")


def client_open_tasks(*, actor: Actor, client) -> list[Task]:
    """Open tasks about one client (snoozed ones included), as the profile shows them."""
    return list(_base(actor).filter(_visible(actor), client_id=client.pk, status=Task.Status.OPEN)
                .order_by("due_at", "id")[:50])  # fmt: skip


def access_staff_user(actor: Actor, username: str):
    """A user who is or was on the boutique's staff, by username (a departing associate may
    already be inactive)."""
    member = StaffMember.objects.select_related("user").filter(boutique=actor.boutique,
                                                               user__username=username).first()  # fmt: skip
    if member is None:
        raise NotFound(f"No associate '{username[:150]}' in this boutique.", code="associate_not_found")
    return member.user
