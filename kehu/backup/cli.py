"""``kehu backup [OUT]``, ``kehu backup --list``, ``kehu backup --retry ID`` and
``kehu restore FILE [--force]``.

Exit codes: 0 done; 1 the backup or restore failed or was refused (the
reason is printed, in the shell's language, without a stack trace); 2 bad
arguments.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _list() -> int:
    """The backups in KEHU_BACKUP_DIR's records, newest first (a killed one shows as failed, interrupted)."""
    from django.utils import timezone

    from kehu.backup.models import Backup
    from kehu.backup.services import backups_reap_dead

    backups_reap_dead()
    rows = list(Backup.objects.order_by("-created_at", "-id")[:200])
    if not rows:
        print(_("No backup yet."))
        return 0
    for b in rows:
        when = timezone.localtime(b.created_at).strftime("%Y-%m-%d %H:%M:%S")
        state = b.get_status_display()
        if b.running:
            state += f" {b.progress}%"
            if b.stage:
                state += f" · {_(b.stage)}"
        size = _size(b.size) if b.size is not None else "—"
        line = f"{b.pk:>5}  {when}  {b.filename}  {size:>9}  {state}"
        if b.status == "failed":
            line += f": {b.error_message()}"
        print(line)
    return 0


def cmd_backup(args) -> int:
    from kehu.backup import archive
    from kehu.backup.models import Backup, BackupStatus, BackupTrigger
    from kehu.backup.services import backup_create, backup_execute, backup_retry
    from kehu.runtime.maintenance import RestoreRunning

    if args.list:
        return _list()
    if args.out and args.retry is not None:
        print(_("Give either OUT or --retry, not both."), file=sys.stderr)
        return 2
    try:
        if args.retry is not None:
            backup = Backup.objects.filter(pk=args.retry).first()
            if backup is None:
                print(_("No backup %(id)s.") % {"id": args.retry}, file=sys.stderr)
                return 2
            try:
                backup = backup_execute(backup_retry(actor=None, backup=backup, enqueue=False))
            except ValidationError as exc:
                print(_("Backup failed: %(reason)s") % {"reason": " ".join(exc.messages)}, file=sys.stderr)
                return 1
            if backup.status != BackupStatus.SUCCEEDED:
                print(_("Backup failed: %(reason)s") % {"reason": backup.error_message()}, file=sys.stderr)
                return 1
            out, manifest = backup.path, None
        elif args.out:
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
    except RestoreRunning as exc:
        print(_("Backup refused: %(reason)s") % {"reason": exc.message}, file=sys.stderr)
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
    from kehu.runtime.maintenance import RestoreRunning

    path = Path(args.file)
    if not path.is_file():
        print(_("No such file: %(path)s") % {"path": path}, file=sys.stderr)
        return 2
    try:
        result = backup_restore(archive_path=path, force=args.force)
    except (archive.BackupError, RestoreRunning) as exc:
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
    p.add_argument("--list", action="store_true",
                   help=_("list the backups of the backups page (a killed one shows as failed, interrupted)"))
    p.add_argument("--retry", type=int, metavar="ID",
                   help=_("run the failed backup ID (from --list) again, here and now"))
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help=_("restore a backup made by kehu backup"),
                       description=_("Checks the archive's checksums and schema, replaces the configured "
                                     "database with the one in the archive, checks its row counts, puts the "
                                     "files back and migrates an older schema. Meanwhile it holds "
                                     "var/restore.lock: Kehu answers 503 (maintenance) and refuses backups "
                                     "and other restores."))
    p.add_argument("file", metavar="FILE", help=_("the backup archive (.tar.gz)"))
    p.add_argument("--force", action="store_true",
                   help=_("replace a database that already holds data"))
    p.set_defaults(func=cmd_restore)
