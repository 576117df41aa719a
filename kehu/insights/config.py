"""The company's value settings (ValueSettings.config): defaults and validation.

Every analysis run copies the validated settings into ``AnalysisRun.parameters``
so that it can be explained and repeated. The settings are one JSON document
of sections; :func:`validate_config` fills what is missing from
:data:`DEFAULTS` and checks every value, collecting *all* problems as
translated messages keyed by the dotted path of the field
(``"tiers.rules.1.conditions.0.value"``), so a settings page can show each one
beside its field.

Sections (defaults in :data:`DEFAULTS`):

``time_unit`` ``"week"`` | ``"day"``
    Time unit of the purchase models. Weeks are days / 7 since the first
    purchase (Fader & Hardie's preparation of CDNOW, see
    ``kehu.analytics.summary``), not calendar weeks.
``model`` ``"bgnbd"`` | ``"pareto_nbd"``
    Purchase model for P(alive) and expected purchases; Gamma-Gamma always
    models the spend.
``rfm``
    ``basis`` ``"score"`` (quintile scores 1–5, the default) or ``"value"``
    (raw days / purchases / spend); ``thresholds`` ``null`` (the mean, 均值法)
    or ``{"r": .., "f": .., "m": ..}``; ``monetary`` ``"mean"`` (average spend
    per purchase day) or ``"total"``.
``abc``
    ``basis`` ``"revenue"`` | ``"margin"`` | ``"contribution"`` (margin minus
    ``cost_per_order`` for each order: the cost to serve); ``a`` and ``b``
    the cumulative shares that close classes A and B (0 < a <= b <= 1).
``tiers``
    ``levels``: for each tier (gold, silver, bronze, do_not_serve) its customer
    policy in both languages, the days between visits and its structured
    ``terms`` (payment days, credit limit, discount ceiling, training, staff
    support, authority, rewards: :func:`check_terms`, read by kehu/sales/terms.py); ``rules``: tried in
    order, the first whose conditions all hold gives the tier; ``default_tier``
    for customers no rule matches. A condition is ``{"metric", "op", "value"}``
    over :data:`METRICS`.
``scorecard``
    ``components``: each scores one metric out of ``points``, ``linear``
    (0 at ``low``, all points at ``high``) or ``banded`` (``bands``:
    ``[[lower bound, points], ...]``). The default is the seeds' card:
    payment collection out of 20 + margin out of 20.
``churn``
    ``weights`` of the signals (P(alive), overdue against the customer's own
    rhythm, period-over-period drop, satisfaction, open complaints),
    ``threshold`` (a warning at or above it), ``full_overdue`` (this many
    usual gaps without an order is full overdue risk), ``period_days`` (the
    period of the drop comparison and of the backtest), ``revenue_days``
    (revenue at risk = risk × revenue of the last ``revenue_days``).
``clv``
    ``horizon_months`` and ``annual_discount_rate`` of the predicted value.
``schedule``
    ``enabled`` and ``hour`` (0–23, the server's time zone) of the nightly run.
``retention``
    ``keep_scores_runs``: how many of the latest runs keep their per-customer
    scores; older runs keep their results only.
"""

from __future__ import annotations

import copy
import math
from numbers import Real

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kehu.insights.models import TimeUnit, TransactionModel, ValueTier

__all__ = [
    "DEFAULTS",
    "METRICS",
    "SCORECARD_METRICS",
    "OPERATORS",
    "SIGNALS",
    "default_config",
    "validate_config",
    "value_settings",
    "tier_policy",
    "metric_label",
]

LANGS = ("zh-hans", "en")
OPERATORS = (">=", ">", "<=", "<", "==", "!=")
SIGNALS = ("p_alive", "overdue", "drop", "satisfaction", "complaints")

# Per-customer metrics that tier rules and scorecard components may use.
METRICS = (
    "revenue", "margin", "contribution", "value_pct", "margin_rate", "collection_rate",
    "outstanding", "purchase_days", "recency_days", "clv", "p_alive", "churn_risk", "scorecard",
)
# The scorecard cannot score itself.
SCORECARD_METRICS = tuple(m for m in METRICS if m != "scorecard")


def metric_label(metric: str) -> str:
    """The metric's name for people, in the active language."""
    labels = {
        "revenue": _("revenue"),
        "margin": _("gross margin"),
        "contribution": _("contribution (margin minus cost to serve)"),
        "value_pct": _("value percentile (0–1)"),
        "margin_rate": _("margin rate (0–1)"),
        "collection_rate": _("payment collection rate (0–1)"),
        "outstanding": _("outstanding amount"),
        "purchase_days": _("purchase days"),
        "recency_days": _("days since last purchase"),
        "clv": _("predicted lifetime value"),
        "p_alive": _("probability still active"),
        "churn_risk": _("churn risk"),
        "scorecard": _("scorecard points"),
    }
    return labels.get(metric, metric)


DEFAULTS: dict = {
    "time_unit": TimeUnit.WEEK.value,
    "model": TransactionModel.BGNBD.value,
    "rfm": {"basis": "score", "thresholds": None, "monetary": "mean"},
    "abc": {"basis": "revenue", "a": 0.8, "b": 0.95, "cost_per_order": 0.0},
    "tiers": {
        "levels": {
            "gold": {
                "policy": {
                    "zh-hans": "重点客户：专人服务，延长账期，提供培训和优先服务，给予最优价格和奖励。",
                    "en": "Key account: dedicated staff, extended payment terms, training, priority service, "
                          "best prices and rewards.",
                },
                "terms": {
                    "payment_days": 60, "credit_limit": 5000000, "discount_ceiling": 8,
                    "training": "每年两次现场培训（材料选用、加工工艺） / Two on-site trainings a year (grades, processing)",
                    "staff_support": "专职客户经理，驻厂技术支持 / A dedicated account manager, resident technical support",
                    "authority": "客户经理可批准8%以内折扣和加急排产 / The account manager grants discounts up to 8% and rush production",
                    "rewards": "年度返利：超过目标部分返1.5% / Annual rebate: 1.5% on volume above target",
                },
                "visit_every_days": 30,
            },
            "silver": {
                "policy": {
                    "zh-hans": "定期拜访，标准账期，以批量奖励扩大合作。",
                    "en": "Regular visits, standard payment terms, volume rewards to grow the account.",
                },
                "terms": {
                    "payment_days": 45, "credit_limit": 1500000, "discount_ceiling": 5,
                    "training": "每年一次产品培训 / One product training a year",
                    "staff_support": "区域销售定期拜访 / Regular visits by the area salesperson",
                    "authority": "销售可批准5%以内折扣 / The salesperson grants discounts up to 5%",
                    "rewards": "批量折扣：单笔超过100吨 / Volume discount above 100 tonnes an order",
                },
                "visit_every_days": 60,
            },
            "bronze": {
                "policy": {
                    "zh-hans": "标准条款，通过电话、网站等低成本渠道服务。",
                    "en": "Standard terms; service through low-cost channels (phone, website).",
                },
                "terms": {
                    "payment_days": 30, "credit_limit": 300000, "discount_ceiling": 2,
                    "training": "", "staff_support": "电话和网站服务 / Phone and website service",
                    "authority": "折扣需经理批准 / Discounts need a manager's approval", "rewards": "",
                },
                "visit_every_days": 180,
            },
            "do_not_serve": {
                "policy": {
                    "zh-hans": "款到发货，不给折扣；提高价格或改售高毛利产品，否则放弃。",
                    "en": "Cash in advance, no discounts; raise prices or move to higher-margin products, "
                          "or let the customer go.",
                },
                "terms": {
                    "payment_days": 0, "credit_limit": 0, "discount_ceiling": 0,
                    "training": "", "staff_support": "", "authority": "款到发货，不予赊销 / Cash in advance, no credit",
                    "rewards": "",
                },
                "visit_every_days": None,
            },
        },
        "rules": [
            {"tier": "do_not_serve", "conditions": [{"metric": "margin", "op": "<", "value": 0}]},
            {"tier": "gold", "conditions": [{"metric": "value_pct", "op": ">=", "value": 0.8}]},
            {"tier": "silver", "conditions": [{"metric": "value_pct", "op": ">=", "value": 0.5}]},
        ],
        "default_tier": "bronze",
    },
    "scorecard": {
        "components": [
            {
                "name": "payment_collection",
                "label": {"zh-hans": "回款", "en": "Payment collection"},
                "metric": "collection_rate", "points": 20, "kind": "banded",
                "bands": [[0.5, 8], [0.7, 12], [0.85, 16], [0.95, 20]],
            },
            {
                "name": "margin",
                "label": {"zh-hans": "毛利", "en": "Gross margin"},
                "metric": "margin_rate", "points": 20, "kind": "linear", "low": 0.0, "high": 0.3,
            },
        ],
    },
    "churn": {
        "weights": {"p_alive": 0.4, "overdue": 0.25, "drop": 0.2, "satisfaction": 0.1, "complaints": 0.05},
        "threshold": 0.5,
        "full_overdue": 3.0,
        "period_days": 90,
        "revenue_days": 365,
    },
    "clv": {"horizon_months": 12, "annual_discount_rate": 0.1},
    "schedule": {"enabled": True, "hour": 2},
    "retention": {"keep_scores_runs": 5},
}


def default_config() -> dict:
    """A fresh copy of the defaults."""
    return copy.deepcopy(DEFAULTS)


class _Checker:
    """Collects translated messages per dotted field path."""

    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def section(self, config: dict, name: str) -> dict | None:
        """The section ``name``, or None (one error, no more) when it is not a group."""
        value = config.get(name)
        if not isinstance(value, dict):
            self.add(name, _("Expected a group of settings."))
            return None
        return value

    def unknown(self, value: dict, allowed, path: str) -> None:
        for key in value:
            if key not in allowed:
                self.add(f"{path}{key}", _("Unknown setting."))

    def number(self, value, path: str, *, low=None, high=None, low_open=False, integer=False,
               allow_none=False):
        if value is None and allow_none:
            return None
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
            self.add(path, _("Enter a whole number.") if integer else _("Enter a number."))
            return None
        if integer and float(value) != int(value):
            self.add(path, _("Enter a whole number."))
            return None
        v = int(value) if integer else float(value)
        if low is not None and (v <= low if low_open else v < low):
            if low_open:
                self.add(path, _("Must be greater than %(low)s.") % {"low": low})
            else:
                self.add(path, _("Must be at least %(low)s.") % {"low": low})
            return None
        if high is not None and v > high:
            self.add(path, _("Must be at most %(high)s.") % {"high": high})
            return None
        return v

    def choice(self, value, choices, path: str):
        if value not in choices:
            self.add(path, _("Choose one of: %(choices)s.") % {"choices": ", ".join(map(str, choices))})
            return None
        return value

    def texts(self, value, path: str, *, required: bool, max_length: int = 2000) -> dict:
        if not isinstance(value, dict):
            self.add(path, _("Expected a text in each language (zh-hans, en)."))
            return {}
        self.unknown(value, LANGS, path + ".")
        out = {}
        for lang in LANGS:
            text = value.get(lang, "")
            if not isinstance(text, str):
                self.add(f"{path}.{lang}", _("Expected a text."))
                continue
            text = text.strip()
            if required and not text:
                self.add(f"{path}.{lang}", _("This text is required."))
            elif len(text) > max_length:
                self.add(f"{path}.{lang}", _("At most %(count)s characters.") % {"count": max_length})
            out[lang] = text
        return out


def _merged(config: dict | None) -> dict:
    """The defaults with the given top-level sections replacing theirs."""
    out = default_config()
    for key, value in (config or {}).items():
        out[key] = copy.deepcopy(value)
    return out


def _check_conditions(c: _Checker, conditions, path: str, metrics) -> list:
    if not isinstance(conditions, list):
        c.add(path, _("Expected a list of conditions."))
        return []
    out = []
    for j, cond in enumerate(conditions):
        p = f"{path}.{j}"
        if not isinstance(cond, dict):
            c.add(p, _("Expected a condition (metric, operator, value)."))
            continue
        c.unknown(cond, ("metric", "op", "value"), p + ".")
        metric = c.choice(cond.get("metric"), metrics, p + ".metric")
        op = c.choice(cond.get("op"), OPERATORS, p + ".op")
        value = c.number(cond.get("value"), p + ".value")
        out.append({"metric": metric, "op": op, "value": value})
    return out


TERM_NUMBERS = ("payment_days", "credit_limit", "discount_ceiling")
TERM_TEXTS = ("training", "staff_support", "authority", "rewards")
TERM_TEXT_MAX = 500


def check_terms(c: _Checker, terms, path: str) -> dict:
    """A tier's (or a key-account plan's) structured terms: ``payment_days`` (0–3650, 0 is
    cash in advance), ``credit_limit`` (≥ 0), ``discount_ceiling`` (percent, 0–100) — each
    may be empty (None: not set) — and the texts ``training``, ``staff_support``,
    ``authority``, ``rewards`` (at most 500 characters each)."""
    if not isinstance(terms, dict):
        c.add(path, _("Expected a group of settings."))
        terms = {}
    c.unknown(terms, TERM_NUMBERS + TERM_TEXTS, path + ".")
    out = {
        "payment_days": c.number(terms.get("payment_days"), path + ".payment_days", low=0, high=3650,
                                 integer=True, allow_none=True),
        "credit_limit": c.number(terms.get("credit_limit"), path + ".credit_limit", low=0, high=1e13,
                                 allow_none=True),
        "discount_ceiling": c.number(terms.get("discount_ceiling"), path + ".discount_ceiling", low=0, high=100,
                                     allow_none=True),
    }
    for key in TERM_TEXTS:
        text = terms.get(key) or ""
        if not isinstance(text, str):
            c.add(f"{path}.{key}", _("Expected a text."))
            text = ""
        text = text.strip()
        if len(text) > TERM_TEXT_MAX:
            c.add(f"{path}.{key}", _("At most %(count)s characters.") % {"count": TERM_TEXT_MAX})
        out[key] = text
    return out


def _check_tiers(c: _Checker, tiers: dict) -> dict:
    c.unknown(tiers, ("levels", "rules", "default_tier"), "tiers.")
    tier_names = tuple(ValueTier.values)
    levels_in = tiers.get("levels")
    levels = {}
    if not isinstance(levels_in, dict):
        c.add("tiers.levels", _("Expected a group of settings."))
        levels_in = {}
    c.unknown(levels_in, tier_names, "tiers.levels.")
    for tier in tier_names:
        p = f"tiers.levels.{tier}"
        level = levels_in.get(tier)
        if not isinstance(level, dict):
            c.add(p, _("Every tier needs its policy."))
            continue
        c.unknown(level, ("policy", "visit_every_days", "terms"), p + ".")
        levels[tier] = {
            "policy": c.texts(level.get("policy"), p + ".policy", required=True),
            "visit_every_days": c.number(level.get("visit_every_days"), p + ".visit_every_days",
                                         low=1, high=3660, integer=True, allow_none=True),
            "terms": check_terms(c, level.get("terms") or {}, p + ".terms"),
        }
    rules_in = tiers.get("rules")
    rules = []
    if not isinstance(rules_in, list):
        c.add("tiers.rules", _("Expected a list of rules."))
        rules_in = []
    if len(rules_in) > 50:
        c.add("tiers.rules", _("At most %(count)s rules.") % {"count": 50})
    for i, rule in enumerate(rules_in[:50]):
        p = f"tiers.rules.{i}"
        if not isinstance(rule, dict):
            c.add(p, _("Expected a rule (tier and conditions)."))
            continue
        c.unknown(rule, ("tier", "conditions"), p + ".")
        tier = c.choice(rule.get("tier"), tier_names, p + ".tier")
        conditions = _check_conditions(c, rule.get("conditions", []), p + ".conditions", METRICS)
        rules.append({"tier": tier, "conditions": conditions})
    default_tier = c.choice(tiers.get("default_tier"), tier_names, "tiers.default_tier")
    return {"levels": levels, "rules": rules, "default_tier": default_tier}


def _check_scorecard(c: _Checker, card: dict) -> dict:
    c.unknown(card, ("components",), "scorecard.")
    comps_in = card.get("components")
    if not isinstance(comps_in, list):
        c.add("scorecard.components", _("Expected a list of components."))
        comps_in = []
    if len(comps_in) > 20:
        c.add("scorecard.components", _("At most %(count)s components.") % {"count": 20})
    comps, names = [], set()
    for i, comp in enumerate(comps_in[:20]):
        p = f"scorecard.components.{i}"
        if not isinstance(comp, dict):
            c.add(p, _("Expected a component."))
            continue
        c.unknown(comp, ("name", "label", "metric", "points", "kind", "low", "high", "bands"), p + ".")
        name = comp.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 40:
            c.add(p + ".name", _("Enter a short name (at most 40 characters)."))
        elif name in names:
            c.add(p + ".name", _("Another component has this name."))
        else:
            names.add(name)
        out = {
            "name": name,
            "label": c.texts(comp.get("label", {}), p + ".label", required=True, max_length=100),
            "metric": c.choice(comp.get("metric"), SCORECARD_METRICS, p + ".metric"),
            "points": c.number(comp.get("points"), p + ".points", low=0, low_open=True, high=1000),
            "kind": c.choice(comp.get("kind", "linear"), ("linear", "banded"), p + ".kind"),
        }
        if out["kind"] == "linear":
            low = c.number(comp.get("low", 0.0), p + ".low")
            high = c.number(comp.get("high", 1.0), p + ".high")
            if low is not None and high is not None and low == high:
                c.add(p + ".high", _("Low and high must differ."))
            out.update(low=low, high=high)
        elif out["kind"] == "banded":
            bands_in = comp.get("bands")
            bands = []
            if not isinstance(bands_in, list) or not bands_in:
                c.add(p + ".bands", _("Enter at least one band (lower bound, points)."))
                bands_in = []
            for j, band in enumerate(bands_in):
                bp = f"{p}.bands.{j}"
                if not isinstance(band, (list, tuple)) or len(band) != 2:
                    c.add(bp, _("Expected a lower bound and its points."))
                    continue
                bound = c.number(band[0], bp + ".0")
                pts = c.number(band[1], bp + ".1", low=0)
                if pts is not None and out["points"] is not None and pts > out["points"]:
                    c.add(bp + ".1", _("Must be at most %(high)s.") % {"high": out["points"]})
                bands.append([bound, pts])
            out["bands"] = bands
        comps.append(out)
    return {"components": comps}


def validate_config(config: dict | None) -> dict:
    """The complete, checked settings, or ``ValidationError`` with every problem.

    Top-level sections missing from ``config`` take their defaults; a section
    that is present replaces the default section as a whole (lists such as
    the tier rules are never merged item by item). Errors are a dict of
    dotted field path → translated messages.
    """
    if config is not None and not isinstance(config, dict):
        raise ValidationError({"config": [_("Expected a group of settings.")]})
    cfg = _merged(config)
    c = _Checker()
    c.unknown(cfg, DEFAULTS.keys(), "")
    out: dict = {}
    out["time_unit"] = c.choice(cfg.get("time_unit"), tuple(TimeUnit.values), "time_unit")
    out["model"] = c.choice(cfg.get("model"), tuple(TransactionModel.values), "model")

    rfm = c.section(cfg, "rfm") or DEFAULTS["rfm"]
    c.unknown(rfm, ("basis", "thresholds", "monetary"), "rfm.")
    thresholds = rfm.get("thresholds")
    if thresholds is not None:
        if not isinstance(thresholds, dict):
            c.add("rfm.thresholds", _("Expected thresholds for r, f and m, or nothing for the mean."))
            thresholds = None
        else:
            c.unknown(thresholds, ("r", "f", "m"), "rfm.thresholds.")
            thresholds = {k: c.number(thresholds.get(k), f"rfm.thresholds.{k}", low=0) for k in ("r", "f", "m")}
    out["rfm"] = {
        "basis": c.choice(rfm.get("basis"), ("score", "value"), "rfm.basis"),
        "thresholds": thresholds,
        "monetary": c.choice(rfm.get("monetary"), ("mean", "total"), "rfm.monetary"),
    }

    abc = c.section(cfg, "abc") or DEFAULTS["abc"]
    c.unknown(abc, ("basis", "a", "b", "cost_per_order"), "abc.")
    a = c.number(abc.get("a"), "abc.a", low=0, low_open=True, high=1)
    b = c.number(abc.get("b"), "abc.b", low=0, low_open=True, high=1)
    if a is not None and b is not None and a > b:
        c.add("abc.b", _("Class B must close at or after class A (b ≥ a)."))
    out["abc"] = {
        "basis": c.choice(abc.get("basis"), ("revenue", "margin", "contribution"), "abc.basis"),
        "a": a, "b": b,
        "cost_per_order": c.number(abc.get("cost_per_order"), "abc.cost_per_order", low=0),
    }

    out["tiers"] = _check_tiers(c, c.section(cfg, "tiers") or DEFAULTS["tiers"])
    out["scorecard"] = _check_scorecard(c, c.section(cfg, "scorecard") or DEFAULTS["scorecard"])

    # A section that is not a group was reported once; the defaults stand in
    # for it so that its fields do not add more messages.
    churn = c.section(cfg, "churn") or DEFAULTS["churn"]
    c.unknown(churn, ("weights", "threshold", "full_overdue", "period_days", "revenue_days"), "churn.")
    weights_in = churn.get("weights")
    weights = {}
    if not isinstance(weights_in, dict):
        c.add("churn.weights", _("Expected a weight for each signal."))
        weights_in = {}
    c.unknown(weights_in, SIGNALS, "churn.weights.")
    for k in SIGNALS:
        weights[k] = c.number(weights_in.get(k, 0.0), f"churn.weights.{k}", low=0)
    if all(w is not None for w in weights.values()) and sum(weights.values()) <= 0:
        c.add("churn.weights", _("At least one weight must be above 0."))
    out["churn"] = {
        "weights": weights,
        "threshold": c.number(churn.get("threshold"), "churn.threshold", low=0, low_open=True, high=1),
        "full_overdue": c.number(churn.get("full_overdue"), "churn.full_overdue", low=1, low_open=True, high=100),
        "period_days": c.number(churn.get("period_days"), "churn.period_days", low=7, high=730, integer=True),
        "revenue_days": c.number(churn.get("revenue_days"), "churn.revenue_days", low=7, high=3660, integer=True),
    }

    clv = c.section(cfg, "clv") or DEFAULTS["clv"]
    c.unknown(clv, ("horizon_months", "annual_discount_rate"), "clv.")
    out["clv"] = {
        "horizon_months": c.number(clv.get("horizon_months"), "clv.horizon_months", low=1, high=120, integer=True),
        "annual_discount_rate": c.number(clv.get("annual_discount_rate"), "clv.annual_discount_rate",
                                         low=0, high=1),
    }

    schedule = c.section(cfg, "schedule") or DEFAULTS["schedule"]
    c.unknown(schedule, ("enabled", "hour"), "schedule.")
    enabled = schedule.get("enabled")
    if not isinstance(enabled, bool):
        c.add("schedule.enabled", _("Expected yes or no."))
    out["schedule"] = {"enabled": enabled,
                       "hour": c.number(schedule.get("hour"), "schedule.hour", low=0, high=23, integer=True)}

    retention = c.section(cfg, "retention") or DEFAULTS["retention"]
    c.unknown(retention, ("keep_scores_runs",), "retention.")
    out["retention"] = {"keep_scores_runs": c.number(retention.get("keep_scores_runs"),
                                                     "retention.keep_scores_runs", low=1, high=1000, integer=True)}
    if c.errors:
        raise ValidationError(c.errors)
    return out


def value_settings() -> dict:
    """The company's validated settings (the defaults when none were saved).

    Settings saved by an older version that no longer validate fall back to
    the defaults section by section, so a run never starts on bad settings.
    """
    from kehu.insights.models import ValueSettings

    row = ValueSettings.objects.order_by("id").first()
    stored = row.config if row is not None else {}
    try:
        return validate_config(stored)
    except ValidationError as exc:
        bad = {path.split(".")[0] for path in exc.message_dict}
        return validate_config({k: v for k, v in (stored or {}).items() if k not in bad})


def tier_policy(config: dict, tier: str, language: str | None = None) -> str:
    """The customer policy of ``tier`` in ``language`` (default: the active one)."""
    from django.utils import translation

    lang = language or translation.get_language() or "zh-hans"
    texts = config["tiers"]["levels"].get(tier, {}).get("policy", {})
    if lang.lower().startswith("zh"):
        return texts.get("zh-hans") or texts.get("en", "")
    return texts.get("en") or texts.get("zh-hans", "")
