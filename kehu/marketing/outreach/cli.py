"""``kehu outreach suppress ADDRESS``, ``kehu outreach unsuppress ADDRESS``,
``kehu outreach messages [--export FILE]``, ``kehu outreach release``,
``kehu outreach send-test TEMPLATE CUSTOMER``.

Exit codes: 0 done; 1 refused (invalid input, nothing to remove); 2 usage errors
(unknown user, template or customer).
"""

from __future__ import annotations

import sys

from django.utils.translation import gettext as _

CHANNELS = ("email", "sms", "wechat", "mail", "phone")


def _actor(args):
    from kehu.imports.cli import _actor as find

    return find(args.as_user)


def _errors(exc) -> str:
    from django.core.exceptions import ValidationError

    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return "; ".join(f"{k}: {m}" for k, ms in exc.message_dict.items() for m in ms)
    return "; ".join(getattr(exc, "messages", None) or [str(exc)])


def cmd_suppress(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError

    from .services import suppression_add

    actor = _actor(args)
    if actor is None:
        return 2
    try:
        row = suppression_add(actor=actor, channel=args.channel, address=args.address, reason=args.reason,
                              note=args.note)
    except (ValidationError, PermissionDenied) as exc:
        print(_("error: %(error)s") % {"error": _errors(exc)}, file=sys.stderr)
        return 1
    print(_("%(address)s is on the suppression list for %(channel)s.") % {"address": row.address,
                                                                          "channel": row.get_channel_display()})
    return 0


def cmd_unsuppress(args) -> int:
    from django.core.exceptions import PermissionDenied

    from .gate import normalise_address
    from .models import Suppression
    from .services import suppression_remove

    actor = _actor(args)
    if actor is None:
        return 2
    rows = list(Suppression.objects.filter(channel=args.channel,
                                           address=normalise_address(args.channel, args.address)))
    if not rows:
        print(_("%(address)s is not on the suppression list for %(channel)s.") % {
            "address": args.address, "channel": args.channel}, file=sys.stderr)
        return 1
    try:
        for row in rows:
            suppression_remove(actor=actor, suppression=row)
    except PermissionDenied as exc:
        print(_("error: %(error)s") % {"error": _errors(exc)}, file=sys.stderr)
        return 1
    print(_("%(address)s removed from the suppression list.") % {"address": args.address})
    return 0


def cmd_messages(args) -> int:
    from kehu.exports.audit import audited_rows, export_audit_start
    from kehu.exports.writers import write_csv, write_xlsx

    from . import exports, selectors

    actor = _actor(args)
    if actor is None:
        return 2
    filters = selectors.MessageFilters(channel=args.channel or "", status=args.status or "",
                                       reason=args.reason or "", source_kind=args.source or "")
    qs = selectors.message_list(viewer=actor, filters=filters)
    if not args.export:
        for m in qs.order_by("-created_at", "-id")[:args.limit]:
            print(f"{m.pk}\t{m.created_at:%Y-%m-%d %H:%M}\t{m.customer.ref}\t{m.channel}\t{m.status}\t"
                  f"{m.reason}\t{m.subject or m.body[:40]}")
        return 0
    fmt = "xlsx" if args.export.lower().endswith(".xlsx") else "csv"
    event = export_audit_start(actor=actor, export="outreach_messages", fmt=fmt, via="cli",
                               filters={k: v for k, v in vars(filters).items() if v not in ("", None)})
    rows = audited_rows(exports.rows(viewer=actor, qs=qs), event)
    n = write_xlsx(rows, args.export, title=_("Messages")) if fmt == "xlsx" else write_csv(rows, args.export)
    print(_("%(n)d messages written to %(path)s.") % {"n": max(n - 1, 0), "path": args.export})
    return 0


def cmd_release(args) -> int:
    from .services import release_deferred

    counts = release_deferred()
    print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or _("Nothing was waiting."))
    return 0


def cmd_send_test(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.customers.models import Customer

    from .models import MessageTemplate
    from .services import send

    actor = _actor(args)
    if actor is None:
        return 2
    template = MessageTemplate.objects.filter(code=args.template).first()
    customer = Customer.objects.filter(ref=args.customer).first()
    if template is None or customer is None:
        print(_("error: no such template or customer"), file=sys.stderr)
        return 2
    try:
        msg = send(customer=customer, channel=template.channel, purpose=template.purpose, template=template,
                   source="test", actor=actor)
    except (ValidationError, PermissionDenied) as exc:
        print(_("error: %(error)s") % {"error": _errors(exc)}, file=sys.stderr)
        return 1
    print(f"{msg.pk}\t{msg.status}\t{msg.reason}")
    return 0 if msg.status in ("sent", "queued", "deferred") else 1


def register(sub) -> None:
    from .models import HoldReason, SourceKind, Status, SuppressionReason

    p = sub.add_parser("outreach", help=_("sending to customers: the suppression list, the message log"))
    o = p.add_subparsers(dest="outreach_command", required=True)
    s = o.add_parser("suppress", help=_("put an address on the suppression list of a channel"))
    s.add_argument("address", metavar="ADDRESS")
    s.add_argument("--channel", choices=CHANNELS, default="email")
    s.add_argument("--reason", choices=SuppressionReason.values, default="manual")
    s.add_argument("--note", default="")
    s.add_argument("--as", dest="as_user", metavar="USERNAME", help=_("act as this user (default: an administrator)"))
    s.set_defaults(func=cmd_suppress)
    u = o.add_parser("unsuppress", help=_("take an address off the suppression list of a channel"))
    u.add_argument("address", metavar="ADDRESS")
    u.add_argument("--channel", choices=CHANNELS, default="email")
    u.add_argument("--as", dest="as_user", metavar="USERNAME", help=_("act as this user (default: an administrator)"))
    u.set_defaults(func=cmd_unsuppress)
    m = o.add_parser("messages", help=_("list or export the message log"))
    m.add_argument("--export", metavar="FILE", help=_("write a .csv or .xlsx file"))
    m.add_argument("--channel", choices=CHANNELS)
    m.add_argument("--status", choices=Status.values)
    m.add_argument("--reason", choices=HoldReason.values)
    m.add_argument("--source", choices=SourceKind.values)
    m.add_argument("--limit", type=int, default=50)
    m.add_argument("--as", dest="as_user", metavar="USERNAME", help=_("act as this user (default: an administrator)"))
    m.set_defaults(func=cmd_messages)
    r = o.add_parser("release", help=_("send the messages deferred by quiet hours whose time has come"))
    r.set_defaults(func=cmd_release)
    t = o.add_parser("send-test", help=_("send a template to one customer (by customer code) through the gate"))
    t.add_argument("template", metavar="TEMPLATE")
    t.add_argument("customer", metavar="CUSTOMER")
    t.add_argument("--as", dest="as_user", metavar="USERNAME", help=_("act as this user (default: an administrator)"))
    t.set_defaults(func=cmd_send_test)
