"""Forms of the key-account pages: the plan (SWOT, people, status, the terms that
override the tier's, the three years' targets) and the list's filters. They only read
input; the services (kehu/sales/key_accounts.py) decide and their errors show on the form."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.analytics.key_accounts import MEASURES
from kehu.sales.models import KeyAccountStatus
from kehu.validators import REMARKS_MAX

SORTS = ("-year", "year", "customer", "-customer", "name", "-name")
TERM_TEXTS = ("training", "staff_support", "authority", "rewards")
MEASURE_LABELS = {"volume": _("Volume (tonnes)"), "revenue": _("Revenue"), "cost": _("Cost"),
                  "profit": _("Profit")}


def _text(label, help_text=""):
    return forms.CharField(label=label, required=False, max_length=REMARKS_MAX, help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": 3}))


class PlanForm(forms.Form):
    customer = forms.TypedChoiceField(label=_("Customer"), coerce=int, empty_value=None)
    name = forms.CharField(label=pgettext_lazy("key-account plan", "Name"), max_length=200, required=False,
                           help_text=_("Empty: “Key-account plan” and its years."))
    status = forms.ChoiceField(label=_("Status"), choices=KeyAccountStatus.choices,
                               help_text=_("One active plan per customer; its terms override the tier's."))
    start_year = forms.IntegerField(label=_("First year"), min_value=2000, max_value=2098,
                                    help_text=_("The plan covers this year and the two after it."))
    strengths = _text(_("Strengths"))
    weaknesses = _text(_("Weaknesses"))
    opportunities = _text(_("Opportunities (SWOT)"))
    threats = _text(_("Threats"))
    salesperson = forms.TypedChoiceField(label=_("Salesperson"), coerce=int, required=False, empty_value=None)
    manager = forms.TypedChoiceField(label=_("Manager"), coerce=int, required=False, empty_value=None)
    sponsor = forms.TypedChoiceField(label=_("Executive sponsor"), coerce=int, required=False, empty_value=None)
    payment_days = forms.IntegerField(label=_("Payment terms (days)"), min_value=0, max_value=3650, required=False,
                                      help_text=_("Empty: the tier's. 0: cash in advance."))
    credit_limit = forms.DecimalField(label=_("Credit limit"), min_value=0, max_digits=15, decimal_places=2,
                                      required=False, help_text=_("Empty: the tier's."))
    discount_ceiling = forms.DecimalField(label=_("Discount ceiling (percent)"), min_value=0, max_value=100,
                                          max_digits=5, decimal_places=2, required=False,
                                          help_text=_("Empty: the tier's."))
    training = forms.CharField(label=_("Training"), max_length=500, required=False)
    staff_support = forms.CharField(label=_("Staff support"), max_length=500, required=False)
    authority = forms.CharField(label=_("Authority"), max_length=500, required=False)
    rewards = forms.CharField(label=_("Rewards"), max_length=500, required=False)

    def __init__(self, *args, customers=(), users=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self._customers = {c.pk: c for c in customers}
        self._users = {u.pk: u for u in users}
        if editing:
            del self.fields["customer"]
        else:
            self.fields["customer"].choices = [("", "—")] + [(c.pk, c.name) for c in customers]
        people = [("", "—")] + [(u.pk, str(u)) for u in users]
        for key in ("salesperson", "manager", "sponsor"):
            self.fields[key].choices = people
        if not self.is_bound and "start_year" not in self.initial:
            self.initial["start_year"] = timezone.localdate().year
        for i in range(3):
            for m in MEASURES:
                self.fields[f"t{i}_{m}"] = forms.DecimalField(
                    label=MEASURE_LABELS[m], required=False, max_digits=16, decimal_places=3 if m == "volume" else 2,
                    min_value=None if m == "profit" else 0)

    def main_fields(self):
        """Every field but the targets (shown as a table by year)."""
        return [self[name] for name in self.fields if not (name[:1] == "t" and name[1:2].isdigit())]

    def target_rows(self):
        """The three years' inputs, for the template's table."""
        start = self["start_year"].value()
        try:
            start = int(start)
        except (TypeError, ValueError):
            start = None
        return [{"year": start + i if start else "", "fields": [self[f"t{i}_{m}"] for m in MEASURES]}
                for i in range(3)]

    def service_data(self) -> dict:
        d = self.cleaned_data
        data = {k: d[k] for k in ("name", "status", "start_year", "strengths", "weaknesses", "opportunities",
                                  "threats")}
        for key in ("salesperson", "manager", "sponsor"):
            data[key] = self._users.get(d.get(key))
        terms = {"payment_days": d.get("payment_days"),
                 "credit_limit": float(d["credit_limit"]) if d.get("credit_limit") is not None else None,
                 "discount_ceiling": float(d["discount_ceiling"]) if d.get("discount_ceiling") is not None else None}
        terms.update({k: d.get(k) or "" for k in TERM_TEXTS})
        data["terms"] = terms
        return data

    def customer_obj(self):
        return self._customers.get(self.cleaned_data.get("customer"))

    def targets(self) -> list[dict]:
        d, out = self.cleaned_data, []
        for i in range(3):
            values = {m: d.get(f"t{i}_{m}") for m in MEASURES}
            if all(v is None for v in values.values()):
                continue
            out.append({"year": d["start_year"] + i, **values})
        return out

    @staticmethod
    def initial_for(plan) -> dict:
        initial = {k: getattr(plan, k) for k in ("name", "status", "start_year", "strengths", "weaknesses",
                                                 "opportunities", "threats")}
        for key in ("salesperson", "manager", "sponsor"):
            initial[key] = getattr(plan, f"{key}_id")
        initial.update({k: v for k, v in (plan.terms or {}).items()})
        for t in plan.targets.all():
            i = t.year - plan.start_year
            if 0 <= i < 3:
                for m in MEASURES:
                    initial[f"t{i}_{m}"] = getattr(t, m)
        return initial


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All"))] + list(
        KeyAccountStatus.choices))
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
    sort = forms.ChoiceField(required=False, choices=[(s, s) for s in SORTS], widget=forms.HiddenInput)

    def values(self) -> dict:
        d = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {"q": d.get("q") or "", "status": d.get("status") or "", "year": d.get("year"),
                "sort": d.get("sort") or "-year"}
