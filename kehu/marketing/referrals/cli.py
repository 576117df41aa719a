"""``kehu referrals list [--status S] | reward [--date YYYY-MM-DD] | code CUSTOMER``.

``code`` takes a customer's code (ref) or id and prints its referral code and link (made if none).
Exit codes: 0 done; 2 usage errors; 1 a customer not found.
"""

from __future__ import annotations

import datetime as dt
import sys

from django.utils.translation import gettext as _


def cmd_list(args) -> int:
    from .models import Referral

    qs = Referral.objects.select_related("referrer", "referred").order_by("-created_at", "-id")
    if args.status:
        qs = qs.filter(status=args.status)
    rows = list(qs[: args.limit])
    if not rows:
        print(_("No referrals."))
    for r in rows:
        reward = ""
        if r.reward_kind == "points":
            reward = _("%(n)s points") % {"n": r.reward_points}
        elif r.coupon_id:
            reward = _("coupon")
        print("\t".join([str(r.pk), r.created_at.date().isoformat(), r.referrer.ref, r.referrer.name,
                         r.referred.ref, r.referred.name, r.get_status_display(), reward]))
    return 0


def cmd_reward(args) -> int:
    from .services import referrals_reward

    day = None
    if args.date:
        try:
            day = dt.date.fromisoformat(args.date)
        except ValueError:
            print(_("error: a date is written YYYY-MM-DD."), file=sys.stderr)
            return 2
    c = referrals_reward(date=day)
    print(_("%(q)s referrals qualified, %(r)s rewarded, %(f)s not rewarded (see their note).")
          % {"q": c["qualified"], "r": c["rewarded"], "f": c["failed"]})
    return 0


def cmd_code(args) -> int:
    from kehu.customers.models import Customer

    from .services import code_for, referral_link

    qs = Customer.objects.filter(merged_into__isnull=True)
    customer = qs.filter(ref=args.customer).first()
    if customer is None and args.customer.isdigit():
        customer = qs.filter(pk=int(args.customer)).first()
    if customer is None:
        print(_("error: no customer %(c)s.") % {"c": args.customer}, file=sys.stderr)
        return 1
    code = code_for(customer)
    print(f"{code.code}\t{referral_link(code)}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("referrals", help=_("referrals: codes, rewards"))
    c = p.add_subparsers(dest="referrals_command", required=True)
    ls = c.add_parser("list", help=_("list the referrals, newest first"))
    ls.add_argument("--status", choices=["pending", "qualified", "rewarded"])
    ls.add_argument("--limit", type=int, default=100)
    ls.set_defaults(func=cmd_list)
    r = c.add_parser("reward", help=_("qualify and reward the referrals whose referred customer has paid an order"))
    r.add_argument("--date", metavar="YYYY-MM-DD", help=_("orders dated up to this day; the reward's date"))
    r.set_defaults(func=cmd_reward)
    k = c.add_parser("code", help=_("a customer's referral code and link (made if none)"))
    k.add_argument("customer", metavar="CUSTOMER", help=_("the customer's code or id"))
    k.set_defaults(func=cmd_code)
