"""Console forms: they check the shape of input; the inventory services check the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from omnipresence.inventory.services import MAX_HOLD_DAYS

UNITS = (("hours", _("hours")), ("days", _("days")))
MAX_HOLD_QUANTITY = 100


class ExpiryFields(forms.Form):
    expires_in = forms.IntegerField(label=_("Keep for"), min_value=1, max_value=MAX_HOLD_DAYS * 24, initial=2)
    expires_unit = forms.ChoiceField(label=_("Unit"), choices=UNITS, initial="days")

    def clean(self):
        data = super().clean()
        amount, unit = data.get("expires_in"), data.get("expires_unit")
        if amount is not None and unit:
            minutes = amount * (1440 if unit == "days" else 60)
            if minutes > MAX_HOLD_DAYS * 1440:
                raise forms.ValidationError(
                    _("A hold lasts at most %(days)s days."), params={"days": MAX_HOLD_DAYS}, code="too_long"
                )
            data["ttl_minutes"] = minutes
        return data


class HoldForm(ExpiryFields):
    location = forms.ChoiceField(label=_("Shop or location"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_HOLD_QUANTITY, initial=1)
    client_name = forms.CharField(label=_("Client name"), max_length=120)
    client_contact = forms.CharField(
        label=_("Phone or email"), max_length=120, help_text=_("How to reach the client when it is ready.")
    )
    note = forms.CharField(
        label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    field_order = [
        "location",
        "quantity",
        "client_name",
        "client_contact",
        "note",
        "expires_in",
        "expires_unit",
    ]

    def __init__(self, *args, locations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = [(loc.code, loc.name) for loc in locations]
        self.fields["client_contact"].widget.attrs.update({"autocomplete": "off", "inputmode": "email"})
        self.fields["client_name"].widget.attrs.update({"autocomplete": "off"})


class ExtendForm(ExpiryFields):
    pass
