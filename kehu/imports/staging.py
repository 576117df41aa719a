"""The customer import's staging table: set-based duplicate checks and writes.

The check pass of :func:`kehu.imports.services.import_customers` appends
every good row — already in its final shape: search keys, normalised phone,
lower-case email, owner and team — to a temporary table of the importing
connection (``executemany`` on SQLite). On PostgreSQL the rows go down one
``COPY`` that stays open while the file is read: the server stores batch *n*
while Python parses batch *n + 1*, on the other core, instead of the two
taking turns. Any other query on the connection first ends that ``COPY``
(:meth:`CustomerStage.pause`; the next :meth:`CustomerStage.add` opens a new
one), and the rows' codes are checked against the database once the file is
read (:meth:`CustomerStage.matches`), set-based, rather than batch by batch.
Then:

- :meth:`CustomerStage.duplicates` finds the duplicate warnings with six
  joins / window queries over the whole file at once — same phone, email or
  name and city as an earlier row of the file, or as a customer already in
  the database — instead of one lookup per row or per batch; for a big file
  :meth:`CustomerStage.start_duplicates` runs that query on a second
  connection while the first one writes;
- :meth:`CustomerStage.insert_new` writes the new customers (each marked
  with the import that created it) and their tags with ``INSERT … SELECT``
  from the staging table, so no row goes through Python a second time.

Only the staged columns that the file can fill (plus the computed ones) exist
in the staging table; the other columns get their model default in the
``INSERT``. The staging tables are dropped by :meth:`CustomerStage.drop`;
being temporary, they also disappear with the connection.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Iterable
from contextlib import ExitStack
from decimal import Decimal

from django.db import connections, transaction

from kehu.customers.models import Customer, Tag

STAGE = "kehu_import_customer_stage"
STAGE_TAGS = "kehu_import_customer_stage_tags"

# Always staged: the row's identity, what the duplicate checks compare, what is computed.
ALWAYS = ("kind", "ref", "name", "name_key", "name_pinyin", "name_initials", "phone", "email", "city",
          "owner_id", "team_id", "custom")
# Never staged: the id comes from the sequence, timestamps from the import.
NEVER = ("id", "created_at", "updated_at", "consent_updated_at", "merged_into_id", "import_run_id")

_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})

# Duplicate kinds, in the order their warnings are reported for one line.
LABELS = ("phone", "email", "name")


def _copy_value(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    kind = type(value)
    if kind is str:
        return value.translate(_ESCAPE)
    if kind is bool:
        return "t" if value else "f"
    if kind is int or kind is Decimal:
        return str(value)
    if kind is dt.date:
        return value.isoformat()
    return str(value).translate(_ESCAPE)


def _plain_value(value):
    """One value for sqlite3 (no adapters needed)."""
    kind = type(value)
    if kind is Decimal:
        return str(value)
    if kind is dt.date:
        return value.isoformat()
    return value


def _may_set(cursor, name: str) -> bool:
    """Whether this session's role may ``SET`` the PostgreSQL parameter ``name``: a superuser, or
    (PostgreSQL 15 and later) a role granted ``SET ON PARAMETER name``."""
    cursor.execute("SELECT current_setting('server_version_num')::int >= 150000")
    if cursor.fetchone()[0]:
        cursor.execute("SELECT has_parameter_privilege(%s, 'SET')", [name])
    else:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    row = cursor.fetchone()
    return bool(row and row[0])


def _compress_wal(cursor) -> None:
    """Compress the full-page images this transaction writes to the WAL (lz4 where the server
    has it). The write touches index pages all over a table bigger than the buffer cache, and
    the first change to a page after each checkpoint logs the whole page: a million customers
    wrote 2.5 GB of WAL, 1.7 GB compressed, and went in about 15 % faster."""
    cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'wal_compression'")
    row = cursor.fetchone()
    cursor.execute("SET LOCAL wal_compression = " + ("lz4" if row and row[0] else "on"))


#: A stage of at least this many rows has its duplicates found on a second connection.
SIDE_MIN_ROWS = 100_000
#: What the duplicate query reads from the stage.
KEY_COLUMNS = ("line", "ref", "phone", "email", "name_key", "city")


def _find_duplicates(cursor, limit: int, *, postgres: bool,
                     visible: tuple[str, list] | None = None) -> tuple[int, int, list]:
    """Run the duplicate query of :meth:`CustomerStage.duplicates` on ``cursor``, whose
    connection has the stage (or its :data:`KEY_COLUMNS`) as ``STAGE``, in a transaction:
    ``(how many warnings, how many of them are kind 2, the first rows)``.

    ``visible``: "the importer may see this customer" as an SQL condition over the customer
    table by its own name, and its parameters
    (:meth:`kehu.org.policies.CustomerPolicy.visible_where_sql`), None when they see everyone.
    A line's match in the database is then the first *visible* customer (kind 1, named), or,
    when only customers outside the importer's scope match, kind 2 with neither code nor name:
    the query itself keeps them anonymous, so nothing identifying reaches Python."""
    cust = Customer._meta.db_table
    keys = {"phone": ("phone",), "email": ("email",), "name": ("name_key", "city")}
    guard = {"phone": "phone <> ''", "email": "email <> ''", "name": "city <> ''"}
    guard_db = {**guard, "email": "email > ''"}
    parts, ctes = [], []
    params: list = []
    # The importer's scope as one column of the join: the policy's own condition on the joined
    # customer row (owner, team, shared ids), no extra lookup per row (everyone: a constant).
    # The customer table keeps its own name in the joins, as the policy's SQL names it.
    vis = f"CASE WHEN {visible[0]} THEN 1 ELSE 0 END" if visible is not None else "1"
    c = cust
    # Each join as a materialised CTE: few rows, and the planner then keeps the indexed
    # join instead of merging the window over it into a plan over every customer.
    materialized = "MATERIALIZED " if postgres else ""
    for order, label in enumerate(LABELS):
        cols = ", ".join(keys[label])
        parts.append(
            f"SELECT line, 0 AS kind, {order} AS label, first_line, first_ref AS ref, '' AS name FROM ("
            f" SELECT line, FIRST_VALUE(line) OVER w AS first_line, FIRST_VALUE(ref) OVER w AS first_ref"
            f" FROM {STAGE} WHERE {guard[label]} WINDOW w AS (PARTITION BY {cols} ORDER BY line)"
            f") f{order} WHERE line <> first_line")
        on = " AND ".join(f"{c}.{k} = s.{k}" for k in keys[label])
        parts.append(
            f"SELECT line, 2 - vis AS kind, {order} AS label, NULL AS first_line,"
            f" CASE WHEN vis = 1 THEN ref ELSE '' END AS ref, CASE WHEN vis = 1 THEN name ELSE '' END AS name FROM ("
            f" SELECT m.line AS line, m.ref AS ref, m.name AS name, m.vis AS vis,"
            f" ROW_NUMBER() OVER (PARTITION BY m.line ORDER BY m.vis DESC, m.name, m.id) AS n FROM m{order} m"
            f") d{order} WHERE n = 1")
        # (email > '' on the customer table: the partial index on email serves a small file)
        ctes.append(
            f"m{order} AS {materialized}(SELECT s.line AS line, {c}.ref AS ref, {c}.name AS name, {c}.id AS id,"
            f" {vis} AS vis"
            f" FROM {STAGE} s JOIN {cust} ON {on}"
            f" WHERE s.{guard[label]} AND {c}.{guard_db[label]} AND {c}.merged_into_id IS NULL AND {c}.ref <> s.ref)")
        if visible is not None:
            params.extend(visible[1])
    # kind 2 (outside the importer's scope) counted apart: the report shows only as many of
    # them as the importer's allowance of such notices permits (kehu.customers.duplicates).
    sql = ("WITH " + ", ".join(ctes) + " SELECT u.*, COUNT(*) OVER () AS total,"
           " SUM(CASE WHEN kind = 2 THEN 1 ELSE 0 END) OVER () AS hidden FROM ("
           + " UNION ALL ".join(parts) + ") u ORDER BY 1, 2, 3 LIMIT %s")
    if postgres:
        # Sorts and hashes of a million rows: in memory, for this transaction only.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL jit = off")   # its estimates are far off; compiling costs seconds
    cursor.execute(sql, [*params, limit])
    rows = cursor.fetchall()
    total = rows[0][6] if rows else 0
    hidden = int(rows[0][7] or 0) if rows else 0
    return total, hidden, [(line, kind, LABELS[label], first_line, ref, name)
                           for line, kind, label, first_line, ref, name, _total, _hidden in rows]


class DuplicateSearch:
    """The outcome of :meth:`CustomerStage.start_duplicates`: :meth:`result` gives what
    :meth:`CustomerStage.duplicates` gives; :meth:`close` ends the search if still running."""

    def __init__(self, found=None):
        self._found = found

    def result(self) -> tuple[int, int, list]:
        return self._found

    def close(self) -> None:
        pass


class _SideDuplicates(DuplicateSearch):
    """The duplicate query on a second connection, in a thread.

    This thread sends the :data:`KEY_COLUMNS` of the stage (a temporary table, which only its
    own connection sees) out with ``COPY … TO STDOUT``; the other thread opens its own
    connection, ``COPY``-s them into a temporary table of the same name there and runs the
    same query on it. The chunks go through a short queue, so memory stays flat. The second
    connection only reads, sees the customers as committed (the importing connection is
    outside any transaction when the search starts, and its own write stays invisible until
    it commits) and is closed when the search ends. When it cannot connect (no free
    connection, say), the search runs on the importing connection before anything is
    written, as for a small file."""

    def __init__(self, stage: CustomerStage, limit: int, visible: tuple[str, list] | None = None):
        super().__init__()
        self.stage, self.limit, self.visible = stage, limit, visible
        self._error: BaseException | None = None
        self._side = None
        self._connected = threading.Event()
        self._stop = threading.Event()
        self._queue: queue.Queue = queue.Queue(maxsize=8)
        # the connection's own wrapper (not the thread-local proxy), to clone in the thread
        wrapper = connections[stage.connection.alias]
        self._thread = threading.Thread(target=self._search, args=(type(wrapper), dict(wrapper.settings_dict),
                                                                  wrapper.alias, stage.key_columns_sql()),
                                        name="kehu-import-duplicates", daemon=True)
        self._thread.start()
        self._connected.wait()
        if self._error is not None:         # no second connection: search here and now
            self._thread.join()
            self._error = None
            self._found = stage.duplicates(limit, visible)
            return
        try:
            self._send()
        except BaseException:
            self.close()
            raise

    def _send(self) -> None:
        cols = ", ".join(self.stage.connection.ops.quote_name(c) for c in KEY_COLUMNS)
        chunk, size, wanted = [], 0, True
        with self.stage.connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY (SELECT {cols} FROM {STAGE}) TO STDOUT") as copy:
                for data in copy:
                    if not wanted:
                        continue            # the search failed: read to the end, send nothing
                    chunk.append(bytes(data))
                    size += len(data)
                    if size >= 1 << 20:
                        wanted = self._put(b"".join(chunk))
                        chunk, size = [], 0
        if wanted and chunk:
            wanted = self._put(b"".join(chunk))
        if wanted:
            self._put(None)

    def _put(self, item) -> bool:
        """Queue ``item`` for the search; False when the search has ended (an error)."""
        while self._thread.is_alive():
            try:
                self._queue.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def _search(self, wrapper_class, settings_dict: dict, alias: str, create_sql: str) -> None:
        try:
            try:
                self._side = self._connect(wrapper_class, settings_dict, alias)
            finally:
                self._connected.set()
            with self._side.cursor() as cursor:
                cursor.execute(create_sql)
                with cursor.cursor.copy(f"COPY {STAGE} FROM STDIN") as copy:
                    while (data := self._queue.get()) is not None and not self._stop.is_set():
                        copy.write(data)
                if self._stop.is_set():
                    return
                cursor.execute(f"ANALYZE {STAGE}")
                self._side.set_autocommit(False)
                try:
                    self._found = _find_duplicates(cursor, self.limit, postgres=True, visible=self.visible)
                finally:
                    self._side.rollback()
        except BaseException as exc:  # noqa: BLE001 - handed to the importing thread by result()
            self._error = exc
        finally:
            if self._side is not None:
                self._side.close()

    @staticmethod
    def _connect(wrapper_class, settings_dict: dict, alias: str):
        """A connection of this thread's own to the importing connection's database."""
        side = wrapper_class(settings_dict, alias=alias)
        side.ensure_connection()
        return side

    def result(self) -> tuple[int, int, list]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._found

    def close(self) -> None:
        """Stop the search (the import failed): cancel its query and wait for the thread."""
        self._stop.set()
        while self._thread.is_alive():
            raw = getattr(self._side, "connection", None)
            if raw is not None:
                try:
                    getattr(raw, "cancel_safe", raw.cancel)()
                except Exception:  # noqa: BLE001 - it may have just finished
                    pass
            try:                    # unblock a search still waiting for rows
                self._queue.put_nowait(None)
            except queue.Full:
                pass
            self._thread.join(timeout=0.5)


class CustomerStage:
    """The staging table for one customer import on ``connection``."""

    def __init__(self, connection, attnames: set[str]):
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        fields = [f for f in Customer._meta.concrete_fields if f.attname not in NEVER]
        wanted = set(ALWAYS) | set(attnames)
        #: staged model fields, in table order
        self.fields = [f for f in fields if f.attname in wanted]
        #: the others, filled with their model default by :meth:`insert_new`
        self.constant = [f for f in fields if f.attname not in wanted]
        self.columns = [f.attname for f in self.fields]
        self.staged = 0
        self._copy = None           # PostgreSQL: the open COPY into the stage, and what closes it
        self._copy_exit: ExitStack | None = None
        self._tags: list[str] = []  # PostgreSQL: tag rows, sent in one COPY by finish()

    # -- building -------------------------------------------------------------------
    def create(self) -> None:
        qn = self.connection.ops.quote_name
        cols = ", ".join(f"{qn(f.column)} {f.db_type(self.connection)}" for f in self.fields)
        boolean = "boolean" if self.postgres else "bool"
        with self.connection.cursor() as cursor:
            self._drop(cursor)
            cursor.execute(f"CREATE TEMPORARY TABLE {STAGE} (line integer NOT NULL, existing {boolean} NOT NULL, {cols})")
            cursor.execute(f"CREATE TEMPORARY TABLE {STAGE_TAGS} (line integer NOT NULL, name varchar(50) NOT NULL)")
            # The writes take the stage batch by batch (lines a..b).
            cursor.execute(f"CREATE INDEX {STAGE}_line ON {STAGE} (line)")
            cursor.execute(f"CREATE INDEX {STAGE_TAGS}_line ON {STAGE_TAGS} (line)")

    def entries(self, rows: Iterable[tuple[int, list]]) -> list:
        """The stage's form of new rows ``(line, values in the order of :attr:`columns`)``, one
        entry per row, for :meth:`add_entries`: on PostgreSQL a line of ``COPY`` text, elsewhere
        a parameter list. Uses nothing but the rows (a parse worker process makes them)."""
        if self.postgres:
            value = _copy_value
            esc = _ESCAPE
            # str values (nearly all) escaped inline: no call per value
            return [f"{line}\tf\t" + "\t".join([v.translate(esc) if type(v) is str else value(v) for v in cells]) + "\n"
                    for line, cells in rows]
        return [[line, False, *[_plain_value(v) for v in cells]] for line, cells in rows]

    def add_entries(self, entries: list, tags: list[tuple[int, str]]) -> None:
        """Append good rows made by :meth:`entries`, and their ``(line, tag name)`` pairs.

        On PostgreSQL the rows go down the open ``COPY`` (opened here when needed) and the
        tags wait for :meth:`finish`; call :meth:`pause` before any other query."""
        if not entries:
            return
        if self.postgres:
            if self._copy is None:
                self._copy_exit = ExitStack()
                cursor = self._copy_exit.enter_context(self.connection.cursor())
                self._copy = self._copy_exit.enter_context(cursor.cursor.copy(f"COPY {STAGE} FROM STDIN"))
            self._copy.write("".join(entries))
            self._tags.extend(f"{line}\t{name.translate(_ESCAPE)}\n" for line, name in tags)
        else:
            with self.connection.cursor() as cursor:
                marks = ", ".join(["%s"] * (len(self.columns) + 2))
                cursor.executemany(f"INSERT INTO {STAGE} VALUES ({marks})", entries)
                if tags:
                    cursor.executemany(f"INSERT INTO {STAGE_TAGS} VALUES (%s, %s)", tags)
        self.staged += len(entries)

    def pause(self) -> None:
        """End the open ``COPY`` (waiting for the server to store what it was sent), so that
        the connection can run other queries. The next :meth:`add` opens a new one."""
        if self._copy is not None:
            stack, self._copy, self._copy_exit = self._copy_exit, None, None
            stack.close()

    def finish(self) -> None:
        """Every row is added: end the ``COPY`` and store the tags."""
        self.pause()
        if self._tags:
            with self.connection.cursor() as cursor:
                with cursor.cursor.copy(f"COPY {STAGE_TAGS} FROM STDIN") as copy:
                    copy.write("".join(self._tags))
            self._tags = []

    def _abandon(self) -> None:
        """Give up an open ``COPY`` (an error elsewhere): the server is told it failed."""
        if self._copy is not None:
            stack, self._copy, self._copy_exit = self._copy_exit, None, None
            error = RuntimeError("customer import abandoned")
            try:
                stack.__exit__(RuntimeError, error, None)
            except Exception:  # noqa: BLE001 - the COPY's own error on the way out is no news
                pass
        self._tags = []

    def analyze(self) -> None:
        """Statistics for the planner: temporary tables are never analysed by autovacuum."""
        with self.connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {STAGE}")
            cursor.execute(f"ANALYZE {STAGE_TAGS}")

    # -- checks ---------------------------------------------------------------------
    def matches(self) -> list[tuple[int, str, int]]:
        """``(line, code, customer id)`` of the staged rows whose code is already a customer's."""
        cust = Customer._meta.db_table
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT s.line, s.ref, c.id FROM {STAGE} s JOIN {cust} c ON c.ref = s.ref ORDER BY s.line")
            return cursor.fetchall()

    def _lines(self, template: str, lines: list[int]) -> None:
        """Run ``template`` with ``{in_lines}`` standing for "line is one of ``lines``"."""
        with self.connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(template.format(in_lines="= ANY(%s)"), [lines])
                return
            for start in range(0, len(lines), 500):
                chunk = lines[start:start + 500]
                cursor.execute(template.format(in_lines=f"IN ({', '.join(['%s'] * len(chunk))})"), chunk)

    def mark_existing(self, lines: list[int]) -> None:
        """These staged lines update customers that exist (the others are new)."""
        if lines:
            self._lines(f"UPDATE {STAGE} SET existing = TRUE WHERE line {{in_lines}}", lines)

    def remove(self, lines: list[int]) -> None:
        """Take these lines (found bad after staging) out of the stage, tags included."""
        if lines:
            self._lines(f"DELETE FROM {STAGE} WHERE line {{in_lines}}", lines)
            self._lines(f"DELETE FROM {STAGE_TAGS} WHERE line {{in_lines}}", lines)
            self.staged -= len(lines)

    def duplicates(self, limit: int, visible: tuple[str, list] | None = None
                   ) -> tuple[int, int, list[tuple[int, int, str, int | None, str, str]]]:
        """How many duplicate warnings there are, how many of them match only customers outside
        the importer's scope, and the first ``limit`` of them, ordered by line: ``(line, 0 = in
        the file | 1 = in the database | 2 = in the database, outside the scope ``visible``,
        label, first line, ref, name)`` — kind 2 without ref or name (see
        :func:`_find_duplicates`). A big file into a big table can have a million; the report
        keeps the first ones and counts the rest, so only those cross the wire.

        In the file: the earliest staged row with the same phone, the same
        email, or the same name key and (non-empty) city. In the database:
        the first customer in the customer list's order (name, id), not
        merged into another, whose code differs from the row's, with that
        phone, email, or name key and city — the first the importer may see,
        if any.
        """
        with transaction.atomic(using=self.connection.alias):   # for the SET LOCAL of the query
            with self.connection.cursor() as cursor:
                return _find_duplicates(cursor, limit, postgres=self.postgres, visible=visible)

    def start_duplicates(self, limit: int, visible: tuple[str, list] | None = None) -> DuplicateSearch:
        """:meth:`duplicates`, found meanwhile on a second connection where that pays: on
        PostgreSQL, for a big stage, with the importing connection outside any transaction (so
        that the second one sees the same customers). The caller goes on with the write, which
        keeps one core busy, while the other core runs the duplicate query — about 9 s of a
        million-row import — and takes :meth:`DuplicateSearch.result` before it commits.
        Elsewhere the search is done here, before returning."""
        if self.postgres and self.staged >= SIDE_MIN_ROWS and not self.connection.in_atomic_block:
            return _SideDuplicates(self, limit, visible)
        return DuplicateSearch(self.duplicates(limit, visible))

    def key_columns_sql(self) -> str:
        """``CREATE TEMPORARY TABLE`` for a copy of the columns the duplicate query reads."""
        qn = self.connection.ops.quote_name
        types = {f.attname: f.db_type(self.connection) for f in self.fields}
        cols = ", ".join(f"{qn(c)} {types[c]}" for c in KEY_COLUMNS[1:])
        return f"CREATE TEMPORARY TABLE {STAGE} (line integer NOT NULL, {cols})"

    # -- writing --------------------------------------------------------------------
    def insert_sql(self, stamp, lines: tuple[int, int], run_id: int | None = None) -> tuple[str, list]:
        """``INSERT INTO customers … SELECT … FROM stage`` for the new rows of ``lines``, in the
        order of their pinyin (then line): six of the customer table's indexes lead with the
        pinyin or a few values before it (team, owner, city, initials), so rows in that order
        touch each index page once in a sweep instead of at random — on a table of a million
        customers whose indexes outgrow the buffer cache, 200,000 rows went in 9 s instead
        of 15 s in file order (23 s at random). The new customers' ids follow that order."""
        conn = self.connection
        qn = conn.ops.quote_name
        targets = ["created_at", "updated_at", "import_run_id", "consent_updated_at"] + [f.column for f in self.fields]
        consent = " OR ".join(f"s.{c}" for c in ("consent_marketing", "consent_data_processing") if c in self.columns)
        select = ["%s", "%s", "%s", f"CASE WHEN {consent} THEN %s END" if consent else "NULL"]
        select += [f"s.{qn(f.column)}" for f in self.fields]
        params: list = [stamp, stamp, run_id] + ([stamp] if consent else [])
        for f in self.constant:
            default = f.get_default()
            if default is None:
                continue            # NULL: the column is simply left out
            targets.append(f.column)
            select.append(f"CAST(%s AS {f.db_type(conn)})")
            params.append(default)
        sql = (f"INSERT INTO {Customer._meta.db_table} ({', '.join(qn(c) for c in targets)}) "
               f"SELECT {', '.join(select)} FROM {STAGE} s "
               f"WHERE s.line BETWEEN %s AND %s AND NOT s.existing ORDER BY s.name_pinyin, s.line")
        return sql, params + list(lines)

    def insert_new(self, *, now, run_id: int, lines: tuple[int, int] = (0, 2**31 - 1)) -> int:
        """Write the staged new customers of lines ``lines[0]..lines[1]`` (in pinyin order),
        marked as created by import ``run_id``, and their tags. Returns how many customers
        were created. No audit row per customer: the import's own event and the customers'
        ``import_run`` are the record (``kehu.customers.selectors.customer_history``) — audit
        rows with their five indexes took about a quarter of the time of the write."""
        conn = self.connection
        qn = conn.ops.quote_name
        cust = Customer._meta.db_table
        through = Customer.tags.through._meta
        tag = Tag._meta.db_table
        stamp = conn.ops.adapt_datetimefield_value(now)
        insert, params = self.insert_sql(stamp, lines, run_id)
        in_range = "s.line BETWEEN %s AND %s AND NOT s.existing"
        statements = [(insert, params)]
        # Tags of the new customers: missing tag names first, then the links.
        statements.append((
            f"INSERT INTO {tag} (name) SELECT DISTINCT t.name FROM {STAGE_TAGS} t "
            f"JOIN {STAGE} s ON s.line = t.line WHERE {in_range} "
            f"AND NOT EXISTS (SELECT 1 FROM {tag} g WHERE g.name = t.name) ON CONFLICT DO NOTHING", list(lines)))
        statements.append((
            f"INSERT INTO {through.db_table} ({qn(through.get_field('customer').column)}, "
            f"{qn(through.get_field('tag').column)}) "
            f"SELECT c.id, g.id FROM {STAGE_TAGS} t JOIN {STAGE} s ON s.line = t.line "
            f"JOIN {cust} c ON c.ref = s.ref JOIN {tag} g ON g.name = t.name "
            f"WHERE {in_range} ORDER BY s.line, t.name", list(lines)))
        with conn.cursor() as cursor:
            checked_once = False
            if self.postgres:
                # The foreign keys (owner, team) checked as the rows go in
                # rather than queued for the commit: a million queued checks cost more.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                # The sort into pinyin order in memory, not in temporary files (this transaction only).
                cursor.execute("SET LOCAL work_mem = '256MB'")
                if _may_set(cursor, "wal_compression"):
                    _compress_wal(cursor)
                checked_once = _may_set(cursor, "session_replication_role") and self._lock_references(
                    cursor, in_range, list(lines))
                if checked_once:
                    cursor.execute("SET LOCAL session_replication_role = replica")
            created = None
            for sql, args in statements:
                cursor.execute(sql, args)
                if created is None:
                    created = cursor.rowcount
                    if checked_once:
                        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        return created

    def _lock_references(self, cursor, in_range: str, lines: list) -> bool:
        """Check the staged rows' foreign keys (owner, team) once per distinct value, the way
        PostgreSQL's own check does it per row: each referenced row must exist, and is locked
        ``FOR KEY SHARE`` until the commit so that nobody deletes it meanwhile. True when every
        one is there — the caller may then insert without the per-row checks, which cost about
        9 s for a million customers (two lookups a row). False (a user or team went away since
        the file was checked): the caller keeps the per-row checks, which report the error."""
        qn = self.connection.ops.quote_name
        keys = [f for f in self.fields if f.is_relation and f.db_constraint]
        if not keys:
            return True
        cursor.execute(f"SELECT DISTINCT {', '.join(f's.{qn(f.column)}' for f in keys)} FROM {STAGE} s "
                       f"WHERE {in_range}", lines)
        combos = cursor.fetchall()
        for i, field in enumerate(keys):
            wanted = sorted({row[i] for row in combos if row[i] is not None})
            if not wanted:
                continue
            target = field.target_field
            table, column = qn(target.model._meta.db_table), qn(target.column)
            cursor.execute(f"SELECT t.{column} FROM {table} t WHERE t.{column} = ANY(%s) FOR KEY SHARE OF t",
                           [wanted])
            if len(cursor.fetchall()) != len(wanted):
                return False
        return True

    # -- cleaning up -----------------------------------------------------------------
    def _drop(self, cursor) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE_TAGS}")

    def drop(self) -> None:
        self._abandon()
        with self.connection.cursor() as cursor:
            self._drop(cursor)

