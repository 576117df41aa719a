"""``kehu forecast [--period 2026-Q1] [--by owner|team|line] [--json]`` and
``kehu forecast backtest [--periods 4] [--months] [--json]``: the sales forecast (销售预测)
against the quotas, and how past forecasts fared, as the acting user sees them.

Exit codes: 0 done; 2 usage errors (unknown user, a period that is not 2026-01 or 2026-Q1)."""

from __future__ import annotations

import json
import sys

from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def _money(v) -> str:
    return "-" if v is None else f"{v:,.0f}"


def _pct(v) -> str:
    return "-" if v is None else f"{v * 100:.0f}%"


def _forecast_json(f: dict) -> dict:
    return {
        "period": f["period"].code, "start": f["period"].start.isoformat(), "end": f["period"].end.isoformat(),
        "by": f["by"], "thresholds": {"commit": f["thresholds"].commit, "best_case": f["thresholds"].best_case},
        "run": None if f["run"] is None else {**f["run"], "as_of": f["run"]["as_of"].isoformat()},
        "rows": [{k: v for k, v in r.items()} for r in f["rows"]], "totals": f["totals"],
    }


def cmd_forecast(args) -> int:
    from kehu.imports.cli import _actor
    from kehu.sales.forecast import backtest, forecast, parse_period, period_containing, today

    actor = _actor(args.as_user)
    if actor is None:
        return 2
    if args.what == "backtest":
        bt = backtest(viewer=actor, periods=args.periods, quarter=not args.months)
        if args.json:
            print(json.dumps({**bt, "thresholds": {"commit": bt["thresholds"].commit,
                                                   "best_case": bt["thresholds"].best_case}}, ensure_ascii=False))
            return 0
        print("\t".join([_("period"), _("pipeline forecast"), _("won"), _("forecast error"), "APE",
                         _("repeat forecast"), _("repeat actual"), _("forecast error"), "APE"]))
        for r in bt["rows"]:
            print("\t".join([r["period"], _money(r["pipeline_forecast"]), _money(r["won"]),
                             _money(r["pipeline_error"]), _pct(r["pipeline_ape"]), _money(r["repeat_forecast"]),
                             _money(r["repeat_actual"]), _money(r["repeat_error"]), _pct(r["repeat_ape"])]))
        print(_("MAPE: pipeline %(pipeline)s, repeat part %(repeat)s") % {
            "pipeline": _pct(bt["pipeline_mape"]), "repeat": _pct(bt["repeat_mape"])})
        return 0
    try:
        period = parse_period(args.period) if args.period else period_containing(today())
    except ValueError:
        print(_("error: a period is a month (2026-01) or a quarter (2026-Q1)"), file=sys.stderr)
        return 2
    f = forecast(viewer=actor, period=period, by=args.by)
    if args.json:
        print(json.dumps(_forecast_json(f), ensure_ascii=False))
        return 0
    print(_("Forecast %(period)s (%(start)s – %(end)s)") % {
        "period": period.code, "start": period.start.isoformat(), "end": period.end.isoformat()})
    print("\t".join([_("name"), _("won"), _("commit"), _("best case"), pgettext("forecast category", "pipeline"), _("repeat part"),
                     _("total"), _("quota"), _("attainment")]))
    for r in [*f["rows"], {**f["totals"], "label": _("Total")}]:
        print("\t".join([str(r["label"]), _money(r["won"]), _money(r["commit"]), _money(r["best_case"]),
                         _money(r["pipeline"]), _money(r["repeat"]), _money(r["total"]), _money(r["quota"]),
                         _pct(r["attainment"])]))
    if f["run"] is None:
        print(_("note: no finished value analysis; repeat purchases are not forecast (`kehu analyze`)."),
              file=sys.stderr)
    return 0


def register(sub) -> None:
    p = sub.add_parser("forecast", help=_("the sales forecast against the quotas; `backtest` for past periods"))
    p.add_argument("what", nargs="?", choices=("backtest",), help=_("backtest: how past forecasts fared"))
    p.add_argument("--period", metavar="PERIOD", help=_("a month (2026-01) or a quarter (2026-Q1); default: "
                                                         "this quarter"))
    p.add_argument("--by", choices=("owner", "team", "line"), default="owner")
    p.add_argument("--periods", type=int, default=4, help=_("backtest: how many past periods (default 4)"))
    p.add_argument("--months", action="store_true", help=_("backtest: months instead of quarters"))
    p.add_argument("--json", action="store_true")
    p.add_argument("--as", dest="as_user", metavar="USERNAME",
                   help=_("act as this user (default: the first administrator)"))
    p.set_defaults(func=cmd_forecast)
