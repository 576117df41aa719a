"""``kehu backup [OUT]`` and ``kehu restore FILE [--force]``.

Exit codes: 0 done; 1 the backup or restore failed or was refused (the
reason is printed, in the shell's language, without a stack trace); 2 bad
arguments.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.utils.translation import gettext as _


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def cmd_backup(args) -> int:
    from kehu.backup import archive
    from kehu.backup.models import BackupStatus, BackupTrigger
    from kehu.backup.services import backup_create, backup_execute

    try:
        if args.out:
            out = Path(args.out)
            if out.is_dir():
                out = out / archive.timestamp_name()
            manifest = archive.write_archive(out, include_secret_key=args.with_secret_key)
        else:
            backup = backup_execute(backup_create(actor=None, trigger=BackupTrigger.CLI,
                                                  include_secret_key=args.with_secret_key))
            if backup.status != BackupStatus.SUCCEEDED:
                print(_("Backup failed: %(reason)s") % {"reason": backup.error_message()}, file=sys.stderr)
                return 1
            out, manifest = backup.path, None
    except archive.BackupError as exc:
        print(_("Backup failed: %(reason)s") % {"reason": exc.message}, file=sys.stderr)
        return 1
    summary = archive.manifest_summary(manifest) if manifest else backup.summary
    print(_("Backup written to %(path)s (%(size)s): %(tables)s tables, %(rows)s rows, %(files)s files.") % {
        "path": out, "size": _size(out.stat().st_size), "tables": summary["tables"], "rows": summary["rows"],
        "files": summary["files"]})
    if not summary["includes_secret_key"]:
        print(_("The secret key (var/secret_key) is not in the backup; use --with-secret-key to include it."))
    return 0


def cmd_restore(args) -> int:
    from kehu.backup import archive
    from kehu.backup.services import backup_restore

    path = Path(args.file)
    if not path.is_file():
        print(_("No such file: %(path)s") % {"path": path}, file=sys.stderr)
        return 2
    try:
        result = backup_restore(archive_path=path, force=args.force)
    except archive.BackupError as exc:
        print(_("Restore refused: %(reason)s") % {"reason": exc.message}, file=sys.stderr)
        return 1
    manifest = result["manifest"]
    print(_("Restored %(tables)s tables, %(rows)s rows (checked against the manifest) and %(files)s files "
            "from the backup of %(date)s (Kehu %(version)s).") % {
        "tables": result["tables"], "rows": result["rows"], "files": len(result["files"]),
        "date": manifest.get("created_at", "?"), "version": manifest.get("kehu_version", "?")})
    if result["migrated"]:
        print(_("The backup's schema was older: %(n)s migrations applied.") % {"n": len(result["migrated"])})
    print(_("Restart Kehu (kehu serve and the workers) so that it reads the restored data afresh."))
    return 0


def register(sub) -> None:
    p = sub.add_parser("backup", help=_("back up the database, uploaded files and settings into one archive"),
                       description=_("Writes a .tar.gz with the database (SQLite's online backup or pg_dump), "
                                     "the files under var/ and a manifest, while Kehu keeps serving. Without "
                                     "OUT the archive goes into KEHU_BACKUP_DIR and is listed on the backups "
                                     "page."))
    p.add_argument("out", nargs="?", metavar="OUT", help=_("the archive to write, or a directory for it"))
    p.add_argument("--with-secret-key", action="store_true",
                   help=_("include var/secret_key (sessions stay valid after a restore on another machine)"))
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help=_("restore a backup made by kehu backup"),
                       description=_("Checks the archive's checksums and schema, replaces the configured "
                                     "database with the one in the archive, checks its row counts, puts the "
                                     "files back and migrates an older schema. Stop Kehu first."))
    p.add_argument("file", metavar="FILE", help=_("the backup archive (.tar.gz)"))
    p.add_argument("--force", action="store_true",
                   help=_("replace a database that already holds data"))
    p.set_defaults(func=cmd_restore)
