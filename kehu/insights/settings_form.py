"""The value settings page's editor: the settings document as form fields.

Inputs are named by the dotted path of the setting they hold
(``tiers.rules.1.conditions.0.value``), the same paths under which
:func:`kehu.insights.config.validate_config` reports problems, so each
message is shown beside its input. Rows of rules, conditions and scorecard
components left empty (or ticked for removal) are dropped; a few empty rows
are offered to add new ones. Saving goes through the engine's
``value_settings_update`` service (administrators only, audited).
"""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kehu.insights.config import LANGS, METRICS, TERM_TEXTS, OPERATORS, SCORECARD_METRICS, SIGNALS, metric_label, value_settings
from kehu.insights.models import TimeUnit, TransactionModel, ValueTier

EXTRA_RULES = 2
EXTRA_CONDITIONS = 1
MIN_CONDITIONS = 2
EXTRA_COMPONENTS = 1
INTEGER_PATHS = {"churn.period_days", "churn.revenue_days", "clv.horizon_months", "schedule.hour",
                 "retention.keep_scores_runs"}


def _number(raw: str, *, integer: bool = False):
    """A number from the form, or the text itself (the validator then says what is wrong)."""
    raw = (raw or "").strip().replace(",", "")
    if raw == "":
        return None
    try:
        d = Decimal(raw)
    except InvalidOperation:
        return raw
    if not d.is_finite():
        return raw
    if integer or (d == d.to_integral_value() and "." not in raw):
        return int(d) if d == d.to_integral_value() else float(d)
    return float(d)


def _indices(post, prefix: str) -> list[int]:
    found = set()
    for key in post:
        if key.startswith(prefix):
            head = key[len(prefix):].split(".", 1)[0]
            if head.isdigit():
                found.add(int(head))
    return sorted(found)


def _bands(text: str):
    """``"0.5:8, 0.7:12"`` → ``[[0.5, 8], [0.7, 12]]`` (a piece that is not ``bound:points`` stays text)."""
    out = []
    for piece in (text or "").replace("，", ",").replace("：", ":").split(","):
        piece = piece.strip()
        if not piece:
            continue
        bound, sep, points = piece.partition(":")
        out.append([_number(bound), _number(points)] if sep else piece)
    return out


class SettingsEditor:
    def __init__(self, config: dict, errors: dict | None = None):
        self.config = config
        self.errors = errors or {}

    @classmethod
    def current(cls) -> "SettingsEditor":
        return cls(value_settings())

    @classmethod
    def from_post(cls, post) -> "SettingsEditor":
        g = lambda key: post.get(key, "")  # noqa: E731
        cfg: dict = {"time_unit": g("time_unit"), "model": g("model")}
        thresholds = {k: _number(g(f"rfm.thresholds.{k}")) for k in ("r", "f", "m")}
        cfg["rfm"] = {"basis": g("rfm.basis"), "monetary": g("rfm.monetary"),
                      "thresholds": thresholds if any(v is not None for v in thresholds.values()) else None}
        cfg["abc"] = {"basis": g("abc.basis"), "a": _number(g("abc.a")), "b": _number(g("abc.b")),
                      "cost_per_order": _number(g("abc.cost_per_order")) or 0}
        levels = {}
        for tier in ValueTier.values:
            p = f"tiers.levels.{tier}"
            levels[tier] = {"policy": {lang: g(f"{p}.policy.{lang}") for lang in LANGS},
                            "visit_every_days": _number(g(f"{p}.visit_every_days"), integer=True),
                            "terms": {"payment_days": _number(g(f"{p}.terms.payment_days"), integer=True),
                                      "credit_limit": _number(g(f"{p}.terms.credit_limit")),
                                      "discount_ceiling": _number(g(f"{p}.terms.discount_ceiling")),
                                      **{k: g(f"{p}.terms.{k}") for k in TERM_TEXTS}}}
        rules = []
        for i in _indices(post, "tiers.rules."):
            p = f"tiers.rules.{i}"
            if not g(f"{p}.tier") or post.get(f"{p}.remove"):
                continue
            conditions = []
            for j in _indices(post, f"{p}.conditions."):
                c = f"{p}.conditions.{j}"
                if not g(f"{c}.metric"):
                    continue
                conditions.append({"metric": g(f"{c}.metric"), "op": g(f"{c}.op"), "value": _number(g(f"{c}.value"))})
            rules.append({"tier": g(f"{p}.tier"), "conditions": conditions})
        cfg["tiers"] = {"levels": levels, "rules": rules, "default_tier": g("tiers.default_tier")}
        components = []
        for i in _indices(post, "scorecard.components."):
            p = f"scorecard.components.{i}"
            if not g(f"{p}.name").strip() or post.get(f"{p}.remove"):
                continue
            comp = {"name": g(f"{p}.name").strip(), "label": {lang: g(f"{p}.label.{lang}") for lang in LANGS},
                    "metric": g(f"{p}.metric"), "points": _number(g(f"{p}.points")), "kind": g(f"{p}.kind")}
            if comp["kind"] == "banded":
                comp["bands"] = _bands(g(f"{p}.bands"))
            else:
                comp["low"] = _number(g(f"{p}.low"))
                comp["high"] = _number(g(f"{p}.high"))
            components.append(comp)
        cfg["scorecard"] = {"components": components}
        cfg["churn"] = {"weights": {s: _number(g(f"churn.weights.{s}")) or 0 for s in SIGNALS},
                        "threshold": _number(g("churn.threshold")),
                        "full_overdue": _number(g("churn.full_overdue")),
                        "period_days": _number(g("churn.period_days"), integer=True),
                        "revenue_days": _number(g("churn.revenue_days"), integer=True)}
        cfg["clv"] = {"horizon_months": _number(g("clv.horizon_months"), integer=True),
                      "annual_discount_rate": _number(g("clv.annual_discount_rate"))}
        cfg["schedule"] = {"enabled": bool(post.get("schedule.enabled")),
                           "hour": _number(g("schedule.hour"), integer=True)}
        cfg["retention"] = {"keep_scores_runs": _number(g("retention.keep_scores_runs"), integer=True)}
        return cls(cfg)

    def save(self, *, actor) -> bool:
        from kehu.insights.services import value_settings_update

        try:
            value_settings_update(actor=actor, config=self.config)
        except ValidationError as exc:
            self.errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            return False
        return True

    # -- what the template shows ---------------------------------------------------------
    @property
    def general_errors(self) -> list[str]:
        known = ("time_unit", "model", "rfm", "abc", "tiers", "scorecard", "churn", "clv", "schedule", "retention")
        return [m for path, ms in self.errors.items() for m in ms if not path.startswith(known)]

    def rules(self) -> list[dict]:
        rules = copy.deepcopy(self.config["tiers"].get("rules") or [])
        rules += [{"tier": "", "conditions": []} for _i in range(EXTRA_RULES)]
        for rule in rules:
            conds = rule.setdefault("conditions", [])
            conds += [{"metric": "", "op": ">=", "value": None}
                      for _j in range(max(MIN_CONDITIONS - len(conds), EXTRA_CONDITIONS))]
        return rules

    def components(self) -> list[dict]:
        comps = copy.deepcopy(self.config["scorecard"].get("components") or [])
        comps += [{"name": "", "label": {"zh-hans": "", "en": ""}, "metric": "", "points": 20, "kind": "linear",
                   "low": 0, "high": 1} for _i in range(EXTRA_COMPONENTS)]
        for comp in comps:
            comp["bands_text"] = ", ".join(f"{b[0]}:{b[1]}" if isinstance(b, (list, tuple)) and len(b) == 2 else str(b)
                                           for b in comp.get("bands") or [])
        return comps

    @property
    def levels(self) -> list[dict]:
        levels = self.config["tiers"].get("levels") or {}
        return [{"key": k, "label": label, **(levels.get(k) or {})} for k, label in ValueTier.choices]

    tier_choices = ValueTier.choices
    time_unit_choices = TimeUnit.choices
    model_choices = TransactionModel.choices
    operators = OPERATORS

    @property
    def metric_choices(self):
        return [(m, metric_label(m)) for m in METRICS]

    @property
    def scorecard_metric_choices(self):
        return [(m, metric_label(m)) for m in SCORECARD_METRICS]

    @property
    def signals(self):
        labels = {"p_alive": _("Low probability still active"), "overdue": _("Overdue against the usual rhythm"),
                  "drop": _("Drop in purchases against the previous period"), "satisfaction": _("Low satisfaction"),
                  "complaints": _("Open complaints")}
        weights = self.config["churn"].get("weights") or {}
        return [{"key": s, "label": labels[s], "weight": weights.get(s)} for s in SIGNALS]
