"""Console pages for tasks: /console/<slug>/tasks/ (mine, my shop's team, all, unassigned), the
buttons on each task, a manager's hand-over of a departing associate's clients, and the task and
message forms on a client's profile. Ids become objects through the accessors; writes through
the services; what they refuse is shown, nothing changed."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnipresence.clienteling import outreach, services
from omnipresence.clienteling.selectors import TASKS_ASSIGN, access_staff_user, access_task, task_list
from omnipresence.clients.attempts import attempt_log
from omnipresence.clients.selectors import access_client
from omnipresence.console.access import staff_view
from omnipresence.core.errors import DomainError, InvalidInput
from omnipresence.stores.access import Actor
from omnipresence.stores.models import Location, StaffMember

VIEW_LABELS = {
    "mine": gettext_lazy("My tasks"), "team": gettext_lazy("My shop's team"),
    "all": gettext_lazy("All"), "unassigned": gettext_lazy("Unassigned"),
}  # fmt: skip
SNOOZE_DAYS = (1, 3, 7)


def _views(actor: Actor) -> list[tuple[str, str]]:
    manager = actor.can(TASKS_ASSIGN)
    return [(v, label) for v, label in VIEW_LABELS.items() if manager or v in ("mine", "team")]


def _staff(actor: Actor):
    return list(StaffMember.objects.filter(boutique=actor.boutique, is_active=True).select_related("user")
                .order_by("user__username"))  # fmt: skip


def _shops(actor: Actor):
    return list(Location.objects.filter(boutique=actor.boutique, kind=Location.Kind.SHOP, is_active=True))


def _tasks_url(actor: Actor, show: str = "") -> str:
    url = reverse("console:tasks", args=[actor.boutique.slug])
    return f"{url}?show={show}" if show else url


@staff_view
@require_GET
def tasks_page(request, actor: Actor):
    show = request.GET.get("show", "mine")
    if show not in dict(_views(actor)):
        show = "mine"
    rows = list(task_list(actor=actor, view=show)[:200])
    return render(request, "clienteling/tasks.html", {
        "actor": actor, "boutique": actor.boutique, "tasks": rows, "show": show, "views": _views(actor),
        "can_assign": actor.can(TASKS_ASSIGN), "staff": _staff(actor) if actor.can(TASKS_ASSIGN) else [],
        "shops": _shops(actor), "snooze_days": SNOOZE_DAYS,
    })  # fmt: skip


def _back(request, actor: Actor):
    target = request.POST.get("next", "")
    if target.startswith(f"/console/{actor.boutique.slug}/") and "//" not in target and "\\" not in target:
        return redirect(target)
    return redirect(_tasks_url(actor))


def _act(request, actor: Actor, task_id: int, work, done_message: str):
    task = access_task(actor, task_id)
    try:
        work(task)
    except DomainError as error:
        messages.error(request, error.message)
        return _back(request, actor)
    messages.success(request, done_message)
    return _back(request, actor)


@staff_view
@require_POST
def task_done(request, actor: Actor, task_id: int):
    note = request.POST.get("note", "")[:600]
    return _act(request, actor, task_id, lambda t: services.task_done(actor=actor, task=t, note=note),
                _("Done — it is on her timeline."))  # fmt: skip


@staff_view
@require_POST
def task_dismiss(request, actor: Actor, task_id: int):
    return _act(request, actor, task_id, lambda t: services.task_dismiss(actor=actor, task=t), _("Task dismissed."))


@staff_view
@require_POST
def task_snooze(request, actor: Actor, task_id: int):
    days = request.POST.get("days", "")
    until = timezone.now() + timedelta(days=int(days)) if days in {str(d) for d in SNOOZE_DAYS} else None

    def work(task):
        if until is None:
            raise InvalidInput(_("Choose for how long."), code="invalid_snooze")
        services.task_snooze(actor=actor, task=task, until=until)

    return _act(request, actor, task_id, work, _("Snoozed."))


def _assignee_from(actor: Actor, value: str):
    """"user:<id>", "team:<location id>" or "" (nobody), from a select."""
    kind, _sep, ref = value.partition(":")
    if not value:
        return None, None
    if not ref.isdigit() or kind not in ("user", "team") or len(ref) > 18:
        raise InvalidInput(_("Choose someone from the list."), code="invalid_assignee")
    if kind == "user":
        member = StaffMember.objects.filter(boutique=actor.boutique, user_id=int(ref)).select_related("user").first()
        if member is None:
            raise InvalidInput(_("Choose someone from the list."), code="invalid_assignee")
        return member.user, None
    location = Location.objects.filter(boutique=actor.boutique, pk=int(ref)).first()
    if location is None:
        raise InvalidInput(_("Choose a shop from the list."), code="invalid_team")
    return None, location


@staff_view
@require_POST
def task_assign(request, actor: Actor, task_id: int):
    actor.require(TASKS_ASSIGN)

    def work(task):
        user, team = _assignee_from(actor, request.POST.get("to", "")[:40])
        services.task_assign(actor=actor, task=task, assignee=user, team_location=team)

    return _act(request, actor, task_id, work, _("Task reassigned."))


def _to_options(actor: Actor) -> list[tuple[str, str]]:
    people = [(f"user:{m.user_id}", m.user.get_full_name() or m.user.get_username()) for m in _staff(actor)]
    teams = [(f"team:{shop.pk}", _("%(shop)s team") % {"shop": shop.name}) for shop in _shops(actor)]
    return people + teams


@staff_view
@require_http_methods(["GET", "POST"])
def task_handover(request, actor: Actor):
    """Step 1: from whom, to whom; step 2: the counts, and confirm; then done."""
    actor.require(TASKS_ASSIGN)
    context = {"actor": actor, "boutique": actor.boutique, "staff": _staff(actor), "shops": _shops(actor),
               "preview": None, "error": None, "picked": {}, "to_options": _to_options(actor)}  # fmt: skip
    if request.method == "POST":
        picked = {"from": request.POST.get("from", "")[:160], "to": request.POST.get("to", "")[:40]}
        context["picked"] = picked
        try:
            from_user = access_staff_user(actor, picked["from"]) if picked["from"] else None
            to_user, to_team = _assignee_from(actor, picked["to"])
            if from_user is None or (to_user is None and to_team is None):
                raise InvalidInput(_("Choose who leaves and who takes over."), code="invalid_assignee")
            if request.POST.get("confirm") == "yes":
                counts = services.clients_reassign(actor=actor, from_user=from_user, to_user=to_user,
                                                   to_location=to_team)  # fmt: skip
                messages.success(request, _("Handed over: %(c)d clients and %(t)d open tasks.")
                                 % {"c": counts["clients"], "t": counts["tasks"]})  # fmt: skip
                return redirect(reverse("console:task_handover", args=[actor.boutique.slug]))
            context["preview"] = services.clients_reassign_preview(actor=actor, from_user=from_user)
            context["from_user"], context["to_user"], context["to_team"] = from_user, to_user, to_team
        except DomainError as error:
            context["error"] = error
            return render(request, "clienteling/handover.html", context, status=error.status)
    return render(request, "clienteling/handover.html", context)


# --- on the client's profile -------------------------------------------------------------------


def profile_context(actor: Actor, client) -> dict:
    """What the profile's Tasks and message sections need (console.client_pages calls this)."""
    from omnipresence.clienteling.selectors import client_open_tasks

    return {"client_tasks": client_open_tasks(actor=actor, client=client), "task_staff": _staff(actor)
            if actor.can(TASKS_ASSIGN) else [], "snooze_days": SNOOZE_DAYS}  # fmt: skip


def _profile_with_error(request, actor, client, error, section: str):
    from omnipresence.console.client_pages import render_profile

    return render_profile(request, actor, client, error=error, extra={f"{section}_failed": True,
                          f"{section}_form": request.POST}, status=error.status)  # fmt: skip


def _due(actor: Actor, text: str) -> datetime:
    """A date (YYYY-MM-DD) in the boutique's zone, due at 10:00; empty: now."""
    if not text:
        return timezone.now()
    try:
        day = datetime.strptime(text[:10], "%Y-%m-%d").date()
    except ValueError:
        raise InvalidInput(_("The due date is a date such as 2026-03-07."), code="invalid_input") from None
    return datetime(day.year, day.month, day.day, 10, tzinfo=ZoneInfo(actor.boutique.timezone))


@staff_view
@require_POST
def client_task_create(request, actor: Actor, client_id: int):
    client = access_client(actor, client_id)
    try:
        user, team = _assignee_from(actor, request.POST.get("to", "")[:40])
        services.task_create(actor=actor, client=client, reason=request.POST.get("reason", "")[:400],
                             due_at=_due(actor, request.POST.get("due", "").strip()), assignee=user,
                             team_location=team)  # fmt: skip
    except DomainError as error:
        return _profile_with_error(request, actor, client, error, "task")
    messages.success(request, _("Task added."))
    return redirect(reverse("console:client_profile", args=[actor.boutique.slug, client.pk]))


@staff_view
@require_POST
def client_message(request, actor: Actor, client_id: int):
    client = access_client(actor, client_id)
    try:
        outreach.client_message_send(
            actor=actor, client=client, purpose=request.POST.get("purpose", "")[:20], channel="email",
            subject=request.POST.get("subject", "")[:300], body=request.POST.get("body", "")[:6000],
        )  # fmt: skip
    except DomainError as error:
        if error.code != "consent_required":  # the service logged that one already
            attempt_log(actor=actor, action="message", target=f"client:{client.pk}", error=error)
        return _profile_with_error(request, actor, client, error, "message")
    messages.success(request, _("Email sent."))
    return redirect(reverse("console:client_profile", args=[actor.boutique.slug, client.pk]))
