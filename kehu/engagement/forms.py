"""Forms of the visit pages: plan by hand, move, done, skip, and the filters
of the manager's list. They only check input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.engagement.models import VisitMode, VisitStatus
from kehu.validators import REMARKS_MAX, SUMMARY_MAX


class VisitForm(forms.Form):
    planned_on = forms.DateField(label=_("planned date"), widget=forms.DateInput(attrs={"type": "date"}))
    planned_time = forms.TimeField(label=_("planned time"), required=False,
                                   widget=forms.TimeInput(attrs={"type": "time"}))
    mode = forms.ChoiceField(label=_("how"), choices=VisitMode.choices, initial=VisitMode.VISIT)
    contacts = forms.ModelMultipleChoiceField(label=_("contacts"), queryset=None, required=False,
                                              widget=forms.CheckboxSelectMultiple)
    purpose = forms.CharField(label=_("purpose and agenda"), required=False, max_length=REMARKS_MAX,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contacts"].queryset = customer.contacts.order_by("name", "id")


class MoveForm(forms.Form):
    planned_on = forms.DateField(label=_("new date"), widget=forms.DateInput(attrs={"type": "date"}))
    planned_time = forms.TimeField(label=_("planned time"), required=False,
                                   widget=forms.TimeInput(attrs={"type": "time"}))


class DoneForm(forms.Form):
    result = forms.CharField(label=_("result"), max_length=SUMMARY_MAX, widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": _("Write what came of the visit.")})


class SkipForm(forms.Form):
    skip_reason = forms.CharField(label=_("reason for skipping"), max_length=300,
                                  error_messages={"required": _("Say why the visit was skipped.")})


class CheckInForm(forms.Form):
    latitude = forms.DecimalField(required=False, min_value=-90, max_value=90, max_digits=12, decimal_places=8,
                                  widget=forms.HiddenInput)
    longitude = forms.DecimalField(required=False, min_value=-180, max_value=180, max_digits=13, decimal_places=8,
                                   widget=forms.HiddenInput)
    accuracy = forms.DecimalField(required=False, min_value=0, max_value=1_000_000, max_digits=12, decimal_places=3,
                                  widget=forms.HiddenInput)


class TeamVisitFilterForm(forms.Form):
    person = forms.TypedChoiceField(label=_("salesperson"), required=False, coerce=int, empty_value=None)
    team = forms.TypedChoiceField(label=_("team"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label=_("status"), required=False,
                               choices=[("", _("Any")), ("open", pgettext_lazy("visit status", "Open")), *VisitStatus.choices])
    date_from = forms.DateField(label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, people, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", _("Anyone"))] + [(u.pk, str(u)) for u in people]
        self.fields["team"].choices = [("", _("Any team"))] + [(t.pk, t.name) for t in teams]

    def values(self) -> dict:
        if self.is_bound and self.is_valid():
            return self.cleaned_data
        return {"person": None, "team": None, "status": "", "date_from": None, "date_to": None}
