"""Reads of value analyses (客户价值), always through the visibility policy.

Every figure a page, an export or the API shows is computed over the scores
of the customers the viewer may see
(``policy_for(viewer).visible(qs, prefix="customer__")``), so a salesperson's
Pareto curve is the curve of their own customers. Aggregates run in the
database (one pass per figure, never a million model objects in Python):

- :func:`value_figures`: counts and sums per tier, ABC class and RFM group,
  totals, CLV and revenue at risk, in one ``GROUP``-less aggregate query;
- :func:`pareto_summary`: the cumulative share curve at every percentile of
  customers, the exact share of the top 20% and the Gini coefficient, in one
  query over window functions (the same definitions as
  :mod:`kehu.analytics.pareto`);
- :func:`clv_histogram`, :func:`rf_heatmap`, :func:`migration_matrix`: one
  ``GROUP BY`` each.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import (
    Avg, Case, Count, F, FilteredRelation, FloatField, IntegerField, Max, Q, QuerySet, Sum, Value, When,
)
from django.db.models.functions import Cast
from django.http import Http404

from kehu.insights.models import (
    AbcClass, AnalysisRun, CustomerScore, RfmGroup, RunStatus, ValueTier,
)
from kehu.org.models import Team
from kehu.org.policies import policy_for
from kehu.pagination import Tier
from kehu.sales.models import Order, OrderStatus

DEFAULT_CHURN_THRESHOLD = 0.5
DEFAULT_HORIZON_MONTHS = 12
# "Customers who bought a product line" looks this far back from the as-of date.
PRODUCT_LINE_WINDOW_DAYS = 365
# A next order expected longer ago than this is no longer "due": the churn
# warning speaks for that customer.
CALL_OVERDUE_DAYS = 60
PARETO_BASES = ("revenue", "gross_margin")
MIGRATION_FIELDS = ("tier", "rfm_group", "abc_class")


# -- runs ---------------------------------------------------------------------------

def finished_runs() -> QuerySet[AnalysisRun]:
    """Runs whose per-customer scores can be read, newest as-of date first."""
    return AnalysisRun.objects.filter(status=RunStatus.SUCCEEDED, scores_purged=False).order_by("-as_of", "-id")


def latest_run() -> AnalysisRun | None:
    """The run the pages show by default: the finished run with the latest as-of date."""
    return finished_runs().first()


def run_list(*, viewer) -> QuerySet[AnalysisRun]:
    """Every run (queued, running, finished, failed). Runs carry no customer
    data; their company-wide results are shown only to viewers who may see
    them (:func:`kehu.insights.permissions.sees_company_figures`)."""
    if not policy_for(viewer).active:
        return AnalysisRun.objects.none()
    # A run whose process died is shown failed, not running forever.
    from kehu.insights.services import runs_reap_dead

    runs_reap_dead()
    return AnalysisRun.objects.select_related("requested_by")


def run_get(*, viewer, pk) -> AnalysisRun:
    try:
        return run_list(viewer=viewer).get(pk=pk)
    except (AnalysisRun.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def scored_run(run_id=None) -> AnalysisRun | None:
    """The finished run ``run_id`` when it has scores, else the latest one."""
    if run_id:
        try:
            run = finished_runs().filter(pk=int(run_id)).first()
        except (TypeError, ValueError):
            run = None
        if run is not None:
            return run
    return latest_run()


def churn_threshold(run: AnalysisRun | None) -> float:
    """The risk at which a run warns (its churn settings), 0.5 by default."""
    params = (run.parameters if run is not None else None) or {}
    churn = params.get("churn") if isinstance(params.get("churn"), dict) else {}
    for value in (churn.get("threshold"), params.get("churn_threshold")):
        if isinstance(value, (int, float)) and 0 < value <= 1:
            return float(value)
    return DEFAULT_CHURN_THRESHOLD


def horizon_months(run: AnalysisRun | None) -> int:
    """The horizon of the run's predictions (expected purchases, CLV), in months."""
    params = (run.parameters if run is not None else None) or {}
    clv = params.get("clv") if isinstance(params.get("clv"), dict) else {}
    for value in (clv.get("horizon_months"), params.get("horizon_months"), params.get("clv_horizon_months")):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return DEFAULT_HORIZON_MONTHS


# -- filters -------------------------------------------------------------------------

@dataclass(frozen=True)
class ValueFilters:
    """What the value pages, exports and the API filter scores by.

    ``team_id`` takes the team's whole subtree (a region and its sales
    teams); ``product_line_id`` keeps customers who bought that line in the
    year up to the run's as-of date. ``moved_from`` = (run id, field, value)
    keeps customers who were in that group of an earlier run (a cell of the
    migration matrix; value ``""`` = not in any group then).
    """

    team_id: int | None = None
    region: str = ""
    product_line_id: int | None = None
    owner_id: int | None = None
    tier: str = ""
    rfm_group: str = ""
    abc_class: str = ""
    churn_only: bool = False
    moved_from: tuple[int, str, str] | None = None

    @property
    def active(self) -> bool:
        return any([self.team_id, self.region, self.product_line_id, self.owner_id, self.tier, self.rfm_group,
                    self.abc_class, self.churn_only, self.moved_from])

    def without_groups(self) -> "ValueFilters":
        """The filters that choose customers, without the ones that choose a group."""
        return replace(self, tier="", rfm_group="", abc_class="", churn_only=False, moved_from=None)


def team_subtree_ids(team_id: int) -> list[int]:
    team = Team.objects.filter(pk=team_id).only("path").first()
    if team is None:
        return []
    return list(Team.objects.filter(path__startswith=team.path).values_list("id", flat=True))


def _product_line_customers(line_id: int, as_of: dt.date):
    start = as_of - dt.timedelta(days=PRODUCT_LINE_WINDOW_DAYS)
    return (Order.objects.filter(order_date__gt=start, order_date__lte=as_of, lines__product__line_id=line_id)
            .exclude(status=OrderStatus.CANCELLED).values("customer_id"))


def score_queryset(*, viewer, run: AnalysisRun | None, filters: ValueFilters | None = None) -> QuerySet[CustomerScore]:
    """The scores of ``run`` the viewer may see, filtered. Unordered."""
    if run is None:
        return CustomerScore.objects.none()
    f = filters or ValueFilters()
    qs = policy_for(viewer).visible(CustomerScore.objects.filter(run=run), prefix="customer__")
    if f.team_id:
        qs = qs.filter(customer__team_id__in=team_subtree_ids(f.team_id))
    if f.region:
        qs = qs.filter(customer__region=f.region)
    if f.owner_id:
        qs = qs.filter(customer__owner_id=f.owner_id)
    if f.product_line_id:
        qs = qs.filter(customer_id__in=_product_line_customers(f.product_line_id, run.as_of))
    if f.tier:
        qs = qs.filter(tier=f.tier)
    if f.rfm_group:
        qs = qs.filter(rfm_group=f.rfm_group)
    if f.abc_class:
        qs = qs.filter(abc_class=f.abc_class)
    if f.churn_only:
        qs = qs.filter(churn_risk__gte=churn_threshold(run))
    if f.moved_from:
        from_run_id, field, value = f.moved_from
        if field in MIGRATION_FIELDS:
            earlier = CustomerScore.objects.filter(run_id=from_run_id)
            if value:
                qs = qs.filter(customer_id__in=earlier.filter(**{field: value}).values("customer_id"))
            else:
                qs = qs.exclude(customer_id__in=earlier.exclude(**{field: ""}).values("customer_id"))
    return qs


# -- lists ---------------------------------------------------------------------------

# Sorts of the score lists: (label key, tiers). Nullable measures are listed
# in the order of their index, the customers without the measure after them. Ties run
# in the measure's direction (highest CLV first, then the highest id): one direction
# makes the next page a row-value comparison that the index answers by a range scan.
SCORE_SORTS = {
    "clv": [Tier(Q(clv__isnull=False), ("-clv", "-id")), Tier(Q(clv__isnull=True), ("id",))],
    "churn": [Tier(Q(churn_risk__isnull=False), ("-churn_risk", "-id")), Tier(Q(churn_risk__isnull=True), ("id",))],
    "next_order": [Tier(Q(next_order_date__isnull=False), ("next_order_date", "id")),
                   Tier(Q(next_order_date__isnull=True), ("id",))],
    "tier": [Tier(Q(), ("tier", "id"))],
    "rfm": [Tier(Q(), ("rfm_group", "id"))],
    "at_risk": [Tier(Q(revenue_at_risk__isnull=False), ("-revenue_at_risk", "-id")),
                Tier(Q(revenue_at_risk__isnull=True), ("id",))],
}
DEFAULT_SCORE_SORT = "clv"


def score_list(*, viewer, run, filters=None, sort: str = DEFAULT_SCORE_SORT) -> tuple[QuerySet, list[Tier]]:
    """Scores to page (``kehu.pagination.tiered_keyset_page``) in ``sort`` order,
    with the customer and their owner in the same query."""
    qs = score_queryset(viewer=viewer, run=run, filters=filters).select_related("customer", "customer__owner")
    return qs, SCORE_SORTS.get(sort, SCORE_SORTS[DEFAULT_SCORE_SORT])


CHURN_SORTS = ("churn", "at_risk")


def churn_list(*, viewer, run, filters=None, sort: str = "churn") -> tuple[QuerySet, list[Tier]]:
    """Customers the run warns about (risk at or above its threshold), riskiest
    first or by revenue at risk."""
    f = replace(filters or ValueFilters(), churn_only=True)
    return score_list(viewer=viewer, run=run, filters=f, sort=sort if sort in CHURN_SORTS else "churn")


# -- company or viewer-wide figures ------------------------------------------------------

@dataclass
class GroupFigure:
    key: str
    label: str
    customers: int
    revenue: Decimal
    clv: Decimal | None = None
    share: float | None = None  # of the revenue
    customer_share: float | None = None


def value_figures(qs: QuerySet[CustomerScore], *, threshold: float) -> dict:
    """Totals and the figures per tier, ABC class and RFM group of ``qs``.

    One ``GROUP BY tier, abc_class, rfm_group`` (at most 5 × 4 × 9 groups)
    reads the scores once; the totals and each grouping are summed up from
    its rows here.
    """
    groups = {"tier": ValueTier.choices, "abc_class": AbcClass.choices, "rfm_group": RfmGroup.choices}
    warned = Q(churn_risk__gte=threshold)
    rows = list(qs.order_by().values("tier", "abc_class", "rfm_group").annotate(
        a_n=Count("id"), a_revenue=Sum("revenue"), a_gross_margin=Sum("gross_margin"), a_clv=Sum("clv"),
        a_clv_n=Count("clv"), a_clv_max=Max("clv"), a_p_alive_sum=Sum("p_alive"), a_p_alive_n=Count("p_alive"),
        a_expected=Sum("expected_purchases"), a_historical=Sum("historical_clv"),
        a_flagged=Count("id", filter=warned), a_at_risk=Sum("revenue_at_risk", filter=warned),
        a_flagged_revenue=Sum("revenue", filter=warned)))

    def total(key, subset=rows):
        values = [r[key] for r in subset if r[key] is not None]
        return sum(values, Decimal(0) if values and isinstance(values[0], Decimal) else 0) if values else None

    n = total("a_n") or 0
    total_revenue = Decimal(total("a_revenue") or 0)
    p_alive_n = total("a_p_alive_n") or 0
    clv_max = [r["a_clv_max"] for r in rows if r["a_clv_max"] is not None]
    out = {
        "customers": n, "revenue": total_revenue, "gross_margin": Decimal(total("a_gross_margin") or 0),
        "clv": total("a_clv"), "clv_customers": total("a_clv_n") or 0, "clv_max": max(clv_max) if clv_max else None,
        "p_alive": (total("a_p_alive_sum") / p_alive_n) if p_alive_n else None,
        "expected_purchases": total("a_expected"), "historical_clv": total("a_historical"),
        "flagged": total("a_flagged") or 0, "at_risk": Decimal(total("a_at_risk") or 0),
        "flagged_revenue": Decimal(total("a_flagged_revenue") or 0),
    }
    for field, choices in groups.items():
        out[field] = []
        for value, label in list(choices) + [("", "")]:
            subset = [r for r in rows if (r[field] or "") == value]
            count = total("a_n", subset) or 0
            if value == "" and not count:
                continue
            revenue = Decimal(total("a_revenue", subset) or 0)
            out[field].append(GroupFigure(
                key=value, label=label, customers=count, revenue=revenue,
                clv=total("a_clv", subset) if field == "tier" else None,
                share=float(revenue / total_revenue) if total_revenue > 0 else None,
                customer_share=count / n if n else None,
            ))
    return out


@dataclass
class ParetoSummary:
    customers: int
    total: float
    points: list[tuple[float, float]]  # (customer share, cumulative value share), from (0, 0)
    top20_share: float | None
    gini: float | None  # None when a value is negative
    share_for_80: float | None  # the smallest share of customers making 80%


def pareto_summary(qs: QuerySet[CustomerScore], *, basis: str = "revenue") -> ParetoSummary | None:
    """The Pareto curve of ``basis`` over ``qs`` at each percentile of customers,
    computed by the database; None when there is nothing positive to share.

    Definitions as :mod:`kehu.analytics.pareto`: customers sorted by value,
    largest first; the top 20% are the first ``ceil(0.2 n)``; the Gini
    coefficient is ``sum_i (2i - n - 1) x_(i) / (n sum x)`` over the values in
    ascending order (undefined with negative values).
    """
    if basis not in PARETO_BASES:
        raise ValueError(basis)
    inner = (qs.order_by().annotate(pi=F("id"), pv=Cast(basis, FloatField())).values_list("pi", "pv"))
    try:
        sql, params = inner.query.sql_with_params()
    except EmptyResultSet:  # the viewer sees nobody
        return None
    # One ordering serves the ranks, the running sum and the Gini weights:
    # with rd the rank from the largest, the ascending rank is n + 1 - rd, so
    # (2i - n - 1) = (n + 1 - 2 rd). Ties get any order among themselves,
    # which changes none of the sums.
    query = f"""
        SELECT bucket, COUNT(*), SUM(v), MAX(rd), SUM(g), MIN(v), SUM(top), MAX(n), MIN(reach)
        FROM (
            SELECT v, rd, n, (100 * rd + n - 1) / n AS bucket,
                   (n + 1 - 2 * rd) * v AS g,
                   CASE WHEN 5 * rd <= n + 4 THEN v ELSE 0 END AS top,
                   CASE WHEN cum >= %s * tot THEN rd END AS reach
            FROM (
                SELECT s.pv AS v,
                       ROW_NUMBER() OVER w AS rd,
                       SUM(s.pv) OVER w AS cum,
                       COUNT(*) OVER () AS n,
                       SUM(s.pv) OVER () AS tot
                FROM ({sql}) s
                WINDOW w AS (ORDER BY s.pv DESC, s.pi ROWS UNBOUNDED PRECEDING)
            ) o
        ) b
        GROUP BY bucket ORDER BY bucket
    """
    params = (0.8 - 1e-12, *params)
    connection = connections[qs.db]
    with transaction.atomic(using=qs.db), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # a million (value, id) pairs sort in memory instead of on disk
            cursor.execute("SET LOCAL work_mem = '128MB'")
        cursor.execute(query, params)
        rows = cursor.fetchall()
    if not rows:
        return None
    n = int(rows[0][7])
    total = sum(float(r[2] or 0) for r in rows)
    if n == 0 or total <= 0:
        return None
    points = [(0.0, 0.0)]
    cumulative = 0.0
    for _bucket, _count, value_sum, last_rank, *_rest in rows:
        cumulative += float(value_sum or 0)
        points.append((int(last_rank) / n, cumulative / total))
    reach = [int(r[8]) for r in rows if r[8] is not None]
    share_for_80 = min(reach) / n if reach else 1.0
    points[-1] = (1.0, 1.0)
    minimum = min(float(r[5]) for r in rows)
    gini = None
    if minimum >= 0:
        gini = max(0.0, min(1.0, sum(float(r[4] or 0) for r in rows) / (n * total)))
    top = sum(float(r[6] or 0) for r in rows) / total
    return ParetoSummary(customers=n, total=total, points=points, top20_share=top, gini=gini,
                         share_for_80=share_for_80)


def _nice_edges(maximum: float) -> list[float]:
    """Bin edges 0, then 1-2-5 steps up to ``maximum`` (about ten bins over
    three decades: customer values are heavy-tailed)."""
    if maximum <= 0:
        return [0.0, 1.0]
    top = 10 ** math.ceil(math.log10(maximum))
    steps = []
    decade = top / 1000
    while decade <= top:
        for m in (1, 2, 5):
            if decade * m <= top:
                steps.append(decade * m)
        decade *= 10
    edges = [0.0] + [s for s in steps if s < maximum]
    edges.append(next(s for s in steps if s >= maximum) if any(s >= maximum for s in steps) else top)
    return edges


@dataclass
class HistogramBin:
    low: float
    high: float
    customers: int
    clv: Decimal


def clv_histogram(qs: QuerySet[CustomerScore], *, maximum) -> list[HistogramBin]:
    """How many customers' predicted lifetime value falls in each 1-2-5 band."""
    if maximum is None:
        return []
    edges = _nice_edges(float(maximum))
    whens = [When(clv__lt=edges[i + 1], then=Value(i)) for i in range(len(edges) - 1)]
    rows = (qs.order_by().filter(clv__isnull=False)
            .annotate(bin=Case(*whens, default=Value(len(edges) - 2), output_field=IntegerField()))
            .values("bin").annotate(n=Count("id"), total=Sum("clv")))
    counts = {r["bin"]: (r["n"], r["total"] or Decimal(0)) for r in rows}
    return [HistogramBin(edges[i], edges[i + 1], *counts.get(i, (0, Decimal(0)))) for i in range(len(edges) - 1)]


def rf_heatmap(qs: QuerySet[CustomerScore]) -> dict[tuple[int, int], dict]:
    """Customers and revenue per (R score, F score), 1-5 each."""
    rows = (qs.order_by().filter(r_score__isnull=False, f_score__isnull=False)
            .values("r_score", "f_score").annotate(n=Count("id"), revenue=Sum("revenue")))
    return {(r["r_score"], r["f_score"]): {"customers": r["n"], "revenue": r["revenue"] or Decimal(0)} for r in rows}


def migration_matrix(*, viewer, run_from: AnalysisRun, run_to: AnalysisRun, field: str,
                     filters: ValueFilters | None = None) -> dict[tuple[str, str], int]:
    """How many customers moved from each group of ``run_from`` to each group
    of ``run_to`` (``field``: tier, RFM group or ABC class). A customer not
    scored in ``run_from`` counts under ``""``."""
    if field not in MIGRATION_FIELDS:
        raise ValueError(field)
    qs = (score_queryset(viewer=viewer, run=run_to, filters=filters).order_by()
          .annotate(before=FilteredRelation("customer__value_scores",
                                            condition=Q(customer__value_scores__run_id=run_from.pk)))
          .values(f"before__{field}", field).annotate(n=Count("id")))
    out: dict[tuple[str, str], int] = {}
    for row in qs:
        key = (row[f"before__{field}"] or "", row[field] or "")
        out[key] = out.get(key, 0) + row["n"]
    return out


# -- one customer ------------------------------------------------------------------------

def customer_scores(*, viewer, customer_id) -> QuerySet[CustomerScore]:
    """The customer's scores in every finished run, latest as-of date first;
    empty when the viewer may not see the customer."""
    qs = policy_for(viewer).visible(
        CustomerScore.objects.filter(customer_id=customer_id, run__status=RunStatus.SUCCEEDED), prefix="customer__")
    return qs.select_related("run").order_by("-run__as_of", "-run_id")


def customer_latest_score(*, viewer, customer_id) -> CustomerScore | None:
    return customer_scores(viewer=viewer, customer_id=customer_id).first()


# -- the salesperson's call list -----------------------------------------------------------

def week_end(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=6 - today.weekday())


def call_list(*, viewer, run: AnalysisRun | None, today: dt.date) -> tuple[QuerySet, list[Tier]]:
    """The viewer's own customers to call this week: those the run warns about
    (riskiest first), then those whose expected next order falls due by the
    end of the week (soonest first; not those due more than
    :data:`CALL_OVERDUE_DAYS` ago, whom the warning covers)."""
    if run is None or not policy_for(viewer).active:
        return CustomerScore.objects.none(), SCORE_SORTS["churn"]
    threshold = churn_threshold(run)
    warned = Q(churn_risk__gte=threshold)
    due = Q(next_order_date__lte=week_end(today), next_order_date__gte=today - dt.timedelta(days=CALL_OVERDUE_DAYS))
    qs = (policy_for(viewer).visible(CustomerScore.objects.filter(run=run, customer__owner=viewer),
                                     prefix="customer__")
          .filter(warned | due).select_related("customer"))
    return qs, [Tier(warned, ("-churn_risk", "-id")), Tier(due & ~warned, ("next_order_date", "id"))]


# -- figures for a page, cached ------------------------------------------------------------

FIGURE_CACHE_SECONDS = 15 * 60
STORED_BASIS = {"revenue": "revenue", "gross_margin": "margin"}


def _cache_key(kind: str, viewer, run: AnalysisRun, filters: ValueFilters, extra: str = "") -> str:
    import hashlib

    from kehu.insights.figure_cache import versions

    scope = repr(policy_for(viewer).view_scope)
    # the versions: a per-order rescoring or a customer's new owner changes the figures
    raw = f"{kind}|{run.pk}|{run.created_at}|{run.finished_at}|{scope}|{filters!r}|{extra}|{versions()}"
    return "kehu:value:" + hashlib.sha1(raw.encode()).hexdigest()


def stored_pareto(run: AnalysisRun, basis: str) -> ParetoSummary | None:
    """The run's own company-wide Pareto figures (computed by the engine over
    every customer), when they are on ``basis``."""
    p = (run.results or {}).get("pareto")
    if not isinstance(p, dict) or p.get("basis") != STORED_BASIS.get(basis):
        return None
    curve = p.get("curve") or {}
    xs, ys = curve.get("customer_share") or [], curve.get("value_share") or []
    n = ((run.results or {}).get("counts") or {}).get("customers") or run.customers
    if len(xs) != len(ys) or len(xs) < 2 or not n:
        return None
    total = ((run.results or {}).get("totals") or {}).get("revenue" if basis == "revenue" else "gross_margin") or 0
    return ParetoSummary(customers=int(n), total=float(total), points=[(float(x), float(y)) for x, y in zip(xs, ys)],
                         top20_share=p.get("top_share"), gini=p.get("gini"), share_for_80=p.get("share_for_80"))


def pareto_for(*, viewer, run: AnalysisRun, filters: ValueFilters, qs: QuerySet[CustomerScore],
               basis: str = "revenue") -> ParetoSummary | None:
    """The Pareto figures a page shows: the run's stored company-wide ones
    for a viewer who sees every customer with no filter, else computed over
    ``qs`` and kept for a quarter of an hour (a finished run never changes;
    the key holds the viewer's scope, so nobody reads another's figures)."""
    from django.core.cache import cache

    if policy_for(viewer).sees_everything and not filters.active:
        stored = stored_pareto(run, basis)
        if stored is not None:
            return stored
    key = _cache_key("pareto", viewer, run, filters, basis)
    hit = cache.get(key)
    if hit is not None:
        return hit or None
    summary = pareto_summary(qs, basis=basis)
    cache.set(key, summary or False, FIGURE_CACHE_SECONDS)
    return summary


def clv_histogram_for(*, viewer, run: AnalysisRun, filters: ValueFilters, qs: QuerySet[CustomerScore],
                      maximum) -> list[HistogramBin]:
    """:func:`clv_histogram`, kept like :func:`pareto_for`."""
    from django.core.cache import cache

    key = _cache_key("clv", viewer, run, filters, str(maximum))
    hit = cache.get(key)
    if hit is None:
        hit = clv_histogram(qs, maximum=maximum)
        cache.set(key, hit, FIGURE_CACHE_SECONDS)
    return hit


def value_figures_for(*, viewer, run: AnalysisRun, filters: ValueFilters, qs: QuerySet[CustomerScore],
                      threshold: float) -> dict:
    """:func:`value_figures`, kept per (run, versions, scope, filters) —
    kehu/insights/figure_cache.py."""
    from kehu.insights.figure_cache import cached

    return cached("value", (run.pk, scope_key(viewer), filters, threshold),
                  lambda: value_figures(qs, threshold=threshold))


def rf_heatmap_for(*, viewer, run: AnalysisRun, filters: ValueFilters, qs: QuerySet[CustomerScore]) -> dict:
    """:func:`rf_heatmap`, kept like :func:`value_figures_for`."""
    from kehu.insights.figure_cache import cached

    return cached("rf-heatmap", (run.pk, scope_key(viewer), filters), lambda: rf_heatmap(qs))


def scope_key(viewer) -> str:
    return repr(policy_for(viewer).view_scope)
