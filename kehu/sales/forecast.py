"""Reads of the sales forecast (销售预测), its quotas and its backtest, always through the
one policy. The arithmetic is in :mod:`kehu.analytics.forecast`; here are the bulk reads.

The forecast of a period (a month ``2026-01`` or a quarter ``2026-Q1``), per salesperson,
team or product line:

- **won**: opportunities won (``won_at``) in the period, at their amount;
- **commit / best case / pipeline**: open opportunities whose expected close date is in the
  period, ``amount × probability``, by the probability thresholds (settings
  ``KEHU_FORECAST_COMMIT`` = 70, ``KEHU_FORECAST_BEST_CASE`` = 30). Open opportunities whose
  expected close date has already passed are not counted (they are overdue, not forecast);
- **repeat**: the purchases the customers who already bought are expected to make in the
  period, from the purchase model and the Gamma-Gamma spend fitted in the latest finished
  value run (kehu/insights): ``E[purchases in (start, end]] × expected spend``, where the window
  is measured from the run's as-of date (the part of the period after it, when the run is
  newer than the period's start). Customers are grouped in SQL by their history
  ``(x, t_x, T)`` — the expectation depends on nothing else — so a million customers become
  a few thousand rows. Attributed to the customer's owner and team; it has no product line.

**total** = won + commit + best case + pipeline (weighted) + repeat, against the quota.
The two parts can overlap: an opportunity with an existing customer may be the repeat
purchase the model expects. Kehu does not try to take one from the other.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from kehu.analytics.forecast import (
    CATEGORIES, ForecastThresholds, absolute_percentage_error, attainment, expected_repeat_revenue,
    mean_absolute_percentage_error, pipeline_totals,
)
from kehu.org.policies import policy_for
from kehu.sales.models import Opportunity, OpportunityLine, Order, OrderStatus, Quota, StageChange, StageOutcome

BY = ("owner", "team", "line")
NONE_KEY = 0          # the row of "no owner", "no team" or "no product line"
_PERIOD = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))$")


@dataclass(frozen=True)
class Period:
    code: str
    start: dt.date
    end: dt.date          # inclusive

    @property
    def is_quarter(self) -> bool:
        return "Q" in self.code

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        return period_containing(self.start - dt.timedelta(days=1), quarter=self.is_quarter)

    def next(self) -> "Period":
        return period_containing(self.end + dt.timedelta(days=1), quarter=self.is_quarter)


def parse_period(code: str) -> Period:
    """``2026-01`` (a month) or ``2026-Q1`` (a quarter); ValueError otherwise."""
    m = _PERIOD.match((code or "").strip().upper())
    if not m:
        raise ValueError(code)
    year = int(m.group(1))
    if m.group(2):
        first_month, months = int(m.group(2)), 1
    else:
        first_month, months = 3 * (int(m.group(3)) - 1) + 1, 3
    start = dt.date(year, first_month, 1)
    nm = first_month + months
    end = (dt.date(year + 1, 1, 1) if nm > 12 else dt.date(year, nm, 1)) - dt.timedelta(days=1)
    return Period(code=m.group(0), start=start, end=end)


def period_containing(day: dt.date, *, quarter: bool = True) -> Period:
    if quarter:
        return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    return parse_period(f"{day.year}-{day.month:02d}")


def today() -> dt.date:
    return timezone.localdate()


def thresholds() -> ForecastThresholds:
    return ForecastThresholds(commit=int(getattr(settings, "KEHU_FORECAST_COMMIT", 70)),
                              best_case=int(getattr(settings, "KEHU_FORECAST_BEST_CASE", 30)))


def _day_bounds(period: Period):
    """The period as aware datetimes [start, end) in the company's time zone."""
    tz = timezone.get_default_timezone()
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


# -- quotas ------------------------------------------------------------------------

def quota_list(*, viewer, period: str = "", user_id: int | None = None, team_id: int | None = None):
    qs = policy_for(viewer).visible_quotas().select_related("user", "team", "product_line")
    if period:
        qs = qs.filter(period=period)
    if user_id:
        qs = qs.filter(user_id=user_id)
    if team_id:
        qs = qs.filter(team_id=team_id)
    return qs


def quota_get(*, viewer, pk) -> Quota:
    from django.http import Http404

    try:
        return quota_list(viewer=viewer).get(pk=pk)
    except (Quota.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _months_of(start: dt.date, end: dt.date) -> list[tuple[dt.date, int, int]]:
    """Each month touching ``[start, end]``: (its first day, the range's days in it, its days)."""
    months = []
    day = start.replace(day=1)
    while day <= end:
        nxt = day.replace(year=day.year + 1, month=1) if day.month == 12 else day.replace(month=day.month + 1)
        first, last = max(day, start), min(nxt - dt.timedelta(days=1), end)
        months.append((day, (last - first).days + 1, (nxt - day).days))
        day = nxt
    return months


def _quota_of_range(amounts: dict[str, Decimal], months) -> Decimal | None:
    total, found = Decimal(0), False
    for d, days, month_days in months:
        month = amounts.get(f"{d.year}-{d.month:02d}")
        if month is None:
            quarter = amounts.get(f"{d.year}-Q{(d.month - 1) // 3 + 1}")
            month = None if quarter is None else quarter / 3
        if month is not None:
            found = True
            total += month * days / month_days
    return total.quantize(Decimal("0.01")) if found else None


def quotas_for(*, users=(), teams=(), start: dt.date, end: dt.date) -> tuple[dict, dict]:
    """The quotas of salespeople and teams for the days ``[start, end]``, from their quotas
    over all product lines: each month of the range counts its month quota, or else a third
    of its quarter's quota, in proportion to the range's days in that month. Two maps, user
    id → amount and team id → amount (None when no quota covers any of those months); one
    query. Used by the sales performance (revenue against quota), whose periods are any dates."""
    user_ids, team_ids = [u.pk for u in users], [t.pk for t in teams]
    by_user = dict.fromkeys(user_ids)
    by_team = dict.fromkeys(team_ids)
    if end < start or not (user_ids or team_ids):
        return by_user, by_team
    months = _months_of(start, end)
    codes = {f"{d.year}-{d.month:02d}" for d, _n, _m in months} | {
        f"{d.year}-Q{(d.month - 1) // 3 + 1}" for d, _n, _m in months}
    amounts: dict[tuple, dict[str, Decimal]] = {}
    for user_id, team_id, period, amount in (
            Quota.objects.filter(Q(user_id__in=user_ids) | Q(team_id__in=team_ids), product_line__isnull=True,
                                 period__in=codes).values_list("user_id", "team_id", "period", "amount")):
        key = ("user", user_id) if user_id else ("team", team_id)
        amounts.setdefault(key, {})[period] = amount
    for pk in user_ids:
        by_user[pk] = _quota_of_range(amounts.get(("user", pk), {}), months)
    for pk in team_ids:
        by_team[pk] = _quota_of_range(amounts.get(("team", pk), {}), months)
    return by_user, by_team


def quota_for(who, start: dt.date, end: dt.date) -> Decimal | None:
    """The quota of one salesperson or team (a User or a Team) for ``[start, end]``
    (:func:`quotas_for`)."""
    from kehu.org.models import Team

    if isinstance(who, Team):
        return quotas_for(teams=[who], start=start, end=end)[1][who.pk]
    return quotas_for(users=[who], start=start, end=end)[0][who.pk]


def _quotas(*, viewer, period: Period, by: str) -> dict[int, Decimal]:
    """The quotas of the period by row key. Quarter quotas of a month period are not split
    (and month quotas of a quarter are added up)."""
    codes = [period.code]
    if period.is_quarter:
        q = int(period.code[-1])
        codes += [f"{period.start.year}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]
    qs = policy_for(viewer).visible_quotas().filter(period__in=codes)
    out: dict[int, Decimal] = {}
    # a quarter quota wins over the sum of its months for the same row
    rows = list(qs.values("period", "user_id", "team_id", "product_line_id", "amount"))
    quarter_keys = set()
    for r in rows:
        key = _quota_key(r, by)
        if key is None:
            continue
        if r["period"] == period.code:
            if key not in quarter_keys:
                out[key] = Decimal(0)
                quarter_keys.add(key)
            out[key] += r["amount"]
    for r in rows:
        key = _quota_key(r, by)
        if key is None or key in quarter_keys or r["period"] == period.code:
            continue
        out[key] = out.get(key, Decimal(0)) + r["amount"]
    return out


def _quota_key(r: dict, by: str):
    if by == "owner":
        return r["user_id"] if r["user_id"] and not r["product_line_id"] else None
    if by == "team":
        return r["team_id"] if r["team_id"] and not r["product_line_id"] else None
    # by product line: the team quotas per line (the company's split of the target)
    return r["product_line_id"] if r["product_line_id"] and r["team_id"] else None


# -- the pipeline part ----------------------------------------------------------------

def _opportunity_key(by: str):
    if by == "owner":
        return F("owner_id")
    if by == "team":
        return Coalesce(F("team_id"), F("owner__team_id"))
    return F("product_line_id")


def _pipeline(*, viewer, period: Period, by: str, th: ForecastThresholds) -> dict[int, dict]:
    """Per row key: won, commit, best case, pipeline, count."""
    opps = policy_for(viewer).visible_opportunities()
    start, end = _day_bounds(period)
    out: dict[int, dict] = {}

    def row(key):
        return out.setdefault(key or NONE_KEY, {"won": 0.0, **{c: 0.0 for c in CATEGORIES}, "open": 0})

    if by == "line":
        lines = OpportunityLine.objects.filter(opportunity__in=opps)
        won = (lines.filter(opportunity__won_at__gte=start, opportunity__won_at__lt=end)
               .values("product_line_id").annotate(total=Sum("amount")))
        for r in won:
            row(r["product_line_id"])["won"] += float(r["total"] or 0)
        open_rows = list(lines.filter(opportunity__stage__outcome=StageOutcome.OPEN,
                                      opportunity__expected_close__gte=period.start,
                                      opportunity__expected_close__lte=period.end)
                         .values_list("product_line_id", "amount", "opportunity__probability"))
        # opportunities without lines: their whole amount under "no product line"
        bare = opps.filter(lines__isnull=True)
        bare_won = bare.filter(won_at__gte=start, won_at__lt=end).aggregate(t=Sum("amount"))["t"]
        if bare_won:
            row(NONE_KEY)["won"] += float(bare_won)
        open_rows += [(NONE_KEY, a, pr) for a, pr in bare.filter(
            stage__outcome=StageOutcome.OPEN, expected_close__gte=period.start,
            expected_close__lte=period.end).values_list("amount", "probability")]
    else:
        key = _opportunity_key(by)
        won = (opps.filter(won_at__gte=start, won_at__lt=end).annotate(k=key).values("k")
               .annotate(total=Sum("amount")))
        for r in won:
            row(r["k"])["won"] += float(r["total"] or 0)
        open_rows = list(opps.filter(stage__outcome=StageOutcome.OPEN, expected_close__gte=period.start,
                                     expected_close__lte=period.end).annotate(k=key)
                         .values_list("k", "amount", "probability"))
    _add_open(out, row, open_rows, th)
    return out


def _add_open(out, row, open_rows, th):
    if not open_rows:
        return
    keys = np.array([k or NONE_KEY for k, _a, _p in open_rows])
    amount = np.array([float(a) for _k, a, _p in open_rows])
    prob = np.array([p for _k, _a, p in open_rows], float)
    for k in np.unique(keys):
        m = keys == k
        t = pipeline_totals(amount[m], prob[m], th)
        r = row(int(k))
        for c in CATEGORIES:
            r[c] += t[c]
        r["open"] += t["count"]


# -- the repeat part ------------------------------------------------------------------

def repeat_run():
    """The value run the repeat part comes from: the latest finished one with scores and a
    fitted purchase model."""
    from kehu.insights.selectors import finished_runs

    for run in finished_runs()[:5]:
        model = (run.results or {}).get("model") or {}
        if model.get("params"):
            return run
    return None


def _run_params(run) -> tuple[str, list[float]]:
    model = run.results["model"]
    name = model.get("name") or run.model
    names = ("r", "alpha", "a", "b") if name == "bgnbd" else ("r", "alpha", "s", "beta")
    return name, [float(model["params"][n]) for n in names]


def _window(run, period: Period) -> tuple[float, float]:
    """The period as ``(start, end]`` in the run's time unit after its as-of date (the part
    after the as-of date only)."""
    mult = 7.0 if run.time_unit == "week" else 1.0
    a = max((period.start - run.as_of).days - 1, 0) / mult
    b = max((period.end - run.as_of).days, 0) / mult
    return a, b


def _repeat(*, viewer, period: Period, by: str, run) -> dict[int, dict]:
    """Per row key (owner or team; nothing by product line): expected purchases and revenue."""
    if run is None or by == "line":
        return {}
    start, end = _window(run, period)
    if end <= start:
        return {}
    name, params = _run_params(run)
    key = "customer__owner_id" if by == "owner" else "customer__team_id"
    # kept per (run, window, versions, scope): kehu/insights/figure_cache.py (the answer,
    # a row per owner or team, not the grouped scores: those are ~10^5 rows at a million)
    from kehu.insights.figure_cache import cached, scope_of

    return cached("forecast-repeat", (run.pk, scope_of(viewer), key, name, params, start, end),
                  lambda: _repeat_of(viewer, run, key, name, params, start, end))


def _repeat_of(viewer, run, key, name, params, start, end) -> dict[int, dict]:
    from kehu.insights.models import CustomerScore

    scores = policy_for(viewer).visible(CustomerScore.objects.filter(run=run), prefix="customer__")
    rows = list(scores.values_list(key, "frequency", "recency", "T")
                .annotate(spend=Sum(Coalesce("expected_spend", "monetary")), n=Count("id")).order_by())
    if not rows:
        return {}
    arr = np.array([(k or NONE_KEY, x, tx, T, float(s or 0), n) for k, x, tx, T, s, n in rows], float)
    out = {}
    for k in np.unique(arr[:, 0]):
        m = arr[:, 0] == k
        purchases, revenue = expected_repeat_revenue(name, params, start, end, arr[m, 1], arr[m, 2], arr[m, 3],
                                                     arr[m, 4], weight=arr[m, 5])
        out[int(k)] = {"repeat": revenue, "repeat_purchases": purchases}
    return out


# -- the forecast ------------------------------------------------------------------------

def _labels(by: str, keys) -> dict[int, str]:
    from django.utils.translation import gettext as _

    from kehu.org.models import Team, User
    from kehu.sales.models import ProductLine

    ids = [k for k in keys if k]
    if by == "owner":
        names = {u.pk: (u.get_full_name() or u.username) for u in User.objects.filter(pk__in=ids)}
        none = _("No owner")
    elif by == "team":
        names = {t.pk: t.name for t in Team.objects.filter(pk__in=ids)}
        none = _("No team")
    else:
        names = {p.pk: p.name for p in ProductLine.objects.filter(pk__in=ids)}
        none = _("No product line")
    names[NONE_KEY] = none
    return names


def _merge_into_none(pipe: dict, rep: dict, key: int) -> None:
    for part in (pipe, rep):
        row = part.pop(key, None)
        if row is None:
            continue
        into = part.setdefault(NONE_KEY, {k: 0 for k in row})
        for k, v in row.items():
            into[k] = into.get(k, 0) + v


def forecast(*, viewer, period: Period, by: str = "owner", run="latest") -> dict:
    """The forecast of ``period`` per ``by`` ("owner", "team" or "line") over what the viewer
    may see: rows of won, commit, best case, pipeline, repeat, total, quota and attainment,
    and their totals. Quotas come in only for the people and teams the viewer may see."""
    if by not in BY:
        raise ValueError(by)
    th = thresholds()
    if run == "latest":
        run = repeat_run()
    pipe = _pipeline(viewer=viewer, period=period, by=by, th=th)
    rep = _repeat(viewer=viewer, period=period, by=by, run=run)
    quotas = _quotas(viewer=viewer, period=period, by=by)
    keys = set(pipe) | set(rep) | set(quotas)
    if by == "owner":
        # rows by name only for the people the viewer may see (a shared customer's opportunity
        # owned by someone else counts under "no owner")
        allowed = set(policy_for(viewer).forecast_people().filter(pk__in=[k for k in keys if k])
                      .values_list("pk", flat=True))
        for k in [k for k in keys if k and k not in allowed]:
            _merge_into_none(pipe, rep, k)
            quotas.pop(k, None)
        keys = {k for k in set(pipe) | set(rep) | set(quotas)}
    labels = _labels(by, keys)
    rows = []
    for k in keys:
        p = pipe.get(k, {})
        r = rep.get(k, {})
        row = {"key": k, "label": labels.get(k, str(k)), "won": p.get("won", 0.0),
               **{c: p.get(c, 0.0) for c in CATEGORIES}, "open": p.get("open", 0),
               "repeat": r.get("repeat", 0.0), "repeat_purchases": r.get("repeat_purchases", 0.0)}
        row["weighted"] = sum(row[c] for c in CATEGORIES)
        row["total"] = row["won"] + row["weighted"] + row["repeat"]
        q = quotas.get(k)
        row["quota"] = float(q) if q is not None else None
        row["attainment"] = attainment(row["total"], row["quota"])
        row["won_attainment"] = attainment(row["won"], row["quota"])
        rows.append(row)
    rows.sort(key=lambda r: (r["key"] == NONE_KEY, -r["total"], r["label"]))
    fields = ("won", *CATEGORIES, "weighted", "repeat", "repeat_purchases", "total", "open")
    totals = {f: sum(r[f] for r in rows) for f in fields}
    quota_rows = [r["quota"] for r in rows if r["quota"] is not None]
    totals["quota"] = sum(quota_rows) if quota_rows else None
    totals["attainment"] = attainment(totals["total"], totals["quota"])
    return {
        "period": period, "by": by, "thresholds": th, "rows": rows, "totals": totals,
        "run": None if run is None else {"id": run.pk, "as_of": run.as_of, "model": _run_params(run)[0],
                                         "time_unit": run.time_unit},
        "repeat_available": run is not None and by != "line",
    }


# -- the backtest --------------------------------------------------------------------------

def _stage_probability_at(opp_ids, when) -> dict[int, int]:
    """The default probability of the stage each opportunity was at on ``when`` (StageChange
    history: the last change before it, else the stage it left first after it)."""
    before = {}
    for oid, prob in (StageChange.objects.filter(opportunity_id__in=opp_ids, at__lt=when)
                      .order_by("opportunity_id", "at", "id").values_list("opportunity_id", "to_stage__probability")):
        before[oid] = prob
    after = {}
    for oid, prob in (StageChange.objects.filter(opportunity_id__in=opp_ids, at__gte=when, from_stage__isnull=False)
                      .order_by("opportunity_id", "-at", "-id").values_list("opportunity_id",
                                                                             "from_stage__probability")):
        after[oid] = prob      # ordered newest first: the earliest change wins
    return {oid: before.get(oid, after.get(oid)) for oid in opp_ids}


def _pipeline_as_of(*, viewer, period: Period, th: ForecastThresholds) -> float:
    """The weighted pipeline as it would have been forecast on the period's first day:
    opportunities created before it and not yet won or lost, expected to close in the period,
    weighted by the default probability of the stage they were at then."""
    start, _end = _day_bounds(period)
    opps = (policy_for(viewer).visible_opportunities()
            .filter(created_at__lt=start, expected_close__gte=period.start, expected_close__lte=period.end)
            .filter(Q(won_at__isnull=True) | Q(won_at__gte=start))
            .filter(Q(lost_at__isnull=True) | Q(lost_at__gte=start)))
    rows = list(opps.values_list("id", "amount", "probability"))
    if not rows:
        return 0.0
    at = _stage_probability_at([r[0] for r in rows], start)
    amount = [float(a) for _i, a, _p in rows]
    prob = [at.get(i) if at.get(i) is not None else p for i, _a, p in rows]
    return pipeline_totals(amount, prob, th)["weighted"]


def _won_in(*, viewer, period: Period) -> float:
    start, end = _day_bounds(period)
    v = (policy_for(viewer).visible_opportunities().filter(won_at__gte=start, won_at__lt=end)
         .aggregate(t=Sum("amount"))["t"])
    return float(v or 0)


def _repeat_backtest(*, viewer, period: Period) -> dict | None:
    """The repeat part fitted on the orders before the period (BG/NBD in weeks and
    Gamma-Gamma, on the company's per-customer summary as of the day before) and the orders
    those customers placed in the period. Company-wide fit; the figures summed over the
    customers the viewer may see."""
    from kehu.analytics.bgnbd import BGNBD
    from kehu.analytics.gamma_gamma import GammaGamma
    from kehu.insights.pipeline import day_number
    from kehu.insights.summary_sql import SummaryWindow, run_summary

    as_of = period.start - dt.timedelta(days=1)
    s = run_summary(SummaryWindow(as_of=as_of, split=as_of, holdout_end=as_of))
    if len(s) < 10:
        return None
    x = (s.purchase_days - 1).astype(float)
    t_x = (s.last_day - s.first_day) / 7.0
    T = (day_number(as_of) - s.first_day) / 7.0
    fit = T > 0
    if fit.sum() < 10 or (x[fit] > 0).sum() < 3:
        return None
    try:
        bg = BGNBD().fit(x[fit], t_x[fit], T[fit])
    except (ValueError, FloatingPointError, np.linalg.LinAlgError):
        return None
    m = np.where(x > 0, (s.revenue - s.first_amount) / 100.0 / np.maximum(x, 1), 0.0)
    spend = m.copy()
    gg_mask = (x > 0) & (m > 0)
    if gg_mask.sum() >= 3:
        try:
            gg = GammaGamma().fit(x[gg_mask], m[gg_mask])
            spend = gg.conditional_expected_spend(x, m)
        except (ValueError, FloatingPointError, np.linalg.LinAlgError):
            pass
    visible = policy_for(viewer).visible()
    if not policy_for(viewer).view_scope.everything:
        mask = np.isin(s.customer_id, np.fromiter(visible.values_list("id", flat=True), np.int64))
    else:
        mask = np.ones(len(s), bool)
    mask &= fit
    purchases, predicted = expected_repeat_revenue("bgnbd", bg.param_array_, 0.0, period.days / 7.0,
                                                   x[mask], t_x[mask], T[mask], spend[mask])
    ids = s.customer_id[mask].tolist()
    actual = 0.0
    for i in range(0, len(ids), 5000):
        actual += float(Order.objects.filter(customer_id__in=ids[i:i + 5000], order_date__gte=period.start,
                                             order_date__lte=period.end)
                        .exclude(status=OrderStatus.CANCELLED).aggregate(t=Sum("amount"))["t"] or 0)
    return {"predicted": predicted, "purchases": purchases, "actual": actual, "customers": int(mask.sum())}


def backtest(*, viewer, periods: int = 4, quarter: bool = True, before: dt.date | None = None) -> dict:
    """The forecast as it would have been made at the start of each of the last ``periods``
    whole months or quarters before ``before`` (today), against what came: the pipeline
    part against the opportunities won in the period, the repeat part against the orders of
    the customers who had bought before it. Absolute and percentage errors by period, MAPE
    over them.

    Simplifications (said on the page and in docs/selling.md): an opportunity's amount and
    expected close date are today's (only its stage has a history); it is weighted by the
    default probability of the stage it was at then; the repeat part is refitted (BG/NBD,
    weeks, and Gamma-Gamma) on the orders before each period, whatever model the value runs
    use."""
    th = thresholds()
    current = period_containing(before or today(), quarter=quarter)
    ps = []
    p = current
    for _ in range(max(1, min(int(periods), 12))):
        p = p.previous()
        ps.append(p)
    ps.reverse()
    rows = []
    for p in ps:
        pipe = _pipeline_as_of(viewer=viewer, period=p, th=th)
        won = _won_in(viewer=viewer, period=p)
        rep = _repeat_backtest(viewer=viewer, period=p)
        rows.append({
            "period": p.code, "pipeline_forecast": pipe, "won": won, "pipeline_error": pipe - won,
            "pipeline_ape": absolute_percentage_error(pipe, won),
            "repeat_forecast": rep["predicted"] if rep else None, "repeat_actual": rep["actual"] if rep else None,
            "repeat_error": (rep["predicted"] - rep["actual"]) if rep else None,
            "repeat_ape": absolute_percentage_error(rep["predicted"], rep["actual"]) if rep else None,
        })
    return {
        "rows": rows, "thresholds": th,
        "pipeline_mape": mean_absolute_percentage_error([r["pipeline_forecast"] for r in rows],
                                                        [r["won"] for r in rows]),
        "repeat_mape": mean_absolute_percentage_error(
            [r["repeat_forecast"] for r in rows if r["repeat_forecast"] is not None],
            [r["repeat_actual"] for r in rows if r["repeat_forecast"] is not None]),
    }
