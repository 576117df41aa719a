"""Importing answers collected elsewhere (paper questionnaires keyed in, another
survey tool, a call centre's spreadsheet) from CSV or .xlsx:
``kehu survey import-responses CODE FILE [--wave W] [--skip-bad]`` and the
wave's *Import answers* page.

One row per respondent. Columns: ``token`` (a personal link's token of the
wave) or ``customer`` (the customer code; an invitation of the wave is used,
or one is made with channel ``import``), one column per question code, and
optionally ``submitted_at`` (ISO date or date and time). Scored items take the
number answered (1–5, 0–10, 1–10), single choice the option's value, multiple
choice the values separated by ``|`` or ``;``, text any text. Headers match
question codes without regard to case.

The whole file is checked first and every problem reported with its line as
the spreadsheet shows it (``line 4: Q3: Choose a value from 1 to 5.``). With
an error and without ``skip_bad`` nothing is written; with ``skip_bad`` the
good rows are imported and the bad ones listed. Writing is one transaction:
an import that fails half-way writes nothing. Every imported response is
complete, scored, and sent through ``response_submitted`` like the others.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record
from kehu.customers.models import Customer
from kehu.imports.readers import TableError, has_nul, nul_message, open_table
from kehu.imports.services import Issue
from kehu.org.policies import policy_for
from kehu.surveys import answers as answers_mod
from kehu.surveys.models import Invitation, InvitationChannel, Response, ResponseSource, ResponseStatus, Wave
from kehu.surveys.services import distribution as dist

KEY_COLUMNS = ("token", "customer", "submitted_at")


@dataclass
class ImportRow:
    line: int
    invitation: Invitation | None
    customer: Customer | None
    answers: dict
    submitted_at: dt.datetime | None


@dataclass
class ImportResult:
    rows: int = 0
    good: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    imported: int = 0
    written: bool = False

    @property
    def bad_lines(self) -> int:
        return len({e.line for e in self.errors})


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value).strip()


def _when(text: str):
    if not text:
        return None, None
    moment = parse_datetime(text) if len(text) > 10 else None
    if moment is None:
        day = parse_date(text[:10])
        if day is None:
            return None, _("Enter a date (YYYY-MM-DD) or a date and time.")
        moment = dt.datetime.combine(day, dt.time(12, 0))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > timezone.now() + dt.timedelta(days=1):
        return None, _("The date is in the future.")
    return moment, None


def _cells(columns: list, values: list) -> tuple[dict[str, str], list[str]]:
    """The row's cells by column, and the columns whose cell holds a NUL character (left out)."""
    cells, nul = {}, []
    for column, value in zip(columns, values):
        if not column:
            continue
        if has_nul(value):
            nul.append(column)
        else:
            cells[column] = _cell(value)
    return cells, nul


def check_file(*, actor, wave: Wave, path) -> ImportResult:
    """Read and check the whole file; write nothing. Raises ``ValidationError``
    when the file cannot be imported at all (unreadable, no key column,
    unknown columns)."""
    try:
        table = open_table(Path(path))
    except TableError as exc:
        raise ValidationError(str(exc)) from None
    spec = answers_mod.survey_spec(wave.survey)
    by_lower = {q.code.lower(): q.code for q in spec.questions}
    columns: list[str | None] = []
    problems = []
    for h in table.headers:
        name = _cell(h)
        low = name.lower()
        if low in KEY_COLUMNS:
            columns.append(low)
        elif low in by_lower:
            columns.append(by_lower[low])
        elif not name:
            columns.append(None)
        else:
            problems.append(_("Unknown column “%(name)s”: use token, customer, submitted_at or a question code "
                              "of the survey.") % {"name": name})
            columns.append(None)
    if "token" not in columns and "customer" not in columns:
        problems.append(_("The file needs a column token or customer to say whose answers a row holds."))
    if problems:
        raise ValidationError(problems)

    rows = list(table.rows())
    result = ImportResult(rows=len(rows))
    tokens, refs = set(), set()
    for _line, values in rows:
        cells, _nul = _cells(columns, values)
        if cells.get("token"):
            tokens.add(cells["token"])
        elif cells.get("customer"):
            refs.add(cells["customer"])
    invitations = {i.token: i for i in Invitation.objects.filter(wave=wave, token__in=tokens)
                   .select_related("wave__survey")} if tokens else {}
    visible = policy_for(actor).visible(Customer.objects.all())
    customers = {}
    if refs:
        for c in visible.filter(ref__in=refs):
            customers.setdefault(c.ref, c)
    by_customer = {i.customer_id: i for i in Invitation.objects.filter(
        wave=wave, customer_id__in=[c.pk for c in customers.values()]).select_related("wave__survey")}
    done_invitations = set(Response.objects.filter(wave=wave, status=ResponseStatus.COMPLETE)
                           .values_list("invitation_id", flat=True))
    seen: dict = {}
    for line, values in rows:
        cells, nul = _cells(columns, values)
        errors = [Issue(line, column, nul_message()) for column in nul]
        invitation = customer = None
        if cells.get("token"):
            invitation = invitations.get(cells["token"])
            if invitation is None:
                errors.append(Issue(line, "token", _("No invitation of this wave has this token.")))
            elif invitation.customer_id and not visible.filter(pk=invitation.customer_id).exists():
                errors.append(Issue(line, "token", _("No invitation of this wave has this token.")))
        elif cells.get("customer"):
            customer = customers.get(cells["customer"])
            if customer is None:
                errors.append(Issue(line, "customer", _("No customer has the code “%(ref)s”.") % {
                    "ref": cells["customer"][:40]}))
            else:
                invitation = by_customer.get(customer.pk)
        else:
            errors.append(Issue(line, "", _("Give a token or a customer code.")))
        key = invitation.pk if invitation is not None else (customer.pk if customer is not None else None)
        if key is not None:
            if key in seen:
                errors.append(Issue(line, "", _("The same respondent is on line %(line)d.") % {"line": seen[key]}))
            else:
                seen[key] = line
        if invitation is not None and invitation.pk in done_invitations:
            errors.append(Issue(line, "", _("This respondent's answers are already recorded.")))
        answers = {}
        for q in spec.questions:
            if q.code not in cells:
                continue
            value, error = answers_mod.clean_answer(q, cells[q.code], spec.options.get(q.code))
            if error:
                errors.append(Issue(line, q.code, error))
            elif value is not None:
                answers[q.code] = value
        if not any(e.column in spec.by_code for e in errors):
            for code, message in answers_mod.missing_required(spec, answers).items():
                errors.append(Issue(line, code, message))
        submitted_at, when_error = _when(cells.get("submitted_at", ""))
        if when_error:
            errors.append(Issue(line, "submitted_at", when_error))
        if errors:
            result.errors.extend(errors)
        else:
            result.good.append(ImportRow(line, invitation, customer, answers, submitted_at))
    return result


def import_responses(*, actor, wave: Wave, path, skip_bad: bool = False, dry_run: bool = False) -> ImportResult:
    """Check ``path`` and, unless there are errors (and not ``skip_bad``) or
    ``dry_run``, record its answers in one transaction."""
    if not dist.may_run_waves(actor):
        raise PermissionDenied(_("Only administrators, marketing and head-office managers import answers."))
    result = check_file(actor=actor, wave=wave, path=path)
    if dry_run or (result.errors and not skip_bad) or not result.good:
        return result
    with transaction.atomic():
        for row in result.good:
            invitation = row.invitation
            if invitation is None:
                invitation = Invitation.objects.create(wave=wave, customer=row.customer, token=dist.new_token(),
                                                       channel=InvitationChannel.IMPORT, stratum="import")
            dist.response_record(invitation=invitation, answers=row.answers, submit=True,
                                 source=ResponseSource.IMPORT, submitted_at=row.submitted_at, check_open=False)
            result.imported += 1
        audit_record(actor=actor, action="survey.import_responses", instance=wave,
                     summary=f"{wave.name}: {result.imported} from {Path(path).name}")
    result.written = True
    return result
