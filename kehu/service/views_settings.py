"""The administrators' service-level policy pages (/settings/sla-policies/):
list, create, change, delete with confirmation. Reads through
``kehu.service.selectors.sla_policy_list`` (administrators only: 403 otherwise),
writes through the services ``sla_policy_create/update/delete``, which also
recompute the open cases' due times."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.insights.models import ValueTier
from kehu.pagination import Tier
from kehu.service import selectors
from kehu.service.models import CaseKind
from kehu.service.services import sla_policy_create, sla_policy_delete, sla_policy_update
from kehu.web.views.common import add_service_errors, paginate


class SlaPolicyForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False,
                             choices=[("", gettext_lazy("Any kind"))] + list(CaseKind.choices))
    severity = forms.TypedChoiceField(label=gettext_lazy("Severity"), required=False, coerce=int, empty_value=None,
                                      choices=[("", gettext_lazy("Any severity")), (1, "1"), (2, "2"), (3, "3"),
                                               (4, "4")])
    tier = forms.ChoiceField(label=gettext_lazy("Value tier"), required=False,
                             choices=[("", gettext_lazy("Any tier"))] + list(ValueTier.choices))
    first_response_minutes = forms.IntegerField(
        label=gettext_lazy("First response within (minutes)"), required=False, min_value=1, max_value=10_000_000)
    resolution_minutes = forms.IntegerField(
        label=gettext_lazy("Resolution within (minutes)"), required=False, min_value=1, max_value=10_000_000,
        help_text=gettext_lazy("Working minutes (1,440 = three working days of eight hours) unless "
                               "calendar hours are chosen."))
    calendar_hours = forms.BooleanField(label=gettext_lazy("Calendar hours"), required=False,
                                        help_text=gettext_lazy("Count every hour of every day instead of "
                                                               "working hours."))

    def clean(self):
        d = super().clean()
        if not self.errors and d.get("first_response_minutes") is None and d.get("resolution_minutes") is None:
            self.add_error("resolution_minutes", _("Give a first-response time, a resolution time or both."))
        return d


def _policies(request):
    return selectors.sla_policy_list(viewer=request.user)   # 403 for anyone but an administrator


@login_required
def sla_policy_list_view(request):
    qs = _policies(request)
    page = paginate(request, qs, tiers=[Tier(Q(), ("id",))])
    return render(request, "service/settings/sla_list.html", {
        "nav_active": "settings", "title": _("Service-level policies"), "page": page})


def _form_page(request, policy=None):
    _policies(request)
    initial = {}
    if policy is not None:
        initial = {f: getattr(policy, f) for f in SlaPolicyForm.base_fields}
    form = SlaPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if policy is None:
                policy = sla_policy_create(actor=request.user, data=data)
                messages.success(request, _("Service-level policy “%(policy)s” created.") % {"policy": policy})
            else:
                sla_policy_update(actor=request.user, policy=policy, data=data)
                messages.success(request, _("Service-level policy “%(policy)s” saved.") % {"policy": policy})
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("sla_policy_list")
    title = _("New service-level policy") if policy is None else _("Edit %(policy)s") % {"policy": policy}
    return render(request, "service/settings/sla_form.html", {
        "nav_active": "settings", "title": title, "form": form, "policy": policy})


@login_required
def sla_policy_create_view(request):
    return _form_page(request)


@login_required
def sla_policy_edit_view(request, pk):
    return _form_page(request, selectors.sla_policy_get(viewer=request.user, pk=pk))


@login_required
def sla_policy_delete_view(request, pk):
    """GET: the confirmation; POST: delete."""
    policy = selectors.sla_policy_get(viewer=request.user, pk=pk)
    if request.method == "POST":
        name = str(policy)
        sla_policy_delete(actor=request.user, policy=policy)
        messages.success(request, _("Service-level policy “%(policy)s” deleted.") % {"policy": name})
        return redirect("sla_policy_list")
    return render(request, "service/settings/sla_confirm.html", {
        "nav_active": "settings", "title": _("Delete %(policy)s") % {"policy": policy}, "policy": policy})
