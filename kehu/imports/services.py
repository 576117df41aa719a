"""Importing customers and orders from spreadsheets.

Two passes, both streaming:

1. **Check.** Every row is parsed and validated in Python; rows are looked up
   against the database in batches of :data:`BATCH` (existing codes, owners,
   products, order numbers: a few queries per batch, never one per row).
   Customers: every good row goes, in its final shape, to a temporary staging
   table (:mod:`kehu.imports.staging`), and the duplicate warnings come from
   set-based queries over it once the file is read. Orders keep only what
   later rows need (codes and order numbers seen so far, bad line numbers).
2. **Write**, only when no row is bad or ``skip_bad`` is given, in one
   transaction. Customers: new ones with one ``INSERT … SELECT`` from the
   staging table (their audit events and tags with it); updates of existing
   codes read the file again for those rows. Orders: the file is read again,
   bad rows are skipped, and everything is written with bulk inserts — on
   PostgreSQL with ``COPY`` into the tables (ids taken from the table's
   sequence first), elsewhere with ``bulk_create``. Search keys (name key,
   pinyin, initials), the normalised phone, the lower-cased email and the
   owning team are computed exactly as :mod:`kehu.customers.services`
   computes them.

Rules
-----
- Customers: a code (``ref``) that already exists **updates** that customer:
  every column present in the file with a non-empty cell replaces the stored
  value (tags are replaced as a set); empty cells leave the field as it is. A
  code that belongs to a customer the importing user may not change is a bad
  row. ``owner`` must be a user the importer may assign customers to
  (``policy_for(actor).can_assign_to``); the default owner is the importer.
  ``partner`` holds a partner's code (any partner, as on the customer form and
  in the API); an unknown code is a bad row. Partner users import nothing
  (:func:`_refuse_partner_users`).
- Same phone, same email, or same name and city as another row of the file or
  another customer in the database is a **warning**, not an error.
- Orders: lines with the same ``order_ref`` form one order (same customer and
  date on every line); an empty ``order_ref`` makes a one-line order with a
  generated number. The order's amount and cost are the sums of its lines.
  A customer code that is unknown creates that customer (named by
  ``customer_name``, else by its code; owned by the importer). An existing
  customer the importer may not change gives "customer not found". If one
  line of an order is bad the whole order is bad. An order is sold through the
  file's ``partner`` (its code), else the customer's partner, at the file's
  ``partner_margin_pct``, else the partner's margin (as the order form does).
- Audit: one summary event for the import itself (entity ``importrun``: who,
  when, which file, how many), and one ``AuditEvent`` per updated customer
  and per created order (action ``update``/``import``, carrying the import
  id), inserted in bulk. A customer the import creates carries the import in
  ``Customer.import_run`` instead of an audit row of its own; its history
  shows that record (:func:`kehu.customers.selectors.customer_history`).
  The :class:`~kehu.imports.models.ImportRun` row keeps the report.
"""

from __future__ import annotations

import json
from array import array
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.audit.models import AuditEvent
from kehu.customers.models import Customer, Tag
from kehu.customers.search import _NON_KEY, name_keys, normalise_phone
from kehu.imports.atomic import write_all_or_nothing
from kehu.sales.dashboard_figures import bump_sales_version
from kehu.imports.columns import CUSTOM_PREFIX, MEMO_SIZE, custom_columns, CellError, HeaderMap, map_headers, parse_cell
from kehu.imports.models import ImportKind, ImportRun, ImportStatus
from kehu.imports.readers import Table, TableError, has_nul, nul_message, open_table
from kehu.imports.staging import CustomerStage, DuplicateSearch
from kehu.org.models import User
from kehu.org.policies import policy_for
from kehu.sales.models import Order, OrderLine, Product

BATCH = 5000
MAX_ISSUES = 10_000          # errors / warnings kept in the report (all are counted)
CENT = Decimal("0.01")
_MISSING = object()

# (stage, rows done, rows in all or None). Called between batches while the customer stage is
# streaming into the database: it must not use the database connection.
Progress = Callable[[str, int, "int | None"], None]


class ImportUsageError(Exception):
    """The file cannot be imported at all: unreadable, no header, required columns missing."""


@dataclass
class Issue:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.column}: " if self.column else ""
        return _("line %(line)d: %(where)s%(message)s") % {"line": self.line, "where": where, "message": self.message}


@dataclass
class ImportReport:
    kind: str
    filename: str = ""
    format: str = ""
    encoding: str = ""
    delimiter: str = ""
    headers: list = field(default_factory=list)
    mapped: list = field(default_factory=list)     # (header as written, field)
    unknown: list = field(default_factory=list)    # headers that feed nothing
    repeated: list = field(default_factory=list)
    rows_read: int = 0
    created: int = 0                # customers created (customer import) / orders created (order import)
    updated: int = 0                # customers updated
    customers_created: int = 0      # order import: customers created for unknown codes
    lines_created: int = 0          # order import: order lines
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    error_count: int = 0
    warning_count: int = 0
    bad_lines: set = field(default_factory=set)
    dry_run: bool = False
    skip_bad: bool = False
    written: bool = False
    refused: bool = False
    run_id: int | None = None

    @property
    def skipped(self) -> int:
        return len(self.bad_lines)

    @property
    def good_rows(self) -> int:
        return self.rows_read - self.skipped

    def error(self, line: int, column: str, message: str) -> None:
        self.bad_lines.add(line)
        self.error_count += 1
        if len(self.errors) < MAX_ISSUES:
            self.errors.append(Issue(line, column, message))

    def warning(self, line: int, column: str, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_ISSUES:
            self.warnings.append(Issue(line, column, message))

    def sorted_errors(self) -> list[Issue]:
        return sorted(self.errors, key=lambda i: i.line)

    def as_dict(self, limit: int = 1000) -> dict:
        return {
            "kind": self.kind, "filename": self.filename, "format": self.format, "encoding": self.encoding,
            "delimiter": self.delimiter, "mapped": self.mapped, "unknown": self.unknown, "repeated": self.repeated,
            "rows_read": self.rows_read, "created": self.created, "updated": self.updated,
            "customers_created": self.customers_created, "lines_created": self.lines_created,
            "skipped": self.skipped, "error_count": self.error_count, "warning_count": self.warning_count,
            "errors": [[i.line, i.column, i.message] for i in self.sorted_errors()[:limit]],
            "warnings": [[i.line, i.column, i.message] for i in sorted(self.warnings, key=lambda i: i.line)[:limit]],
            "dry_run": self.dry_run, "skip_bad": self.skip_bad, "written": self.written, "refused": self.refused,
        }


# -- shared helpers ----------------------------------------------------------------

@lru_cache(maxsize=200_000)
def _keys(name: str) -> tuple[str, str, str]:
    # Pinyin is the dear part of a customer row; names repeat a lot in real lists.
    return name_keys(name)


def name_key(name: str) -> str:
    """``name_keys(name)[0]`` without the pinyin (used for duplicate checks)."""
    return _NON_KEY.sub("", (name or "").strip().lower())[:200]


def _open(source, kind: str) -> tuple[Table, HeaderMap, ImportReport]:
    try:
        table = open_table(source)
    except TableError as exc:
        raise ImportUsageError(str(exc)) from None
    for header in table.headers:
        if has_nul(header):
            raise ImportUsageError(_("Line %(line)d: the column heading %(header)s contains a NUL character (\\x00), "
                                     "which cannot be stored; remove it.")
                                   % {"line": table.header_line, "header": repr(header.replace("\x00", ""))})
    hmap = map_headers(table.headers, kind, custom_columns(kind))
    report = ImportReport(kind=kind, filename=Path(source).name, format=table.format, encoding=table.encoding,
                          delimiter=table.delimiter, headers=[str(h) for h in table.headers],
                          mapped=hmap.mapped, unknown=hmap.unknown, repeated=hmap.repeated)
    if hmap.missing:
        raise ImportUsageError(_("Required columns are missing: %(columns)s") % {"columns": ", ".join(hmap.missing)})
    return table, hmap, report


def _parse(values: list, hmap: HeaderMap, line: int, report: ImportReport | None) -> dict | None:
    """One row as ``{field: value}`` for non-empty cells, or None when a cell is bad.

    Cells of the kinds in :data:`~kehu.imports.columns.MEMO_KINDS` are parsed once per
    distinct cell (``hmap.memo``); a bad cell is never memoised, so every bad row is reported."""
    row = {}
    ok = True
    n = len(values)
    for index, column in hmap.columns:
        raw = values[index] if index < n else None
        if raw is None or (type(raw) is str and not raw.strip()):
            if column.required:
                ok = False
                if report is not None:
                    report.error(line, column.field, _("a value is required"))
            continue
        if type(raw) is str and "\x00" in raw:   # has_nul(), inlined: once per cell
            ok = False
            if report is not None:
                report.error(line, column.field, nul_message())
            continue
        if column.kind == "text" and type(raw) is str and not column.validators:   # the common case, inlined
            value = raw.strip()
            if column.max_length and len(value) > column.max_length:
                ok = False
                if report is not None:
                    report.error(line, column.field, _("longer than %(max)d characters") % {"max": column.max_length})
                continue
            row[column.field] = value
            continue
        memo = hmap.cell_memo(column)
        if memo is not None:        # only text cells are memoised (in a dict, True == 1 == 1.0)
            value = memo.get(raw, _MISSING)
            if value is not _MISSING:
                row[column.field] = value
                continue
        try:
            value = parse_cell(column, raw, report is not None)
        except CellError as exc:
            ok = False
            if report is not None:
                report.error(line, column.field, str(exc))
            continue
        row[column.field] = value
        if memo is not None and type(raw) is str and len(memo) < MEMO_SIZE:
            memo[raw] = value
    return row if ok else None


def _good_rows(table: Table, hmap: HeaderMap, report: ImportReport) -> Iterator[tuple[int, dict]]:
    """Second pass: the rows that passed the check, parsed again."""
    bad = report.bad_lines
    for line, values in table.rows():
        if line in bad:
            continue
        row = _parse(values, hmap, line, None)
        if row is not None:
            yield line, row


def _batches(items: Iterator, size: int = BATCH) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _in(values, kind: str = "text") -> object:
    """The right-hand side of an ``__in`` lookup for a big batch of values (``kind``: their
    PostgreSQL type, ``text`` or ``bigint``).

    On PostgreSQL one array parameter (``IN (SELECT unnest(%s))``) instead of
    thousands of placeholders, which the driver would otherwise parse one by
    one; elsewhere the list itself.
    """
    values = list(values)
    if connection.vendor == "postgresql":
        from django.db.models.expressions import RawSQL

        return RawSQL(f"SELECT unnest(%s::{kind}[])", (values,))
    return values


_defaults_cache: dict = {}


def _defaults(model) -> dict:
    if model not in _defaults_cache:
        _defaults_cache[model] = {
            f.attname: f.get_default() for f in model._meta.concrete_fields if not f.primary_key
        }
    return _defaults_cache[model]


def _insert(model, rows: list[dict]) -> list[int]:
    """Insert ``rows`` (dicts of attname → value, defaults filled in here) and return their ids.

    PostgreSQL: ids from the table's sequence, then ``COPY ... FROM STDIN``.
    Other databases: ``bulk_create``.
    """
    if not rows:
        return []
    defaults = _defaults(model)
    if connection.vendor == "postgresql":
        table = model._meta.db_table
        fields = list(model._meta.concrete_fields)
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, len(rows)],
            )
            ids = [r[0] for r in cursor.fetchall()]
            columns = ", ".join(qn(f.column) for f in fields)
            plan = [(f.attname, defaults.get(f.attname), f.get_internal_type() == "JSONField", f.primary_key)
                    for f in fields]
            raw = cursor.cursor
            with raw.copy(f"COPY {qn(table)} ({columns}) FROM STDIN") as copy:
                write = copy.write_row
                dumps = json.dumps
                for pk, row in zip(ids, rows):
                    get = row.get
                    write([pk if is_pk else (dumps(get(name, default), ensure_ascii=False) if is_json
                                             else get(name, default))
                           for name, default, is_json, is_pk in plan])
        return ids
    objs = [model(**{**defaults, **row}) for row in rows]
    model.objects.bulk_create(objs, batch_size=1000)
    if objs and objs[0].pk is None:  # a backend without RETURNING: look them up
        raise RuntimeError("bulk_create did not return ids")
    return [o.pk for o in objs]


def _audit_rows(*, actor, action: str, entity: str, items: list[tuple[int, int | None, str, dict]], now) -> list[dict]:
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    return [
        {"created_at": now, "actor_id": actor_id, "action": action, "entity": entity, "entity_id": pk,
         "customer_id": customer_id, "summary": summary[:300], "changes": changes}
        for pk, customer_id, summary, changes in items
    ]


def _tag_ids(names: set[str], cache: dict[str, int]) -> None:
    missing = [n for n in names if n not in cache]
    if not missing:
        return
    cache.update(Tag.objects.filter(name__in=missing).values_list("name", "pk"))
    new = [Tag(name=n) for n in missing if n not in cache]
    if new:
        Tag.objects.bulk_create(new, ignore_conflicts=True)
        cache.update(Tag.objects.filter(name__in=[t.name for t in new]).values_list("name", "pk"))


def _start_run(*, run, actor, kind, report, skip_bad, dry_run) -> ImportRun | None:
    if dry_run:
        return run
    if run is None:
        run = ImportRun(user=actor if getattr(actor, "pk", None) else None, kind=kind, filename=report.filename)
    run.skip_bad = skip_bad
    return run


def _finish_run(run: ImportRun | None, report: ImportReport, status: str) -> None:
    if run is None:
        return
    run.status = status
    run.rows_read = report.rows_read
    run.created = report.created
    run.updated = report.updated
    run.skipped = report.skipped
    run.error_count = report.error_count
    run.warning_count = report.warning_count
    run.report = {**(run.report or {}), **report.as_dict()}
    run.save()
    report.run_id = run.pk


class _Owners:
    """Usernames → users the actor may assign customers to, looked up once each.

    ``before_query`` runs before each lookup (the customer import ends its streaming ``COPY``
    there). After :meth:`load_all` every user is known and a name not found is unknown without
    asking the database — what a parse worker process, which must not use the connection, needs."""

    def __init__(self, actor):
        self.policy = policy_for(actor)
        self.cache: dict[str, User | str] = {}
        self.before_query: Callable[[], None] | None = None
        self.complete = False
        self.leads = False      # a lead import: rows get no owner (import_customers(leads=True))

    def load_all(self) -> None:
        if self.before_query:
            self.before_query()
        self.complete = True
        users = {u.username: u for u in User.objects.exclude(username__in=list(self.cache))}
        self._fill(list(users), users)

    def preload(self, usernames: set[str]) -> None:
        missing = [u for u in usernames if u not in self.cache]
        if not missing:
            return
        if self.complete:
            self._fill(missing, {})
            return
        if self.before_query:
            self.before_query()
        self._fill(missing, {u.username: u for u in User.objects.filter(username__in=missing)})

    def _fill(self, missing: list[str], found: dict[str, User]) -> None:
        for name in missing:
            user = found.get(name)
            if user is None:
                self.cache[name] = _("unknown user '%(user)s'") % {"user": name}
            elif not user.is_active:
                self.cache[name] = _("user '%(user)s' is not active") % {"user": name}
            elif not self.policy.can_assign_to(user):
                self.cache[name] = _("you may not assign customers to '%(user)s'") % {"user": name}
            else:
                self.cache[name] = user

    def get(self, username: str) -> User | str:
        if username not in self.cache:
            self.preload({username})
        return self.cache[username]


class _Partners:
    """Partner codes → partner ids and margins (kehu.org Partner), every partner read once per
    import that needs them (a channel has hundreds of partners, not millions): a parse worker
    process inherits the map and asks the database nothing. Anyone who may import names any
    partner, active or not, as on the customer form and in the API (partner users import
    nothing)."""

    def __init__(self, wanted: bool):
        self.ids: dict[str, int] = {}
        self.folded: dict[str, int] = {}
        self.margins: dict[int, Decimal] = {}
        if wanted:
            from kehu.org.models import Partner

            for pk, code, margin in Partner.objects.values_list("pk", "code", "margin_pct"):
                self.ids[code] = pk
                self.margins[pk] = margin
            self.folded = {code.casefold(): pk for code, pk in self.ids.items()}

    def get(self, code: str) -> int | str:
        """The id of the partner with ``code`` (case aside), or the report's message."""
        pk = self.ids.get(code)
        if pk is None:
            pk = self.folded.get(code.casefold())
        return pk if pk is not None else _("unknown partner '%(code)s'") % {"code": code}


def _refuse_partner_users(policy) -> None:
    """Partner users register customers and record orders one at a time (the partner portal,
    kehu.org.policies.PARTNER_VIEWS, has no import); the command line refuses them too."""
    if policy.is_partner:
        raise PermissionDenied(_("Partner users do not import; register customers and orders one at a time."))


# -- customers --------------------------------------------------------------------

CUSTOMER_FIELD_MAP = {"type": "kind", "owner": "owner", "tags": "tags", "partner": "partner_id"}


def _computed_values(row: dict, owner) -> dict:
    """The fields of a new customer that are computed, not copied, from its parsed row: the
    stripped name and its search keys, the normalised phone, the lower-case email, the owner and
    the owner's team — as customers.services computes them — and the custom field cells as one
    JSON object (text: the staging table's column is filled as text)."""
    name = row["name"].strip()
    key, pinyin, initials = _keys(name)
    return {"name": name, "name_key": key, "name_pinyin": pinyin, "name_initials": initials,
            "phone": normalise_phone(row.get("phone")), "email": (row.get("email") or "").strip().lower(),
            "owner_id": owner.pk if owner is not None else None,
            "team_id": owner.team_id if owner is not None else None,
            "custom": json.dumps(custom_object(row), ensure_ascii=False)}


def custom_object(row: dict) -> dict:
    """The custom field cells of a parsed row (``custom.<key>``) as the record's ``custom`` object."""
    return {key[len(CUSTOM_PREFIX):]: value for key, value in row.items() if key.startswith(CUSTOM_PREFIX)}


def _customer_values(row: dict, owner, now) -> dict:
    """Model attname → value for a new customer, keys computed as customers.services does."""
    values = dict(_defaults(Customer))
    for key, value in row.items():
        if key in ("owner", "tags") or key.startswith(CUSTOM_PREFIX):
            continue
        values[CUSTOMER_FIELD_MAP.get(key, key)] = value
    values.update(_computed_values(row, owner))
    values["created_at"] = values["updated_at"] = now
    if values.get("consent_marketing") or values.get("consent_data_processing"):
        values["consent_updated_at"] = now
    return values


class _ErrorLog:
    """Bad cells of one batch, as ``(line, column, message)``: what :func:`_parse` reports in a
    parse worker process, replayed into the report by the main process in file order."""

    def __init__(self):
        self.errors: list[tuple[int, str, str]] = []

    def error(self, line: int, column: str, message: str) -> None:
        self.errors.append((line, column, message))


@dataclass
class _CustomerCheck:
    """What checking a batch of customer rows needs besides the rows (a parse worker process
    inherits it when it is forked)."""

    hmap: HeaderMap
    owners: _Owners
    actor: object
    stage: CustomerStage
    cells: _StageCells
    partners: _Partners


class _StageCells:
    """The staged columns' values of new customers, straight from their parsed rows: what
    :func:`_customer_values` gives for those columns, without first building the dict of every
    field (a million rows go through here)."""

    def __init__(self, stage: CustomerStage):
        defaults = _defaults(Customer)
        source = {v: k for k, v in CUSTOMER_FIELD_MAP.items()}      # attname → the file's field
        computed = set(_computed_values({"name": ""}, None))
        self.plan = [(c in computed, c if c in computed else source.get(c, c), defaults.get(c))
                     for c in stage.columns]

    def __call__(self, rows: list[tuple[int, dict, object]]) -> Iterator[tuple[int, list]]:
        """``rows``: ``(line, parsed row, owner or None)`` → ``(line, cells in the stage's order)``,
        one at a time (a batch of them alive at once costs the garbage collector seconds)."""
        plan = self.plan
        for line, row, owner in rows:
            computed = _computed_values(row, owner)
            get = row.get
            yield line, [computed[c] if is_computed else get(c, default) for is_computed, c, default in plan]


@dataclass
class _CheckedRows:
    """One batch of customer rows, checked (:func:`_check_customer_rows`), column by column:
    the parsed rows' lines, codes and stage entries (None where the owner or the partner is bad)
    in file order, with the few bad owners and partners (line → column, message) and the tags
    by line."""

    read: int
    errors: list[tuple[int, str, str]]
    lines: list[int]
    refs: list[str]
    entries: list
    row_errors: dict[int, tuple[str, str]]
    tags: dict[int, list[str]]


def _check_customer_rows(batch: list[tuple[int, list]], ctx: _CustomerCheck) -> _CheckedRows:
    """Parse a batch of raw rows ``(line, cells)``, resolve their owners and make their stage
    entries (ready for :meth:`CustomerStage.add_entries`). Reports nothing and (once the
    owners are all loaded) asks the database nothing: :func:`_merge_customer_rows` reports and
    stages, in file order, so the batches may be checked in other processes."""
    log = _ErrorLog()
    parsed = []
    hmap = ctx.hmap
    for line, values in batch:
        row = _parse(values, hmap, line, log)
        if row is not None:
            parsed.append((line, row))
    owners = ctx.owners
    missing = {row["owner"] for _line, row in parsed if row.get("owner")} - owners.cache.keys()
    if missing:
        owners.preload(missing)
    good, row_errors, tags = [], {}, {}
    for line, row in parsed:
        owner = None if owners.leads else ctx.actor
        if row.get("owner"):
            owner = owners.get(row["owner"])
            if isinstance(owner, str):
                row_errors[line] = ("owner", owner)
                continue
        if row.get("partner"):
            partner = ctx.partners.get(row["partner"])
            if isinstance(partner, str):
                row_errors[line] = ("partner", partner)
                continue
            row["partner"] = partner        # the stage's partner_id
        good.append((line, row, owner if getattr(owner, "pk", None) else None))
        if row.get("tags"):
            tags[line] = row["tags"]
    made = ctx.stage.entries(ctx.cells(good))
    if row_errors:
        by_line = dict(zip([line for line, _row, _owner in good], made))
        entries = [by_line.get(line) for line, _row in parsed]
    else:
        entries = made
    return _CheckedRows(len(batch), log.errors, [line for line, _row in parsed], [row["ref"] for _line, row in parsed],
                        entries, row_errors, tags)


def _merge_customer_rows(checked: _CheckedRows, *, report: ImportReport, seen: dict[str, int],
                         stage: CustomerStage) -> None:
    """Report a checked batch and stage its good rows. A code already seen on an earlier line
    makes the row bad (and is checked before its owner, as the row's first fault)."""
    report.rows_read += checked.read
    for line, column, message in checked.errors:
        report.error(line, column, message)
    lines, refs = checked.lines, checked.refs
    if not checked.row_errors and seen.keys().isdisjoint(refs) and len(set(refs)) == len(refs):
        # the usual batch: every parsed row is good, checked in bulk
        seen.update(zip(refs, lines))
        stage.add_entries(checked.entries, [(line, tag) for line, names in checked.tags.items() for tag in names])
        return
    entries, tags = [], []
    for line, ref, entry in zip(lines, refs, checked.entries):
        first = seen.get(ref)
        if first is not None:
            report.error(line, "ref", _("customer code '%(ref)s' is also on line %(line)d") % {"ref": ref, "line": first})
            continue
        seen[ref] = line
        if entry is None:
            report.error(line, *checked.row_errors[line])
            continue
        entries.append(entry)
        tags.extend((line, tag) for tag in checked.tags.get(line, ()))
    stage.add_entries(entries, tags)


def _check_codes(stage: CustomerStage, *, report: ImportReport, policy, leads: bool = False) -> dict[str, int]:
    """The staged codes that are customers already: those the importer may change are updates
    (code → id, returned), the others bad rows ("already in use"), taken out of the stage.
    A lead import updates nothing: every code in use is a bad row."""
    found = stage.matches()
    if not found:
        return {}
    changeable = set() if leads else set(policy.changeable(Customer.objects.filter(pk__in=_in([pk for _l, _r, pk in found], "bigint")))
                     .order_by().values_list("pk", flat=True))
    existing: dict[str, int] = {}
    updates, bad = [], []
    for line, ref, pk in found:
        if pk in changeable:
            existing[ref] = pk
            updates.append(line)
        else:
            report.error(line, "ref", _("customer code '%(ref)s' is already in use") % {"ref": ref})
            bad.append(line)
    stage.remove(bad)
    stage.mark_existing(updates)
    return existing


def _duplicate_warnings(search: DuplicateSearch, report: ImportReport, actor) -> None:
    """Warnings for the same phone, email or name and city as an earlier row or an existing
    customer, from ``search`` (:meth:`CustomerStage.start_duplicates`).

    A customer the importer may see is named; one they may not see only as "a customer you may
    not see" (the query leaves out its code and name), each such warning one notice of the
    importer's hourly allowance (:mod:`kehu.customers.duplicates`). When the allowance runs
    out, one note on that line says so, and no later row is marked — nor counted: the warning
    count includes only the notices given."""
    from kehu.customers.duplicates import limit_message, take_notices

    in_file = _("same %(what)s as line %(other)d (%(ref)s)")
    in_db = _("same %(what)s as existing customer %(ref)s %(name)s")
    hidden_db = _("same %(what)s as a customer you may not see (ask your manager)")
    labels = {"phone": _("phone"), "email": _("email"), "name": _("name and city")}
    total, hidden, first = search.result()
    listed_hidden = sum(1 for row in first if row[1] == 2)
    granted = take_notices(actor, listed_hidden) if listed_hidden else 0
    given = 0
    for line, kind, label, first_line, ref, name in first:
        if kind == 0:
            report.warning(line, label, in_file % {"what": labels[label], "other": first_line, "ref": ref})
        elif kind == 1:
            report.warning(line, label, in_db % {"what": labels[label], "ref": ref, "name": name})
        elif given < granted:
            given += 1
            report.warning(line, label, hidden_db % {"what": labels[label]})
        elif given == granted:
            given += 1      # the note once, where the allowance ran out
            report.warning(line, "", limit_message(actor))
    # The warnings past the listed ones are counted, as report.warning would — but not those
    # about customers the importer may not see.
    report.warning_count += (total - hidden) - (len(first) - listed_hidden)


def import_customers(*, actor, source, skip_bad: bool = False, dry_run: bool = False,
                     progress: Progress | None = None, run: ImportRun | None = None,
                     leads: bool = False) -> ImportReport:
    """Import customers from the CSV or .xlsx file at ``source``. See the module docstring.

    ``leads``: the file holds leads for the pool (kehu.sales.pool): new customers at the
    reserve stage without an owner, in the company pool — the same rules otherwise. A file
    with an owner or lifecycle stage column is refused, and so is a row whose code is in use
    (a lead import never changes a customer).

    Raises :class:`ImportUsageError` for a file that cannot be imported at all
    and ``PermissionDenied`` when the actor may not create customers.
    """
    policy = policy_for(actor)
    if not policy.can_create:
        raise PermissionDenied(_("You may not create customers."))
    _refuse_partner_users(policy)
    table, hmap, report = _open(source, ImportKind.CUSTOMERS)
    if leads and hmap.fields & {"owner", "lifecycle_stage"}:
        raise ImportUsageError(_("A lead file has no owner or lifecycle stage column: leads go to the pool at the "
                                 "reserve stage, without an owner. Remove the column."))
    if leads and "partner" in hmap.fields:
        raise ImportUsageError(_("A lead file has no partner column: a customer served by a partner is never a "
                                 "lead of the pool. Remove the column."))
    report.dry_run, report.skip_bad = dry_run, skip_bad
    if run is not None and run.filename:
        report.filename = run.filename
    owners = _Owners(actor)
    owners.leads = leads
    partners = _Partners("partner" in hmap.fields)
    now = timezone.now()
    stage = CustomerStage(connection, {CUSTOMER_FIELD_MAP.get(c.field, c.field) for _i, c in hmap.columns
                                       if not c.field.startswith(CUSTOM_PREFIX)})
    stage.create()
    try:
        return _import_customers(actor=actor, table=table, hmap=hmap, report=report, policy=policy, owners=owners,
                                 partners=partners, stage=stage, now=now, skip_bad=skip_bad, dry_run=dry_run,
                                 progress=progress, run=run)
    finally:
        try:
            stage.drop()
        except DatabaseError:
            pass    # the transaction is broken; the temporary tables go with the connection


def _import_customers(*, actor, table, hmap, report, policy, owners, partners, stage, now, skip_bad, dry_run,
                      progress, run) -> ImportReport:
    existing_refs = _check_customers(actor=actor, table=table, hmap=hmap, report=report, policy=policy,
                                     owners=owners, partners=partners, stage=stage, progress=progress)
    # The duplicate warnings: for a big file found on a second connection while this one writes.
    limit = max(MAX_ISSUES - len(report.warnings), 1)
    writing = not dry_run and (skip_bad or not report.error_count)
    visible = policy.visible_where_sql(stage.connection)   # the importer's scope, in the query itself
    search = stage.start_duplicates(limit, visible) if writing else DuplicateSearch(stage.duplicates(limit, visible))
    try:
        return _write_customers(actor=actor, table=table, hmap=hmap, report=report, owners=owners,
                                partners=partners, stage=stage,
                                now=now, skip_bad=skip_bad, dry_run=dry_run, progress=progress, run=run,
                                existing_refs=existing_refs, search=search)
    finally:
        search.close()


def _write_customers(*, actor, table, hmap, report, owners, partners, stage, now, skip_bad, dry_run, progress, run,
                     existing_refs, search) -> ImportReport:
    run = _start_run(run=run, actor=actor, kind=ImportKind.CUSTOMERS, report=report, skip_bad=skip_bad, dry_run=dry_run)
    if dry_run:
        _duplicate_warnings(search, report, actor)
        return report
    if report.error_count and not skip_bad:
        _duplicate_warnings(search, report, actor)
        report.refused = True
        report.created = report.updated = 0
        _finish_run(run, report, ImportStatus.REFUSED)
        return report

    # Pass 2: write, in one transaction. New customers straight from the stage (one
    # INSERT … SELECT, their audit events and tags with it); updates of existing codes
    # read the file again for their rows (only when there are any).
    good = report.good_rows
    with write_all_or_nothing(run, lambda: _finish_run(run, report, ImportStatus.DONE)):
        created = stage.insert_new(now=now, run_id=run.pk)
        if progress:
            progress("write", created, good)
        updated = 0
        if existing_refs:
            tag_cache: dict[str, int] = {}
            rows = (row for _line, row in _good_rows(table, hmap, report) if row["ref"] in existing_refs)
            for chunk in _batches(rows):
                _insert(AuditEvent, _update_customers(chunk, actor=actor, owners=owners, partners=partners,
                                                      tag_cache=tag_cache, run=run, now=now))
                updated += len(chunk)
                if progress:
                    progress("write", created + updated, good)
        report.created, report.updated, report.written = created, updated, True
        _duplicate_warnings(search, report, actor)   # before the commit: a failed search writes nothing
        _insert(AuditEvent, _audit_rows(actor=actor, action="import", entity="importrun", now=now, items=[
            (run.pk, None, _("%(created)d customers created, %(updated)d updated from %(file)s")
             % {"created": created, "updated": updated, "file": report.filename},
             {"created": created, "updated": updated, "skipped": report.skipped, "file": report.filename})]))
    return report


#: A CSV file at least this big is parsed by worker processes (PostgreSQL, two cores or more).
PARALLEL_MIN_BYTES = 4 * 1024 * 1024
#: How many (at most; fewer on a machine with fewer cores).
PARALLEL_WORKERS = 2

_worker_ctx: _CustomerCheck | None = None     # a forked parse worker's copy of the check's context


def _parse_workers(table: Table) -> int:
    """How many worker processes parse this file: none for a small file, a spreadsheet, SQLite,
    one core, or a platform without ``fork`` (the workers inherit the parsed header, the owners
    and the memoised cells instead of having them sent)."""
    import multiprocessing
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if (table.format != "csv" or table.total_bytes < PARALLEL_MIN_BYTES or connection.vendor != "postgresql"
            or cores < 2 or "fork" not in multiprocessing.get_all_start_methods()
            or multiprocessing.current_process().daemon):      # a daemon process may not have children
        return 0
    return min(PARALLEL_WORKERS, cores)


def _check_in_worker(batch: list[tuple[int, list]]) -> _CheckedRows:
    return _check_customer_rows(batch, _worker_ctx)


def _checked_in_workers(table: Table, ctx: _CustomerCheck, workers: int) -> Iterator[_CheckedRows]:
    """The file's batches checked by ``workers`` forked processes, yielded in file order.

    This process reads the file and hands out the raw batches; at most a few batches per
    worker are in flight, so memory stays flat however long the file. The workers only parse
    (cells, search keys, owners from the list loaded before the fork, the stage's COPY text):
    they never use the database connection they inherit, and end with ``os._exit`` (by
    :mod:`multiprocessing`), so they never close it either."""
    import multiprocessing
    from collections import deque

    global _worker_ctx
    _worker_ctx = ctx
    name_keys("客户 Kehu")     # the pinyin tables built once, here, rather than in every worker
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pending: deque = deque()
            for batch in _batches(table.rows()):
                pending.append(pool.apply_async(_check_in_worker, (batch,)))
                if len(pending) > 2 * workers:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()
    finally:
        _worker_ctx = None


def _check_customers(*, actor, table, hmap, report, policy, owners, partners, stage, progress) -> dict[str, int]:
    """Pass 1: check every row; the good ones go to the staging table in their final shape.
    Then the codes and the counts; the duplicate warnings follow (:meth:`CustomerStage.start_duplicates`).
    Returns the existing codes the file updates (code → id)."""
    seen: dict[str, int] = {}
    ctx = _CustomerCheck(hmap=hmap, owners=owners, actor=actor, stage=stage, cells=_StageCells(stage),
                         partners=partners)
    owners.before_query = stage.pause   # the connection is streaming the stage: a query waits its turn
    workers = _parse_workers(table)
    if workers:
        owners.load_all()
        checked_batches = _checked_in_workers(table, ctx, workers)
    else:
        checked_batches = (_check_customer_rows(batch, ctx) for batch in _batches(table.rows()))
    try:
        for checked in checked_batches:
            _merge_customer_rows(checked, report=report, seen=seen, stage=stage)
            if progress:
                progress("check", report.rows_read, None)
    finally:
        checked_batches.close()     # the worker processes end here, whatever happened
    stage.finish()
    del seen
    existing_refs = _check_codes(stage, report=report, policy=policy, leads=owners.leads)
    if connection.vendor == "postgresql":
        stage.analyze()
    if progress:
        progress("check", report.rows_read, None)
    report.updated = len(existing_refs)
    report.created = report.good_rows - report.updated
    return existing_refs


def _update_customers(rows: list[dict], *, actor, owners: _Owners, partners: _Partners, tag_cache, run,
                      now) -> list[dict]:
    """Apply the non-empty cells of ``rows`` to their existing customers; audit rows for the changes."""
    from kehu.audit.services import diff, snapshot

    by_ref = {c.ref: c for c in Customer.objects.filter(ref__in=_in(r["ref"] for r in rows))}
    fields: set[str] = set()
    audit = []
    tag_updates: dict[int, list[str]] = {}
    old_tags: dict[int, list[str]] = {}
    for row in rows:
        customer = by_ref[row["ref"]]
        before = snapshot(customer)
        custom = custom_object(row)
        if custom:      # the file's custom cells change those keys; the others stay
            customer.custom = {**(customer.custom or {}), **custom}
            fields.add("custom")
        for key, value in row.items():
            if key in ("ref", "tags", "_dup") or key.startswith(CUSTOM_PREFIX):
                continue
            if key == "owner":
                owner = owners.get(value)
                customer.owner = owner
                customer.team_id = owner.team_id
                fields.update(("owner", "team"))
                continue
            if key == "partner":        # checked in the first pass
                customer.partner_id = partners.get(value)
                fields.add("partner")
                continue
            attr = CUSTOMER_FIELD_MAP.get(key, key)
            setattr(customer, attr, value)
            fields.add(attr)
        customer.name = customer.name.strip()
        customer.name_key, customer.name_pinyin, customer.name_initials = _keys(customer.name)
        customer.phone = normalise_phone(customer.phone)
        customer.email = (customer.email or "").strip().lower()
        fields.update(("name_key", "name_pinyin", "name_initials", "phone", "email"))
        if ("consent_marketing" in row or "consent_data_processing" in row) and (
                before["consent_marketing"], before["consent_data_processing"]) != (
                customer.consent_marketing, customer.consent_data_processing):
            customer.consent_updated_at = now
            fields.add("consent_updated_at")
        customer.updated_at = now
        changes = diff(before, snapshot(customer))
        changes.pop("consent_updated_at", None)
        if "tags" in row:
            tag_updates[customer.pk] = row["tags"]
        if changes:
            changes["import"] = run.pk
            audit.append((customer.pk, customer.pk, customer.name, changes))
    if fields:
        Customer.objects.bulk_update(list(by_ref.values()), sorted(fields | {"updated_at"}), batch_size=500)
    if tag_updates:
        through = Customer.tags.through
        for cid, name in through.objects.filter(customer_id__in=tag_updates).values_list("customer_id", "tag__name"):
            old_tags.setdefault(cid, []).append(name)
        _tag_ids({t for tags in tag_updates.values() for t in tags}, tag_cache)
        through.objects.filter(customer_id__in=tag_updates).delete()
        through.objects.bulk_create([through(customer_id=cid, tag_id=tag_cache[t])
                                     for cid, tags in tag_updates.items() for t in tags])
        changed = {cid for cid, tags in tag_updates.items() if sorted(old_tags.get(cid, [])) != sorted(tags)}
        for item in audit:
            if item[0] in changed:
                item[3]["tags"] = [sorted(old_tags.get(item[0], [])), sorted(tag_updates[item[0]])]
                changed.discard(item[0])
        for cid in changed:
            customer = next(c for c in by_ref.values() if c.pk == cid)
            audit.append((cid, cid, customer.name, {"tags": [sorted(old_tags.get(cid, [])), sorted(tag_updates[cid])],
                                                    "import": run.pk}))
    return _audit_rows(actor=actor, action="update", entity="customer", items=audit, now=now)


# -- orders ------------------------------------------------------------------------

@dataclass
class _OrderInfo:
    first_line: int
    customer_ref: str | None = None
    order_date: object = None
    lines: list = field(default_factory=list)


def _check_order_batch(batch: list[tuple[int, dict]], *, report: ImportReport, policy, customers: dict,
                       new_customers: dict, products: dict, existing_orders: set, partners: _Partners,
                       customer_partners: dict) -> None:
    refs = {row["customer_ref"] for _l, row in batch} - customers.keys()
    if refs:
        found = {ref: (pk, partner_id) for ref, pk, partner_id in
                 Customer.objects.filter(ref__in=_in(refs)).values_list("ref", "pk", "partner_id")}
        ok = set(policy.changeable(Customer.objects.filter(pk__in=[pk for pk, _p in found.values()]))
                 .values_list("ref", flat=True)) if found else set()
        for ref in refs:
            customers[ref] = found[ref][0] if ref in ok else (None if ref in found else 0)
            if ref in ok and found[ref][1]:
                customer_partners[ref] = found[ref][1]    # the order's partner when the file names none
    wanted = {row["product_ref"] for _l, row in batch if row.get("product_ref")} - products.keys()
    if wanted:
        found_products = {p[0]: p for p in Product.objects.filter(ref__in=_in(wanted)).values_list("ref", "pk", "unit_cost")}
        for ref in wanted:
            products[ref] = found_products.get(ref)
    order_refs = {row["order_ref"] for _l, row in batch if row.get("order_ref")}
    if order_refs:
        existing_orders.update(Order.objects.filter(ref__in=_in(order_refs)).values_list("ref", flat=True))
    for line, row in batch:
        ref = row["customer_ref"]
        if customers.get(ref) is None:
            # Exists but may not be changed by the importer: the same words as for a
            # customer that does not exist anywhere.
            report.error(line, "customer_ref", _("customer '%(ref)s' not found") % {"ref": ref})
            continue
        if row.get("product_ref") and products.get(row["product_ref"]) is None:
            report.error(line, "product_ref", _("unknown product '%(ref)s'") % {"ref": row["product_ref"]})
            continue
        if row.get("order_ref") in existing_orders:
            report.error(line, "order_ref", _("order '%(ref)s' already exists") % {"ref": row["order_ref"]})
            continue
        if row.get("partner") and isinstance(partners.get(row["partner"]), str):
            report.error(line, "partner", partners.get(row["partner"]))
            continue
        if (row.get("partner_margin_pct") is not None and not row.get("partner")
                and not customer_partners.get(ref)):
            report.error(line, "partner_margin_pct", _("A margin needs a partner."))
            continue
        if customers[ref] == 0 and not new_customers.get(ref):
            new_customers[ref] = row.get("customer_name") or ""
        _warn_below_cost(line, row, products, report)


def _warn_below_cost(line: int, row: dict, products: dict, report: ImportReport) -> None:
    """A line sold below its cost is imported, with a warning (as the order form and the API give)."""
    cost = row.get("cost")
    if cost is None and row.get("product_ref"):
        cost = (row.get("quantity") or Decimal(1)) * products[row["product_ref"]][2]
    if cost is not None and row["amount"] < cost:
        report.warning(line, "amount", _("sold below cost: amount %(amount)s, cost %(cost)s") % {
            "amount": row["amount"].quantize(Decimal("0.01")), "cost": Decimal(cost).quantize(Decimal("0.01"))})


# An import of orders for at most this many customers queues their rescoring (one
# job); a larger one leaves their value scores to the nightly analysis.
RESCORE_AFTER_IMPORT = 1000


def import_orders(*, actor, source, skip_bad: bool = False, dry_run: bool = False,
                  progress: Progress | None = None, run: ImportRun | None = None) -> ImportReport:
    """Import orders (one row per order line) from the CSV or .xlsx file at ``source``.

    See the module docstring for the rules. Raises :class:`ImportUsageError`
    or ``PermissionDenied`` (read-only users).
    """
    from kehu.imports.columns import cell_text

    policy = policy_for(actor)
    if not policy.can_create:
        raise PermissionDenied(_("You may not change customers or orders."))
    _refuse_partner_users(policy)
    table, hmap, report = _open(source, ImportKind.ORDERS)
    partners = _Partners(True)     # the file's partners, and the margins of the customers' partners
    report.dry_run, report.skip_bad = dry_run, skip_bad
    if run is not None and run.filename:
        report.filename = run.filename

    customers: dict[str, int | None] = {}   # ref → id (changeable), None (not allowed), 0 (unknown: create)
    new_customers: dict[str, str] = {}       # unknown ref → name from the file
    products: dict = {}
    existing_orders: set[str] = set()
    customer_partners: dict[str, int] = {}   # ref → the partner that serves the customer (if any)
    orders: dict[str, _OrderInfo] = {}
    order_index = next((i for i, c in hmap.columns if c.field == "order_ref"), None)
    batch: list[tuple[int, dict]] = []
    numbered = array("q")      # lines of one-line orders without a number: they get one of the counter's

    def check(batch):
        _check_order_batch(batch, report=report, policy=policy, customers=customers, new_customers=new_customers,
                           products=products, existing_orders=existing_orders, partners=partners,
                           customer_partners=customer_partners)

    # Pass 1: check.
    for line, values in table.rows():
        report.rows_read += 1
        row = _parse(values, hmap, line, report)
        info = None
        if order_index is not None and order_index < len(values):
            order_ref = cell_text(values[order_index])
            if order_ref:
                info = orders.get(order_ref)
                if info is None:
                    info = orders[order_ref] = _OrderInfo(line)
                info.lines.append(line)
        if row is None:
            continue
        if info is None:
            numbered.append(line)
        if info is not None:
            if info.customer_ref is None:
                info.first_line, info.customer_ref, info.order_date = line, row["customer_ref"], row["order_date"]
            elif info.customer_ref != row["customer_ref"]:
                report.error(line, "customer_ref", _("order '%(order)s' is for customer '%(ref)s' on line %(line)d")
                             % {"order": row["order_ref"], "ref": info.customer_ref, "line": info.first_line})
                continue
            elif info.order_date != row["order_date"]:
                report.error(line, "order_date", _("order '%(order)s' is dated %(date)s on line %(line)d")
                             % {"order": row["order_ref"], "date": info.order_date, "line": info.first_line})
                continue
        batch.append((line, row))
        if len(batch) >= BATCH:
            check(batch)
            batch = []
            if progress:
                progress("check", report.rows_read, None)
    if batch:
        check(batch)
    if progress:
        progress("check", report.rows_read, None)

    # One bad line spoils its whole order.
    for order_ref, info in orders.items():
        bad = [ln for ln in info.lines if ln in report.bad_lines]
        if bad:
            for ln in info.lines:
                if ln not in report.bad_lines:
                    report.error(ln, "order_ref", _("order '%(order)s' has a bad line (line %(line)d)")
                                 % {"order": order_ref, "line": bad[0]})
    line_counts = {ref: len(info.lines) for ref, info in orders.items()}
    del orders

    run = _start_run(run=run, actor=actor, kind=ImportKind.ORDERS, report=report, skip_bad=skip_bad, dry_run=dry_run)
    if dry_run:
        # Predict the counts with one more pass over the good rows.
        good_orders: set[str] = set()
        needed: set[str] = set()
        for _line, row in _good_rows(table, hmap, report):
            good_orders.add(row.get("order_ref") or f"#{_line}")
            if customers.get(row["customer_ref"]) == 0:
                needed.add(row["customer_ref"])
        report.created, report.lines_created, report.customers_created = len(good_orders), report.good_rows, len(needed)
        return report
    if report.error_count and not skip_bad:
        report.refused = True
        _finish_run(run, report, ImportStatus.REFUSED)
        return report

    # Pass 2: write, in one transaction. The order numbers it gives out are taken from the
    # counter first, as one block, in a transaction of their own (so the counter is not locked
    # for as long as the import runs), skipping the file's own numbers.
    from kehu.numbering.services import number_reserve

    now = timezone.now()
    file_refs = set(line_counts)
    bad = report.bad_lines
    reserved = iter(number_reserve(series="order", count=sum(1 for ln in numbered if ln not in bad),
                                   avoid=file_refs))
    del numbered
    pending: dict[str, dict] = {}
    ready: list[dict] = []
    to_create: dict[str, None] = {}     # unknown customer refs met in this chunk, in order
    touched: set[int] = set()           # customers whose kept purchase summary follows (kehu.sales.purchase_summary)

    def generated_ref() -> str:
        ref = next(reserved, None)
        if ref is None:     # only if the file changed between the passes
            ref = number_reserve(series="order", avoid=file_refs)[0]
        return ref

    def flush():
        if to_create:
            refs = list(to_create)
            values = [_customer_values({"ref": ref, "name": new_customers.get(ref) or ref, "type": "organization",
                                        "lifecycle_stage": "customer"}, actor, now) for ref in refs]
            for v in values:
                v["import_run_id"] = run.pk     # the record of their creation (no audit row each)
                v["custom"] = {}                # an object here (the stage's text form is for the stage)
            ids = _insert(Customer, values)
            customers.update(zip(refs, ids))
            report.customers_created += len(ids)
            to_create.clear()
        if not ready:
            return
        for o in ready:
            o["order"]["customer_id"] = customers[o["order"].pop("customer_ref")]
        ids = _insert(Order, [o["order"] for o in ready])
        touched.update(o["order"]["customer_id"] for o in ready)
        line_rows = []
        for pk, o in zip(ids, ready):
            for ln in o["lines"]:
                ln["order_id"] = pk
                line_rows.append(ln)
        _insert(OrderLine, line_rows)
        _insert(AuditEvent, _audit_rows(actor=actor, action="import", entity="order", now=now, items=[
            (pk, o["order"]["customer_id"], f"{o['order']['ref']} {o['order']['amount']}",
             {"import": run.pk, "amount": str(o["order"]["amount"]), "lines": len(o["lines"])})
            for pk, o in zip(ids, ready)]))
        from kehu.marketing.winback.services import winback_on_imported_orders

        winback_on_imported_orders(order_ids=ids, actor=actor)   # a lost customer's new order wins it back
        report.created += len(ids)
        report.lines_created += len(line_rows)
        ready.clear()

    with write_all_or_nothing(run, lambda: _finish_run(run, report, ImportStatus.DONE)):
        done = ready_lines = 0
        for _line, row in _good_rows(table, hmap, report):
            customer_ref = row["customer_ref"]
            if customers.get(customer_ref) == 0:
                to_create[customer_ref] = None
            qty = row.get("quantity") or Decimal("1")
            amount = row["amount"]
            product = products.get(row["product_ref"]) if row.get("product_ref") else None
            if "cost" in row:
                cost = row["cost"]
            elif product is not None:
                cost = (qty * product[2]).quantize(CENT)
            else:
                cost = Decimal("0")
            line_values = {"product_id": product[1] if product else None, "description": row.get("description", ""),
                           "serial_number": row.get("serial_number", ""), "quantity": qty, "unit_price": (amount / qty).quantize(CENT), "amount": amount,
                           "cost": cost}
            order_ref = row.get("order_ref") or generated_ref()
            entry = pending.get(order_ref)
            if entry is None:
                entry = pending[order_ref] = {"order": {
                    "customer_ref": customer_ref, "ref": order_ref, "order_date": row["order_date"],
                    "status": row.get("status") or "confirmed", "currency": (row.get("currency") or "CNY").upper(),
                    "amount": Decimal("0"), "cost": Decimal("0"), "payment_due_on": row.get("payment_due_on"),
                    "remarks": row.get("remarks", ""), "created_at": now, "updated_at": now,
                    "custom": {},
                }, "lines": [], "expected": line_counts.get(order_ref, 1)}
            order = entry["order"]
            if len(entry["lines"]) == 0:
                # sold through the file's partner, else the customer's (as the order form and the
                # API do), at the file's margin, else the partner's
                partner_id = partners.get(row["partner"]) if row.get("partner") else customer_partners.get(customer_ref)
                margin = row.get("partner_margin_pct")
                order["partner_id"] = partner_id
                order["partner_margin_pct"] = None if partner_id is None else (
                    margin.quantize(CENT) if margin is not None else partners.margins.get(partner_id))
            for key, value in custom_object(row).items():   # the first line with a value gives it
                order["custom"].setdefault(key, value)
            order["amount"] += amount
            order["cost"] += cost
            for key in ("payment_due_on", "remarks"):
                if row.get(key) and not order.get(key):
                    order[key] = row[key]
            entry["lines"].append(line_values)
            if len(entry["lines"]) >= entry["expected"]:
                ready.append(pending.pop(order_ref))
                ready_lines += entry["expected"]
            done += 1
            if ready_lines >= BATCH:
                flush()
                ready_lines = 0
                if progress:
                    progress("write", done, report.good_rows)
        ready.extend(pending.values())  # only if the file changed between the passes
        flush()
        # the customers' kept purchase summaries, in the import's transaction (set-based, in batches)
        from kehu.sales.purchase_summary import orders_written

        orders_written(touched, rescore=len(touched) <= RESCORE_AFTER_IMPORT)
        if progress:
            progress("write", done, report.good_rows)
        report.written = True
        bump_sales_version()  # the dashboard's cached sales figures (kehu/sales/dashboard_figures.py)
        _insert(AuditEvent, _audit_rows(actor=actor, action="import", entity="importrun", now=now, items=[
            (run.pk, None, _("%(orders)d orders (%(lines)d lines) imported from %(file)s, %(customers)d customers created")
             % {"orders": report.created, "lines": report.lines_created, "file": report.filename,
                "customers": report.customers_created},
             {"orders": report.created, "lines": report.lines_created, "customers_created": report.customers_created,
              "skipped": report.skipped, "file": report.filename})]))
    return report


def run_import(kind: str, **kwargs) -> ImportReport:
    """``import_customers`` or ``import_orders`` by name."""
    if kind == ImportKind.CUSTOMERS:
        return import_customers(**kwargs)
    if kind == "leads":
        return import_customers(leads=True, **kwargs)
    if kind == ImportKind.ORDERS:
        return import_orders(**kwargs)
    raise ValueError(kind)
