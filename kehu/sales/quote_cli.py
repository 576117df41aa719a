"""``kehu quotes list|show|pdf``.

Exit codes: 0 done; 2 usage errors (unknown user, a quote that does not exist or that the
user may not see).
"""

from __future__ import annotations

import sys

from django.utils.translation import gettext as _


def _actor(args):
    from kehu.imports.cli import _actor as find

    return find(args.as_user)


def _quote(args, actor):
    from django.http import Http404

    from kehu.sales.quote_selectors import quote_get

    try:
        return quote_get(viewer=actor, pk=args.id)
    except Http404:
        print(_("error: no quote %(id)s, or you may not see it") % {"id": args.id}, file=sys.stderr)
        return None


def cmd_list(args) -> int:
    from kehu.sales.quote_selectors import QuoteFilters, quote_list

    actor = _actor(args)
    if actor is None:
        return 2
    rows = quote_list(viewer=actor, filters=QuoteFilters(status=args.status or "")).order_by("-created_at", "-id")
    for q in rows[:args.limit]:
        print("\t".join([str(q.pk), f"{q.ref} V{q.revision}", q.customer.name, q.get_status_display(),
                         str(q.total), q.valid_until.isoformat(), str(q.owner or "-")]))
    return 0


def cmd_show(args) -> int:
    from kehu.sales.quote_selectors import quote_lines

    actor = _actor(args)
    if actor is None:
        return 2
    q = _quote(args, actor)
    if q is None:
        return 2
    print(f"{q.ref} V{q.revision}\t{q.customer.name}\t{q.get_status_display()}")
    print(_("Quote date %(issued)s, valid until %(until)s") % {"issued": q.issued_on.isoformat(),
                                                                 "until": q.valid_until.isoformat()})
    for i, ln in enumerate(quote_lines(q), start=1):
        print("\t".join([str(i), ln.product.ref, ln.product.name, format(ln.quantity.normalize(), "f"),
                         str(ln.unit_price), f"-{format(ln.discount.normalize(), 'f')}%",
                         str(ln.amount), f"{format(ln.vat_rate.normalize(), 'f')}%", str(ln.tax), str(ln.total)]))
    print(_("Excl. VAT %(amount)s, VAT %(tax)s, total %(total)s %(currency)s") % {
        "amount": q.amount, "tax": q.tax, "total": q.total, "currency": q.currency})
    if q.order_id:
        print(_("Order %(ref)s") % {"ref": q.order.ref})
    return 0


def cmd_pdf(args) -> int:
    from kehu.sales.quote_pdf import quote_filename, quote_pdf

    actor = _actor(args)
    if actor is None:
        return 2
    q = _quote(args, actor)
    if q is None:
        return 2
    path = args.output or quote_filename(q, args.lang)
    with open(path, "wb") as fh:
        fh.write(quote_pdf(q, language=args.lang))
    print(path)
    return 0


def register(sub) -> None:
    from kehu.sales.models import QuoteStatus

    p = sub.add_parser("quotes", help=_("quotes (报价单): list, show, PDF"))
    cmds = p.add_subparsers(dest="quotes_command", required=True)

    def common(q):
        q.add_argument("--as", dest="as_user", metavar="USERNAME",
                       help=_("act as this user (default: the first administrator)"))

    q = cmds.add_parser("list", help=_("list the quotes you may see, newest first"))
    q.add_argument("--status", choices=QuoteStatus.values)
    q.add_argument("--limit", type=int, default=100)
    common(q)
    q.set_defaults(func=cmd_list)

    q = cmds.add_parser("show", help=_("a quote with its lines and totals"))
    q.add_argument("id", type=int, metavar="ID", help=_("the quote's id"))
    common(q)
    q.set_defaults(func=cmd_show)

    q = cmds.add_parser("pdf", help=_("write a quote as PDF"))
    q.add_argument("id", type=int, metavar="ID", help=_("the quote's id"))
    q.add_argument("--lang", choices=["zh", "en"], default="zh", help=_("the PDF's language (default zh)"))
    q.add_argument("-o", "--output", metavar="FILE", help=_("the file to write (default: QT…-V1-zh.pdf)"))
    common(q)
    q.set_defaults(func=cmd_pdf)
