"""The backup archive: writing it while Kehu serves, checking it, restoring it.

An archive is a ``.tar.gz`` holding

- ``database.sqlite3`` (SQLite, copied with SQLite's online backup API) or
  ``database.pgdump`` (PostgreSQL, ``pg_dump --format=custom``);
- ``var/...``: every file under ``var/`` except the databases, the job
  queue, caches, collected static files, the backups themselves and — unless
  asked for — ``var/secret_key`` (uploaded files kept in ``var/media`` are
  included this way); ``media/...`` when ``MEDIA_ROOT`` is outside ``var/``;
- ``manifest.json``, the last member: the Kehu version, the database vendor
  and server version, the applied migrations per app, the row count of every
  table and the SHA-256 and size of every other member.

Consistency: the SQLite copy is one step of the backup API (a read
transaction; in WAL mode writers go on meanwhile). On PostgreSQL a
``REPEATABLE READ`` transaction exports its snapshot, counts the rows and
reads the migrations in it, and ``pg_dump --snapshot`` dumps that very
snapshot, so the manifest describes exactly what was dumped.

Restoring extracts the archive, checks every member's checksum, refuses an
archive whose schema is newer than the code (a migration the code does not
know), one from the other database vendor, and a database that holds data
unless ``force``; then replaces the database whole (SQLite: the backup API
into the target; PostgreSQL: the target's tables dropped and ``pg_restore``'s
script run by ``psql`` in one transaction), compares every table's row count
with the manifest, puts the files back and runs ``migrate`` when the archive's
schema is older than the code.

Failures raise :class:`BackupError`, whose message is translated when shown.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

logger = logging.getLogger(__name__)

FORMAT = "kehu-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
# Rows that a freshly migrated, unused database already holds.
BOOKKEEPING_TABLES = {"django_migrations", "django_content_type", "auth_permission", "sqlite_sequence"}
# Files under var/ that are not part of a backup: the databases (copied
# properly instead), the job queue, caches and collected static files.
# The databases (their own copy is made), and the lock of a restore (kehu.runtime.maintenance).
VAR_EXCLUDED_NAMES = re.compile(
    r"^(kehu|huey)[^/]*\.sqlite3(-wal|-shm|-journal)?$|.*\.sqlite3(-wal|-shm|-journal)$|^restore\.lock$")
VAR_EXCLUDED_DIRS = ("cache", "static")
SECRET_KEY_FILE = "secret_key"
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
LIBPQ_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "connect_timeout",
                 "application_name", "options", "target_session_attrs", "service", "passfile")

# Stages shown while a backup runs (English msgids, translated when shown).
# The working directory of a backup being written, beside the archive: ``.kehu-backup-NAME-xxxx``.
WORK_PREFIX = ".kehu-backup-"

STAGE_DATABASE = gettext_noop("Copying the database")
STAGE_FILES = gettext_noop("Adding the files")
STAGE_DONE = gettext_noop("Finished")


class BackupError(Exception):
    """A backup or restore that cannot go on; ``message`` is for the user.

    ``msgid`` is the English text (a ``gettext_noop`` constant below) and
    ``params`` its placeholders, so the message can be stored and shown
    later in the reader's language.
    """

    def __init__(self, msgid: str, **params):
        self.msgid = msgid
        self.params = params
        super().__init__(msgid % params if params else msgid)

    @property
    def message(self) -> str:
        return _(self.msgid) % self.params if self.params else _(self.msgid)


E_VENDOR = gettext_noop("Backups support SQLite and PostgreSQL, not %(vendor)s.")
E_TOOL_MISSING = gettext_noop(
    "The PostgreSQL program %(tool)s was not found. Install the PostgreSQL client programs "
    "(Debian: apt-get install postgresql-client-%(major)s) or set KEHU_PG_BIN to their directory.")
E_TOOL_TOO_OLD = gettext_noop(
    "%(tool)s is version %(tool_major)s but the database server is version %(server_major)s; "
    "install the PostgreSQL %(server_major)s client programs or set KEHU_PG_BIN to their directory.")
E_TOOL_FAILED = gettext_noop("%(tool)s failed: %(detail)s")
E_NOT_AN_ARCHIVE = gettext_noop("%(file)s is not a Kehu backup (a .tar.gz with a manifest).")
E_UNREADABLE = gettext_noop("The backup %(file)s cannot be read: %(detail)s")
E_FORMAT_TOO_NEW = gettext_noop(
    "The backup was written in format %(version)s, which this Kehu cannot read; upgrade Kehu first.")
E_CHECKSUM = gettext_noop(
    "The backup is damaged: %(member)s does not match its checksum in the manifest. Nothing was restored.")
E_MISSING_MEMBER = gettext_noop("The backup is incomplete: %(member)s is missing. Nothing was restored.")
E_UNEXPECTED_MEMBER = gettext_noop("The backup holds %(member)s, which its manifest does not list. "
                                   "Nothing was restored.")
E_NEWER_SCHEMA = gettext_noop(
    "The backup comes from a newer Kehu: its database has migrations this Kehu does not know "
    "(%(migrations)s). Upgrade Kehu to the version that made it (%(version)s) and restore again. "
    "Nothing was restored.")
E_CROSS_VENDOR = gettext_noop(
    "The backup holds a %(archive)s database but Kehu is configured for %(target)s. Restoring across "
    "database vendors is not supported: restore into a %(archive)s database. Nothing was restored.")
E_NOT_EMPTY = gettext_noop(
    "The database already holds data (%(tables)s). Restoring replaces all of it; run the restore "
    "again with --force if that is what you want. Nothing was restored.")
E_IN_TRANSACTION = gettext_noop("A backup or restore cannot run inside a database transaction.")
E_ROW_COUNTS = gettext_noop(
    "The restored database does not hold the rows the backup's manifest lists (%(tables)s). "
    "Restore it again from another backup.")


# -- writing ---------------------------------------------------------------------------

class _HashingReader:
    """A file wrapper that hashes what tarfile reads from it."""

    def __init__(self, raw):
        self.raw = raw
        self.sha = hashlib.sha256()

    def read(self, n=-1):
        data = self.raw.read(n)
        self.sha.update(data)
        return data


def kehu_version() -> str:
    try:
        from importlib.metadata import version

        return version("kehu")
    except Exception:  # not installed as a distribution (a source checkout)
        return "0+unknown"


def write_archive(dest: Path | str, *, using: str = "default", include_secret_key: bool = False,
                  backup_id: int | None = None, progress=None) -> dict:
    """Write a backup of database ``using`` and the files to ``dest``; returns the manifest.

    The archive is written to ``dest.part`` and renamed when complete, so a
    half-written file never carries the final name. ``progress(pct, stage)``
    is called as it goes.
    """
    from kehu.runtime import maintenance

    dest = Path(dest)
    report = progress or (lambda pct, stage: None)
    conn = connections[using]
    maintenance.check()  # not while a restore replaces the database
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{dest.name}-", dir=dest.parent))
    partial = dest.with_name(dest.name + ".part")
    try:
        report(5, STAGE_DATABASE)
        if conn.vendor == "sqlite":
            member, snapshot = SQLITE_MEMBER, _dump_sqlite(conn, work / SQLITE_MEMBER)
        elif conn.vendor == "postgresql":
            member, snapshot = PG_MEMBER, _dump_postgresql(conn, work / PG_MEMBER)
        else:
            raise BackupError(E_VENDOR, vendor=conn.vendor)
        report(50, STAGE_FILES)
        files: dict[str, dict] = {}
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            _add_file(tar, work / member, member, files)
            extra = list(_extra_files(include_secret_key, skip=(dest, partial)))
            for i, (path, name) in enumerate(extra, 1):
                _add_file(tar, path, name, files)
                report(50 + int(45 * i / len(extra)), STAGE_FILES)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "kehu_version": kehu_version(),
                "created_at": timezone.now().isoformat(),
                "backup_id": backup_id,
                "database": {"vendor": conn.vendor, "member": member, **snapshot["server"]},
                "migrations": snapshot["migrations"],
                "row_counts": snapshot["row_counts"],
                "includes_secret_key": f"var/{SECRET_KEY_FILE}" in files,
                "files": files,
            }
            data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(timezone.now().timestamp()), 0o600
            tar.addfile(info, io.BytesIO(data))
        os.chmod(partial, 0o600)  # the archive holds every customer's data
        os.replace(partial, dest)
        report(100, STAGE_DONE)
        return manifest
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if partial.exists():
            partial.unlink()


def remove_leftovers(dest: Path | str) -> list[Path]:
    """Delete what a :func:`write_archive` to ``dest`` that was killed left
    behind (``dest.part`` and its working directory); returns them."""
    dest = Path(dest)
    left = [p for p in [dest.with_name(dest.name + ".part"), *dest.parent.glob(f"{WORK_PREFIX}{dest.name}-*")]
            if p.exists()]
    for path in left:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return left


def _add_file(tar: tarfile.TarFile, path: Path, name: str, files: dict) -> None:
    with open(path, "rb") as raw:
        st = os.fstat(raw.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = st.st_size, int(st.st_mtime), 0o600
        reader = _HashingReader(raw)
        tar.addfile(info, reader)
    files[name] = {"sha256": reader.sha.hexdigest(), "size": st.st_size}


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def _extra_files(include_secret_key: bool, skip=()):
    """(path, archive name) of the files besides the database; ``skip``: the archive being written."""
    skip_files = {Path(p).resolve() for p in skip}
    var = Path(settings.VAR_DIR)
    media = Path(settings.MEDIA_ROOT)
    backups = Path(settings.KEHU_BACKUP_DIR)
    database = connections["default"].settings_dict.get("NAME") or ""
    skip_dirs = [var / d for d in VAR_EXCLUDED_DIRS] + [backups]
    if var.is_dir():
        for root, dirs, names in os.walk(var):
            root_path = Path(root)
            dirs[:] = sorted(d for d in dirs if not any(_same(root_path / d, s) for s in skip_dirs)
                             and not d.startswith(".kehu-backup-"))
            for name in sorted(names):
                path = root_path / name
                rel = path.relative_to(var).as_posix()
                if not path.is_file() or path.is_symlink():
                    continue
                if rel == SECRET_KEY_FILE and not include_secret_key:
                    continue
                if VAR_EXCLUDED_NAMES.match(name) or (database and _same_file(path, database)):
                    continue
                if path.resolve() in skip_files:
                    continue
                yield path, f"var/{rel}"
    if media.is_dir() and not _inside(media, var):
        for root, dirs, names in os.walk(media):
            dirs.sort()
            for name in sorted(names):
                path = Path(root) / name
                if path.is_file() and not path.is_symlink() and path.resolve() not in skip_files:
                    yield path, "media/" + path.relative_to(media).as_posix()


def _same(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def _same_file(path: Path, name: str) -> bool:
    return name != ":memory:" and str(path.resolve()).startswith(str(Path(name).resolve()))


# -- SQLite ----------------------------------------------------------------------------

def _dump_sqlite(conn, path: Path) -> dict:
    if conn.is_in_memory_db():
        # Only Django's own connection reaches an in-memory database (the
        # test suite's); it must not hold a write transaction, or the copy
        # would wait for itself forever.
        if conn.in_atomic_block:
            raise BackupError(E_IN_TRANSACTION)
        conn.ensure_connection()
        source, own = conn.connection, False
    else:
        # A connection of our own, read-only: it sees what is committed, and
        # in WAL mode the server's writers go on while it reads.
        source = sqlite3.connect(f"file:{Path(conn.settings_dict['NAME']).resolve()}?mode=ro", uri=True,
                                 timeout=60)
        own = True
    target = sqlite3.connect(path)
    try:
        # One step (pages=-1): a consistent copy under one read transaction.
        source.backup(target)
        # The copy stands alone: no -wal file beside it.
        target.execute("PRAGMA journal_mode=DELETE")
        return {"server": {"server_version": sqlite3.sqlite_version}, **_sqlite_state(target)}
    finally:
        target.close()
        if own:
            source.close()


def _sqlite_state(db: sqlite3.Connection) -> dict:
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    counts = {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    migrations: dict[str, list[str]] = {}
    if "django_migrations" in counts:
        for app, name in db.execute("SELECT app, name FROM django_migrations ORDER BY app, name"):
            migrations.setdefault(app, []).append(name)
    return {"row_counts": counts, "migrations": migrations}


# -- PostgreSQL ------------------------------------------------------------------------

def _conninfo(settings_dict: dict) -> tuple[str, dict]:
    """A libpq connection string (no password) and the environment carrying the password."""

    def quote(value) -> str:
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

    parts = {"dbname": settings_dict.get("NAME"), "host": settings_dict.get("HOST"),
             "port": settings_dict.get("PORT"), "user": settings_dict.get("USER")}
    options = settings_dict.get("OPTIONS") or {}
    parts.update({k: options[k] for k in LIBPQ_OPTIONS if options.get(k)})
    conninfo = " ".join(f"{k}={quote(v)}" for k, v in parts.items() if v)
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return conninfo, env


def _major(text: str) -> int:
    match = re.search(r"(\d+)(?:\.\d+)?", text)
    return int(match.group(1)) if match else 0


def pg_tool(tool: str, server_major: int) -> tuple[str, int]:
    """The path and major version of ``tool`` (pg_dump, pg_restore, psql), checked against ``server_major``.

    Looked for in ``KEHU_PG_BIN``, then Debian's ``/usr/lib/postgresql/<server major>/bin``,
    then ``PATH``; a client older than the server is refused (pg_dump cannot dump a newer server).
    """
    candidates = []
    if getattr(settings, "KEHU_PG_BIN", ""):
        candidates.append(Path(settings.KEHU_PG_BIN) / tool)
    candidates.append(Path(f"/usr/lib/postgresql/{server_major}/bin") / tool)
    found = shutil.which(tool)
    if found:
        candidates.append(Path(found))
    path = next((str(p) for p in candidates if p.is_file() and os.access(p, os.X_OK)), None)
    if path is None:
        raise BackupError(E_TOOL_MISSING, tool=tool, major=server_major)
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError as exc:
        raise BackupError(E_TOOL_FAILED, tool=tool, detail=str(exc)) from None
    match = re.search(r"\b(\d+)(?:\.\d+)+", out) or re.search(r"\b(\d+)\b", out)
    tool_major = int(match.group(1)) if match else 0
    if tool_major < server_major:
        raise BackupError(E_TOOL_TOO_OLD, tool=tool, tool_major=tool_major, server_major=server_major)
    return path, tool_major


def _pg_connect(settings_dict: dict):
    import psycopg

    conninfo, _env = _conninfo(settings_dict)
    return psycopg.connect(conninfo, password=settings_dict.get("PASSWORD") or None)


PG_TABLES_SQL = """
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    ORDER BY c.relname
"""


def _run_tool(args: list[str], env: dict, tool: str, **kw) -> None:
    with tempfile.TemporaryFile() as err:
        result = subprocess.run(args, env=env, stderr=err, **kw)
        if result.returncode != 0:
            err.seek(0)
            detail = err.read().decode("utf-8", "replace").strip()
            logger.error("%s failed (%s): %s", tool, result.returncode, detail)
            lines = [line for line in detail.splitlines() if line.strip()]
            raise BackupError(E_TOOL_FAILED, tool=tool, detail=lines[-1] if lines else result.returncode)


def _dump_postgresql(conn, path: Path) -> dict:
    conninfo, env = _conninfo(conn.settings_dict)
    with _pg_connect(conn.settings_dict) as pg:
        with pg.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cur.execute("SELECT pg_export_snapshot(), current_setting('server_version_num')::int, "
                        "current_setting('server_version')")
            snapshot, version_num, version = cur.fetchone()
            dump, dump_major = pg_tool("pg_dump", version_num // 10000)
            tables = [r[0] for r in cur.execute(PG_TABLES_SQL).fetchall()]
            counts = {}
            for table in tables:
                cur.execute(f'SELECT COUNT(*) FROM "{table}"')
                counts[table] = cur.fetchone()[0]
            migrations: dict[str, list[str]] = {}
            if "django_migrations" in counts:
                for app, name in cur.execute("SELECT app, name FROM django_migrations ORDER BY app, name"):
                    migrations.setdefault(app, []).append(name)
            # pg_dump reads the same snapshot while this transaction stays open.
            _run_tool([dump, "--format=custom", f"--snapshot={snapshot}", f"--file={path}",
                       f"--dbname={conninfo}"], env, "pg_dump", stdout=subprocess.DEVNULL)
        pg.rollback()
    return {"server": {"server_version": version, "tool_major": dump_major},
            "row_counts": counts, "migrations": migrations}


# -- reading and checking --------------------------------------------------------------

def read_manifest(archive: Path | str) -> dict:
    """The manifest of ``archive`` (reads the whole archive: the manifest is its last member)."""
    archive = Path(archive)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for info in tar:
                if info.name == MANIFEST and info.isfile():
                    return _parse_manifest(tar.extractfile(info).read(), archive)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(E_UNREADABLE, file=archive.name, detail=str(exc)) from None
    raise BackupError(E_NOT_AN_ARCHIVE, file=archive.name)


def _parse_manifest(data: bytes, archive: Path) -> dict:
    try:
        manifest = json.loads(data)
    except ValueError:
        raise BackupError(E_NOT_AN_ARCHIVE, file=archive.name) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(E_NOT_AN_ARCHIVE, file=archive.name)
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise BackupError(E_FORMAT_TOO_NEW, version=manifest.get("format_version"))
    return manifest


def extract_and_verify(archive: Path | str, into: Path) -> dict:
    """Extract ``archive`` into ``into`` and check every member against the manifest; returns it."""
    archive = Path(archive)
    hashes: dict[str, str] = {}
    manifest_data = None
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for info in tar:
                name = info.name
                if not info.isfile() or name.startswith("/") or ".." in Path(name).parts:
                    raise BackupError(E_UNEXPECTED_MEMBER, member=name)
                src = tar.extractfile(info)
                if name == MANIFEST:
                    manifest_data = src.read()
                    continue
                target = into / "members" / name
                target.parent.mkdir(parents=True, exist_ok=True)
                sha = hashlib.sha256()
                with open(target, "wb") as out:
                    for chunk in iter(lambda: src.read(1 << 20), b""):
                        sha.update(chunk)
                        out.write(chunk)
                hashes[name] = sha.hexdigest()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(E_UNREADABLE, file=archive.name, detail=str(exc)) from None
    if manifest_data is None:
        raise BackupError(E_NOT_AN_ARCHIVE, file=archive.name)
    manifest = _parse_manifest(manifest_data, archive)
    listed = manifest.get("files") or {}
    for name, meta in sorted(listed.items()):
        if name not in hashes:
            raise BackupError(E_MISSING_MEMBER, member=name)
        if hashes[name] != meta.get("sha256"):
            raise BackupError(E_CHECKSUM, member=name)
    for name in sorted(set(hashes) - set(listed)):
        raise BackupError(E_UNEXPECTED_MEMBER, member=name)
    if manifest["database"].get("member") not in listed:
        raise BackupError(E_MISSING_MEMBER, member=manifest["database"].get("member"))
    return manifest


def schema_difference(manifest: dict) -> tuple[list[str], list[str]]:
    """(migrations of the archive the code does not know, migrations of the code the archive lacks)."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    replaced = {r for m in loader.disk_migrations.values() for r in (m.replaces or [])}
    applied = {(app, name) for app, names in (manifest.get("migrations") or {}).items() for name in names}
    unknown = sorted(f"{app}.{name}" for app, name in applied - known - replaced)
    missing = sorted(f"{app}.{name}" for app, name in known - applied
                     if not loader.disk_migrations[(app, name)].replaces)
    return unknown, missing


def tables_with_data(conn) -> list[str]:
    """Tables of database ``conn`` holding rows (beyond what migrating an empty database writes)."""
    with conn.cursor() as cur:
        names = conn.introspection.table_names(cur)
        full = []
        for name in names:
            if name in BOOKKEEPING_TABLES:
                continue
            cur.execute(f"SELECT 1 FROM {conn.ops.quote_name(name)} LIMIT 1")
            if cur.fetchone():
                full.append(name)
    return full


def row_counts(conn, tables) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    existing = set(conn.introspection.table_names())
    with conn.cursor() as cur:
        for table in tables:
            if table not in existing:
                out[table] = None
                continue
            cur.execute(f"SELECT COUNT(*) FROM {conn.ops.quote_name(table)}")
            out[table] = cur.fetchone()[0]
    return out


# -- restoring -------------------------------------------------------------------------

def restore_archive(archive: Path | str, *, using: str = "default", force: bool = False,
                    restore_files: bool = True, migrate: bool = True, progress=None) -> dict:
    """Restore ``archive`` into database ``using`` (and the files); returns what was done.

    Raises :class:`BackupError` before touching anything when the archive is
    damaged, newer than the code, of the other database vendor, or the
    database holds data and ``force`` is not given. The caller holds the
    restore lock (:func:`kehu.backup.services.backup_restore` does).
    """
    report = progress or (lambda pct, stage: None)
    conn = connections[using]
    if conn.in_atomic_block:
        raise BackupError(E_IN_TRANSACTION)
    work = Path(tempfile.mkdtemp(prefix="kehu-restore-"))
    try:
        manifest = extract_and_verify(archive, work)
        unknown, missing = schema_difference(manifest)
        if unknown:
            shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
            raise BackupError(E_NEWER_SCHEMA, migrations=shown, version=manifest.get("kehu_version", "?"))
        vendor = manifest["database"]["vendor"]
        if vendor != conn.vendor:
            raise BackupError(E_CROSS_VENDOR, archive=VENDOR_NAMES.get(vendor, vendor),
                              target=VENDOR_NAMES.get(conn.vendor, conn.vendor))
        if not force:
            full = tables_with_data(conn)
            if full:
                shown = ", ".join(full[:5]) + (" …" if len(full) > 5 else "")
                raise BackupError(E_NOT_EMPTY, tables=shown)
        member = work / "members" / manifest["database"]["member"]
        report(10, STAGE_DATABASE)
        if vendor == "sqlite":
            _restore_sqlite(conn, member)
        else:
            _restore_postgresql(conn, member, manifest)
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
        expected = manifest.get("row_counts") or {}
        found = row_counts(conn, expected)
        wrong = sorted(t for t in expected if found.get(t) != expected[t])
        if wrong:
            raise BackupError(E_ROW_COUNTS, tables=", ".join(wrong[:5]))
        files = []
        if restore_files:
            report(70, STAGE_FILES)
            files = _restore_files(work / "members", manifest)
        migrated = False
        if migrate and missing:
            from django.core.management import call_command

            call_command("migrate", database=using, interactive=False, verbosity=0)
            migrated = True
        report(100, STAGE_DONE)
        return {"manifest": manifest, "tables": len(expected), "rows": sum(expected.values()),
                "files": files, "migrated": missing if migrated else []}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _restore_sqlite(conn, member: Path) -> None:
    conn.ensure_connection()
    source = sqlite3.connect(member)
    try:
        # Replaces every page of the target at once, under its write lock.
        source.backup(conn.connection)
    finally:
        source.close()
    conn.close()  # reconnect with Kehu's pragmas (WAL)


def _restore_postgresql(conn, member: Path, manifest: dict) -> None:
    conn.ensure_connection()
    with conn.cursor() as cur:
        cur.execute("SELECT current_setting('server_version_num')::int, current_schema()")
        version_num, schema = cur.fetchone()
        cur.execute("""
            SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
              AND NOT c.relispartition ORDER BY c.relname""")
        objects = cur.fetchall()
        # The schema's own functions (the triggers' functions, kehu/sales/customer_keys.py and
        # the board's totals): the dump creates them again, and CREATE FUNCTION refuses one
        # that exists. Functions of extensions are left to their extension.
        cur.execute("""
            SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = current_schema() AND p.prokind = 'f'
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                              AND d.objid = p.oid AND d.deptype = 'e')
            ORDER BY 1""")
        functions = [row[0] for row in cur.fetchall()]
    conn.close()
    major = version_num // 10000
    # pg_restore reads archives of its own and older pg_dump versions only.
    restore, _v = pg_tool("pg_restore", max(major, int(manifest["database"].get("tool_major") or 0)))
    psql, _v = pg_tool("psql", major)
    qn = conn.ops.quote_name
    kinds = {"v": "VIEW", "m": "MATERIALIZED VIEW", "f": "FOREIGN TABLE", "r": "TABLE", "p": "TABLE",
             "S": "SEQUENCE"}
    order = "vmfrpS"
    drops = [f"DROP {kinds[kind]} IF EXISTS {qn(schema)}.{qn(name)} CASCADE;"
             for kind_ in order for name, kind in objects if kind == kind_]
    # after the tables (their triggers go with them); regprocedure's text is already quoted
    drops += [f"DROP FUNCTION IF EXISTS {signature} CASCADE;" for signature in functions]
    conninfo, env = _conninfo(conn.settings_dict)
    # pg_restore writes the archive as an SQL script; psql runs it after the
    # drops in ONE transaction: the database is replaced whole or not at all.
    with tempfile.TemporaryFile() as script:
        _run_tool([restore, "--no-owner", "--no-privileges", "--file=-", str(member)], env, "pg_restore",
                  stdout=script)
        script.seek(0)
        with tempfile.TemporaryFile() as body:
            body.write(("\n".join(drops) + "\n").encode())
            shutil.copyfileobj(script, body)
            body.seek(0)
            _run_tool([psql, "--no-psqlrc", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1",
                       f"--dbname={conninfo}"], env, "psql", stdin=body, stdout=subprocess.DEVNULL)


def _restore_files(members: Path, manifest: dict) -> list[str]:
    var = Path(settings.VAR_DIR)
    media = Path(settings.MEDIA_ROOT)
    written = []
    for name in sorted(manifest.get("files") or {}):
        if name.startswith("var/"):
            target = var / name[len("var/"):]
        elif name.startswith("media/"):
            target = media / name[len("media/"):]
        else:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(members / name, target)
        if name == f"var/{SECRET_KEY_FILE}":
            target.chmod(0o600)
        written.append(name)
    return written


def manifest_summary(manifest: dict) -> dict:
    """What the list of backups shows of a manifest."""
    files = manifest.get("files") or {}
    member = (manifest.get("database") or {}).get("member")
    return {
        "kehu_version": manifest.get("kehu_version"),
        "vendor": (manifest.get("database") or {}).get("vendor"),
        "server_version": (manifest.get("database") or {}).get("server_version"),
        "tables": len(manifest.get("row_counts") or {}),
        "rows": sum((manifest.get("row_counts") or {}).values()),
        "files": len([n for n in files if n != member]),
        "migrations": sum(len(v) for v in (manifest.get("migrations") or {}).values()),
        "latest_migrations": {app: names[-1] for app, names in sorted((manifest.get("migrations") or {}).items())
                              if names},
        "includes_secret_key": bool(manifest.get("includes_secret_key")),
        "created_at": manifest.get("created_at"),
    }


def timestamp_name(now: dt.datetime | None = None, suffix: str = "") -> str:
    now = timezone.localtime(now)
    return f"kehu-backup-{now:%Y%m%d-%H%M%S}{suffix}.tar.gz"
