"""Scores in plain language, in the user's language.

The 360 page, the churn list, the call list and the API say in words what
a customer's figures mean: "Bought 12 times. The last order was 40 days ago.
Usually orders every 30 days. The next order was expected 10 days ago. 68%
likely still active. Expected to buy about 3.2 more times in the next 12
months, worth ¥12,400." Amounts, percentages and dates are formatted for
the active language.
"""

from __future__ import annotations

import datetime as dt

from django.utils import formats
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from kehu.insights.models import AnalysisRun, CustomerScore
from kehu.insights.selectors import churn_threshold, horizon_months
from kehu.web.templatetags.kehu_web import money, number, percent


def _date(day: dt.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _join(phrases: list[str]) -> str:
    """Phrases of one sentence, with the list separator of the language."""
    return ("；" if (get_language() or "").startswith("zh") else "; ").join(phrases)


def _pct(fraction) -> str:
    return percent(float(fraction) * 100, 0)


def _days(value) -> int:
    return int(round(float(value)))


def churn_reason(reason: dict, score: CustomerScore) -> str:
    """One reason of a churn warning (``{"signal": ..., "value": ...}``) as a phrase."""
    signal = reason.get("signal", "")
    value = reason.get("value")
    if signal == "p_alive":
        p = score.p_alive if score.p_alive is not None else value
        if p is not None:
            return _("only %(percent)s likely still active") % {"percent": _pct(p)}
        return _("unlikely to still be active")
    if signal == "overdue":
        if score.recency_days is not None and score.rhythm_days:
            days = score.recency_days
            return ngettext(
                "no order for %(days)s day, against a usual gap of %(rhythm)s days",
                "no order for %(days)s days, against a usual gap of %(rhythm)s days", days,
            ) % {"days": number(days), "rhythm": number(_days(score.rhythm_days))}
        if value is not None:
            return _("the gap since the last order is %(ratio)s times the usual one") % {"ratio": number(value, 1)}
        return _("the next order is overdue")
    if signal == "drop":
        if value is not None:
            return _("purchases fell %(percent)s against the previous period") % {"percent": _pct(value)}
        return _("purchases fell against the previous period")
    if signal == "satisfaction":
        if value is not None:
            return _("low satisfaction (%(score)s of 100)") % {"score": number(value)}
        return _("low satisfaction")
    if signal == "complaints":
        # the service desk's weighted count (kehu/service/providers.py): a new complaint of
        # the usual severity weighs 1, an old or severe one more
        if value:
            return _("open complaints weighing %(weight)s (by severity and age)") % {"weight": number(value, 1)}
        return _("open complaints")
    return signal.replace("_", " ")


def churn_reasons(score: CustomerScore, *, limit: int = 3) -> list[str]:
    reasons = [r for r in (score.churn_reasons or []) if isinstance(r, dict)]
    reasons.sort(key=lambda r: -(r.get("contribution") or 0))
    return [churn_reason(r, score) for r in reasons[:limit]]


def next_order_phrase(score: CustomerScore, today: dt.date) -> str:
    """When the next order is expected, relative to ``today``."""
    if score.next_order_date is None:
        return ""
    delta = (score.next_order_date - today).days
    date = _date(score.next_order_date)
    if delta == 0:
        return _("The next order is expected today.")
    if delta > 0:
        return ngettext("The next order is expected in %(days)s day (%(date)s).",
                        "The next order is expected in %(days)s days (%(date)s).", delta) % {
            "days": number(delta), "date": date}
    return ngettext("The next order was expected %(days)s day ago (%(date)s).",
                    "The next order was expected %(days)s days ago (%(date)s).", -delta) % {
        "days": number(-delta), "date": date}


def explain_score(score: CustomerScore, run: AnalysisRun, today: dt.date) -> list[str]:
    """The customer's figures as sentences, most telling first."""
    out = []
    bought = score.purchase_days or score.orders
    if bought:
        out.append(ngettext("Bought %(count)s time.", "Bought %(count)s times.", bought) % {"count": number(bought)})
    else:
        out.append(_("No purchase up to %(date)s.") % {"date": _date(run.as_of)})
    if score.last_order:
        days = (today - score.last_order).days
        if days <= 0:
            out.append(_("The last order was today."))
        else:
            out.append(ngettext("The last order was %(days)s day ago, on %(date)s.",
                                "The last order was %(days)s days ago, on %(date)s.", days) % {
                "days": number(days), "date": _date(score.last_order)})
    if score.rhythm_days:
        rhythm = max(_days(score.rhythm_days), 1)
        out.append(ngettext("Usually orders every %(days)s day.", "Usually orders every %(days)s days.", rhythm)
                   % {"days": number(rhythm)})
        phrase = next_order_phrase(score, today)
        if phrase:
            out.append(phrase)
    if score.p_alive is not None:
        out.append(_("%(percent)s likely still active.") % {"percent": _pct(score.p_alive)})
    if score.expected_purchases is not None:
        months = horizon_months(run)
        values = {"count": number(score.expected_purchases, 1), "months": number(months)}
        if score.clv is not None:
            values["amount"] = money(score.clv)
            out.append(ngettext(
                "Expected to buy about %(count)s more times in the next %(months)s month, worth %(amount)s.",
                "Expected to buy about %(count)s more times in the next %(months)s months, worth %(amount)s.",
                months) % values)
        else:
            out.append(ngettext(
                "Expected to buy about %(count)s more times in the next %(months)s month.",
                "Expected to buy about %(count)s more times in the next %(months)s months.", months) % values)
    if score.churn_risk is not None:
        if score.churn_risk >= churn_threshold(run):
            reasons = churn_reasons(score)
            text = _("Churn warning: risk %(risk)s.") % {"risk": _pct(score.churn_risk)}
            if reasons:
                text = _("Churn warning: risk %(risk)s, because of %(reasons)s.") % {
                    "risk": _pct(score.churn_risk), "reasons": _join(reasons)}
            if score.revenue_at_risk:
                text += " " + _("Revenue at risk: %(amount)s.") % {"amount": money(score.revenue_at_risk)}
            out.append(text)
        else:
            out.append(_("No churn warning (risk %(risk)s).") % {"risk": _pct(score.churn_risk)})
    return out


def call_reason(score: CustomerScore, run: AnalysisRun, today: dt.date) -> str:
    """Why a salesperson should call this customer this week."""
    if score.churn_risk is not None and score.churn_risk >= churn_threshold(run):
        reasons = churn_reasons(score, limit=2)
        if reasons:
            return _("Churn warning (risk %(risk)s): %(reasons)s.") % {
                "risk": _pct(score.churn_risk), "reasons": _join(reasons)}
        return _("Churn warning (risk %(risk)s).") % {"risk": _pct(score.churn_risk)}
    return next_order_phrase(score, today)


MODEL_NAMES = {"bgnbd": "BG/NBD", "pareto_nbd": "Pareto/NBD", "gamma_gamma": "Gamma-Gamma"}


def _params(block) -> list[tuple[str, float]]:
    params = (block or {}).get("params") or {}
    return [(str(k), v) for k, v in params.items() if isinstance(v, (int, float))]


def run_results(run: AnalysisRun) -> dict | None:
    """A run's company-wide results, arranged for its page (None before it finishes)."""
    r = run.results or {}
    if not r:
        return None
    model = r.get("model") or {}
    gg = r.get("gamma_gamma") or {}
    churn = r.get("churn") or {}
    backtest = churn.get("backtest") if isinstance(churn.get("backtest"), dict) else None
    holdout = r.get("holdout") if isinstance(r.get("holdout"), dict) else None
    pareto = r.get("pareto") if isinstance(r.get("pareto"), dict) else None
    return {
        "model_name": MODEL_NAMES.get(model.get("name") or run.model, model.get("name") or run.model),
        "params": _params(model), "log_likelihood": model.get("log_likelihood"),
        "converged": model.get("converged"), "fitted_on": model.get("fitted_on"),
        "model_customers": model.get("customers"),
        "gg_params": _params(gg), "gg_log_likelihood": gg.get("log_likelihood"),
        "gg_customers": gg.get("customers"),
        "counts": r.get("counts") or {}, "totals": r.get("totals") or {},
        "clv": r.get("clv") or {}, "churn": churn, "backtest": backtest, "holdout": holdout, "pareto": pareto,
        "warnings": [_(w) for w in r.get("warnings") or [] if isinstance(w, str)],
        "timings": [(k, v) for k, v in (r.get("timings") or {}).items() if isinstance(v, (int, float))],
    }
