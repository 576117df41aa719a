"""``kehu cases import FILE [--skip-bad]``: cases from CSV or .xlsx, the same rules
as the customer import (kehu/imports): the file is read by
:func:`kehu.imports.readers.open_table` (encodings, delimiters, .xlsx), headers in
English or Chinese (``主题``, ``客户编号`` …), every error carries its line number,
and the import is atomic — one bad row and nothing is written — unless
``skip_bad`` is given, when the good rows are imported and the bad ones reported.

Each row goes through :func:`kehu.service.services.case_create` (the policy, the
checks, a case number, the timeline and an audit event per case), so an imported
case is exactly a case registered by hand, on the ``import`` channel by default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from kehu.imports.columns import cell_text, header_key
from kehu.imports.readers import TableError, open_table
from kehu.service.models import CaseCategory, CaseChannel, CaseKind, CustomerWant

# field → accepted headers (the first Chinese one is the template's)
HEADERS = {
    "customer_code": ("customer_code", "customer", "客户编号", "客户代码"),
    "kind": ("kind", "type", "类型", "类别"),
    "channel": ("channel", "渠道", "来源"),
    "severity": ("severity", "严重程度", "级别"),
    "subject": ("subject", "主题", "标题"),
    "description": ("description", "描述", "内容", "问题描述"),
    "caller_name": ("caller_name", "来电人", "姓名"),
    "caller_phone": ("caller_phone", "phone", "来电电话", "电话"),
    "caller_email": ("caller_email", "email", "邮箱", "电子邮件"),
    "category": ("category", "分类", "问题分类"),
    "wants": ("wants", "诉求", "客户诉求"),
    "serial_number": ("serial_number", "序列号", "产品序列号"),
    "assignee": ("assignee", "处理人", "负责人"),
}
REQUIRED = ("subject",)
_PAREN = re.compile(r"[（(]([^）)]*)[）)]")


class CaseImportUsageError(Exception):
    """The file cannot be imported at all (missing, unreadable, no subject column)."""


@dataclass
class CaseImportReport:
    rows_read: int = 0
    created: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)   # "line 7: severity: …"
    unknown: list[str] = field(default_factory=list)
    refused: bool = False


def _choices(choices) -> dict[str, str]:
    """Every spelling of a choice (value, English and Chinese label, the part in brackets)."""
    out = {}
    for value, label in choices.choices:
        out[value.lower()] = value
        for lang in ("en", "zh-hans"):
            with translation.override(lang):
                text = str(label).strip().lower()
            out.setdefault(text, value)
            out.setdefault(_PAREN.sub("", text).strip(), value)
            for inner in _PAREN.findall(text):
                out.setdefault(inner.strip(), value)
    return out


def _map_headers(headers) -> tuple[dict[str, int], list[str]]:
    lookup = {header_key(alias): name for name, aliases in HEADERS.items() for alias in aliases}
    mapped, unknown = {}, []
    for index, raw in enumerate(headers):
        text = cell_text(raw)
        if not text:
            continue
        name = lookup.get(header_key(text))
        if name is None or name in mapped:
            unknown.append(text)
        else:
            mapped[name] = index
    return mapped, unknown


def _row_data(cells: dict[str, str], *, actor, maps) -> dict:
    """One row's cells → the data of :func:`case_create` (ValidationError naming the column)."""
    from kehu.customers.models import Customer
    from kehu.org.models import User
    from kehu.org.policies import policy_for

    errors, data = {}, {}
    for name in ("subject", "description", "caller_name", "caller_phone", "caller_email", "serial_number"):
        if cells.get(name):
            data[name] = cells[name]
    for name, choice in (("kind", "kind"), ("channel", "channel"), ("wants", "wants")):
        text = cells.get(name, "")
        if text:
            value = maps[choice].get(text.lower())
            if value is None:
                errors[name] = _("%(value)r is not one of the choices.") % {"value": text}
            else:
                data[name] = value
    data.setdefault("channel", CaseChannel.IMPORT)
    if cells.get("severity"):
        try:
            data["severity"] = int(float(cells["severity"]))
        except ValueError:
            errors["severity"] = _("%(value)r is not a whole number from 1 to 4.") % {"value": cells["severity"]}
    if cells.get("customer_code"):
        customer = policy_for(actor).visible().filter(ref=cells["customer_code"].strip().upper()).first()
        if customer is None:
            errors["customer_code"] = _("No customer %(code)s that you may see.") % {"code": cells["customer_code"]}
        else:
            data["customer"] = customer
    if cells.get("category"):
        text = cells["category"].strip()
        category = CaseCategory.objects.filter(active=True).filter(
            code__iexact=text).first() or CaseCategory.objects.filter(active=True, name_zh=text).first() or \
            CaseCategory.objects.filter(active=True, name_en__iexact=text).first()
        if category is None:
            errors["category"] = _("No category %(name)r.") % {"name": text}
        else:
            data["category"] = category
    if cells.get("assignee"):
        user = User.objects.filter(username=cells["assignee"].strip(), is_active=True).first()
        if user is None:
            errors["assignee"] = _("No active user %(name)r.") % {"name": cells["assignee"]}
        else:
            data["assignee"] = user
    if errors:
        raise ValidationError(errors)
    return data


def _messages(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return [f"{k}: {m}" for k, ms in exc.message_dict.items() for m in ms]
    if isinstance(exc, ValidationError):
        return list(exc.messages)
    return [str(exc) or _("You may not do this.")]


def import_cases(*, actor, path, skip_bad: bool = False) -> CaseImportReport:
    """Import the cases of ``path``; see the module. Raises :class:`CaseImportUsageError`
    when the file cannot be read, ``PermissionDenied`` when ``actor`` may not register cases."""
    from kehu.org.policies import policy_for
    from kehu.service.services import case_create

    if not policy_for(actor).can_register_cases:
        raise PermissionDenied(_("You may not register cases."))
    try:
        table = open_table(path)
    except TableError as exc:
        raise CaseImportUsageError(str(exc)) from None
    mapped, unknown = _map_headers(table.headers)
    missing = [name for name in REQUIRED if name not in mapped]
    if missing:
        raise CaseImportUsageError(_("Required columns missing: %(columns)s (for example 主题 / subject).")
                                   % {"columns": ", ".join(missing)})
    report = CaseImportReport(unknown=unknown)
    maps = {"kind": _choices(CaseKind), "channel": _choices(CaseChannel), "wants": _choices(CustomerWant)}
    maps["wants"].setdefault("赔偿", CustomerWant.COMPENSATION)   # the registers' other word for it
    maps["kind"].setdefault("报修", CaseKind.REPAIR)
    try:
        with transaction.atomic():
            for line, values in table.rows():
                report.rows_read += 1
                cells = {name: cell_text(values[i]) if i < len(values) else "" for name, i in mapped.items()}
                try:
                    with transaction.atomic():     # a savepoint: a bad row leaves nothing behind
                        case = case_create(actor=actor, data=_row_data(cells, actor=actor, maps=maps))
                except (ValidationError, PermissionDenied) as exc:
                    report.errors.extend(_("line %(line)d: %(error)s") % {"line": line, "error": m}
                                         for m in _messages(exc))
                    continue
                report.created.append(case.ref)
            if report.errors and not skip_bad:
                report.refused = True
                raise _Refused
    except TableError as exc:
        raise CaseImportUsageError(str(exc)) from None
    except _Refused:
        report.created = []
    return report


class _Refused(Exception):
    """Rolls the whole import back (a bad row without --skip-bad)."""

