"""The targeting page's inputs: the costs, N (blank: the best N) and the filters."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.insights.models import ValueTier

DEFAULT_COST = Decimal("10")
MAX_MONEY = Decimal("9999999999")
MAX_N = 10**8


class TargetingForm(forms.Form):
    cost = forms.DecimalField(label=_("Cost per contact (¥)"), min_value=0, max_value=MAX_MONEY, decimal_places=2,
                              initial=DEFAULT_COST, required=False,
                              help_text=_("The message plus the expected cost of the offer, per customer contacted."))
    fixed_cost = forms.DecimalField(label=_("Fixed cost (¥)"), min_value=0, max_value=MAX_MONEY, decimal_places=2,
                                    initial=Decimal("0"), required=False,
                                    help_text=_("What the campaign costs whatever its size."))
    n = forms.IntegerField(label=_("Customers to contact (N)"), min_value=0, max_value=MAX_N, required=False,
                           help_text=_("Leave empty for the best N."))
    tier = forms.ChoiceField(label=_("Value tier"), required=False)
    team = forms.TypedChoiceField(label=_("Owner team"), required=False, coerce=int, empty_value=None)
    segment = forms.TypedChoiceField(label=_("Segment"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, teams=(), segments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [("", _("All tiers")), *ValueTier.choices]
        self.fields["team"].choices = [("", _("All teams")), *[(t.pk, str(t)) for t in teams]]
        self.fields["segment"].choices = [("", _("All customers")), *[(s.pk, s.name) for s in segments]]

    def values(self) -> dict:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        cost = data.get("cost")
        return {"cost": DEFAULT_COST if cost is None else cost, "fixed_cost": data.get("fixed_cost") or Decimal("0"),
                "n": data.get("n"), "tier": data.get("tier") or "", "team_id": data.get("team"),
                "segment_id": data.get("segment")}
