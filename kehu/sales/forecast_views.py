"""The forecast page (销售预测: pipeline by category, repeat purchases, total against the
quota, and the backtest) and the quota pages (销售指标: the list on the shared list machinery,
the form, delete with confirmation). Reads through :mod:`kehu.sales.forecast`, writes through
:mod:`kehu.sales.quotas`; the policy decides (404 / 403)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from kehu.org.models import Team
from kehu.org.policies import policy_for
from kehu.pagination import Tier
from kehu.sales import forecast as selectors
from kehu.sales.models import PERIOD_RE, ProductLine
from kehu.sales.quotas import quota_create, quota_delete, quota_update
from kehu.web.lists import list_context
from kehu.web.views.common import add_service_errors, int_or_none, paginate

BY_CHOICES = [("owner", gettext_lazy("Salesperson")), ("team", gettext_lazy("Team")),
              ("line", gettext_lazy("Product line"))]
QUOTA_SORTS = {
    "-period": [Tier(Q(), ("-period", "id"))],
    "period": [Tier(Q(), ("period", "id"))],
    "-amount": [Tier(Q(), ("-amount", "-id"))],
    "amount": [Tier(Q(), ("amount", "id"))],
}


def _period_choices(current: selectors.Period) -> list[tuple[str, str]]:
    """Quarters from a year back to a year ahead, and the months of this quarter's year."""
    quarters, p = [], current
    for _i in range(4):
        p = p.previous()
    for _i in range(9):
        quarters.append(p.code)
        p = p.next()
    months = [f"{current.start.year}-{m:02d}" for m in range(1, 13)]
    return [(c, c) for c in quarters + months]


def _chart(rows: list[dict]) -> dict | None:
    """Stacked bars per row (won, commit, best case, pipeline, repeat) with the quota as a tick."""
    import altair as alt

    from kehu.web.charts import chart_spec, large_number_axis

    parts = [("won", _("Won")), ("commit", _("Commit")), ("best_case", _("Best case")),
             ("pipeline", pgettext("forecast category", "Pipeline")), ("repeat", _("Repeat purchases"))]
    data = [{"name": r["label"], "part": label, "order": i, "amount": round(r[key], 2)}
            for r in rows[:20] for i, (key, label) in enumerate(parts) if r[key]]
    if not data:
        return None
    quotas = [{"name": r["label"], "quota": r["quota"]} for r in rows[:20] if r["quota"]]
    bars = alt.Chart(alt.Data(values=data)).mark_bar().encode(
        y=alt.Y("name:N", title=None, sort=None),
        x=alt.X("sum(amount):Q", title=_("Amount"), axis=large_number_axis()),
        color=alt.Color("part:N", title=None, sort=[label for _k, label in parts]),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("name:N", title=_("Name")), alt.Tooltip("part:N", title=_("Part")),
                 alt.Tooltip("amount:Q", title=_("Amount"), format=",.0f")])
    if not quotas:
        return chart_spec(bars, height=max(120, 28 * len({d["name"] for d in data})))
    ticks = alt.Chart(alt.Data(values=quotas)).mark_tick(color="#c44e52", thickness=3, size=22).encode(
        y=alt.Y("name:N", sort=None), x=alt.X("quota:Q"),
        tooltip=[alt.Tooltip("name:N", title=_("Name")), alt.Tooltip("quota:Q", title=_("Quota"), format=",.0f")])
    return chart_spec(alt.layer(bars, ticks), height=max(120, 28 * len({d["name"] for d in data})))


@login_required
def forecast_page(request):
    current = selectors.period_containing(selectors.today())
    code = request.GET.get("period", "") or current.code
    error = ""
    try:
        period = selectors.parse_period(code)
    except ValueError:
        period, error = current, _("A period is a month (2026-01) or a quarter (2026-Q1).")
    by = request.GET.get("by", "owner")
    if by not in selectors.BY:
        by = "owner"
    f = selectors.forecast(viewer=request.user, period=period, by=by)
    bt = None
    if request.GET.get("backtest"):
        bt = selectors.backtest(viewer=request.user, periods=min(max(int_or_none(request.GET.get("periods")) or 4,
                                                                      1), 12),
                                quarter=period.is_quarter)
    return render(request, "sales/forecast/page.html", {
        "nav_active": "forecast", "title": _("Forecast"), "f": f, "period": period, "by": by,
        "by_choices": BY_CHOICES, "period_choices": _period_choices(current), "error": error,
        "chart": _chart(f["rows"]), "bt": bt, "may_set_quotas": policy_for(request.user).may_set_quotas,
    })


# -- quotas ------------------------------------------------------------------------------

class QuotaForm(forms.Form):
    period = forms.RegexField(label=gettext_lazy("Period"), regex=PERIOD_RE, max_length=7,
                              help_text=gettext_lazy("A month (2026-01) or a quarter (2026-Q1)."),
                              error_messages={"invalid": gettext_lazy("A month (2026-01) or a quarter (2026-Q1).")})
    user = forms.ModelChoiceField(label=gettext_lazy("Salesperson"), queryset=None, required=False,
                                  help_text=gettext_lazy("A salesperson or a team, not both."))
    team = forms.ModelChoiceField(label=gettext_lazy("Team"), queryset=None, required=False)
    product_line = forms.ModelChoiceField(label=gettext_lazy("Product line"), queryset=None, required=False,
                                          help_text=gettext_lazy("Empty: all product lines."))
    amount = forms.DecimalField(label=gettext_lazy("Amount"), min_value=Decimal(0), max_digits=16, decimal_places=2)

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        policy = policy_for(viewer)
        self.fields["user"].queryset = policy.forecast_people().filter(is_active=True).exclude(
            pk=None if policy.is_admin else viewer.pk).order_by("display_name", "username")
        self.fields["team"].queryset = policy.visible_teams().order_by("path")
        self.fields["product_line"].queryset = ProductLine.objects.order_by("name")

    def clean(self):
        data = super().clean()
        if bool(data.get("user")) == bool(data.get("team")):
            raise ValidationError(_("A quota is for one salesperson or one team."))
        return data


def quota_rows(viewer):
    return policy_for(viewer).visible_quotas().select_related("user", "team", "product_line")


def quota_bulk_delete(actor, quota, _value):
    quota_delete(actor=actor, quota=quota)


@login_required
def quota_list_view(request):
    sort = request.GET.get("sort", "-period")
    if sort not in QUOTA_SORTS:
        sort = "-period"
    period = (request.GET.get("period") or "").strip().upper()[:7]
    team_id = int_or_none(request.GET.get("team"))
    qs = selectors.quota_list(viewer=request.user, period=period, team_id=team_id)
    page = paginate(request, qs, tiers=QUOTA_SORTS[sort])
    return render(request, "sales/forecast/quotas.html", {
        "nav_active": "forecast", "title": _("Quotas"), "page": page, "period": period, "team_id": team_id,
        "teams": policy_for(request.user).visible_teams().order_by("path"),
        "may_set_quotas": policy_for(request.user).may_set_quotas,
        "can_change": lambda q: policy_for(request.user).can_change_quota(user=q.user, team=q.team),
        **list_context(request, "quotas", sort=sort),
    })


def _quota_form(request, quota=None):
    initial = {}
    if quota is not None:
        initial = {"period": quota.period, "user": quota.user, "team": quota.team,
                   "product_line": quota.product_line, "amount": quota.amount}
    form = QuotaForm(request.POST or None, viewer=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if quota is None:
                quota_create(actor=request.user, period=d["period"], amount=d["amount"], user=d["user"],
                             team=d["team"], product_line=d["product_line"])
            else:
                quota_update(actor=request.user, quota=quota, data={k: d[k] for k in (
                    "period", "user", "team", "product_line", "amount")})
        except PermissionDenied:
            form.add_error(None, _("You may not set this quota."))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Quota saved."))
            return redirect("quota_list")
    return render(request, "sales/forecast/quota_form.html", {
        "nav_active": "forecast", "title": _("Edit quota") if quota else _("New quota"), "form": form,
        "quota": quota})


@login_required
def quota_create_view(request):
    if not policy_for(request.user).may_set_quotas:
        raise PermissionDenied
    return _quota_form(request)


@login_required
def quota_edit_view(request, pk):
    quota = selectors.quota_get(viewer=request.user, pk=pk)
    if not policy_for(request.user).can_change_quota(user=quota.user, team=quota.team):
        raise PermissionDenied
    return _quota_form(request, quota)


@login_required
def quota_delete_view(request, pk):
    quota = selectors.quota_get(viewer=request.user, pk=pk)
    if not policy_for(request.user).can_change_quota(user=quota.user, team=quota.team):
        raise PermissionDenied
    if request.method == "POST":
        quota_delete(actor=request.user, quota=quota)
        messages.success(request, _("Quota deleted."))
        return redirect("quota_list")
    return render(request, "sales/forecast/quota_delete.html", {
        "nav_active": "forecast", "title": _("Delete quota"), "quota": quota})
