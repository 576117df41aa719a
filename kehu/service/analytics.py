"""Service analytics (服务分析): the reads behind the page, the PDF, the API and
``kehu cases report``.

Every figure is computed over the cases the viewer may see
(:meth:`kehu.org.policies.CustomerPolicy.visible_cases`) and the orders of the
customers they may see (:meth:`~kehu.org.policies.CustomerPolicy.visible`), in
the database (``GROUP BY``), not by looping over cases in Python; the pure
figures (rates, the cause Pareto, working hours, the recovery test) come from
:mod:`kehu.analytics.service_stats` and :mod:`kehu.analytics.recovery`.

The range is of local dates (``KEHU_TIME_ZONE``), both included; a case belongs
to it by its registration time, an order by its order date. The filters (team —
with its sub-teams —, kind, product line) narrow the cases; the team filter
narrows the orders to the customers of those teams and the product-line filter
to orders with a line of that product line.

Definitions (docs/service.md, "Service analytics"):

- **SLA compliance**: of the cases with a due time, those answered (first
  response) or resolved at or before it are *met*; those answered or resolved
  after it, or still not answered or resolved when it has passed, are *late*;
  the rest (not due yet) are not counted.
- **Backlog ageing**: the open cases now (whenever registered), by days since
  registration.
- **Cause**: a complaint's cause category with its case category.
- **Customers kept**: complainants in the range who ordered after the day of
  their complaint; their revenue is the amount of those later orders.
- **Resolution time**: working hours from registration to resolution on the
  company's working calendar (time waiting for the customer included), the
  median per team and agent over the latest :data:`MEDIAN_CASES_MAX` resolved
  cases of the range.
- **Recovery test**: see :func:`recovery_test`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, F, Min, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.analytics import service_stats as stats
from kehu.org.models import Team, User
from kehu.org.policies import policy_for
from kehu.service.models import (
    OPEN_STATUSES, Case, CaseCategory, CaseChannel, CaseKind, CaseStatus, CauseCategory, Validity,
)

MEDIAN_CASES_MAX = 20_000
REPEAT_PAGE = 20
TOP_PRODUCTS = 8
POOL_MAX = 10_000  # comparable customers drawn from, at most (spread over the customer ids)
FOLLOW_UP_DAYS = 180
TENURE_BANDS = (("lt1", 365), ("1to3", 3 * 365), ("3plus", None))


def tenure_label(key: str) -> str:
    return {"lt1": _("under 1 year"), "1to3": _("1 to 3 years"), "3plus": _("3 years or more")}[key]


@dataclass
class AnalyticsFilters:
    date_from: dt.date
    date_to: dt.date
    team_id: int | None = None
    kind: str = ""
    line_id: int | None = None
    follow_up_days: int = FOLLOW_UP_DAYS
    repeat_page: int = 1

    @classmethod
    def default(cls, today: dt.date | None = None, **kw) -> "AnalyticsFilters":
        """The last twelve months up to today."""
        today = today or timezone.localdate()
        start = today.replace(day=1)
        for _i in range(11):
            start = (start - dt.timedelta(days=1)).replace(day=1)
        return cls(date_from=start, date_to=today, **kw)

    def as_params(self) -> dict:
        out = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        if self.team_id:
            out["team"] = self.team_id
        if self.kind:
            out["kind"] = self.kind
        if self.line_id:
            out["line"] = self.line_id
        if self.follow_up_days != FOLLOW_UP_DAYS:
            out["follow_up"] = self.follow_up_days
        return out


def _bounds(f: AnalyticsFilters) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(f.date_from, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def _team_ids(team_id) -> list[int]:
    team = Team.objects.filter(pk=team_id).only("path").first()
    if team is None:
        return []
    return list(Team.objects.filter(path__startswith=team.path).values_list("id", flat=True))


def _scoped_cases(viewer, f: AnalyticsFilters):
    """Visible cases narrowed by the team, kind and product-line filters (any date)."""
    qs = policy_for(viewer).visible_cases(Case.objects.all())
    if f.team_id:
        qs = qs.filter(team_id__in=_team_ids(f.team_id))
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.line_id:
        qs = qs.filter(product__line_id=f.line_id)
    return qs


def _scoped_orders(viewer, f: AnalyticsFilters):
    from kehu.sales.models import Order, OrderLine, OrderStatus

    qs = policy_for(viewer).visible(Order.objects.exclude(status=OrderStatus.CANCELLED), prefix="customer__")
    qs = qs.filter(order_date__gte=f.date_from, order_date__lte=f.date_to)
    if f.team_id:
        qs = qs.filter(customer__team_id__in=_team_ids(f.team_id))
    if f.line_id:
        qs = qs.filter(Exists(OrderLine.objects.filter(order_id=OuterRef("pk"), product__line_id=f.line_id)))
    return qs


def _month_key(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{value.year:04d}-{value.month:02d}"


def _months(f: AnalyticsFilters) -> list[str]:
    out, d = [], f.date_from.replace(day=1)
    while d <= f.date_to:
        out.append(f"{d.year:04d}-{d.month:02d}")
        d = (d + dt.timedelta(days=32)).replace(day=1)
    return out


def _late_q(done: str, due: str, now) -> Q:
    return Q(**{f"{due}__isnull": False}) & (
        Q(**{f"{done}__gt": F(due)}) | Q(**{f"{done}__isnull": True, f"{due}__lt": now}))


def _met_q(done: str, due: str) -> Q:
    return Q(**{f"{due}__isnull": False, f"{done}__isnull": False, f"{done}__lte": F(due)})


def _sla_aggregates(now) -> dict:
    return {
        "fr_met": Count("id", filter=_met_q("first_responded_at", "first_response_due")),
        "fr_late": Count("id", filter=_late_q("first_responded_at", "first_response_due", now)),
        "res_met": Count("id", filter=_met_q("resolved_at", "resolution_due")),
        "res_late": Count("id", filter=_late_q("resolved_at", "resolution_due", now)),
    }


def _sla_figures(row: dict) -> dict:
    return {"first_response": {"met": row["fr_met"], "late": row["fr_late"],
                               "rate": stats.compliance(row["fr_met"], row["fr_late"])},
            "resolution": {"met": row["res_met"], "late": row["res_late"],
                           "rate": stats.compliance(row["res_met"], row["res_late"])}}


def _series(rows: list[dict], key: str, labels: dict, months: list[str]) -> list[dict]:
    """``[{key, label, total, months: {month: n}}]`` largest first, from grouped rows."""
    out: dict = {}
    for r in rows:
        k = r[key]
        item = out.setdefault(k, {"key": k, "label": str(labels.get(k, str(k) if k not in (None, "") else "—")),
                                  "total": 0, "months": dict.fromkeys(months, 0)})
        item["total"] += r["n"]
        if r["month"] in item["months"]:
            item["months"][r["month"]] += r["n"]
    return sorted(out.values(), key=lambda i: (-i["total"], str(i["label"])))


def _category_names() -> dict:
    return {c.pk: c.name for c in CaseCategory.objects.all()}


# -- 0. the groupings of the cases of the range ---------------------------------------
#
# The page's figures over the cases of the range come from six groupings of the same
# rows: month × kind × channel × top category (volume, SLA, compensation), month ×
# product, customer (complaints), cause × category (complaints), team × assignee and
# product line (complaints). On PostgreSQL they are one scan (``GROUPING SETS`` with
# ``FILTER`` aggregates); elsewhere six ``GROUP BY`` queries. Both give the same rows
# (tests/service/test_analytics.py compares them on PostgreSQL).

_SLA_FIELDS = ("fr_met", "fr_late", "res_met", "res_late")


def case_groups(cases, now, *, single_pass: bool | None = None) -> dict:
    """``{"volume", "product", "customer", "cause", "pairs", "line"}`` of ``cases``.

    ``volume``: rows ``{month, kind, channel, cat, n, comp, fr_met, fr_late, res_met,
    res_late}`` (``cat``: the top category); ``product``: ``{month, product_id, n}`` of the
    cases with a product; ``customer``: ``[(customer_id, complaints)]``; ``cause``:
    ``{(cause_category, category_id): complaints}``; ``pairs``: ``{team_id, assignee_id,
    n, resolved, fr_met, …}``; ``line``: ``{product line id: complaints}``. Months are
    ``"YYYY-MM"`` in the current time zone."""
    from django.db import connections

    if single_pass is None:
        single_pass = connections[cases.db].vendor == "postgresql"
    return _case_groups_single_pass(cases, now) if single_pass else _case_groups_plain(cases, now)


def _case_groups_plain(cases, now) -> dict:
    month = TruncMonth("created_at", tzinfo=timezone.get_current_timezone())
    complaints = cases.filter(kind=CaseKind.COMPLAINT)
    volume = list(cases.values(month=month).annotate(
        cat=Coalesce("category__parent_id", "category_id")).values("month", "kind", "channel", "cat").annotate(
        n=Count("id"), comp=Sum("compensation_amount"), **_sla_aggregates(now)).order_by())
    product = list(cases.filter(product__isnull=False).values(month=month).values("month", "product_id")
                   .annotate(n=Count("id")).order_by())
    for r in (*volume, *product):
        r["month"] = _month_key(r["month"])
    return {
        "volume": volume, "product": product,
        "customer": list(complaints.filter(customer__isnull=False).values("customer_id")
                         .annotate(n=Count("id")).order_by().values_list("customer_id", "n")),
        "cause": {(r["cause_category"], r["category_id"]): r["n"] for r in
                  complaints.values("cause_category", "category_id").annotate(n=Count("id")).order_by()},
        "pairs": list(cases.values("team_id", "assignee_id").annotate(
            n=Count("id"), resolved=Count("id", filter=Q(resolved_at__isnull=False)),
            **_sla_aggregates(now)).order_by()),
        "line": {r["product__line_id"]: r["n"] for r in complaints.filter(product__line__isnull=False)
                 .values("product__line_id").annotate(n=Count("id")).order_by()},
    }


def _grouping_sets(qs, columns: dict, sets: list[tuple], aggregates: list[str], params: tuple = (),
                   work_mem: str = "64MB") -> list[tuple]:
    """``SELECT set number, grouped columns…, aggregates… FROM (qs) GROUP BY GROUPING SETS
    (sets)`` (PostgreSQL). ``columns``: name → field or expression, in the order of the
    output (the grouped ones) and as the aggregates name them (``s.name``); the first
    column of each set must be in no other set (it tells the sets apart)."""
    from django.core.exceptions import EmptyResultSet
    from django.db import connections, transaction

    names = list(columns)
    exprs = {k: v for k, v in columns.items() if not isinstance(v, str)}
    inner = qs.annotate(**{f"_g_{k}": v for k, v in exprs.items()}).values(
        *[f"_g_{k}" if k in exprs else columns[k] for k in names]).order_by()
    try:
        inner_sql, inner_params = inner.query.sql_with_params()
    except EmptyResultSet:  # a filter that matches nothing by construction (a team with no one in it)
        return []
    which = " ".join(f"WHEN GROUPING(s.{c[0]}) = 0 THEN {i}" for i, c in enumerate(sets))
    keys = [n for n in names if any(n in c for c in sets)]
    sql = (f"SELECT CASE {which} END, {', '.join(f's.{n}' for n in keys)}, {', '.join(aggregates)} "
           f"FROM ({inner_sql}) AS s ({', '.join(names)}) "
           f"GROUP BY GROUPING SETS ({', '.join('(' + ', '.join(f's.{x}' for x in c) + ')' for c in sets)})")
    db = qs.db
    with transaction.atomic(using=db), connections[db].cursor() as cursor:
        # every set hashed in one pass rather than sorted (the planner overestimates the
        # groups of the month expression: reserve enough for its estimate), and no JIT
        # compilation (a tenth of the time here)
        cursor.execute("SELECT current_setting('work_mem'), current_setting('jit')")
        before = cursor.fetchone()
        cursor.execute(f"SET LOCAL work_mem = '{work_mem}'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, (*params, *inner_params))  # the aggregates' parameters come first in the text
        rows = cursor.fetchall()
        # back as they were for the rest of an enclosing transaction (an error rolls them back)
        cursor.execute("SELECT set_config('work_mem', %s, true), set_config('jit', %s, true)", before)
        return rows


def _case_groups_single_pass(cases, now) -> dict:
    """The groupings in two index-only scans (PostgreSQL: ``GROUPING SETS``, ``FILTER``):
    every case of the range by month × kind × channel × category, team × assignee and
    month × product; the complaints by customer, cause × category and product. Top
    categories and product lines are mapped here (a case's top category is its
    category's parent, else the category)."""
    from kehu.sales.models import Product

    month = TruncMonth("created_at", tzinfo=timezone.get_current_timezone())
    met = "s.{due} IS NOT NULL AND s.{done} IS NOT NULL AND s.{done} <= s.{due}"
    late = "s.{due} IS NOT NULL AND (s.{done} > s.{due} OR (s.{done} IS NULL AND s.{due} < %s))"
    aggregates = ["COUNT(*)", "SUM(s.comp)",
                  f"COUNT(*) FILTER (WHERE {met.format(due='frd', done='fra')})",
                  f"COUNT(*) FILTER (WHERE {late.format(due='frd', done='fra')})",
                  f"COUNT(*) FILTER (WHERE {met.format(due='rsd', done='rsa')})",
                  f"COUNT(*) FILTER (WHERE {late.format(due='rsd', done='rsa')})",
                  "COUNT(*) FILTER (WHERE s.rsa IS NOT NULL)"]
    rows = _grouping_sets(cases, {
        "kind": "kind", "team_id": "team_id", "product_id": "product_id", "month": month, "channel": "channel",
        "category_id": "category_id", "assignee_id": "assignee_id", "comp": "compensation_amount",
        "frd": "first_response_due", "fra": "first_responded_at", "rsd": "resolution_due", "rsa": "resolved_at",
    }, [("kind", "month", "channel", "category_id"), ("team_id", "assignee_id"), ("product_id", "month")],
        aggregates, (now, now), work_mem="256MB")  # the groups are few whatever the number of cases
    top = dict(CaseCategory.objects.values_list("pk", "parent_id"))
    volume: dict = {}
    out: dict = {"volume": [], "product": [], "customer": [], "cause": {}, "pairs": [], "line": {}}
    for (g, kind, team_id, product_id, m, channel, category_id, assignee_id,
         n, comp, fr_met, fr_late, res_met, res_late, resolved) in rows:
        sla = {"fr_met": fr_met, "fr_late": fr_late, "res_met": res_met, "res_late": res_late}
        if g == 0:
            cat = top.get(category_id) or category_id
            key = (_month_key(m), kind, channel, cat)
            acc = volume.get(key)
            if acc is None:
                volume[key] = {"month": key[0], "kind": kind, "channel": channel, "cat": cat, "n": n,
                               "comp": comp, **sla}
            else:
                acc["n"] += n
                acc["comp"] = comp if acc["comp"] is None else acc["comp"] if comp is None else acc["comp"] + comp
                for k, v in sla.items():
                    acc[k] += v
        elif g == 1:
            out["pairs"].append({"team_id": team_id, "assignee_id": assignee_id, "n": n, "resolved": resolved,
                                 **sla})
        elif product_id is not None:
            out["product"].append({"month": _month_key(m), "product_id": product_id, "n": n})
    out["volume"] = list(volume.values())

    rows = _grouping_sets(cases.filter(kind=CaseKind.COMPLAINT), {
        "customer_id": "customer_id", "cause_category": "cause_category", "product_id": "product_id",
        "category_id": "category_id"}, [("customer_id",), ("cause_category", "category_id"), ("product_id",)],
        ["COUNT(*)"])
    by_product = {}
    for g, customer_id, cause, product_id, category_id, n in rows:
        if g == 0:
            if customer_id is not None:
                out["customer"].append((customer_id, n))
        elif g == 1:
            out["cause"][(cause, category_id)] = n
        elif product_id is not None:
            by_product[product_id] = n
    lines = dict(Product.objects.filter(pk__in=list(by_product), line__isnull=False).values_list("pk", "line_id"))
    for product_id, n in by_product.items():
        if product_id in lines:
            out["line"][lines[product_id]] = out["line"].get(lines[product_id], 0) + n
    return out


def service_report(*, viewer, filters: AnalyticsFilters, now=None, with_recovery: bool = True,
                   with_orders: bool = True, with_medians: bool = True) -> dict:
    """Every figure of the service analytics for ``viewer`` (see the module docstring).
    ``with_orders=False`` leaves out the three figures that read the orders (complaints
    per 1,000 orders, the revenue of the customers kept, the rate by product line: None),
    and ``with_medians=False`` the median working hours of the team and agent tables
    (None, ``medians_pending`` true), which the page loads afterwards
    (:func:`order_figures`)."""
    f = filters
    now = now or timezone.now()
    start, end = _bounds(f)
    months = _months(f)
    scoped = _scoped_cases(viewer, f)
    cases = scoped.filter(created_at__gte=start, created_at__lt=end)
    complaints = cases.filter(kind=CaseKind.COMPLAINT)
    categories = _category_names()

    # 1. Volume (month × kind × channel × top category, with the SLA counts) and the
    # other groupings of the cases of the range: one pass on PostgreSQL (section 0).
    groups = case_groups(cases, now)
    grouped = groups["volume"]
    kinds, channels = dict(CaseKind.choices), dict(CaseChannel.choices)
    total = sum(r["n"] for r in grouped)
    by_kind = _series(grouped, "kind", kinds, months)
    by_channel = _series(grouped, "channel", channels, months)
    by_category = _series(grouped, "cat", {**categories, None: _("No category")}, months)
    sla_total = {k: sum(r[k] for r in grouped) for k in ("fr_met", "fr_late", "res_met", "res_late")}
    sla_by_kind = []
    for item in by_kind:
        sums = {k: sum(r[k] for r in grouped if r["kind"] == item["key"])
                for k in ("fr_met", "fr_late", "res_met", "res_late")}
        sla_by_kind.append({"key": item["key"], "label": item["label"], **_sla_figures(sums)})

    product_rows = groups["product"]
    by_product = _series(product_rows, "product_id", {}, months)[:TOP_PRODUCTS]
    if by_product:
        from kehu.sales.models import Product

        names = dict(Product.objects.filter(pk__in=[p["key"] for p in by_product]).values_list("pk", "name"))
        for p in by_product:
            p["label"] = names.get(p["key"], p["label"])

    # 2. Complaints per 1,000 orders, per month.
    complaint_months = dict.fromkeys(months, 0)
    for r in grouped:
        if r["kind"] == CaseKind.COMPLAINT and r["month"] in complaint_months:
            complaint_months[r["month"]] += r["n"]
    n_complaints = sum(complaint_months.values())
    per_1000 = _per_1000(viewer, f, months, complaint_months) if with_orders else None

    # 3. Backlog ageing: open cases now, by age.
    edges = stats.age_bucket_edges(now)
    bucket_aggs = {}
    for i, (after, at_or_before) in enumerate(edges):
        q = Q()
        if after is not None:
            q &= Q(created_at__gt=after)
        if at_or_before is not None:
            q &= Q(created_at__lte=at_or_before)
        bucket_aggs[f"b{i}"] = Count("id", filter=q)
    backlog_row = scoped.filter(status__in=OPEN_STATUSES).aggregate(oldest=Min("created_at"), **bucket_aggs)
    bounds = (0, *stats.AGE_BUCKETS)
    backlog = {"total": sum(backlog_row[f"b{i}"] for i in range(len(edges))),
               "oldest": backlog_row["oldest"],
               "buckets": [{"key": f"b{i}", "label": _bucket_label(bounds, i), "count": backlog_row[f"b{i}"]}
                           for i in range(len(edges))]}

    # 4. Pareto of causes (complaints).
    cause_counts = groups["cause"]
    cause_rows, vital_share = stats.cause_pareto(cause_counts)
    causes = dict(CauseCategory.choices)
    pareto = {"vital_share": vital_share, "causes": len(cause_rows), "rows": [
        {"cause": key[0], "category_id": key[1],
         "label": f"{causes.get(key[0], key[0]) or _('Not known yet')} · {categories.get(key[1], _('No category'))}",
         "count": r.count, "share": r.share, "cumulative": r.cumulative, "vital": r.vital}
        for r in cause_rows for key in [r.key]]}

    # 5. Cost of recovery against the revenue of the customers kept.
    # complaints per customer, once: the complainants, and the repeat complainers among them
    per_customer = groups["customer"]
    recovery_cost = _recovery_cost(viewer, f, now, grouped, per_customer, complaints) if with_orders else None

    # 6. Repeat complainers (≥ 2 complaints in the range).
    repeaters = sorted(((c, n) for c, n in per_customer if n >= 2), key=lambda x: (-x[1], x[0]))
    repeat_total = len(repeaters)
    page = max(1, f.repeat_page)
    repeat_rows = repeaters[(page - 1) * REPEAT_PAGE: page * REPEAT_PAGE]
    from kehu.customers.models import Customer

    ids = [c for c, _n in repeat_rows]
    visible_ids = set(policy_for(viewer).visible(Customer.objects.filter(pk__in=ids)).values_list("pk", flat=True))
    names = dict(Customer.objects.filter(pk__in=ids).values_list("pk", "name"))
    repeat = {"total": repeat_total, "page": page, "pages": max(1, -(-repeat_total // REPEAT_PAGE)),
              "rows": [{"customer_id": c, "name": names.get(c, ""), "complaints": n, "visible": c in visible_ids}
                       for c, n in repeat_rows]}

    # 7. Team and agent performance: one GROUP BY team × assignee, added up each way.
    teams, agents = _team_agent_tables(groups["pairs"])
    sampled = _with_medians(cases, teams, agents) if with_medians else False

    # 8. Complaint rate by product line.
    lines = _line_rates(viewer, f, groups["line"]) if with_orders else None

    report = {
        "filters": f, "months": months, "start": start, "end": end, "now": now,
        "total": total, "complaints": n_complaints,
        "volume": {"kind": by_kind, "category": by_category, "channel": by_channel, "product": by_product},
        "per_1000_orders": per_1000,
        "sla": {**_sla_figures(sla_total), "by_kind": sla_by_kind},
        "backlog": backlog, "pareto": pareto, "recovery_cost": recovery_cost, "repeat": repeat,
        "teams": teams, "agents": agents, "median_sampled": sampled, "median_limit": MEDIAN_CASES_MAX,
        "medians_pending": not with_medians, "product_lines": lines,
    }
    if with_recovery:
        report["recovery"] = recovery_test(viewer=viewer, filters=f, now=now)
    return report


def _per_1000(viewer, f, months, complaint_months) -> dict:
    orders = _scoped_orders(viewer, f)
    order_months = {_month_key(r["m"]): r["n"] for r in
                    orders.annotate(m=TruncMonth("order_date")).values("m").annotate(n=Count("id")).order_by()}
    n_complaints = sum(complaint_months.values())
    n_orders = sum(order_months.values())
    return {"complaints": n_complaints, "orders": n_orders,
            "rate": stats.per_thousand(n_complaints, n_orders),
            "months": [{"month": m, "complaints": complaint_months[m], "orders": order_months.get(m, 0),
                        "rate": stats.per_thousand(complaint_months[m], order_months.get(m, 0))}
                       for m in months]}


def _recovery_cost(viewer, f, now, grouped, per_customer, complaints) -> dict:
    from kehu.sales.models import Order, OrderStatus

    comp = sum((r["comp"] or Decimal(0) for r in grouped if r["kind"] == CaseKind.COMPLAINT), Decimal(0))
    complainants = len(per_customer)
    later = complaints.filter(customer_id=OuterRef("customer_id"), created_at__date__lt=OuterRef("order_date"))
    kept_orders = policy_for(viewer).visible(Order.objects.exclude(status=OrderStatus.CANCELLED),
                                             prefix="customer__").filter(
        order_date__gte=f.date_from, order_date__lte=max(timezone.localdate(now), f.date_to)).filter(Exists(later))
    kept = kept_orders.aggregate(customers=Count("customer_id", distinct=True), revenue=Sum("amount"))
    revenue = kept["revenue"] or Decimal(0)
    return {"compensation": comp, "complainants": complainants, "kept": kept["customers"],
            "kept_rate": (kept["customers"] / complainants) if complainants else None,
            "revenue_kept": revenue,
            "revenue_per_yuan": (revenue / comp) if comp else None}


def _line_rates(viewer, f, line_complaints) -> list[dict]:
    from kehu.sales.models import OrderLine, ProductLine

    orders = _scoped_orders(viewer, f)
    line_orders = {r["product__line_id"]: r["n"] for r in OrderLine.objects.filter(
        order__in=orders, product__line__isnull=False).values("product__line_id")
        .annotate(n=Count("order_id", distinct=True)).order_by()}
    line_names = dict(ProductLine.objects.values_list("pk", "name"))
    return sorted(({"key": k, "label": line_names.get(k, ""), "complaints": line_complaints.get(k, 0),
                    "orders": line_orders.get(k, 0),
                    "rate": stats.per_thousand(line_complaints.get(k, 0), line_orders.get(k, 0))}
                   for k in set(line_complaints) | set(line_orders)),
                  key=lambda r: (-(r["rate"] or 0), str(r["label"])))


def _team_agent_tables(pairs: list[dict]) -> tuple[list[dict], list[dict]]:
    """The team and the agent performance rows from the team × assignee counts."""
    team_names = dict(Team.objects.values_list("pk", "name"))
    agent_names = {u.pk: str(u) for u in User.objects.filter(pk__in=[r["assignee_id"] for r in pairs
                                                                      if r["assignee_id"] is not None])}
    return _performance(pairs, "team_id", team_names), _performance(pairs, "assignee_id", agent_names)


def _with_medians(cases, teams: list[dict], agents: list[dict]) -> bool:
    """Fill in the median working hours of the team and agent rows; whether they were sampled."""
    medians, sampled = _median_hours(cases)
    for row in teams:
        row["median_hours"] = medians["team_id"].get(row["key"])
    for row in agents:
        row["median_hours"] = medians["assignee_id"].get(row["key"])
    return sampled


def order_figures(*, viewer, filters: AnalyticsFilters, now=None) -> dict:
    """The figures of the analytics that the page loads after itself (what
    ``service_report(with_orders=False, with_medians=False)`` leaves out), the same
    numbers: the three that read the orders, and the team and agent tables with their
    median working hours. One grouping of the range's cases (:func:`case_groups`), then
    the orders' queries and the medians."""
    f = filters
    now = now or timezone.now()
    start, end = _bounds(f)
    months = _months(f)
    cases = _scoped_cases(viewer, f).filter(created_at__gte=start, created_at__lt=end)
    complaints = cases.filter(kind=CaseKind.COMPLAINT)
    groups = case_groups(cases, now)
    grouped = groups["volume"]
    complaint_months = dict.fromkeys(months, 0)
    for r in grouped:
        if r["kind"] == CaseKind.COMPLAINT and r["month"] in complaint_months:
            complaint_months[r["month"]] += r["n"]
    teams, agents = _team_agent_tables(groups["pairs"])
    sampled = _with_medians(cases, teams, agents)
    return {"filters": f, "months": months,
            "per_1000_orders": _per_1000(viewer, f, months, complaint_months),
            "recovery_cost": _recovery_cost(viewer, f, now, grouped, groups["customer"], complaints),
            "product_lines": _line_rates(viewer, f, groups["line"]),
            "teams": teams, "agents": agents, "median_sampled": sampled, "median_limit": MEDIAN_CASES_MAX,
            "medians_pending": False}


def _bucket_label(bounds, i) -> str:
    if i == 0:
        return _("up to 1 day")
    if i >= len(bounds) - 1:
        return _("over %(days)d days") % {"days": bounds[-1]}
    return _("%(low)d–%(high)d days") % {"low": bounds[i] + 1, "high": bounds[i + 1]}


def _performance(pairs: list[dict], key: str, names: dict, limit: int = 200) -> list[dict]:
    """Rows of the team × assignee counts added up by ``key`` (teams or agents), most cases first."""
    sums: dict = {}
    fields = ("n", "resolved", "fr_met", "fr_late", "res_met", "res_late")
    for r in pairs:
        if r[key] is None:
            continue
        acc = sums.setdefault(r[key], dict.fromkeys(fields, 0))
        for k in fields:
            acc[k] += r[k]
    rows = sorted(sums.items(), key=lambda kv: (-kv[1]["n"], kv[0]))[:limit]
    return [{"key": k, "label": names.get(k, "—"), "cases": v["n"], "resolved": v["resolved"], "median_hours": None,
             **_sla_figures(v)}
            for k, v in rows]


def _median_hours(cases) -> tuple[dict, bool]:
    """Median working hours to resolution per team and per agent (latest resolved cases first)."""
    from kehu.service.sla import working_calendar

    rows = list(cases.filter(resolved_at__isnull=False).order_by("-resolved_at")
                .values_list("team_id", "assignee_id", "created_at", "resolved_at")[:MEDIAN_CASES_MAX + 1])
    sampled = len(rows) > MEDIAN_CASES_MAX
    rows = rows[:MEDIAN_CASES_MAX]
    if not rows:
        return {"team_id": {}, "assignee_id": {}}, False
    hours = stats.working_hours_between([r[2] for r in rows], [r[3] for r in rows], working_calendar())
    return {"team_id": stats.grouped_medians([r[0] for r in rows], hours),
            "assignee_id": stats.grouped_medians([r[1] for r in rows], hours)}, sampled


# -- the service-recovery paradox ------------------------------------------------

def _tenure_band(first_order: dt.date, at: dt.date) -> str | None:
    days = (at - first_order).days
    if days < 0:
        return None
    for key, limit in TENURE_BANDS:
        if limit is None or days < limit:
            return key
    return None  # pragma: no cover


def recovery_test(*, viewer, filters: AnalyticsFilters, now=None) -> dict:
    """The service-recovery paradox test on the viewer's customers.

    *Recovered*: visible customers with a valid complaint of the range (team and
    product-line filters apply) resolved to their satisfaction — the return visit
    passed, i.e. the case is return-visited or closed (a dissatisfied return
    visit reopens it) — indexed at their first such resolution. *Comparable*:
    visible customers who never complained, indexed at the median index date of
    the recovered; at most :data:`POOL_MAX` of them, spread evenly over the
    customer ids. Both need a value tier in the latest finished value analysis
    and a first order before their index date (tenure band: under 1 year, 1–3,
    3 or more). Outcomes over the ``follow_up_days`` after the index date:
    bought again (an order, not cancelled) and the latest satisfaction index
    (0–100) of a survey answered after it; customers whose follow-up period has
    not ended yet are left out and counted. Statistics:
    :func:`kehu.analytics.recovery.recovery_paradox`."""
    from django.db.models.functions import Mod

    from kehu.analytics.recovery import Subject, recovery_paradox
    from kehu.insights.models import AnalysisRun, CustomerScore, RunStatus
    from kehu.sales.models import Order, OrderStatus
    from kehu.surveys.models import Response, ResponseStatus

    f = filters
    now = now or timezone.now()
    today = timezone.localdate(now)
    start, end = _bounds(f)
    days = f.follow_up_days
    policy = policy_for(viewer)
    out = {"follow_up_days": days, "available": False, "reason": "", "in_follow_up": 0, "no_tier": 0}
    run = AnalysisRun.objects.filter(status=RunStatus.SUCCEEDED).order_by("-as_of", "-id").first()
    if run is None:
        out["reason"] = _("No finished customer-value analysis yet: customers have no value tier to be matched on.")
        return out

    kind_filters = AnalyticsFilters(f.date_from, f.date_to, team_id=f.team_id, line_id=f.line_id)
    satisfied = policy.visible(_scoped_cases(viewer, kind_filters), prefix="customer__").filter(
        kind=CaseKind.COMPLAINT, customer__isnull=False,
        status__in=[CaseStatus.RETURN_VISITED, CaseStatus.CLOSED], resolved_at__isnull=False,
        resolved_at__gte=start, resolved_at__lt=end).exclude(validity=Validity.INVALID)
    firsts = {r["customer_id"]: timezone.localdate(r["t0"]) for r in
              satisfied.values("customer_id").annotate(t0=Min("resolved_at")).order_by()}
    ended = {c: t for c, t in firsts.items() if t + dt.timedelta(days=days) <= today}
    out["in_follow_up"] = len(firsts) - len(ended)
    if not ended:
        out["reason"] = (_("No complaint resolved to the customer's satisfaction in this range has finished its "
                           "follow-up period of %(days)d days yet.") % {"days": days}) if firsts else \
            _("No complaint in this range was resolved to the customer's satisfaction.")
        return out

    scores = CustomerScore.objects.filter(run=run).exclude(tier="").filter(first_order__isnull=False)
    rec_scores = dict((c, (t, fo)) for c, t, fo in scores.filter(customer_id__in=list(ended))
                      .values_list("customer_id", "tier", "first_order"))
    out["no_tier"] = len(ended) - len(rec_scores)
    index_date = sorted(ended.values())[len(ended) // 2]

    complained = Case.objects.filter(kind=CaseKind.COMPLAINT, customer_id=OuterRef("customer_id"))
    pool = policy.visible(scores, prefix="customer__").filter(first_order__lt=index_date).exclude(Exists(complained))
    size = pool.count()
    step = max(1, -(-size // POOL_MAX))
    if step > 1:
        pool = pool.annotate(_m=Mod("customer_id", step)).filter(_m=0)
    pool_rows = list(pool.order_by("customer_id").values_list("customer_id", "tier", "first_order")[:POOL_MAX])

    rec_ids, com_ids = list(rec_scores), [r[0] for r in pool_rows]
    bought: set = set()
    if rec_ids:
        lo = min(ended[c] for c in rec_ids)
        hi = max(ended[c] for c in rec_ids) + dt.timedelta(days=days)
        for c, d in (Order.objects.exclude(status=OrderStatus.CANCELLED)
                     .filter(customer_id__in=rec_ids, order_date__gt=lo, order_date__lte=hi)
                     .values_list("customer_id", "order_date")):
            if ended[c] < d <= ended[c] + dt.timedelta(days=days):
                bought.add(c)
    if com_ids:
        bought |= set(Order.objects.exclude(status=OrderStatus.CANCELLED).filter(
            customer_id__in=com_ids, order_date__gt=index_date,
            order_date__lte=index_date + dt.timedelta(days=days)).values_list("customer_id", flat=True).distinct())

    def satisfaction(ids, at_of):
        found: dict = {}
        if not ids:
            return found
        lo = min(at_of(c) for c in ids)
        rows = (Response.objects.filter(customer_id__in=ids, status=ResponseStatus.COMPLETE, index__isnull=False,
                                        submitted_at__date__gt=lo)
                .order_by("submitted_at").values_list("customer_id", "submitted_at", "index"))
        for c, at, value in rows:
            if timezone.localdate(at) > at_of(c):
                found[c] = value  # the latest answer after the index date wins
        return found

    sat = satisfaction(rec_ids, lambda c: ended[c])
    sat.update(satisfaction(com_ids, lambda c: index_date))

    recovered, comparable = [], []
    for c, (tier, first_order) in rec_scores.items():
        band = _tenure_band(first_order, ended[c])
        if band is None:
            out["no_tier"] += 1
            continue
        recovered.append(Subject(c, tier, band, c in bought, sat.get(c)))
    for c, tier, first_order in pool_rows:
        band = _tenure_band(first_order, index_date)
        if band is not None:
            comparable.append(Subject(c, tier, band, c in bought, sat.get(c)))

    result = recovery_paradox(recovered, comparable)
    out.update(available=result.n_recovered > 0, result=result, index_date=index_date, pool=len(comparable),
               supported=result.paradox_supported)
    if not out["available"]:
        out["reason"] = _("Not enough data: no customer resolved to their satisfaction has a comparable customer "
                          "(same value tier and tenure band) who never complained.")
    out["explanation"] = explain(out)
    return out


def explain(out: dict) -> list[str]:
    """The result in plain words (the active language)."""
    if not out.get("available"):
        return [out.get("reason", "")]
    r = out["result"]
    lines = [_("%(recovered)d customers whose complaint was resolved to their satisfaction are compared with "
               "%(comparable)d customers who never complained, of the same value tier and tenure band.")
             % {"recovered": r.n_recovered, "comparable": r.n_comparable}]
    p = r.repurchase
    if p is None:
        lines.append(_("Bought again: too few customers to say."))
    else:
        words = {"higher": _("more often"), "lower": _("less often"), "no_difference": ""}
        lines.append(_("Bought again within %(days)d days: %(rec).0f%% of the recovered customers against "
                       "%(com).0f%% of the others (difference %(diff)+.1f points, 95%% confidence interval "
                       "%(lo)+.1f to %(hi)+.1f; p = %(p).3f).")
                     % {"days": out["follow_up_days"], "rec": 100 * p.rate_recovered, "com": 100 * p.rate_comparable,
                        "diff": 100 * p.difference, "lo": 100 * p.ci_low, "hi": 100 * p.ci_high,
                        "p": p.cmh_p_value})
        if p.verdict == "no_difference":
            lines.append(_("The difference in buying again is not clear: it could be chance."))
        else:
            lines.append(_("The recovered customers bought again %(how)s than comparable customers, a difference "
                           "unlikely to be chance.") % {"how": words[p.verdict]})
    s = r.satisfaction
    if s is None:
        lines.append(_("Later satisfaction: too few customers answered a survey afterwards to say."))
    else:
        lines.append(_("Later satisfaction: %(rec).1f against %(com).1f out of 100 (difference %(diff)+.1f, "
                       "95%% confidence interval %(lo)+.1f to %(hi)+.1f; p = %(p).3f).")
                     % {"rec": s.mean_recovered, "com": s.mean_comparable, "diff": s.difference, "lo": s.ci_low,
                        "hi": s.ci_high, "p": s.p_value})
    lines.append(_("The paradox is supported here: a complaint put right left these customers better than no "
                   "complaint at all.") if r.paradox_supported else
                 _("The paradox is not supported here: customers whose complaint was put right did not do better "
                   "than those who never complained. A difference that is not clear does not prove the groups "
                   "are equal; read the confidence intervals."))
    return lines

