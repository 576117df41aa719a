"""Forms of the distribution pages: a wave, its sample design, phone entry,
importing answers."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import CustomerType, LifecycleStage, Region
from kehu.surveys.models import Wave

BLANK = [("", _("Any"))]


def _tier_choices():
    from kehu.insights.models import ValueTier

    return BLANK + list(ValueTier.choices)


class WaveForm(forms.ModelForm):
    source = forms.ChoiceField(label=_("Population"), choices=[("filters", _("Customers matching filters")),
                                                                ("segment", _("A saved segment"))],
                               initial="filters", widget=forms.RadioSelect)
    segment = forms.ChoiceField(label=_("Segment"), required=False)
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=BLANK + list(CustomerType.choices))
    stage = forms.ChoiceField(label=_("Lifecycle stage"), required=False, choices=BLANK + list(LifecycleStage.choices))
    region = forms.ChoiceField(label=_("Region"), required=False, choices=BLANK + list(Region.choices))
    owner_id = forms.ChoiceField(label=_("Owner"), required=False)
    team_id = forms.ChoiceField(label=_("Team"), required=False)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)
    tier = forms.ChoiceField(label=_("Value tier"), required=False)

    class Meta:
        model = Wave
        fields = ["name", "opens_on", "closes_on", "reminder_after_days", "max_reminders"]
        widgets = {"opens_on": forms.DateInput(attrs={"type": "date"}),
                   "closes_on": forms.DateInput(attrs={"type": "date"})}
        help_texts = {
            "name": _("For example 2026 Q4; unique within the survey."),
            "reminder_after_days": _("Days after the invitation (or the last reminder) before reminding."),
            "max_reminders": _("0 sends no reminders."),
        }

    def __init__(self, *args, viewer=None, **kwargs):
        super().__init__(*args, **kwargs)
        from kehu.insights.models import Segment
        from kehu.org.policies import policy_for

        self.fields["segment"].choices = BLANK[:0] + [("", "—")] + [
            (str(s.pk), s.name) for s in Segment.objects.order_by("name")]
        from django.db.models import Q

        from kehu.org.models import User

        policy = policy_for(viewer)
        users = User.objects.filter(is_active=True)
        if not policy.sees_everything:
            users = users.filter(Q(team_id__in=policy._subtree_team_ids) | Q(pk=getattr(viewer, "pk", None)))
        self.fields["owner_id"].choices = BLANK + [
            (str(u.pk), u.get_full_name() or u.username) for u in users.order_by("username")[:500]]
        self.fields["team_id"].choices = BLANK + [(str(t.pk), t.name) for t in policy.visible_teams().order_by("path")]
        self.fields["tier"].choices = _tier_choices()
        population = (self.instance.population or {}) if self.instance and self.instance.pk else {}
        if not self.is_bound and population:
            if population.get("segment_id"):
                self.initial.update(source="segment", segment=str(population["segment_id"]))
            else:
                self.initial.update({k: str(v) for k, v in (population.get("filters") or {}).items()})

    def clean(self):
        data = super().clean()
        if data.get("source") == "segment" and not data.get("segment"):
            self.add_error("segment", _("Choose a saved segment."))
        return data

    def population(self) -> dict:
        d = self.cleaned_data
        if d.get("source") == "segment":
            return {"segment_id": int(d["segment"])}
        return {"filters": {k: d[k] for k in ("kind", "stage", "region", "owner_id", "team_id", "tag", "tier")
                            if d.get(k)}}


class SampleForm(forms.Form):
    confidence = forms.TypedChoiceField(label=_("Confidence level"), coerce=float, initial="0.95",
                                        choices=[("0.9", "90%"), ("0.95", "95%"), ("0.99", "99%")])
    margin = forms.DecimalField(label=_("Margin of error (± points)"), min_value=0.5, max_value=25, initial=5,
                                decimal_places=1, help_text=_("5 means the rate is known within ±5 percentage points."))
    proportion = forms.DecimalField(label=_("Expected proportion (%)"), min_value=1, max_value=99, initial=50,
                                    decimal_places=1, help_text=_("When unsure, enter 50: the safe choice."))
    size = forms.IntegerField(label=_("Sample size"), required=False, min_value=1,
                              help_text=_("Empty: the size the calculator gives."))
    strata = forms.ChoiceField(label=_("Stratify by"), required=False, initial="",
                               choices=[("", _("No strata (simple random sample)")), ("region", _("Region")),
                                        ("tier", _("Value tier")), ("segment", _("Segments"))])
    strata_segments = forms.MultipleChoiceField(label=_("Segments as strata"), required=False,
                                                widget=forms.CheckboxSelectMultiple)
    seed = forms.IntegerField(label=_("Random seed"), required=False, min_value=0, max_value=2**63 - 1,
                              help_text=_("Empty: a new seed is drawn and recorded. The same seed draws the same sample."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kehu.insights.models import Segment

        self.fields["strata_segments"].choices = [(str(s.pk), s.name) for s in Segment.objects.order_by("name")]
        for name in ("confidence", "margin", "proportion"):  # the live calculator reads these
            self.fields[name].widget.attrs["class"] = "calc-input"

    def design(self):
        from kehu.surveys.services.distribution import SampleDesign

        d = self.cleaned_data
        return SampleDesign(confidence=float(d["confidence"]), margin=float(d["margin"]) / 100,
                            proportion=float(d["proportion"]) / 100, size=d.get("size"), strata=d.get("strata") or "",
                            strata_segments=[int(x) for x in d.get("strata_segments") or []], seed=d.get("seed"))


class CalculatorForm(forms.Form):
    confidence = forms.FloatField(min_value=0.5, max_value=0.999)
    margin = forms.FloatField(min_value=0.5, max_value=25)
    proportion = forms.FloatField(min_value=1, max_value=99)
    population = forms.IntegerField(min_value=1, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (.csv or .xlsx)"),
                           help_text=_("One row per respondent: a column token or customer (the customer code), "
                                       "one column per question code."))
    skip_bad = forms.BooleanField(label=_("Skip rows with errors and import the others"), required=False)
