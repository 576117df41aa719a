"""The sales performance page (the leaderboard, 销售业绩) and the receivables ageing page
(应收账款账龄), with their CSV/.xlsx exports. Reads through :mod:`kehu.sales.performance`;
the policy decides who is shown (a salesperson: themselves; a manager: their subtree)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from kehu.analytics.sales_performance import BUCKET_KEYS
from kehu.exports.http import export_response
from kehu.org.policies import policy_for
from kehu.sales import performance as perf
from kehu.sales.performance_forms import PerformanceForm, ReceivablesForm

PER_PAGE = 50
SORT_COLUMNS = ("name", "visits", "interactions", "won", "win_rate", "revenue", "collection", "satisfaction", "nps",
                "churn")


def _fmt(request) -> str:
    return "csv" if request.GET.get("format") == "csv" else "xlsx"


def _performance(request):
    form = PerformanceForm(request.GET or None, viewer=request.user)
    start, end, team = form.period()
    sort = request.GET.get("sort") or perf.DEFAULT_SORT
    result = perf.performance(viewer=request.user, start=start, end=end, team=team, sort=sort)
    return form, result, sort


@login_required
def performance_page(request):
    form, result, sort = _performance(request)
    policy = policy_for(request.user)
    params = {"from": result.start.isoformat(), "to": result.end.isoformat()}
    if form.is_bound and form.is_valid() and form.cleaned_data.get("team"):
        params["team"] = form.cleaned_data["team"].pk
    return render(request, "sales/performance/performance.html", {
        "nav_active": "performance", "title": _("Sales performance"), "form": form, "p": result, "sort": sort,
        "leaderboard": policy.sees_leaderboard, "query": urlencode(params), "sort_columns": SORT_COLUMNS,
    })


@login_required
def performance_export(request):
    _form, result, _sort = _performance(request)
    fmt = _fmt(request)
    name = f"sales-performance-{result.start:%Y%m%d}-{result.end:%Y%m%d}"
    return export_response(request, perf.performance_table(result), export="sales_performance", fmt=fmt,
                           filename=name, sheet="performance")


def _receivables(request):
    form = ReceivablesForm(request.GET or None, viewer=request.user)
    choice = form.choice()
    orders = perf.receivable_orders(viewer=request.user, **choice)
    return form, choice, orders


def ageing_chart(totals: dict) -> dict | None:
    import altair as alt

    from kehu.web.charts import chart_spec, large_number_axis

    if not totals["total"]:
        return None
    labels = perf.bucket_labels()
    rows = [{"bucket": labels[k], "amount": float(totals[k]), "rank": i} for i, k in enumerate(BUCKET_KEYS)]
    chart = alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        x=alt.X("bucket:N", sort=alt.EncodingSortField("rank"), title=_("Days past due")),
        y=alt.Y("amount:Q", title=_("Outstanding"), axis=large_number_axis()),
        tooltip=[alt.Tooltip("bucket:N", title=_("Days past due")),
                 alt.Tooltip("amount:Q", title=_("Outstanding"), format=",.2f")])
    return chart_spec(chart, height=220)


@login_required
def receivables_page(request):
    form, choice, orders = _receivables(request)
    policy = policy_for(request.user)
    sort = request.GET.get("sort") or "-overdue"
    page = Paginator(perf.ageing_by_customer(orders, sort=sort), PER_PAGE).get_page(request.GET.get("page"))
    totals = perf.ageing_totals(orders)
    people = teams = []
    if policy.sees_leaderboard:
        people = perf.ageing_by_salesperson(orders)
        teams = perf.ageing_by_team(people, perf.performance_teams(viewer=request.user))
    params = {k: v for k, v in request.GET.items() if k in ("as_of", "team", "salesperson")}
    labels = perf.bucket_labels()
    return render(request, "sales/performance/receivables.html", {
        "nav_active": "performance", "title": _("Receivables ageing"), "form": form, "as_of": choice["as_of"],
        "page": page, "totals": totals, "people": people, "teams": teams, "sort": sort,
        "buckets": [(k, labels[k]) for k in BUCKET_KEYS], "chart": ageing_chart(totals),
        "query": urlencode(params), "leaderboard": policy.sees_leaderboard,
    })


@login_required
def receivables_customer(request, customer_pk):
    """The orders of one customer behind its row: the drill-down (404 for a customer not visible)."""
    customer = policy_for(request.user).get_visible(customer_pk)
    form, choice, _orders = _receivables(request)
    orders = perf.receivable_orders(viewer=request.user, customer_id=customer.pk, **choice).select_related(
        "salesperson").order_by("-days_past_due", "id")
    labels = perf.bucket_labels()
    from kehu.analytics.sales_performance import ageing_bucket

    rows = [(o, labels[ageing_bucket(o.days_past_due)]) for o in orders[:500]]
    return render(request, "sales/performance/receivables_customer.html", {
        "nav_active": "performance", "title": _("Receivables of %(customer)s") % {"customer": customer.name},
        "customer": customer, "rows": rows, "as_of": choice["as_of"],
        "query": urlencode({k: v for k, v in request.GET.items() if k in ("as_of", "team", "salesperson")}),
    })


@login_required
def receivables_export(request):
    _form, choice, orders = _receivables(request)
    return export_response(request, perf.receivables_table(perf.ageing_by_customer(orders)),
                           export="sales_receivables", fmt=_fmt(request),
                           filename=f"receivables-{choice['as_of']:%Y%m%d}", sheet="receivables")
