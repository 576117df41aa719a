"""Forms of Customer value: saved segments and starting an analysis.

Forms only collect and convert input; the services validate it
(:mod:`kehu.insights.segments`), and their errors are shown on the fields.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import CustomerType, LifecycleStage, Region
from kehu.insights.models import (
    AbcClass, DickBasu, ReinartzKumar, RfmGroup, SegmentKind, TimeUnit, TransactionModel, ValueTier,
)
from kehu.insights.segments import GROUP_FIELDS
from kehu.insights.selectors import finished_runs

GROUP_FIELD_LABELS = {
    "tier": _("Value tier"), "rfm_group": _("RFM group"), "abc_class": _("ABC class"),
    "dick_basu": _("Loyalty (Dick & Basu)"), "reinartz_kumar": _("Relationship (Reinartz & Kumar)"),
}


def _run_label(run) -> str:
    return _("Analysis #%(id)s as of %(date)s") % {"id": run.pk, "date": run.as_of.isoformat()}


def _group_choices():
    out = []
    for field, choices in GROUP_FIELDS.items():
        out.append((GROUP_FIELD_LABELS[field], [(f"{field}:{value}", label) for value, label in choices.choices]))
    return out


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("For example “Gold customers in East China”."))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(label=_("Kind"), choices=SegmentKind.choices, widget=forms.RadioSelect,
                             initial=SegmentKind.RULE,
                             help_text=_("A rule over customer fields and scores, or one group of an analysis."))
    run = forms.TypedChoiceField(
        label=_("Analysis"), required=False, coerce=int, empty_value=None,
        help_text=_("Whose scores the segment reads. The latest analysis by default, so the segment follows "
                    "each new analysis."))
    group = forms.ChoiceField(label=_("Group"), required=False,
                              help_text=_("Only for a group of an analysis, e.g. the gold tier."))
    # rule: customer fields
    customer_kind = forms.ChoiceField(label=_("Customer type"), required=False,
                                      choices=[("", _("Any"))] + list(CustomerType.choices))
    stage = forms.ChoiceField(label=_("Lifecycle stage"), required=False,
                              choices=[("", _("Any"))] + list(LifecycleStage.choices))
    region = forms.ChoiceField(label=_("Region"), required=False, choices=[("", _("Any"))] + list(Region.choices))
    team_id = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None,
                                     help_text=_("Includes the team's sub-teams."))
    owner_id = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    city = forms.CharField(label=_("City"), required=False, max_length=50)
    industry = forms.CharField(label=_("Industry"), required=False, max_length=60)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)
    # rule: scores
    tier = forms.MultipleChoiceField(label=_("Value tiers"), required=False, choices=ValueTier.choices,
                                     widget=forms.CheckboxSelectMultiple)
    rfm_group = forms.MultipleChoiceField(label=_("RFM groups"), required=False, choices=RfmGroup.choices,
                                          widget=forms.CheckboxSelectMultiple)
    abc_class = forms.MultipleChoiceField(label=_("ABC classes"), required=False, choices=AbcClass.choices,
                                          widget=forms.CheckboxSelectMultiple)
    dick_basu = forms.MultipleChoiceField(label=_("Loyalty (Dick & Basu)"), required=False,
                                          choices=DickBasu.choices, widget=forms.CheckboxSelectMultiple)
    reinartz_kumar = forms.MultipleChoiceField(label=_("Relationship (Reinartz & Kumar)"), required=False,
                                               choices=ReinartzKumar.choices, widget=forms.CheckboxSelectMultiple)
    churn_risk_min = forms.DecimalField(label=_("Churn risk at least (%)"), required=False, min_value=0,
                                        max_value=100, decimal_places=1)
    p_alive_max = forms.DecimalField(label=_("Probability still active at most (%)"), required=False, min_value=0,
                                     max_value=100, decimal_places=1)
    clv_min = forms.DecimalField(label=_("Predicted lifetime value at least"), required=False, decimal_places=2)
    clv_max = forms.DecimalField(label=_("Predicted lifetime value at most"), required=False, decimal_places=2)
    revenue_min = forms.DecimalField(label=_("Revenue at least"), required=False, decimal_places=2)

    CUSTOMER_FIELDS = ("customer_kind", "stage", "region", "team_id", "owner_id", "city", "industry", "tag")
    SCORE_FIELDS = ("tier", "rfm_group", "abc_class", "dick_basu", "reinartz_kumar", "churn_risk_min",
                    "p_alive_max", "clv_min", "clv_max", "revenue_min")
    # service error keys → form fields
    ERROR_FIELDS = {"customer.kind": "customer_kind", "field": "group", "value": "group",
                    **{f"customer.{k}": k for k in ("stage", "region", "team_id", "owner_id", "city", "industry",
                                                    "tag")},
                    **{f"score.{k}": k for k in ("tier", "rfm_group", "abc_class", "dick_basu", "reinartz_kumar",
                                                 "churn_risk_min", "p_alive_max", "clv_min", "clv_max",
                                                 "revenue_min")}}

    def __init__(self, *args, teams=(), owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["run"].choices = [("", _("The latest analysis"))] + [
            (r.pk, _run_label(r)) for r in finished_runs()[:50]]
        self.fields["group"].choices = [("", "—")] + _group_choices()
        self.fields["team_id"].choices = [("", _("Any"))] + [(t.pk, t.name) for t in teams]
        self.fields["owner_id"].choices = [("", _("Anyone"))] + [(u.pk, str(u)) for u in owners]

    def clean(self):
        data = super().clean()
        if data.get("kind") == SegmentKind.RUN_GROUP and not data.get("group"):
            self.add_error("group", _("Choose the group of the analysis."))
        return data

    def service_data(self) -> dict:
        d = self.cleaned_data
        if d["kind"] == SegmentKind.RUN_GROUP:
            field, _sep, value = (d.get("group") or "").partition(":")
            rule = {"field": field, "value": value}
        else:
            customer = {"kind": d.get("customer_kind") or "", "stage": d.get("stage") or "",
                        "region": d.get("region") or "", "team_id": d.get("team_id"),
                        "owner_id": d.get("owner_id"), "city": d.get("city") or "",
                        "industry": d.get("industry") or "", "tag": d.get("tag") or ""}
            score = {k: d.get(k) or [] for k in ("tier", "rfm_group", "abc_class", "dick_basu", "reinartz_kumar")}
            if d.get("churn_risk_min") is not None:
                score["churn_risk_min"] = float(d["churn_risk_min"] / Decimal(100))
            if d.get("p_alive_max") is not None:
                score["p_alive_max"] = float(d["p_alive_max"] / Decimal(100))
            for k in ("clv_min", "clv_max", "revenue_min"):
                if d.get(k) is not None:
                    score[k] = str(d[k])
            rule = {"customer": customer, "score": score}
        return {"name": d["name"], "description": d.get("description") or "", "kind": d["kind"], "rule": rule,
                "run_id": d.get("run")}

    @classmethod
    def initial_from(cls, segment) -> dict:
        rule = segment.rule or {}
        initial = {"name": segment.name, "description": segment.description, "kind": segment.kind,
                   "run": segment.run_id}
        if segment.kind == SegmentKind.RUN_GROUP:
            initial["group"] = f"{rule.get('field')}:{rule.get('value')}"
            return initial
        c, s = rule.get("customer") or {}, rule.get("score") or {}
        initial.update({"customer_kind": c.get("kind", ""), "stage": c.get("stage", ""),
                        "region": c.get("region", ""), "team_id": c.get("team_id"), "owner_id": c.get("owner_id"),
                        "city": c.get("city", ""), "industry": c.get("industry", ""), "tag": c.get("tag", "")})
        for k in ("tier", "rfm_group", "abc_class", "dick_basu", "reinartz_kumar"):
            initial[k] = s.get(k, [])
        if s.get("churn_risk_min") is not None:
            initial["churn_risk_min"] = Decimal(str(s["churn_risk_min"])) * 100
        if s.get("p_alive_max") is not None:
            initial["p_alive_max"] = Decimal(str(s["p_alive_max"])) * 100
        for k in ("clv_min", "clv_max", "revenue_min"):
            if s.get(k) is not None:
                initial[k] = Decimal(str(s[k]))
        return initial


class RunForm(forms.Form):
    """Start an analysis: the dates and the model. Everything else comes from the value settings."""

    as_of = forms.DateField(label=_("As of"), help_text=_("Orders up to and including this date are analysed."),
                            widget=forms.DateInput(attrs={"type": "date"}))
    calibration_end = forms.DateField(
        label=_("End of calibration"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Optional: fit the models on the orders up to this date and check them on the orders after "
                    "it (the holdout). Leave empty to fit on everything."))
    holdout_end = forms.DateField(label=_("End of holdout"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}),
                                  help_text=_("Optional: the last day of the holdout; the as-of date by default."))
    time_unit = forms.ChoiceField(label=_("Time unit"), choices=TimeUnit.choices, initial=TimeUnit.WEEK,
                                  help_text=_("Weeks suit most businesses; days for daily purchases."))
    model = forms.ChoiceField(label=_("Purchase model"), choices=TransactionModel.choices,
                              initial=TransactionModel.BGNBD,
                              help_text=_("BG/NBD is fast and usually enough; Pareto/NBD is the classic model."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("as_of", timezone.localdate())

    def clean(self):
        d = super().clean()
        as_of, cal, hold = d.get("as_of"), d.get("calibration_end"), d.get("holdout_end")
        if as_of and as_of > timezone.localdate():
            self.add_error("as_of", _("The as-of date cannot be in the future."))
        if cal and as_of and cal >= as_of:
            self.add_error("calibration_end", _("The calibration must end before the as-of date."))
        if hold and not cal:
            self.add_error("holdout_end", _("A holdout needs the end of the calibration."))
        if hold and cal and hold <= cal:
            self.add_error("holdout_end", _("The holdout must end after the calibration."))
        if hold and as_of and hold > as_of:
            self.add_error("holdout_end", _("The holdout cannot end after the as-of date."))
        return d
