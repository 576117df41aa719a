"""Staff without a Kehu login (:class:`kehu.org.models.Employee`): writes,
reads and the import from a file (``kehu import employees FILE``).

Kehu users are employees too; :func:`surveyed_people` gives both kinds for
the employee satisfaction survey (kehu/surveys/staff). Managing staff is
for administrators (the policy's ``is_admin``); everyone who may run survey
waves may read the list (to see who will be invited).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record
from kehu.org.models import Employee, Team, User
from kehu.org.policies import policy_for
from kehu.imports.readers import RollbackImport, TableImportReport

FIELDS = ("name", "email", "phone", "team", "position", "active")
#: Column headings accepted by the import (English and Chinese), lower-cased.
HEADERS = {
    "name": "name", "姓名": "name", "email": "email", "e-mail": "email", "邮箱": "email", "电子邮件": "email",
    "phone": "phone", "电话": "phone", "手机": "phone", "team": "team", "团队": "team", "部门": "team",
    "position": "position", "role": "position", "岗位": "position", "职位": "position",
    "active": "active", "在职": "active",
}
TRUE = {"1", "yes", "y", "true", "是", "在职"}
FALSE = {"0", "no", "n", "false", "否", "离职"}


def _require_admin(actor) -> None:
    if actor is not None and not policy_for(actor).is_admin:
        raise PermissionDenied(_("Only administrators manage staff."))


def may_read_staff(user) -> bool:
    from kehu.surveys.services.distribution import may_run_waves

    return policy_for(user).is_admin or may_run_waves(user)


def team_by_name(name: str) -> Team:
    """The team named ``name`` (a path ``Head office/East/Shanghai`` when names repeat)."""
    name = (name or "").strip()
    if "/" in name:
        team = None
        for part in [p.strip() for p in name.split("/") if p.strip()]:
            team = Team.objects.filter(parent=team, name=part).first()
            if team is None:
                break
        if team is not None:
            return team
    found = list(Team.objects.filter(name=name)[:2])
    if len(found) == 1:
        return found[0]
    if found:
        raise ValidationError({"team": [_("Several teams are named %(name)s; give its path, e.g. "
                                          "Head office/East/%(name)s.") % {"name": name}]})
    raise ValidationError({"team": [_("No team %(name)s.") % {"name": name}]})


def _clean(employee: Employee) -> Employee:
    employee.name = (employee.name or "").strip()
    employee.email = (employee.email or "").strip().lower()
    employee.phone = (employee.phone or "").strip()
    employee.position = (employee.position or "").strip()
    if not employee.name:
        raise ValidationError({"name": [_("This field cannot be blank.")]})
    if employee.email:
        try:
            validate_email(employee.email)
        except ValidationError:
            raise ValidationError({"email": [_("Enter a valid email address.")]}) from None
        if Employee.objects.filter(email=employee.email).exclude(pk=employee.pk).exists():
            raise ValidationError({"email": [_("Another employee has this e-mail address.")]})
    employee.full_clean(validate_constraints=False)
    return employee


@transaction.atomic
def employee_create(*, actor, name: str, email: str = "", phone: str = "", team: Team | None = None,
                    position: str = "", active: bool = True) -> Employee:
    """A member of staff without a login."""
    _require_admin(actor)
    employee = _clean(Employee(name=name, email=email, phone=phone, team=team, position=position, active=active))
    employee.save()
    audit_record(actor=actor, action="create", instance=employee, summary=employee.name)
    return employee


@transaction.atomic
def employee_update(*, actor, employee: Employee, data: Mapping) -> Employee:
    """Change the fields named in ``data`` (of :data:`FIELDS`)."""
    _require_admin(actor)
    changes = {}
    for key, value in data.items():
        if key not in FIELDS:
            continue
        old = getattr(employee, key)
        if old != value:
            changes[key] = [str(old), str(value)]
            setattr(employee, key, value)
    _clean(employee)
    employee.save()
    if changes:
        audit_record(actor=actor, action="update", instance=employee, changes=changes, summary=employee.name)
    return employee


def employee_list(*, viewer, team: Team | None = None, active: bool | None = None, q: str = "") -> QuerySet:
    """Staff without a login, for administrators and those who run survey waves. Unordered."""
    if not may_read_staff(viewer):
        return Employee.objects.none()
    qs = Employee.objects.select_related("team")
    if team is not None:
        qs = qs.filter(team__path__startswith=team.path)
    if active is not None:
        qs = qs.filter(active=active)
    if q:
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(email__istartswith=q.strip()))
    return qs


@dataclass(frozen=True)
class Person:
    """One employee to survey: a user or a member of staff."""

    user_id: int | None
    staff_id: int | None
    email: str
    team_id: int | None
    position: str
    language: str


def surveyed_people(*, teams: list[Team] | None = None) -> list[Person]:
    """Every active employee — active users and active staff without a login —
    of ``teams`` (with their subteams) or of the whole company."""
    users = User.objects.filter(is_active=True)
    staff = Employee.objects.filter(active=True)
    if teams:
        q_user, q_staff = Q(), Q()
        for team in teams:
            q_user |= Q(team__path__startswith=team.path)
            q_staff |= Q(team__path__startswith=team.path)
        users, staff = users.filter(q_user), staff.filter(q_staff)
    out = [Person(uid, None, email or "", team_id, role or "", language or "zh-hans")
           for uid, email, team_id, role, language in users.order_by("id")
           .values_list("id", "email", "team_id", "role", "language")]
    out += [Person(None, sid, email or "", team_id, position or "", "zh-hans")
            for sid, email, team_id, position in staff.order_by("id")
            .values_list("id", "email", "team_id", "position")]
    return out


# -- the import --------------------------------------------------------------------

EmployeeImportReport = TableImportReport


_Rollback = RollbackImport


def employee_import(*, actor, path, dry_run: bool = False) -> EmployeeImportReport:
    """Import staff from a CSV (UTF-8 or GBK) or .xlsx file with the columns
    name (required), email, phone, team (a team's name or path), position and
    active (yes/no). A row whose e-mail belongs to an imported employee
    updates that employee. All or nothing: any bad row and nothing is
    written; each error names the file's line."""
    from kehu.imports.readers import open_table

    _require_admin(actor)
    table = open_table(path)
    cols = {}
    for i, h in enumerate(table.headers):
        key = HEADERS.get(str(h or "").strip().lower())
        if key and key not in cols:
            cols[key] = i
    report = EmployeeImportReport(dry_run=dry_run)
    if "name" not in cols:
        report.errors.append((table.header_line, _("The header needs a name column (and may have email, phone, "
                                                   "team, position, active).")))
        return report

    def cell(values, key):
        i = cols.get(key)
        return str(values[i]).strip() if i is not None and i < len(values) and values[i] is not None else ""

    seen: dict[str, int] = {}
    try:
        with transaction.atomic():
            for line, values in table.rows():
                report.rows += 1
                try:
                    data = {k: cell(values, k) for k in ("name", "email", "phone", "position")}
                    if not data["name"]:
                        raise ValidationError({"name": [_("a value is required")]})
                    email = data["email"].lower()
                    if email and email in seen:
                        raise ValidationError({"email": [_("the same e-mail as line %(line)d") % {
                            "line": seen[email]}]})
                    if email:
                        seen[email] = line
                    team = team_by_name(cell(values, "team")) if cell(values, "team") else None
                    active = True
                    flag = cell(values, "active").lower()
                    if flag:
                        if flag not in TRUE | FALSE:
                            raise ValidationError({"active": [_("yes or no, not %(value)s") % {"value": flag}]})
                        active = flag in TRUE
                    existing = Employee.objects.filter(email=email).first() if email else None
                    if existing is not None:
                        employee_update(actor=actor, employee=existing, data={**data, "email": email, "team": team,
                                                                              "active": active})
                        report.updated += 1
                    else:
                        employee_create(actor=actor, name=data["name"], email=email, phone=data["phone"],
                                        team=team, position=data["position"], active=active)
                        report.created += 1
                except ValidationError as exc:
                    if hasattr(exc, "error_dict"):
                        text = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.message_dict.items())
                    else:
                        text = "; ".join(exc.messages)
                    report.errors.append((line, text))
            if report.errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return report
