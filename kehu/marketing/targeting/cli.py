"""``kehu targeting [--cost X] [--fixed-cost F] [--top N] [--json] [--as USER]``: retention targeting
by expected gain — the uplift used, the best N and the customers to contact, best first.

Exit codes: 0 done; 2 usage errors (unknown user, a user who may not target)."""

from __future__ import annotations

import json
import sys

from django.utils.translation import gettext as _


def cmd_targeting(args) -> int:
    from django.core.exceptions import PermissionDenied

    from kehu.imports.cli import _actor

    from . import selectors

    actor = _actor(args.as_user)
    if actor is None:
        return 2
    if args.cost < 0 or args.fixed_cost < 0 or (args.top is not None and args.top < 0) or args.limit < 0:
        print(_("error: costs and counts cannot be negative."), file=sys.stderr)
        return 2
    try:
        t = selectors.targeting(viewer=actor, cost_per_contact=args.cost, fixed_cost=args.fixed_cost, n=args.top)
    except PermissionDenied as exc:
        print(_("error: %(message)s") % {"message": exc}, file=sys.stderr)
        return 2
    est, best, chosen = t.uplift, t.best, t.chosen
    rows = selectors.top_rows(t, limit=min(chosen["n"], args.limit), viewer=actor)
    if args.json:
        print(json.dumps({
            "run_id": t.run.pk if t.run else None, "ranked": t.ranked,
            "uplift": {"value": est.value, "source": est.source, "reason": est.reason,
                       "ci_low": None if est.ci_low != est.ci_low else est.ci_low,
                       "ci_high": None if est.ci_high != est.ci_high else est.ci_high, "campaigns": est.campaigns},
            "best": {k: round(v, 2) if isinstance(v, float) else v for k, v in best.items()},
            "chosen": {k: round(v, 2) if isinstance(v, float) else v for k, v in chosen.items()},
            "customers": [{"rank": r.rank, "customer_id": r.customer_id, "customer": r.customer.name,
                           "clv": round(r.clv, 2), "churn_risk": r.churn_risk, "expected_gain": round(r.gain, 2)}
                          for r in rows],
        }, ensure_ascii=False, indent=2))
        return 0
    if t.run is None:
        print(_("No customer value analysis has finished yet."))
        return 0
    if est.source == "measured":
        print(_("Uplift: %(value).1f%% measured from %(n)s campaigns (%(low).1f%% to %(high).1f%%)")
              % {"value": 100 * est.value, "n": est.campaigns, "low": 100 * est.ci_low, "high": 100 * est.ci_high})
    else:
        print(_("Uplift: %(value).1f%% (the prior: %(reason)s)")
              % {"value": 100 * est.value, "reason": selectors.uplift_reason_text(est)})
    print(_("Customers ranked: %(n)s; best N: %(best)s, net gain %(net).2f (value %(value).2f, cost %(cost).2f)")
          % {"n": t.ranked, "best": best["n"], "net": best["net"], "value": best["value"], "cost": best["cost"]})
    if args.top is not None:
        print(_("Top %(n)s: net gain %(net).2f (value %(value).2f, cost %(cost).2f)")
              % {"n": chosen["n"], "net": chosen["net"], "value": chosen["value"], "cost": chosen["cost"]})
    for r in rows:
        print("\t".join([str(r.rank), r.customer.ref, r.customer.name, f"{r.clv:.2f}", f"{r.churn_risk:.3f}",
                         f"{r.gain:.2f}"]))
    return 0


def register(sub) -> None:
    p = sub.add_parser("targeting", help=_("retention targeting by expected gain: whom to contact, and how many"))
    p.add_argument("--cost", type=float, default=10.0, help=_("cost per contact (default 10)"))
    p.add_argument("--fixed-cost", type=float, default=0.0, help=_("fixed cost of the campaign (default 0)"))
    p.add_argument("--top", type=int, metavar="N", help=_("contact the top N (default: the best N)"))
    p.add_argument("--limit", type=int, default=100, help=_("list at most this many customers (default 100)"))
    p.add_argument("--json", action="store_true")
    p.add_argument("--as", dest="as_user", metavar="USERNAME",
                   help=_("act as this user (default: the first administrator)"))
    p.set_defaults(func=cmd_targeting)
