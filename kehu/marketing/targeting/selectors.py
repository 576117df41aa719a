"""Reads of retention targeting: the uplift to plan with and the ranking by expected gain.

- :func:`uplift_estimate`: the uplift measured from earlier retention and win-back campaigns'
  control groups (``kehu.marketing.campaigns.selectors.retention_outcomes()``, pooled by
  :func:`kehu.analytics.targeting.measured_uplift`), else the stated prior;
- :func:`targeting`: the scores of the latest finished analysis that the viewer may see
  (the one policy, through :func:`kehu.insights.selectors.score_queryset`), pulled in ONE
  query as plain numbers (customer id, CLV, churn risk) and ranked with NumPy — no model
  object per customer, so a million scores cost one scan and a sort;
- :func:`top_rows`: one page of the ranking, read by a second query of just that page's
  customers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import FloatField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from kehu.analytics.targeting import (
    DEFAULT_PRIOR_UPLIFT, TargetingCurve, UpliftEstimate, measured_uplift, target_by_expected_gain,
)
from kehu.insights.models import AnalysisRun, CustomerScore
from kehu.insights.selectors import ValueFilters, latest_run, score_queryset
from kehu.org.policies import policy_for

CURVE_POINTS = 240  # points of the curve a chart or the API gets (the ranking itself is exact)
SORTS = {  # sort key → (column, descending)
    "-gain": ("gain", True), "gain": ("gain", False),
    "-clv": ("clv", True), "clv": ("clv", False),
    "-risk": ("risk", True), "risk": ("risk", False),
}
DEFAULT_SORT = "-gain"
NO_CAMPAIGNS_APP = "no_campaigns_app"


def may_open(viewer) -> bool:
    return policy_for(viewer).may_target_retention


def check_may_open(viewer) -> None:
    if not may_open(viewer):
        raise PermissionDenied(_("Retention targeting is for marketing, sales managers and administrators."))


# -- the uplift ----------------------------------------------------------------------------------

def retention_outcomes() -> list[tuple[int, int, int, int]] | None:
    """Earlier finished retention and win-back campaigns' (churned treated, treated, churned
    control, control), from the campaigns app; None when that app is not installed."""
    try:
        from kehu.marketing.campaigns.selectors import retention_outcomes as provider
    except ImportError:
        return None
    return [tuple(int(x) for x in row) for row in provider()]


def uplift_estimate(*, level: float = 0.95) -> UpliftEstimate:
    """The uplift to plan with: measured from the campaigns' control groups (pooled,
    Mantel–Haenszel), else :data:`DEFAULT_PRIOR_UPLIFT` with the reason."""
    rows = retention_outcomes()
    if rows is None:
        est = measured_uplift([], [], [], [], level=level)
        return dataclasses.replace(est, reason=NO_CAMPAIGNS_APP)
    cols = list(zip(*rows)) if rows else [[], [], [], []]
    return measured_uplift(*cols, level=level)


def uplift_reason_text(est: UpliftEstimate) -> str:
    return {
        "": "",
        NO_CAMPAIGNS_APP: _("campaigns are not set up yet"),
        "no_campaign": _("no finished retention campaign with a control group"),
        "too_few_control_churners": _("too few customers left in the control groups (fewer than 10)"),
        "no_treated_churners": _("no contacted customer left, so the uplift has no interval"),
    }.get(est.reason, est.reason)


# -- the ranking ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class TargetingFilters:
    tier: str = ""
    team_id: int | None = None
    segment_id: int | None = None


@dataclass
class Targeting:
    run: AnalysisRun | None
    uplift: UpliftEstimate
    curve: TargetingCurve | None
    ids: np.ndarray  # customer id per score, input order
    clv: np.ndarray
    risk: np.ndarray
    n: int  # the N shown: the asked N (at most max_n) or the best N
    asked_n: int | None
    cost_per_contact: float
    fixed_cost: float

    @property
    def empty(self) -> bool:
        return self.curve is None or self.curve.order.size == 0

    @property
    def ranked(self) -> int:
        return 0 if self.curve is None else int(self.curve.order.size)

    def at(self, n: int) -> dict:
        c = self.curve
        if c is None:
            return {"n": 0, "value": 0.0, "cost": 0.0, "net": 0.0}
        n = max(0, min(int(n), c.order.size))
        return {"n": n, "value": float(c.value[n]), "cost": float(c.cost[n]), "net": float(c.net[n])}

    @property
    def chosen(self) -> dict:
        return self.at(self.n)

    @property
    def best(self) -> dict:
        return self.at(self.curve.best_n if self.curve is not None else 0)

    def points(self, limit: int = CURVE_POINTS) -> list[dict]:
        """The curve at up to ``limit`` values of N, always with 0, the end, the best and the chosen N."""
        c = self.curve
        if c is None:
            return []
        m = c.order.size
        ns = np.unique(np.concatenate([np.linspace(0, m, min(limit, m + 1)).round().astype(int),
                                       [c.best_n, min(self.n, m)]]))
        return [self.at(int(n)) for n in ns]


def score_rows(*, viewer, run: AnalysisRun | None, filters: TargetingFilters):
    """The viewer's scores of ``run`` under ``filters``: a queryset, unordered."""
    qs = score_queryset(viewer=viewer, run=run, filters=ValueFilters(team_id=filters.team_id, tier=filters.tier))
    if filters.segment_id:
        from kehu.insights.segments import segment_get, segment_members

        segment = segment_get(viewer=viewer, pk=filters.segment_id)
        qs = qs.filter(customer_id__in=segment_members(segment=segment, viewer=viewer).values("pk"))
    return qs


def _numbers(qs) -> np.ndarray:
    """The rows of a ``values_list`` of numbers as an (n, 3) float array, NULL as NaN: its SQL run
    on the database cursor, without Django's per-row conversion (on PostgreSQL with binary
    results, which halves the time at a million rows)."""
    sql, params = qs.query.sql_with_params()
    conn = connections[qs.db]
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            import psycopg

            with psycopg.Cursor(conn.connection) as raw:
                raw.execute(sql, params, binary=True)
                rows = raw.fetchall()
        else:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    return np.array(rows, dtype=float).reshape(-1, 3)


def targeting(*, viewer, filters: TargetingFilters | None = None, cost_per_contact: float = 0.0,
              fixed_cost: float = 0.0, n: int | None = None, uplift: UpliftEstimate | None = None) -> Targeting:
    """Rank the viewer's customers by expected gain and find the best N (module docstring)."""
    check_may_open(viewer)
    filters = filters or TargetingFilters()
    run = latest_run()
    est = uplift if uplift is not None else uplift_estimate()
    empty = np.zeros(0)
    if run is None:
        return Targeting(None, est, None, empty, empty, empty, 0, n, cost_per_contact, fixed_cost)
    qs = score_rows(viewer=viewer, run=run, filters=filters)
    # One query of plain numbers; the CLV cast to a float in the database (no Decimal per row).
    data = _numbers(qs.annotate(_clv=Cast("clv", FloatField())).values_list("customer_id", "_clv", "churn_risk"))
    ids, clv, risk = data[:, 0].astype(np.int64), data[:, 1], np.clip(data[:, 2], 0.0, 1.0)
    curve = target_by_expected_gain(clv, risk, est.value, cost_per_contact, fixed_cost=fixed_cost, customer_ids=ids)
    shown = curve.best_n if n is None else max(0, min(int(n), curve.order.size))
    return Targeting(run, est, curve, ids, clv, risk, shown, n, cost_per_contact, fixed_cost)


@dataclass
class TargetRow:
    rank: int
    customer_id: int
    customer: object
    clv: float
    churn_risk: float
    gain: float
    chosen: bool


def sorted_order(t: Targeting, sort: str) -> np.ndarray:
    """Indices of the ranked customers in ``sort`` order (ties by customer id)."""
    c = t.curve
    if c is None:
        return np.zeros(0, dtype=np.int64)
    column, desc = SORTS.get(sort, SORTS[DEFAULT_SORT])
    if column == "gain" and desc:
        return c.order
    known = c.order
    key = {"gain": c.gain, "clv": t.clv, "risk": t.risk}[column][known]
    return known[np.lexsort((t.ids[known], -key if desc else key))]


def top_rows(t: Targeting, *, sort: str = DEFAULT_SORT, offset: int = 0, limit: int = 25, viewer=None) -> list[TargetRow]:
    """One page of the ranking: its customers read by one query (within the view scope)."""
    c = t.curve
    if c is None or limit <= 0:
        return []
    order = sorted_order(t, sort)
    page = order[offset: offset + limit]
    if page.size == 0:
        return []
    rank = np.empty(t.ids.size, dtype=np.int64)
    rank[c.order] = np.arange(1, c.order.size + 1)
    page_ids = [int(x) for x in t.ids[page]]
    qs = CustomerScore.objects.filter(run=t.run, customer_id__in=page_ids).select_related("customer",
                                                                                          "customer__owner")
    if viewer is not None:
        qs = policy_for(viewer).visible(qs, prefix="customer__")
    customers = {s.customer_id: s.customer for s in qs}
    rows = []
    for i in page:
        cid = int(t.ids[i])
        if cid not in customers:
            continue
        rows.append(TargetRow(int(rank[i]), cid, customers[cid], float(t.clv[i]), float(t.risk[i]),
                              float(c.gain[i]), bool(rank[i] <= t.n)))
    return rows


__all__ = ["DEFAULT_PRIOR_UPLIFT", "Targeting", "TargetingFilters", "targeting", "top_rows", "uplift_estimate"]
