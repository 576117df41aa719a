"""``kehu coupons import FILE``: coupons for customers from a CSV or .xlsx file.

Columns (English or Chinese headers, any order): ``customer`` (客户编号: the
customer's code), ``definition`` (批次号: the coupon kind's batch code), and
optionally ``code`` (券码: a pre-printed code for a unique-code kind; for a
shared-code kind it must be empty or the shared code). Every row is checked
first, each bad one reported with its line and reason; one bad row and nothing
is written. The write is one transaction: it fails whole or succeeds whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.imports.columns import cell_text, header_key
from kehu.imports.readers import TableError, open_table
from kehu.imports.services import Issue
from kehu.marketing.coupons import codes
from kehu.marketing.coupons.models import CodeMode, Coupon, CouponDefinition, CouponSource

HEADERS = {
    "customer": ("customer", "customercode", "客户", "客户编号", "客户代码"),
    "definition": ("definition", "batch", "batchcode", "couponkind", "批次", "批次号", "券种"),
    "code": ("code", "couponcode", "券码", "优惠券码"),
}


class ImportRefused(Exception):
    """The file cannot be read at all (missing, unreadable, required columns missing)."""


@dataclass
class CouponImportReport:
    rows_read: int = 0
    issued: int = 0
    errors: list[Issue] = field(default_factory=list)
    written: bool = False


def _columns(headers) -> dict[str, int]:
    where = {}
    for i, h in enumerate(headers):
        key = header_key(h)
        for name, aliases in HEADERS.items():
            if key in {header_key(a) for a in aliases} and name not in where:
                where[name] = i
    missing = [n for n in ("customer", "definition") if n not in where]
    if missing:
        raise ImportRefused(_("Required columns missing: %(columns)s.") % {"columns": ", ".join(missing)})
    return where


def import_coupons(path, *, actor, dry_run: bool = False) -> CouponImportReport:
    """Check every row, then (unless ``dry_run`` or any row is bad) issue the coupons
    in one transaction through :func:`coupon_issue` (source "import")."""
    from kehu.customers.models import Customer
    from kehu.marketing.coupons.services import coupon_issue

    try:
        table = open_table(path)
    except TableError as exc:
        raise ImportRefused(str(exc)) from None
    where = _columns(table.headers)
    report = CouponImportReport()
    rows = []
    for line, values in table.rows():
        report.rows_read += 1

        def cell(name):
            i = where.get(name)
            return cell_text(values[i]) if i is not None and i < len(values) else ""

        rows.append((line, cell("customer"), cell("definition"), codes.normalise(cell("code"))))

    definitions = {d.ref: d for d in CouponDefinition.objects.filter(ref__in={r[2] for r in rows})}
    customers = {c.ref: c for c in Customer.objects.filter(ref__in={r[1] for r in rows})}
    if actor is not None:
        from kehu.org.policies import policy_for

        visible = set(policy_for(actor).visible(Customer.objects.filter(ref__in=list(customers)))
                      .values_list("ref", flat=True))
        customers = {k: v for k, v in customers.items() if k in visible}
    given = [r[3] for r in rows if r[3]]
    taken = set(Coupon.objects.filter(code__in=given, shared=False).values_list("code", flat=True))
    seen_codes: set[str] = set()
    good: list[tuple[int, Customer, CouponDefinition, str]] = []
    for line, cust, ref, code in rows:
        def bad(column, message):
            report.errors.append(Issue(line, column, message))

        customer = customers.get(cust)
        definition = definitions.get(ref)
        if not cust:
            bad("customer", _("The customer's code is missing."))
        elif customer is None:
            bad("customer", _("No customer you can see has the code %(code)s.") % {"code": cust})
        if not ref:
            bad("definition", _("The coupon kind's batch code is missing."))
        elif definition is None:
            bad("definition", _("No coupon kind has the batch code %(ref)s.") % {"ref": ref})
        if code and definition is not None:
            if definition.code_mode == CodeMode.SHARED:
                if code != definition.shared_code:
                    bad("code", _("This coupon kind has one shared code: %(code)s.") % {"code": definition.shared_code})
            elif not code.isascii() or not code.isalnum() or len(code) > 32:
                bad("code", _("Use up to 32 letters and digits."))
            elif code in taken or code in seen_codes:
                bad("code", _("This code is already in use."))
            seen_codes.add(code)
        if customer is not None and definition is not None and not any(e.line == line for e in report.errors):
            good.append((line, customer, definition, code))
    if report.errors:
        return report
    with transaction.atomic():
        # Row by row through the service (limits, quantities, codes), all in one transaction:
        # a row the rules refuse is reported and the whole import rolled back.
        for line, customer, definition, code in good:
            try:
                with transaction.atomic():
                    coupon_issue(actor=actor, definition=definition, customers=[customer],
                                 source=CouponSource.IMPORT, code=code)
            except (ValidationError, PermissionDenied) as exc:
                messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
                report.errors.append(Issue(line, "", " ".join(messages)))
                continue
            report.issued += 1
        if report.errors or dry_run:
            transaction.set_rollback(True)
            if report.errors:
                report.issued = 0
            return report
    report.written = True
    return report
