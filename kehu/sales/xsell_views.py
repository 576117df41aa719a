"""Cross-selling pages: the association rules (/sales/associations/, on the shared list
machinery; administrators, analysts and sales managers) and a customer's suggestions
(the card of the customer 360 page and of the opportunity form, loaded after the page by
htmx; a page of its own without JavaScript). Reads through
:mod:`kehu.sales.xsell_selectors`; the policy decides (403 / 404)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from kehu.org.policies import policy_for
from kehu.pagination import Tier
from kehu.sales.models import RuleLevel
from kehu.sales.xsell_selectors import association_rule_list, customer_suggestions, latest_association_run
from kehu.web.lists import list_context
from kehu.web.views.common import is_partial, paginate

SORT_TIERS = {
    f"{sign}{key}": [Tier(Q(), (f"{sign}{key}", f"{sign}id"))]
    for key in ("lift", "confidence", "support") for sign in ("", "-")
}


class RuleFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Product or line"), required=False, max_length=100)
    level = forms.ChoiceField(label=gettext_lazy("Level"), required=False,
                              choices=[("", pgettext_lazy("rule level", "All"))] + list(RuleLevel.choices))
    min_support = forms.FloatField(label=gettext_lazy("Minimum support"), required=False, min_value=0, max_value=1,
                                   help_text=gettext_lazy("Share of orders holding every item of the rule, 0–1."))
    min_confidence = forms.FloatField(label=gettext_lazy("Minimum confidence"), required=False, min_value=0,
                                      max_value=1, help_text=gettext_lazy("Share of the orders with the left side "
                                                                          "that also hold the right side, 0–1."))
    min_lift = forms.FloatField(label=gettext_lazy("Minimum lift"), required=False, min_value=0,
                                help_text=gettext_lazy("How many times more often than by chance; above 1 "
                                                       "means bought together."))
    sort = forms.ChoiceField(required=False, choices=[(s, s) for s in SORT_TIERS], widget=forms.HiddenInput())

    def values(self) -> dict:
        blank = {"q": "", "level": "", "min_support": None, "min_confidence": None, "min_lift": None, "sort": "-lift"}
        if not self.is_bound or not self.is_valid():
            return blank
        return {**blank, **{k: v for k, v in self.cleaned_data.items() if v not in (None, "")}}


@login_required
def association_list(request):
    if not policy_for(request.user).may_read_associations:
        raise PermissionDenied
    form = RuleFilterForm(request.GET or None)
    f = form.values()
    qs = association_rule_list(viewer=request.user, level=f["level"], min_support=f["min_support"],
                               min_confidence=f["min_confidence"], min_lift=f["min_lift"], q=f["q"])
    page = paginate(request, qs, tiers=SORT_TIERS[f["sort"]])
    return render(request, "sales/associations/list.html", {
        "nav_active": "associations", "title": _("Bought together"), "form": form, "page": page, "filters": f,
        "run": latest_association_run(),
        **list_context(request, "associations", sort=f["sort"]),
    })


@login_required
def customer_suggestions_view(request, pk):
    """The suggestions card (htmx) or page (no JavaScript) of one customer the user may see."""
    data = customer_suggestions(viewer=request.user, customer_id=pk)
    ctx = {"s": data, "customer": data.customer, "may_read_rules": policy_for(request.user).may_read_associations,
           "title": _("Suggestions")}
    if is_partial(request):
        return render(request, "sales/associations/_suggestions.html", ctx)
    return render(request, "sales/associations/suggestions.html", ctx)
