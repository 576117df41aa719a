"""Writes of sales quotas (销售指标): create, change, delete, and the import of a CSV/XLSX file
(all or nothing, errors by line). Who may set whose quota is the policy's
(:meth:`~kehu.org.policies.CustomerPolicy.can_change_quota`); every write is audited."""

from __future__ import annotations


from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record, diff, snapshot
from kehu.org.policies import policy_for
from kehu.sales.models import Quota
from kehu.imports.readers import RollbackImport, TableImportReport

FIELDS = ("period", "user", "team", "product_line", "amount")


def _check_allowed(actor, *, user, team) -> None:
    if not policy_for(actor).can_change_quota(user=user, team=team):
        raise PermissionDenied(_("You may not set this quota."))


def _save(quota: Quota) -> None:
    quota.full_clean()
    try:
        with transaction.atomic():
            quota.save()
    except IntegrityError:
        raise ValidationError({"__all__": [_("This quota already exists.")]}) from None


@transaction.atomic
def quota_create(*, actor, period: str, amount: Decimal, user=None, team=None, product_line=None) -> Quota:
    if (user is None) == (team is None):
        raise ValidationError({"user": [_("A quota is for one salesperson or one team.")]})
    _check_allowed(actor, user=user, team=team)
    quota = Quota(period=(period or "").strip().upper(), amount=amount, user=user, team=team,
                  product_line=product_line, created_by=actor)
    _save(quota)
    audit_record(actor=actor, action="create", instance=quota, changes=snapshot(quota, list(FIELDS)),
                 summary=f"quota {quota}")
    return quota


@transaction.atomic
def quota_update(*, actor, quota: Quota, data: dict) -> Quota:
    """Change ``period``, ``amount``, ``user``, ``team`` or ``product_line`` of a quota."""
    _check_allowed(actor, user=quota.user, team=quota.team)
    before = snapshot(quota, list(FIELDS))
    for key, value in data.items():
        if key not in FIELDS:
            continue
        setattr(quota, key, value.strip().upper() if key == "period" and isinstance(value, str) else value)
    if (quota.user_id is None) == (quota.team_id is None):
        raise ValidationError({"user": [_("A quota is for one salesperson or one team.")]})
    _check_allowed(actor, user=quota.user, team=quota.team)
    _save(quota)
    changes = diff(before, snapshot(quota, list(FIELDS)))
    if changes:
        audit_record(actor=actor, action="update", instance=quota, changes=changes, summary=f"quota {quota}")
    return quota


@transaction.atomic
def quota_delete(*, actor, quota: Quota) -> None:
    _check_allowed(actor, user=quota.user, team=quota.team)
    audit_record(actor=actor, action="delete", instance=quota, changes=snapshot(quota, list(FIELDS)),
                 summary=f"quota {quota}")
    quota.delete()


# -- import ------------------------------------------------------------------------------

# header (any of these, Chinese or English) → field
HEADERS = {
    "period": "period", "期间": "period", "周期": "period",
    "username": "username", "salesperson": "username", "user": "username", "销售员": "username",
    "用户名": "username",
    "team": "team", "团队": "team",
    "product_line": "product_line", "product line": "product_line", "产品线": "product_line",
    "amount": "amount", "金额": "amount", "指标": "amount", "quota": "amount",
}


QuotaImportReport = TableImportReport


def quota_import(*, actor, path, dry_run: bool = False) -> QuotaImportReport:
    """Import quotas from a CSV/XLSX file with the columns period, username or team,
    product_line (optional, its code or name) and amount: a row for an existing quota
    (same period, person or team, and line) changes its amount. All or nothing: any bad
    row and nothing is written; errors name the file's line. Refused outright
    (:class:`PermissionDenied`) to whoever may set no quota at all
    (:attr:`~kehu.org.policies.CustomerPolicy.may_set_quotas`); a row for a quota the
    actor may not set is a bad row."""
    from kehu.imports.columns import CellError, parse_decimal
    from kehu.imports.readers import open_table
    from kehu.org.models import Team, User
    from kehu.sales.models import ProductLine

    if actor is not None and not policy_for(actor).may_set_quotas:
        raise PermissionDenied(_("You may not set quotas."))
    table = open_table(path)
    cols = {}
    for i, h in enumerate(table.headers):
        key = HEADERS.get(str(h or "").strip().lower())
        if key:
            cols[key] = i
    report = QuotaImportReport(dry_run=dry_run)
    missing = [k for k in ("period", "amount") if k not in cols]
    if missing or ("username" not in cols and "team" not in cols):
        report.errors.append((table.header_line, _("The header needs period, amount and username or team.")))
        return report

    def cell(values, key):
        i = cols.get(key)
        return str(values[i]).strip() if i is not None and i < len(values) and values[i] is not None else ""

    try:
        with transaction.atomic():
            for line, values in table.rows():
                report.rows += 1
                try:
                    user = team = line_obj = None
                    if cell(values, "username"):
                        user = User.objects.filter(username=cell(values, "username")).first()
                        if user is None:
                            raise ValidationError(_("No user %(name)s.") % {"name": cell(values, "username")})
                    if cell(values, "team"):
                        name = cell(values, "team")
                        team = Team.objects.filter(name=name).first()
                        if team is None:
                            raise ValidationError(_("No team %(name)s.") % {"name": name})
                    if cell(values, "product_line"):
                        name = cell(values, "product_line")
                        line_obj = (ProductLine.objects.filter(code=name).first()
                                    or ProductLine.objects.filter(name=name).first())
                        if line_obj is None:
                            raise ValidationError(_("No product line %(name)s.") % {"name": name})
                    try:
                        amount = parse_decimal(values[cols["amount"]], places=2)
                    except CellError as exc:
                        raise ValidationError(str(exc)) from None
                    period = cell(values, "period").upper()
                    existing = Quota.objects.filter(period=period, user=user, team=team,
                                                    product_line=line_obj).first()
                    if existing is not None:
                        quota_update(actor=actor, quota=existing, data={"amount": amount})
                        report.updated += 1
                    else:
                        quota_create(actor=actor, period=period, amount=amount, user=user, team=team,
                                     product_line=line_obj)
                        report.created += 1
                except PermissionDenied as exc:
                    report.errors.append((line, str(exc) or _("You may not set this quota.")))
                except ValidationError as exc:
                    report.errors.append((line, "; ".join(exc.messages)))
            if report.errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return report


_Rollback = RollbackImport
