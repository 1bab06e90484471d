"""Personal codes in the console: an associate gives one client a single-use code of a campaign
("thanks for the kind words — here is 10% off your next visit") and sends it in a chat or email."""

from django import forms
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from omnipresence.console.access import staff_view
from omnipresence.console.share import share_links
from omnipresence.core.errors import DomainError, NotFound
from omnipresence.orders import services as orders
from omnipresence.orders.models import Campaign
from omnipresence.orders.selectors import campaigns_for_personal_codes, personal_codes_issued
from omnipresence.stores.access import Actor


class PersonalCodeForm(forms.Form):
    campaign = forms.TypedChoiceField(label=gettext_lazy("Offer"), coerce=int)
    client = forms.CharField(
        label=gettext_lazy("Client's email or mobile"), max_length=254,
        help_text=gettext_lazy("The code works only for her: an email, or a phone number in international form."),
    )  # fmt: skip

    def __init__(self, *args, campaigns: list[Campaign], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [(c.pk, c.name) for c in campaigns]


def _offer(campaign: Campaign, boutique) -> str:
    from omnipresence.core.money import format_money

    if campaign.kind == Campaign.Kind.PERCENTAGE:
        return _("%(n)s%% off") % {"n": f"{campaign.value / 100:g}"}
    if campaign.kind == Campaign.Kind.FIXED:
        return _("%(amount)s off") % {"amount": format_money(campaign.value, boutique.currency, boutique.language)}
    return _("free delivery")


@staff_view
@require_http_methods(["GET", "POST"])
def personal_codes(request, actor: Actor):
    campaigns = campaigns_for_personal_codes(actor=actor)
    form = PersonalCodeForm(request.POST or None, campaigns=campaigns)
    issued, share, error, status = None, None, None, 200
    if request.method == "POST" and form.is_valid():
        campaign = next((c for c in campaigns if c.pk == form.cleaned_data["campaign"]), None)
        try:
            if campaign is None:
                raise NotFound(_("That offer is not available."), code="campaign_not_found")
            issued = orders.code_issue(actor=actor, campaign=campaign, client_ref=form.cleaned_data["client"])
        except DomainError as problem:
            error, status = problem, problem.status
        else:
            # In the boutique's language: this is what the client reads.
            with translation.override(actor.boutique.language.split("-")[0]):
                body = _("Thank you from %(boutique)s! Here is %(offer)s on your next purchase, in the shop or online: "
                         "%(code)s") % {"boutique": actor.boutique.name, "offer": _offer(campaign, actor.boutique),
                                        "code": issued.code}  # fmt: skip
                share = share_links(
                    body=body, subject=_("A thank-you from %(boutique)s") % {"boutique": actor.boutique.name},
                    email=issued.client_ref if "@" in issued.client_ref else "",
                )  # fmt: skip
            share["body"] = body
            form = PersonalCodeForm(campaigns=campaigns)
    elif request.method == "POST":
        status = 422
    context = {
        "actor": actor, "boutique": actor.boutique, "form": form, "issued": issued, "share": share, "error": error,
        "codes": personal_codes_issued(actor=actor), "has_campaigns": bool(campaigns),
    }  # fmt: skip
    return render(request, "console/codes.html", context, status=status)
