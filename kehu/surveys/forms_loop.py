"""The improvement action form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.surveys import texts
from kehu.surveys.models import ActionStatus


class ActionForm(forms.Form):
    title = forms.CharField(label=_("Action"), max_length=200,
                            help_text=_("What will be done, e.g. “Answer repair calls within two hours”."))
    indicator = forms.TypedChoiceField(label=_("Indicator it should improve"), coerce=int)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False, empty_value=None,
                                   help_text=_("Who answers for it; overdue actions appear on their tasks page."))
    due_on = forms.DateField(label=_("Due"), required=False,
                             widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices, initial=ActionStatus.PLANNED)
    baseline_wave = forms.TypedChoiceField(
        label=_("Baseline wave"), coerce=int, required=False, empty_value=None,
        help_text=_("The indicator's score in this wave is the baseline; later waves show whether it moved."))
    target = forms.FloatField(label=_("Target score (0–100)"), required=False, min_value=0, max_value=100)

    def __init__(self, *args, survey, users, waves, indicators, **kwargs):
        super().__init__(*args, **kwargs)
        self._objects = {
            "indicator": {i.pk: i for i in indicators},
            "owner": {u.pk: u for u in users},
            "baseline_wave": {w.pk: w for w in waves},
        }
        self.fields["indicator"].choices = [
            (i.pk, f"{'· ' * (i.level - 1)}{i.code} — {texts.pick(i.name)}") for i in indicators]
        self.fields["owner"].choices = [("", _("Nobody yet"))] + [(u.pk, str(u)) for u in users]
        self.fields["baseline_wave"].choices = [("", _("None"))] + [(w.pk, w.name) for w in waves]

    def service_data(self, only=None) -> dict:
        d = dict(self.cleaned_data)
        for name, objects in self._objects.items():
            d[name] = objects.get(d.get(name))
        if only is not None:
            d = {k: v for k, v in d.items() if k in only}
        return d
