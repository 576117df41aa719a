"""``kehu import partners FILE``: partners from a CSV (UTF-8 or GBK) or .xlsx file, through
the shared readers and cell parsers of kehu/imports and the partner services.

Columns (Chinese or English headers): code, name (required), type, parent (the parent's
code: an existing partner, or one on an earlier line of the same file), manager (a
username), regions, provinces, cities, industries (separated by commas), contract_start,
contract_end, margin (%), terms, phone, email, address, active. A row whose code exists
changes that partner. All or nothing: one bad row and nothing is written; every bad row
is reported with its line and the reason.
"""

from __future__ import annotations



from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.org.models import Partner, PartnerType, User
from kehu.org.partners import _require_manager, partner_create, partner_update
from kehu.imports.readers import RollbackImport, TableImportReport

HEADERS = {
    "code": "code", "partner code": "code", "partner_code": "code", "编码": "code", "伙伴编码": "code", "代码": "code",
    "name": "name", "名称": "name", "伙伴名称": "name",
    "type": "kind", "kind": "kind", "类型": "kind",
    "parent": "parent", "parent_code": "parent", "parent code": "parent", "上级": "parent", "上级编码": "parent",
    "manager": "manager", "channel manager": "manager", "渠道经理": "manager",
    "regions": "regions", "region": "regions", "区域": "regions",
    "provinces": "provinces", "province": "provinces", "省份": "provinces",
    "cities": "cities", "city": "cities", "城市": "cities",
    "industries": "industries", "industry": "industries", "行业": "industries",
    "contract_start": "contract_start", "contract start": "contract_start", "合同开始": "contract_start",
    "contract_end": "contract_end", "contract end": "contract_end", "合同结束": "contract_end",
    "margin": "margin_pct", "margin_pct": "margin_pct", "margin (%)": "margin_pct", "毛利率": "margin_pct",
    "伙伴毛利": "margin_pct", "折扣": "margin_pct",
    "terms": "terms", "合同条款": "terms",
    "phone": "phone", "电话": "phone",
    "email": "email", "e-mail": "email", "邮箱": "email",
    "address": "address", "地址": "address",
    "active": "is_active", "启用": "is_active",
}
LISTS = ("regions", "provinces", "cities", "industries")
YES = {"1", "yes", "y", "true", "是", "启用"}
NO = {"0", "no", "n", "false", "否", "停用"}


_Rollback = RollbackImport


PartnerImportReport = TableImportReport


def _kind(text: str) -> str:
    if not text:
        return PartnerType.AGENT_L1
    for value, label in PartnerType.choices:
        if text.lower() in (value, str(label).lower()):
            return value
    from django.utils import translation

    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            for value, label in PartnerType.choices:
                if text == str(label):
                    return value
    raise ValidationError(_("Unknown partner type %(type)s.") % {"type": text})


def partner_import(*, actor, path, dry_run: bool = False) -> PartnerImportReport:
    """Import (create or change) partners from the file at ``path``; see the module's docstring.
    Refused outright (:class:`PermissionDenied`) to whoever may not manage partners."""
    from kehu.imports.columns import CellError, parse_date, parse_decimal
    from kehu.imports.readers import open_table
    from kehu.partners.forms import _list

    _require_manager(actor)
    table = open_table(path)
    cols = {}
    for i, h in enumerate(table.headers):
        key = HEADERS.get(str(h or "").strip().lower())
        if key and key not in cols:
            cols[key] = i
    report = PartnerImportReport(dry_run=dry_run)
    if "code" not in cols or "name" not in cols:
        report.errors.append((table.header_line, _("The header needs at least code and name.")))
        return report

    def cell(values, key) -> str:
        i = cols.get(key)
        return str(values[i]).strip() if i is not None and i < len(values) and values[i] is not None else ""

    try:
        with transaction.atomic():
            for line, values in table.rows():
                report.rows += 1
                try:
                    code = cell(values, "code")
                    if not code:
                        raise ValidationError(_("The code is empty."))
                    data = {"code": code, "name": cell(values, "name"), "kind": _kind(cell(values, "kind"))}
                    for key in LISTS:
                        if key in cols:
                            data[key] = _list(cell(values, key))
                    for key in ("terms", "phone", "email", "address"):
                        if key in cols:
                            data[key] = cell(values, key)
                    for key in ("contract_start", "contract_end"):
                        if cell(values, key):
                            try:
                                data[key] = parse_date(values[cols[key]])
                            except CellError as exc:
                                raise ValidationError({key: str(exc)}) from None
                    if cell(values, "margin_pct"):
                        try:
                            data["margin_pct"] = parse_decimal(values[cols["margin_pct"]], places=2)
                        except CellError as exc:
                            raise ValidationError({"margin_pct": str(exc)}) from None
                    if cell(values, "is_active"):
                        flag = cell(values, "is_active").lower()
                        if flag not in YES | NO:
                            raise ValidationError(_("Active must be yes or no."))
                        data["is_active"] = flag in YES
                    if cell(values, "manager"):
                        manager = User.objects.filter(username=cell(values, "manager"), is_active=True).first()
                        if manager is None:
                            raise ValidationError(_("No active user %(name)s.") % {"name": cell(values, "manager")})
                        data["manager"] = manager
                    parent = ... if "parent" not in cols else None  # no column: an existing partner stays put
                    if cell(values, "parent"):
                        parent = Partner.objects.filter(code=cell(values, "parent")).first()
                        if parent is None:
                            raise ValidationError(_("No partner with the code %(code)s (a parent must exist or "
                                                    "come on an earlier line).") % {"code": cell(values, "parent")})
                    existing = Partner.objects.filter(code=code).first()
                    if existing is not None:
                        data.pop("code")
                        partner_update(partner=existing, data=data, parent=parent, actor=actor)
                        report.updated += 1
                    else:
                        partner_create(data=data, parent=None if parent is ... else parent, actor=actor)
                        report.created += 1
                except PermissionDenied as exc:
                    report.errors.append((line, str(exc)))
                except ValidationError as exc:
                    if hasattr(exc, "error_dict"):
                        text = "; ".join(f"{_label(k)}: {' '.join(v)}" if k != "__all__" else " ".join(v)
                                         for k, v in exc.message_dict.items())
                    else:
                        text = "; ".join(exc.messages)
                    report.errors.append((line, text))
            if report.errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return report


def _label(field_name: str) -> str:
    try:
        return str(Partner._meta.get_field(field_name).verbose_name)
    except Exception:  # noqa: BLE001 - not a model field: its own name
        return field_name
