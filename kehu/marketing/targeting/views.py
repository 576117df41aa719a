"""The retention-targeting page: the inputs, the curve, the best N, the uplift used and the
ranked customers (within the viewer's scope). Marketing, sales managers and administrators
(403 for others); reads only, through :mod:`.selectors`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from kehu.insights.segments import segment_list
from kehu.org.policies import policy_for
from kehu.pagination import Page
from kehu.web.views.common import page_size

from . import charts, selectors
from .forms import TargetingForm

NAV = "targeting"
TABLE_POINTS = 8  # rows of the curve's table (the chart's accessible fallback)


def campaign_url(n: int) -> str | None:
    """The campaigns app's "new campaign" page for the top N, or None while it is not installed."""
    try:
        base = reverse("campaign_create")
    except NoReverseMatch:
        return None
    return f"{base}?audience=gain&n={n}"


def _offset(request) -> int:
    try:
        return max(0, int(request.GET.get("cursor") or 0))
    except (TypeError, ValueError):
        return 0


@login_required
def page(request):
    selectors.check_may_open(request.user)
    policy = policy_for(request.user)
    form = TargetingForm(request.GET or None, teams=policy.visible_teams().order_by("path")[:500],
                         segments=segment_list(viewer=request.user)[:500])
    v = form.values()
    filters = selectors.TargetingFilters(tier=v["tier"], team_id=v["team_id"], segment_id=v["segment_id"])
    t = selectors.targeting(viewer=request.user, filters=filters, cost_per_contact=float(v["cost"]),
                            fixed_cost=float(v["fixed_cost"]), n=v["n"])
    sort = request.GET.get("sort", selectors.DEFAULT_SORT)
    sort = sort if sort in selectors.SORTS else selectors.DEFAULT_SORT
    per, offset = page_size(request), _offset(request)
    if offset >= max(t.ranked, 1):
        offset = 0
    rows = selectors.top_rows(t, sort=sort, offset=offset, limit=per, viewer=request.user)
    pager = Page(rows, str(offset + per) if offset + per < t.ranked else None,
                 str(max(0, offset - per)) if offset > 0 else None, per)
    chart, table = None, []
    if not t.empty:
        chart = charts.curve_chart(t.points(), best_n=t.best["n"], value=_("Expected incremental value"),
                                   cost=_("Cost"), net=_("Net gain"), n_title=_("Customers contacted (N)"),
                                   money_title=_("Amount (¥)"), best_title=_("Best N"))
        table = t.points(TABLE_POINTS)
    return render(request, "targeting/page.html", {
        "nav_active": NAV, "title": _("Retention targeting"), "form": form, "t": t, "page": pager, "sort": sort,
        "chart": chart, "curve_table": table, "uplift_reason": selectors.uplift_reason_text(t.uplift),
        "campaign_url": campaign_url(t.n) if t.n else None, "offset": offset, "u": uplift_percent(t.uplift),
    })


def uplift_percent(est) -> dict:
    """The uplift and its interval in percent (None where not a number: the prior has no interval)."""
    def pct(x):
        return None if x is None or x != x else round(100 * x, 1)
    return {"value": pct(est.value), "low": pct(est.ci_low), "high": pct(est.ci_high),
            "level": round(100 * est.level), "measured": est.source == "measured"}
