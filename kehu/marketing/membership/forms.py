"""Forms of the membership pages; the services validate again and decide."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.marketing.membership.models import EarnRule, MembershipStatus, Programme, Tier
from kehu.marketing.membership.services import MAX_POINTS


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": _("Member number, customer code or name")}))
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status"))] + list(MembershipStatus.choices))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [("", _("Any tier"))] + [(t.code, t.name) for t in Tier.objects.all()]

    def values(self) -> dict:
        d = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {"q": d.get("q", ""), "tier": d.get("tier", ""), "status": d.get("status", "")}


class PointsForm(forms.Form):
    """Bonus, correction or redemption; the page asks for a confirmation first."""

    kind = forms.ChoiceField(label=_("Entry"), choices=[])
    points = forms.IntegerField(label=pgettext_lazy("loyalty", "Points"), min_value=-MAX_POINTS, max_value=MAX_POINTS,
                                help_text=_("A correction may be negative; bonuses and redemptions are positive."))
    reason = forms.CharField(label=_("Reason"), max_length=200)
    source = forms.CharField(label=_("Source"), max_length=60, required=False,
                             help_text=_("What it is for, e.g. a coupon's code."))

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = list(kinds)


class TierForm(forms.ModelForm):
    class Meta:
        model = Tier
        fields = ("code", "name_zh", "name_en", "rank", "threshold", "earn_multiplier")


class RuleForm(forms.ModelForm):
    class Meta:
        model = EarnRule
        fields = ("product_line", "tier", "points_per_yuan", "multiplier", "active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_line"].empty_label = str(_("Every product line"))
        self.fields["tier"].empty_label = str(_("Every tier"))
        self.fields["points_per_yuan"].initial = Decimal("1")


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = ("basis", "window_months", "points_validity_months", "term_months", "points_per_yuan")


class MemberSettingsForm(forms.Form):
    tier = forms.ModelChoiceField(label=_("Tier"), queryset=Tier.objects.all(), required=False)
    auto_renew = forms.BooleanField(label=_("Renews automatically"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=MembershipStatus.choices)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
