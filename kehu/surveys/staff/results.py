"""Reads of employee-survey results: by team and role, and staff beside customers.

Anonymity
---------
* Responses of employee waves are counted, never listed: nothing here (or
  anywhere, see ``selectors_distribution.response_list``) returns a single
  response or links one to its invitation.
* Every group — the company's total, each team (its whole subtree), the
  people in no team, each role — needs :func:`min_group` respondents
  (``KEHU_EMPLOYEE_MIN_GROUP``, default 5, never below 3) to be shown.
* Secondary suppression (:func:`kehu.analytics.anonymity.suppress`) over the
  relations "total = root teams + no team", "team = its subteams + its own
  members" and "total = the roles", so no hidden group can be worked out by
  subtracting shown ones. Suppression is decided once for the whole company
  and only then cut to what the viewer may read (a sales manager: the team
  rows of their subtree), so every viewer sees the same figure or none.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.analytics.anonymity import MIN_THRESHOLD, check_threshold, suppress
from kehu.analytics.correlation import pearson
from kehu.org.models import Role, Team
from kehu.org.policies import policy_for
from kehu.surveys.models import Response, ResponseStatus, SurveyKind, Wave

TOTAL = "total"
NO_TEAM = "team:none"


def min_group() -> int:
    """The anonymity threshold (``KEHU_EMPLOYEE_MIN_GROUP``): a whole number, at least 3."""
    value = getattr(settings, "EMPLOYEE_MIN_GROUP", 5)
    try:
        return check_threshold(value)
    except ValueError:
        raise ImproperlyConfigured(
            _("KEHU_EMPLOYEE_MIN_GROUP must be a whole number of at least %(min)d (it is %(value)s): "
              "smaller groups would let people's answers be recognised.") % {"min": MIN_THRESHOLD,
                                                                           "value": value}) from None


def check_min_group(app_configs=None, **kwargs) -> list:
    """`kehu check` (and every server start): the threshold is valid."""
    try:
        min_group()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="kehu.E101")]
    return []


def role_label(value: str) -> str:
    return str(Role(value).label) if value in Role.values else value


def _nps(values: list[int]) -> float | None:
    if not values:
        return None
    p = sum(1 for v in values if v >= 9)
    d = sum(1 for v in values if v <= 6)
    return round(100.0 * (p - d) / len(values), 1)


def _figures(rows: list[tuple[float | None, int | None]], satisfied_from: float) -> dict:
    idx = [i for i, _n in rows if i is not None]
    return {"n": len(rows),
            "index": round(sum(idx) / len(idx), 1) if idx else None,
            "satisfaction_rate": round(100.0 * sum(1 for i in idx if i >= satisfied_from) / len(idx), 1)
            if idx else None,
            "enps": _nps([n for _i, n in rows if n is not None])}


def _teams() -> list[Team]:
    return list(Team.objects.only("id", "name", "parent_id", "path").order_by("path"))


def _visible(viewer) -> tuple[bool, set[int] | None]:
    """``(may read at all, team ids or None for everything)`` from the one policy."""
    ids = policy_for(viewer).employee_result_team_ids
    if ids is None:
        return True, None
    return bool(ids), set(ids)


def is_employee_wave(wave: Wave) -> bool:
    return wave.survey.kind == SurveyKind.EMPLOYEE


def team_role_results(*, viewer, wave: Wave) -> dict:
    """The results of an employee wave by team and by role, small groups suppressed.

    ``{"threshold", "total", "teams": [row…], "roles": [row…], "sees_all", "hidden"}``; a row is
    ``{"key", "label", "depth", "team_id", "n", "index", "satisfaction_rate", "enps", "suppressed"}``
    and a suppressed row carries neither ``n`` nor figures."""
    threshold = min_group()
    allowed, team_ids = _visible(viewer)
    out = {"threshold": threshold, "total": None, "teams": [], "roles": [], "sees_all": team_ids is None,
           "allowed": allowed, "hidden": 0}
    if not allowed or not is_employee_wave(wave):
        return out
    satisfied_from = wave.survey.satisfied_from
    rows = list(Response.objects.filter(wave=wave, status=ResponseStatus.COMPLETE)
                .values_list("index", "nps", "invitation__team_id", "invitation__position"))
    teams = _teams()
    by_id = {t.pk: t for t in teams}
    children = defaultdict(list)
    for t in teams:
        children[t.parent_id].append(t.pk)
    direct = defaultdict(list)
    by_role = defaultdict(list)
    for index, nps, team_id, position in rows:
        direct[team_id if team_id in by_id else None].append((index, nps))
        by_role[position or ""].append((index, nps))
    subtree: dict[int, list] = {}

    def collect(tid: int) -> list:
        acc = list(direct.get(tid, []))
        for c in children.get(tid, []):
            acc += collect(c)
        subtree[tid] = acc
        return acc

    for root in children.get(None, []):
        collect(root)
    counts = {TOTAL: len(rows), NO_TEAM: len(direct.get(None, []))}
    relations = [(TOTAL, [f"team:{r}" for r in children.get(None, [])] + [NO_TEAM])]
    never = []
    for t in teams:
        key = f"team:{t.pk}"
        counts[key] = len(subtree.get(t.pk, []))
        own = f"own:{t.pk}"
        counts[own] = len(direct.get(t.pk, []))
        never.append(own)
        relations.append((key, [f"team:{c}" for c in children.get(t.pk, [])] + [own]))
    role_keys = [f"role:{r}" for r in by_role]
    for r, items in by_role.items():
        counts[f"role:{r}"] = len(items)
    relations.append((TOTAL, role_keys))
    hidden = suppress(counts, relations, threshold, never_shown=never)

    def row(key: str, label: str, items: list, **extra) -> dict:
        suppressed = key in hidden or not items
        # "empty": nobody answered (no figure to protect; such teams are no unit of the correlation)
        base = {"key": key, "label": label, "suppressed": suppressed, "empty": not items, **extra}
        if suppressed:
            return {**base, "n": None, "index": None, "satisfaction_rate": None, "enps": None}
        return {**base, **_figures(items, satisfied_from)}

    team_rows = []
    for t in teams:
        if team_ids is not None and t.pk not in team_ids:
            continue
        team_rows.append(row(f"team:{t.pk}", t.name, subtree.get(t.pk, []), team_id=t.pk, depth=t.depth))
    if team_ids is None and direct.get(None):
        team_rows.append(row(NO_TEAM, _("No team"), direct.get(None, []), team_id=None, depth=0))
    out["teams"] = team_rows
    if team_ids is None:
        out["total"] = row(TOTAL, _("All respondents"), [(i, n) for i, n, _t, _p in rows], team_id=None, depth=0)
        out["roles"] = [row(f"role:{r}", role_label(r) if r else _("No role given"), items, team_id=None, depth=0)
                        for r, items in sorted(by_role.items())]
    out["hidden"] = sum(1 for r in out["teams"] + out["roles"] if r["suppressed"] and r["key"] in counts
                        and counts[r["key"]] > 0)
    return out


# --------------------------------------------------------------------------
# Staff beside customers
# --------------------------------------------------------------------------

def wave_period(wave: Wave) -> tuple[dt.date, dt.date]:
    """The period the customer figures cover: the wave's dates; without them,
    from its first to its last answer; without answers, the year to today."""
    start, end = wave.opens_on, wave.closes_on
    if start is None or end is None:
        agg = Response.objects.filter(wave=wave, submitted_at__isnull=False).aggregate(
            first=Min("submitted_at"), last=Max("submitted_at"))
        today = timezone.localdate()
        start = start or (timezone.localdate(agg["first"]) if agg["first"] else today - dt.timedelta(days=365))
        end = end or (timezone.localdate(agg["last"]) if agg["last"] else today)
    return start, end


def _bounds(start: dt.date, end: dt.date):
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


def _customer_figures(start: dt.date, end: dt.date) -> dict[int | None, dict]:
    """Per team of the customers (their own team, not rolled up): customers,
    lost customers, customer-survey index sums and counts, NPS counts,
    complaints in the period, churn risk sums (latest value run)."""
    from kehu.customers.models import Customer, LifecycleStage
    from kehu.insights.selectors import latest_run
    from kehu.service.models import Case, CaseKind

    lo, hi = _bounds(start, end)
    figs: dict = defaultdict(lambda: defaultdict(float))
    live = Customer.objects.filter(merged_into__isnull=True)
    for team_id, n, lost in live.values("team_id").order_by().annotate(
            n=Count("id"), lost=Count("id", filter=Q(lifecycle_stage=LifecycleStage.LOST))).values_list("team_id", "n", "lost"):
        figs[team_id]["customers"] += n
        figs[team_id]["lost"] += lost
    answers = Response.objects.filter(wave__survey__kind=SurveyKind.CUSTOMER, status=ResponseStatus.COMPLETE,
                                      customer__isnull=False, submitted_at__gte=lo, submitted_at__lt=hi)
    for team_id, n_idx, s_idx, n_nps, prom, detr in answers.values("customer__team_id").order_by().annotate(
            n_idx=Count("index"), s_idx=Sum("index"), n_nps=Count("nps"),
            prom=Count("id", filter=Q(nps__gte=9)), detr=Count("id", filter=Q(nps__lte=6))).values_list(
            "customer__team_id", "n_idx", "s_idx", "n_nps", "prom", "detr"):
        f = figs[team_id]
        f["n_idx"] += n_idx
        f["s_idx"] += s_idx or 0
        f["n_nps"] += n_nps
        f["promoters"] += prom
        f["detractors"] += detr
    complaints = Case.objects.filter(kind=CaseKind.COMPLAINT, customer__isnull=False, created_at__gte=lo,
                                     created_at__lt=hi)
    for team_id, n in complaints.values("customer__team_id").order_by().annotate(n=Count("id")).values_list(
            "customer__team_id", "n"):
        figs[team_id]["complaints"] += n
    run = latest_run()
    if run is not None:
        scores = run.scores.filter(churn_risk__isnull=False, customer__merged_into__isnull=True)
        for team_id, n, s in scores.values("customer__team_id").order_by().annotate(
                n=Count("id"), s=Sum("churn_risk")).values_list("customer__team_id", "n", "s"):
            figs[team_id]["n_churn"] += n
            figs[team_id]["s_churn"] += s or 0
    return figs


def _roll(figs: dict, team: Team, teams: list[Team]) -> dict:
    acc: dict = defaultdict(float)
    for t in teams:
        if t.path.startswith(team.path):
            for k, v in figs.get(t.pk, {}).items():
                acc[k] += v
    customers = int(acc["customers"])
    return {
        "customers": customers,
        "customer_index": round(acc["s_idx"] / acc["n_idx"], 1) if acc["n_idx"] else None,
        "customer_answers": int(acc["n_idx"]),
        "nps": round(100.0 * (acc["promoters"] - acc["detractors"]) / acc["n_nps"], 1) if acc["n_nps"] else None,
        "complaints": int(acc["complaints"]),
        "complaint_rate": round(100.0 * acc["complaints"] / customers, 2) if customers else None,
        "churn_risk": round(100.0 * acc["s_churn"] / acc["n_churn"], 1) if acc["n_churn"] else None,
        "lost": int(acc["lost"]),
    }


#: The customer figures set against staff satisfaction, with their labels.
def measures() -> dict[str, str]:
    return {"customer_index": _("Customer satisfaction index"), "nps": _("NPS"),
            "complaint_rate": _("Complaints per 100 customers"), "churn_risk": _("Mean churn risk (%)")}


def staff_and_customers(*, viewer, wave: Wave) -> dict:
    """Each team's staff satisfaction (its employee respondents' mean index,
    suppressed as in :func:`team_role_results`) beside the satisfaction
    index and NPS of its customers' survey answers, its complaints per 100
    customers and the mean churn risk of its customers, over the wave's
    period; and Pearson's r across the teams without subteams whose staff
    figure is shown, with its 95 % Fisher-z interval."""
    base = team_role_results(viewer=viewer, wave=wave)
    start, end = wave_period(wave)
    out = {"threshold": base["threshold"], "allowed": base["allowed"], "period": [start, end], "rows": [],
           "correlations": {}, "left_out": 0, "units": 0}
    if not base["allowed"] or not is_employee_wave(wave):
        return out
    teams = _teams()
    parents = {t.parent_id for t in teams if t.parent_id}
    by_id = {t.pk: t for t in teams}
    figs = _customer_figures(start, end)
    rows = []
    for r in base["teams"]:
        if r["team_id"] is None:
            continue
        team = by_id[r["team_id"]]
        rows.append({**{k: r[k] for k in ("key", "label", "depth", "team_id", "n", "suppressed", "empty")},
                     "staff_index": r["index"], "staff_enps": r["enps"], "leaf": team.pk not in parents,
                     **_roll(figs, team, teams)})
    out["rows"] = rows
    units = [r for r in rows if r["leaf"] and not r["empty"]]
    used = [r for r in units if not r["suppressed"] and r["staff_index"] is not None]
    out["left_out"] = len(units) - len(used)
    out["units"] = len(used)
    for key in measures():
        c = pearson([r["staff_index"] for r in used], [_nan(r[key]) for r in used])
        out["correlations"][key] = {k: (None if v is None else (round(v, 4) if isinstance(v, float) else v))
                                    for k, v in c.as_dict().items()}
    return out


def _nan(v):
    return math.nan if v is None else float(v)
