"""``kehu campaign list``, ``kehu campaign send CODE [--dry-run]``,
``kehu campaign results CODE [--json]``.

``send`` runs the send here (the worker's job, in this process) and prints the message
counts; ``--dry-run`` counts the audience, control group and coupons and writes nothing.
Exit codes: 0 done; 1 refused (a campaign already sent, no variant); 2 usage errors (no
campaign of that code).
"""

from __future__ import annotations

import json
import sys

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _campaign(code):
    from .selectors import campaign_by_code

    c = campaign_by_code(code)
    if c is None:
        print(_("error: no campaign with the code %(code)s.") % {"code": code}, file=sys.stderr)
    return c


def cmd_list(args) -> int:
    from .models import Campaign

    for c in Campaign.objects.order_by("-id")[:200]:
        sent = c.sent_at.date().isoformat() if c.sent_at else "—"
        print(f"{c.code}\t{c.get_status_display()}\t{sent}\t{c.name}")
    return 0


def cmd_send(args) -> int:
    from .models import CampaignStatus
    from .selectors import message_counts
    from .services import campaign_run, campaign_send

    c = _campaign(args.code)
    if c is None:
        return 2
    try:
        counts = campaign_send(actor=None, campaign=c, dry_run=args.dry_run)
    except ValidationError as exc:
        print(_("error: %(message)s") % {"message": " ".join(exc.messages)}, file=sys.stderr)
        return 1
    if args.dry_run:
        print(_("Dry run: nothing was written."))
    print(_("Audience %(n)s, control group %(k)s, to send %(t)s, coupons %(coupons)s.") % {
        "n": counts["audience"], "k": counts["control"], "t": counts["treated"], "coupons": counts["coupons"]})
    if args.dry_run:
        return 0
    c.refresh_from_db()
    if c.status == CampaignStatus.SCHEDULED and (c.starts_at is None or c.starts_at <= __import__(
            "django.utils.timezone", fromlist=["now"]).now()):
        campaign_run(c.pk)   # the worker may have taken it already: then this does nothing
    m = message_counts(c)
    st = m["statuses"]
    print(_("Messages: %(sent)s sent, %(queued)s queued, %(deferred)s deferred, %(held)s held, %(failed)s failed.")
          % {k: st.get(k, 0) for k in ("sent", "queued", "deferred", "held", "failed")})
    for reason, n in sorted(m["held"].items()):
        print(f"  {reason}: {n}")
    return 0


def cmd_results(args) -> int:
    from .api import results_payload

    c = _campaign(args.code)
    if c is None:
        return 2
    data = results_payload(c)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return 0
    print(f"{c.code} · {c.name}")
    rows = [(_("Audience"), data["audience"]), (_("Treated"), data["treated"]), (_("Control group"), data["control"]),
            (_("Reach (sent)"), data["reach"]), (_("Clicks"), data["clicks"]),
            (_("Coupons redeemed"), data["redemptions"]), (_("Responders"), data["responders_treated"]),
            (_("Revenue (treated)"), data["revenue"]), (_("Cost"), data["cost"]),
            (_("Incremental revenue"), data["incremental_revenue"]), (_("ROI"), data["roi"])]
    for label, value in rows:
        print(f"{label}: {'—' if value is None else value}")
    print(data["in_words"])
    return 0


def register(sub) -> None:
    p = sub.add_parser("campaign", help=_("campaigns: send them and read their results"))
    c = p.add_subparsers(dest="campaign_command", required=True)
    ls = c.add_parser("list", help=_("list the campaigns"))
    ls.set_defaults(func=cmd_list)
    s = c.add_parser("send", help=_("send a campaign through the sending gate"))
    s.add_argument("code")
    s.add_argument("--dry-run", action="store_true", help=_("count the audience and control group; write nothing"))
    s.set_defaults(func=cmd_send)
    r = c.add_parser("results", help=_("a campaign's results and lift over its control group"))
    r.add_argument("code")
    r.add_argument("--json", action="store_true", help=_("print JSON"))
    r.set_defaults(func=cmd_results)
