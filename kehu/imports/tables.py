"""The all-or-nothing table imports — sales quotas, partners, staff without a login — described
once for the command line (``kehu import quotas|partners|employees``), the browser
(``/import/tables/<kind>/``, kehu/imports/table_views.py) and the API
(``POST /api/v1/imports/{kind}``, kehu/imports/api.py).

Each :class:`TableImport` names its importer (``importer(actor=, path=, dry_run=)`` returning a
:class:`~kehu.imports.readers.TableImportReport`), who may run it (a property of the visibility
policy, kehu/org/policies.py — the same one the importer checks before reading the file), its
columns for the template and the help, the page it belongs to and the summary of its report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from kehu.imports.models import TableImportKind
from kehu.imports.readers import TableImportReport

#: At most this many bad rows are kept with a run and shown on its page (the count is always right).
MAX_SHOWN_ERRORS = 500


@dataclass(frozen=True)
class TableColumn:
    header: str          # the canonical English heading (the template's)
    chinese: str         # a Chinese heading the importer accepts (the Chinese template's)
    required: bool = False
    help: Promise | str = ""


@dataclass(frozen=True)
class TableImport:
    kind: str
    importer: str                  # dotted path of ``importer(actor=, path=, dry_run=)``
    permission: str                # the policy's property that says who may run it
    columns: tuple[TableColumn, ...]
    home: str                      # URL name of the page the kind lives on
    dry_text: Promise              # the report's summary: %(rows)s, %(created)s, %(updated)s
    done_text: Promise

    @property
    def label(self) -> str:
        return TableImportKind(self.kind).label

    def may(self, user) -> bool:
        """Whether ``user`` may run this import (the importer refuses the others with
        :class:`~django.core.exceptions.PermissionDenied`)."""
        from kehu.org.policies import policy_for

        return bool(getattr(policy_for(user), self.permission))

    def run(self, *, actor, path, dry_run: bool) -> TableImportReport:
        """Run the importer on the file at ``path``. Raises
        :class:`~kehu.imports.readers.TableError` (the file cannot be read as a table) and
        :class:`~django.core.exceptions.PermissionDenied`."""
        importer: Callable[..., TableImportReport] = import_string(self.importer)
        return importer(actor=actor, path=path, dry_run=dry_run)

    def summary(self, report: TableImportReport) -> str:
        """One sentence on what the run did (or, for a dry run, would do)."""
        parts = {"rows": report.rows, "created": report.created, "updated": report.updated}
        return str(self.dry_text if report.dry_run else self.done_text) % parts


YES_NO = _("yes or no (是 or 否); empty: yes.")

TABLE_IMPORTS: dict[str, TableImport] = {t.kind: t for t in (
    TableImport(
        kind=TableImportKind.QUOTAS, importer="kehu.sales.quotas.quota_import", permission="may_set_quotas",
        home="quota_list",
        columns=(
            TableColumn("period", "期间", True, _("A month (2026-01) or a quarter (2026-Q1).")),
            TableColumn("username", "销售员", False, _("The salesperson's user name, for a salesperson's quota; "
                                                    "give it or team.")),
            TableColumn("team", "团队", False, _("The team's name, for a team's quota; give it or username.")),
            TableColumn("product_line", "产品线", False, _("The product line's code or name; empty: all product "
                                                        "lines.")),
            TableColumn("amount", "金额", True, _("The amount to sell, in yuan.")),
        ),
        dry_text=_("dry run, nothing written: %(rows)s rows; %(created)s quotas would be created, "
                   "%(updated)s changed"),
        done_text=_("imported %(rows)s rows: %(created)s quotas created, %(updated)s changed"),
    ),
    TableImport(
        kind=TableImportKind.PARTNERS, importer="kehu.partners.imports.partner_import",
        permission="may_manage_partners", home="partner_list",
        columns=(
            TableColumn("code", "编码", True, _("The partner's code; a row with an existing code changes that "
                                              "partner.")),
            TableColumn("name", "名称", True),
            TableColumn("type", "类型", False, _("distributor, agent_l1, agent_l2, industry_agent, var, "
                                               "service_provider or supplier, or its name in English or Chinese; "
                                               "empty: a level-1 agent.")),
            TableColumn("parent", "上级编码", False, _("The code of the partner above it: an existing partner or "
                                                   "one on an earlier line.")),
            TableColumn("manager", "渠道经理", False, _("The channel manager's user name.")),
            TableColumn("regions", "区域", False, _("Separated by commas.")),
            TableColumn("provinces", "省份", False, _("Separated by commas.")),
            TableColumn("cities", "城市", False, _("Separated by commas.")),
            TableColumn("industries", "行业", False, _("Separated by commas.")),
            TableColumn("contract_start", "合同开始", False, _("A date, e.g. 2026-01-01.")),
            TableColumn("contract_end", "合同结束", False, _("A date, e.g. 2026-01-01.")),
            TableColumn("margin", "毛利率", False, _("The partner's margin in percent, e.g. 12.5.")),
            TableColumn("terms", "合同条款", False),
            TableColumn("phone", "电话", False),
            TableColumn("email", "邮箱", False),
            TableColumn("address", "地址", False),
            TableColumn("active", "启用", False, YES_NO),
        ),
        dry_text=_("dry run, nothing written: %(rows)s rows; %(created)s partners would be created, "
                   "%(updated)s changed"),
        done_text=_("imported %(rows)s rows: %(created)s partners created, %(updated)s changed"),
    ),
    TableImport(
        kind=TableImportKind.EMPLOYEES, importer="kehu.org.employees.employee_import", permission="is_admin",
        home="user_list",
        columns=(
            TableColumn("name", "姓名", True),
            TableColumn("email", "邮箱", False, _("A row with the e-mail address of an imported employee changes "
                                                "that employee; the survey invitations go to it.")),
            TableColumn("phone", "电话", False),
            TableColumn("team", "团队", False, _("The team's name, or its path (Head office/East/Shanghai) when "
                                               "names repeat.")),
            TableColumn("position", "岗位", False, _("The employee survey's results are shown by position too.")),
            TableColumn("active", "在职", False, YES_NO),
        ),
        dry_text=_("dry run, nothing written: %(rows)s rows; %(created)s employees would be created, "
                   "%(updated)s changed"),
        done_text=_("imported %(rows)s rows: %(created)s employees created, %(updated)s changed"),
    ),
)}


def table_import(kind: str) -> TableImport | None:
    return TABLE_IMPORTS.get(kind)


def table_imports_for(user) -> list[TableImport]:
    """The table imports ``user`` may run, in the menu's order."""
    return [t for t in TABLE_IMPORTS.values() if t.may(user)]


def report_dict(report: TableImportReport, *, limit: int | None = None) -> dict:
    """The report as JSON: rows, created, updated, errors [{line, reason}], refused, dry_run
    (and ``error_count``, all of them, when ``limit`` keeps only the first)."""
    errors = report.errors if limit is None else report.errors[:limit]
    return {"rows": report.rows, "created": report.created, "updated": report.updated,
            "errors": [{"line": line, "reason": str(reason)} for line, reason in errors],
            "error_count": len(report.errors), "refused": report.refused, "dry_run": report.dry_run}
