"""``kehu membership tiers init|list``, ``kehu membership review [--date DATE] [--no-notices]``,
``kehu points exchange MEMBER COUPON-KIND``,
``kehu membership renew [--date DATE]``, ``kehu points expire [--date DATE]``,
``kehu points earn [--since DATE]`` and ``kehu points balance MEMBER``.

Exit codes: 0 done; 1 refused; 2 usage errors (a bad date, an unknown member).
"""

from __future__ import annotations

import datetime as dt
import sys

from django.utils.translation import gettext as _


def _date(value: str | None):
    if not value:
        from django.utils import timezone

        return timezone.localdate()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        print(_("Not a date (YYYY-MM-DD): %(value)s") % {"value": value}, file=sys.stderr)
        return None


def cmd_tiers(args) -> int:
    from kehu.marketing.membership.models import Tier
    from kehu.marketing.membership.services import tiers_init

    if args.action == "init":
        n = tiers_init(actor=None)
        print(_("%(n)d default tiers created.") % {"n": n})
    for t in Tier.objects.order_by("rank"):
        print("\t".join([str(t.rank), t.code, t.name_zh, t.name_en, f"{t.threshold:.2f}", f"×{t.earn_multiplier}"]))
    return 0


def cmd_review(args) -> int:
    from kehu.marketing.membership.services import membership_review, notices_send

    on = _date(args.date)
    if on is None:
        return 2
    result = membership_review(on=on)
    for number, old, new in result.changes:
        print(f"{number}\t{old} → {new}")
    print(_("Tier review on %(date)s: %(reviewed)d members reviewed, %(up)d moved up, %(down)d moved down.")
          % {"date": on.isoformat(), "reviewed": result.reviewed, "up": result.up, "down": result.down})
    if not args.no_notices:
        sent = notices_send()
        print(_("Notices: %(sent)d sent, %(held)d held back by the sending gate.")
              % {"sent": sent.get("sent", 0) + sent.get("queued", 0), "held": sent.get("held", 0)})
    return 0


def cmd_renew(args) -> int:
    from kehu.marketing.membership.services import membership_renew

    on = _date(args.date)
    if on is None:
        return 2
    result = membership_renew(on=on)
    print(_("Renewal on %(date)s: %(renewed)d memberships renewed, %(expired)d expired.")
          % {"date": on.isoformat(), "renewed": result.renewed, "expired": result.expired})
    return 0


def cmd_expire(args) -> int:
    from kehu.marketing.membership.services import points_expire

    on = _date(args.date)
    if on is None:
        return 2
    result = points_expire(on=on)
    print(_("Points expired on %(date)s: %(points)d points of %(members)d members (%(entries)d entries).")
          % {"date": on.isoformat(), **result})
    return 0


def cmd_earn(args) -> int:
    from kehu.marketing.membership.services import points_earn_paid_orders

    since = _date(args.since) if args.since else None
    if args.since and since is None:
        return 2
    n = points_earn_paid_orders(since=since)
    print(_("%(n)d paid orders earned their points.") % {"n": n})
    return 0


def cmd_balance(args) -> int:
    from kehu.marketing.membership.models import Membership
    from kehu.marketing.membership.services import points_balance

    m = Membership.objects.filter(number=args.member.upper()).select_related("customer", "tier").first()
    if m is None:
        print(_("No member %(number)s.") % {"number": args.member}, file=sys.stderr)
        return 2
    print("\t".join([m.number, m.customer.name, m.tier.name, str(points_balance(m))]))
    return 0


def cmd_exchange(args) -> int:
    from django.core.exceptions import ValidationError

    from kehu.marketing.coupons.models import CouponDefinition
    from kehu.marketing.membership.models import Membership
    from kehu.marketing.membership.services import points_balance, points_exchange

    m = Membership.objects.filter(number=args.member.upper()).select_related("customer").first()
    if m is None:
        print(_("No member %(number)s.") % {"number": args.member}, file=sys.stderr)
        return 2
    definition = CouponDefinition.objects.filter(ref=args.coupon_kind).first()
    if definition is None:
        print(_("No coupon kind %(ref)s.") % {"ref": args.coupon_kind}, file=sys.stderr)
        return 2
    try:
        entry, coupon = points_exchange(actor=None, membership=m, definition=definition)
    except ValidationError as exc:
        for message in exc.messages:
            print(message, file=sys.stderr)
        return 1
    print(_("%(number)s: %(points)d points exchanged for coupon %(code)s; balance %(balance)d.")
          % {"number": m.number, "points": -entry.points, "code": coupon.display_code, "balance": points_balance(m)})
    return 0


def cmd_bench(args) -> int:
    from kehu.marketing.membership.bench import run_ledger_bench

    return run_ledger_bench(entries=args.entries, members=args.members, runs=args.runs, seed=args.seed,
                            keep=args.keep, as_json=args.json)


def register(sub) -> None:
    p = sub.add_parser("membership", help=_("member tiers, the tier review and renewal"))
    msub = p.add_subparsers(dest="membership_command", metavar="ACTION", required=True)
    t = msub.add_parser("tiers", help=_("list the tiers; init adds the default ones (普通 / 银卡 / 金卡 / 钻石)"))
    t.add_argument("action", nargs="?", choices=["list", "init"], default="list")
    t.set_defaults(func=cmd_tiers)
    r = msub.add_parser("review", help=_("move members up or down a tier by the rule"))
    r.add_argument("--date", help=_("review as of this day (YYYY-MM-DD; default today)"))
    r.add_argument("--no-notices", action="store_true",
                   help=_("leave the members' notices pending (they go out with the next review or renewal)"))
    r.set_defaults(func=cmd_review)
    n = msub.add_parser("renew", help=_("renew the memberships whose term has ended (or let them expire)"))
    n.add_argument("--date", help=_("renew as of this day (YYYY-MM-DD; default today)"))
    n.set_defaults(func=cmd_renew)

    p = sub.add_parser("points", help=_("the points ledger: expiry, earning, balances"))
    psub = p.add_subparsers(dest="points_command", metavar="ACTION", required=True)
    e = psub.add_parser("expire", help=_("expire the points past their validity, oldest first"))
    e.add_argument("--date", help=_("expire as of this day (YYYY-MM-DD; default today)"))
    e.set_defaults(func=cmd_expire)
    a = psub.add_parser("earn", help=_("earn the points of paid orders not yet counted (once per order)"))
    a.add_argument("--since", help=_("only orders from this day (YYYY-MM-DD)"))
    a.set_defaults(func=cmd_earn)
    b = psub.add_parser("balance", help=_("a member's balance"))
    b.add_argument("member", help=_("member number (M…)"))
    b.set_defaults(func=cmd_balance)
    x = psub.add_parser("exchange", help=_("exchange a member's points for a coupon of a kind with a points price"))
    x.add_argument("member", help=_("member number (M…)"))
    x.add_argument("coupon_kind", help=_("the coupon kind's batch code"))
    x.set_defaults(func=cmd_exchange)
    # a benchmark (docs/benchmarks.md), not translated like the other benchmarks' options
    k = psub.add_parser("bench", help="time a member's balance and statement over a big ledger")
    k.add_argument("--entries", type=int, default=10_000_000, help="ledger entries to write (default 10,000,000)")
    k.add_argument("--members", type=int, default=10_000, help="members they are spread over (default 10,000)")
    k.add_argument("--runs", type=int, default=500, help="members timed (default 500)")
    k.add_argument("--seed", type=int, default=1)
    k.add_argument("--keep", action="store_true", help="keep the memberships and entries made")
    k.add_argument("--json", action="store_true", help="print the figures as JSON")
    k.set_defaults(func=cmd_bench)
