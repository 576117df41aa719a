from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import LifecycleStage, Region
from kehu.insights.models import Segment, ValueTier
from kehu.marketing.coupons.models import CouponDefinition
from kehu.marketing.outreach.models import MessageTemplate

from .models import Campaign, CostLine

VARIANT_SLOTS = ("A", "B", "C")


class CampaignForm(forms.ModelForm):
    """The campaign with its audience picker (segment / rule / win-back list), up to three
    message variants (A/B/C) and the control group's share."""

    rule_stage = forms.ChoiceField(label=_("Rule: lifecycle stage"), required=False,
                                   choices=[("", "—")] + list(LifecycleStage.choices))
    rule_region = forms.ChoiceField(label=_("Rule: region"), required=False, choices=[("", "—")] + list(Region.choices))
    rule_city = forms.CharField(label=_("Rule: city"), required=False, max_length=50)
    rule_tiers = forms.MultipleChoiceField(label=_("Rule: value tiers"), required=False, choices=ValueTier.choices,
                                           widget=forms.CheckboxSelectMultiple,
                                           help_text=_("Of the latest customer value analysis; none: any tier."))

    class Meta:
        model = Campaign
        fields = ["code", "name", "goal", "kind", "channel", "audience_kind", "segment", "winback_min_value",
                  "winback_top", "gain_top", "offer", "target_url", "starts_at", "ends_on", "attribution_days", "control_share",
                  "budget", "cost_per_message"]
        widgets = {
            "goal": forms.Textarea(attrs={"rows": 2}),
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "audience_kind": forms.RadioSelect,
        }
        help_texts = {
            "segment": _("For a saved segment: its members as you may see them."),
            "winback_min_value": _("For the win-back list: only customers worth at least this much to win back."),
            "winback_top": _("For the win-back list: only the N customers worth most to win back; empty: all."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].required = False
        self.fields["segment"].queryset = Segment.objects.order_by("name")
        self.fields["offer"].queryset = CouponDefinition.objects.filter(active=True).order_by("-id")
        self.fields["starts_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        templates = MessageTemplate.objects.order_by("code")
        for slot in VARIANT_SLOTS:
            self.fields[f"variant_{slot}_template"] = forms.ModelChoiceField(
                label=_("Variant %(label)s: message template") % {"label": slot}, queryset=templates,
                required=slot == "A",
                help_text=_("A template of the campaign's channel.") if slot == "A" else
                _("Optional: a second version for an A/B test."))
            self.fields[f"variant_{slot}_share"] = forms.IntegerField(
                label=_("Variant %(label)s: share") % {"label": slot}, min_value=1, max_value=100, initial=1,
                required=False)
        inst = self.instance
        if inst.pk and not self.is_bound:
            rule = inst.rule or {}
            c, s = rule.get("customer") or {}, rule.get("score") or {}
            self.initial.update(rule_stage=c.get("stage", ""), rule_region=c.get("region", ""),
                                rule_city=c.get("city", ""), rule_tiers=s.get("tier") or [])
            for slot, v in zip(VARIANT_SLOTS, inst.variants.order_by("label", "id")):
                self.initial[f"variant_{slot}_template"] = v.template_id
                self.initial[f"variant_{slot}_share"] = v.share

    def rule(self) -> dict:
        d = self.cleaned_data
        customer = {k: d[f"rule_{k}"] for k in ("stage", "region", "city") if d.get(f"rule_{k}")}
        out = {}
        if customer:
            out["customer"] = customer
        if d.get("rule_tiers"):
            out["score"] = {"tier": list(d["rule_tiers"])}
        return out

    def variants(self) -> list[dict]:
        d = self.cleaned_data
        return [{"label": slot, "template": d[f"variant_{slot}_template"], "share": d.get(f"variant_{slot}_share") or 1}
                for slot in VARIANT_SLOTS if d.get(f"variant_{slot}_template")]

    def data_for_service(self) -> dict:
        data = {k: self.cleaned_data[k] for k in self.Meta.fields}
        data["code"] = data["code"] or ""
        data["rule"] = self.rule()
        return data


class CostForm(forms.ModelForm):
    class Meta:
        model = CostLine
        fields = ["category", "planned", "actual", "note"]
