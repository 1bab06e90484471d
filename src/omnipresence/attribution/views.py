"""The attribution page of the console: her credited sales (managers: everyone's, and the windows)."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from omnipresence.attribution import selectors, services
from omnipresence.attribution.models import DEFAULT_WINDOWS, Via
from omnipresence.console.access import staff_view
from omnipresence.core.errors import InvalidInput
from omnipresence.orders.models import Channel

WINDOW_LABELS = {
    "share_link": gettext_lazy("Share link (days)"), "conversation": gettext_lazy("Conversation (days)"),
    "appointment": gettext_lazy("Appointment (days)"), "hold": gettext_lazy("Hold (days)"),
    "pay_link": gettext_lazy("Pay link (days)"), "live_event": gettext_lazy("Live event (days)"),
}  # fmt: skip


class WindowsForm(forms.Form):
    def __init__(self, *args, initial_windows: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for key in DEFAULT_WINDOWS:
            self.fields[key] = forms.IntegerField(
                label=WINDOW_LABELS[key], min_value=0, max_value=services.MAX_DAYS,
                initial=initial_windows.get(key), widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )  # fmt: skip


def _labelled(rows: list[dict], labels: dict) -> list[dict]:
    return [{**row, "label": labels.get(row["key"], row["key"])} for row in rows]


@require_http_methods(["GET", "POST"])
@staff_view
def attribution_dashboard(request, actor):
    boutique = actor.boutique
    try:
        days = int(request.GET.get("days", 30))
    except ValueError:
        days = 30
    if days not in selectors.PERIODS:
        days = 30
    is_manager = actor.can(services.MANAGE)
    windows = services.windows_of(boutique)
    form = None
    if is_manager:
        form = WindowsForm(request.POST or None, initial_windows=windows)
        if request.method == "POST" and form.is_valid():
            try:
                services.attribution_settings_set(actor=actor, windows=form.cleaned_data)
            except InvalidInput as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Attribution windows saved."))
                return redirect(reverse("console:attribution", args=[boutique.slug]) + f"?days={days}")
    elif request.method == "POST":
        actor.require(services.MANAGE)
    since, until = selectors.period_bounds(boutique, days)
    report = selectors.attribution_report(actor=actor, since=since, until=until)
    report["by_via"] = _labelled(report["by_via"], dict(Via.choices))
    report["by_channel"] = _labelled(report["by_channel"], dict(Channel.choices))
    status = 400 if request.method == "POST" else 200
    return render(request, "attribution/dashboard.html", {
        "boutique": boutique, "actor": actor, "report": report, "days": days, "periods": selectors.PERIODS,
        "is_manager": is_manager, "form": form, "first_day": since.date(), "last_day": (until - timedelta(days=1)).date(),
    }, status=status)  # fmt: skip
