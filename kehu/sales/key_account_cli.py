"""``kehu key-accounts list|show``: the key-account plans (大客户计划) a user may see.

Exit codes: 0 done; 2 usage errors (unknown user, a plan the user may not see)."""

from __future__ import annotations

import sys

from django.utils.translation import gettext as _


def _actor(args):
    from kehu.imports.cli import _actor as find

    return find(args.as_user)


def cmd_list(args) -> int:
    from kehu.sales.key_account_selectors import PlanFilters, plan_list

    actor = _actor(args)
    if actor is None:
        return 2
    rows = plan_list(viewer=actor, filters=PlanFilters(status=args.status or "", year=args.year)).order_by(
        "-start_year", "-id")
    for p in rows[:args.limit]:
        print("\t".join([str(p.pk), p.customer.ref, p.customer.name, p.name, p.get_status_display(),
                         f"{p.start_year}-{p.start_year + 2}", str(p.salesperson or "-")]))
    return 0


def _pct(value) -> str:
    return "-" if value is None else f"{value}%"


def cmd_show(args) -> int:
    from django.http import Http404

    from kehu.sales.key_account_selectors import decision_chain, plan_get, plan_report
    from kehu.sales.terms import customer_terms, terms_from_dict

    actor = _actor(args)
    if actor is None:
        return 2
    try:
        plan = plan_get(viewer=actor, pk=args.id)
    except Http404:
        print(_("error: no key-account plan %(id)s that you may see") % {"id": args.id}, file=sys.stderr)
        return 2
    print(f"{plan.name}\t{plan.customer.ref} {plan.customer.name}\t{plan.get_status_display()}\t"
          f"{plan.start_year}-{plan.start_year + 2}")
    print(_("Salesperson: %(s)s; manager: %(m)s; executive sponsor: %(e)s") % {
        "s": plan.salesperson or "-", "m": plan.manager or "-", "e": plan.sponsor or "-"})
    for label, text in ((_("Strengths"), plan.strengths), (_("Weaknesses"), plan.weaknesses),
                        (_("Opportunities (SWOT)"), plan.opportunities), (_("Threats"), plan.threats)):
        if text:
            print(f"{label}: {text}")
    chain = decision_chain(plan.customer)
    if chain:
        print(_("Decision chain") + ": " + "; ".join(f"{c.get_decision_role_display()} {c.name}" for c in chain))
    terms = customer_terms(plan.customer) if plan.status == "active" else terms_from_dict(plan.terms)
    print(_("Terms: payment %(days)s days, credit limit %(limit)s, discount ceiling %(ceiling)s") % {
        "days": "-" if terms.payment_days is None else terms.payment_days,
        "limit": terms.credit_limit if terms.credit_limit is not None else "-",
        "ceiling": _pct(terms.discount_ceiling)})
    print("\t".join([_("Year"), _("Measure"), _("Target"), _("Actual"), _("Attainment")]))
    labels = {"volume": _("Volume (tonnes)"), "revenue": _("Revenue"), "cost": _("Cost"), "profit": _("Profit")}
    for row in plan_report(plan):
        for m, label in labels.items():
            v = row[m]
            print("\t".join([str(row["year"]), str(label), str(v["target"]), str(v["actual"]),
                             _pct(v["attainment"])]))
    return 0


def register(sub) -> None:
    from kehu.sales.models import KeyAccountStatus

    p = sub.add_parser("key-accounts", help=_("key-account plans (大客户计划): list, show"))
    cmds = p.add_subparsers(dest="key_accounts_command", required=True)

    def common(q):
        q.add_argument("--as", dest="as_user", metavar="USERNAME",
                       help=_("act as this user (default: the first administrator)"))

    q = cmds.add_parser("list", help=_("list the key-account plans you may see, latest years first"))
    q.add_argument("--status", choices=KeyAccountStatus.values)
    q.add_argument("--year", type=int, help=_("plans whose three years include this one"))
    q.add_argument("--limit", type=int, default=100)
    common(q)
    q.set_defaults(func=cmd_list)

    q = cmds.add_parser("show", help=_("a plan: people, SWOT, decision chain, terms, targets against actual"))
    q.add_argument("id", type=int, metavar="ID", help=_("the plan's number"))
    common(q)
    q.set_defaults(func=cmd_show)
