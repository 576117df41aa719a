"""The period and filter pickers of the performance and receivables pages (and the
API's and the exports' parameters: one parsing for all three)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.org.policies import policy_for
from kehu.sales import performance as perf

PERIOD_MAX_DAYS = 3 * 366


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


class PerformanceForm(forms.Form):
    date_from = forms.DateField(label=pgettext_lazy("date range", "From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}),
                                help_text=_("The first day of the period (default: the first of this month)."))
    date_to = forms.DateField(label=pgettext_lazy("date range", "To"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}),
                              help_text=_("The last day of the period, included (default: today)."))
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False, empty_label=_("All my teams"))

    def __init__(self, data=None, *, viewer, **kwargs):
        if data is not None:
            data = data.copy()
            for src, dst in (("from", "date_from"), ("to", "date_to")):
                if src in data and dst not in data:
                    data[dst] = data[src]
        super().__init__(data, **kwargs)
        self.fields["team"].queryset = perf.performance_teams(viewer=viewer)
        if not policy_for(viewer).sees_leaderboard:
            del self.fields["team"]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        today = timezone.localdate()
        end = end or today
        start = start or month_start(end)
        if start > end:
            raise forms.ValidationError(_("The period must start before it ends."))
        if (end - start).days > PERIOD_MAX_DAYS:
            raise forms.ValidationError(_("A period is at most three years."))
        data["date_from"], data["date_to"] = start, end
        return data

    def period(self) -> tuple[dt.date, dt.date, object]:
        """``(start, end, team)``: the valid choice, or this month to today when invalid."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["date_from"], self.cleaned_data["date_to"], self.cleaned_data.get("team")
        today = timezone.localdate()
        return month_start(today), today, None


class ReceivablesForm(forms.Form):
    as_of = forms.DateField(label=pgettext_lazy("receivables", "As of"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}),
                            help_text=_("The day the ageing is counted on (default: today)."))
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False, empty_label=_("All my teams"))
    salesperson = forms.ModelChoiceField(label=_("Salesperson"), queryset=None, required=False,
                                         empty_label=_("Everyone"))

    def __init__(self, data=None, *, viewer, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["team"].queryset = perf.performance_teams(viewer=viewer)
        self.fields["salesperson"].queryset = perf.performance_people(viewer=viewer)
        if not policy_for(viewer).sees_leaderboard:
            del self.fields["team"]
            del self.fields["salesperson"]

    def clean_as_of(self):
        return self.cleaned_data.get("as_of") or timezone.localdate()

    def choice(self) -> dict:
        if self.is_bound and self.is_valid():
            return {"as_of": self.cleaned_data["as_of"], "team": self.cleaned_data.get("team"),
                    "salesperson": self.cleaned_data.get("salesperson")}
        return {"as_of": timezone.localdate(), "team": None, "salesperson": None}
