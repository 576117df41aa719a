"""Maintenance: while ``kehu restore`` replaces the database, nothing else reads or writes it.

The restore holds a **lock file**, ``var/restore.lock`` (``KEHU_RESTORE_LOCK``
to put it elsewhere), made with ``O_CREAT | O_EXCL`` — so of two restores
started at once exactly one gets it — holding the restoring process's host,
process id, start time and archive as JSON. A file, not a database row,
because the database is what is being replaced (a row would vanish with the
old tables, or come back from the archive), and every process of the server
(the web workers, the Huey worker, another ``kehu`` command) sees the same
file under ``var/``.

While the lock is held:

- :class:`MaintenanceMiddleware` answers every request ``503`` with
  ``Retry-After``: the API's JSON error envelope (code ``maintenance``) under
  ``/api/``, a translated page elsewhere — before the session or the user is
  read, so no half-restored table is touched;
- a second restore and any backup are refused (:class:`RestoreRunning`,
  with the message "a restore is running").

A lock whose process is gone (``kill -9``, a crash: on this host, its process
id no longer exists — :func:`kehu.runtime.liveness.process_alive`) is
**stale**: ignored, and removed by the next restore. A lock written on another
host (a ``var/`` shared between servers) cannot be checked from here and
holds until that restore ends or an administrator deletes the file.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.runtime import liveness

MAINTENANCE = gettext_noop("maintenance: a restore is running")
RETRY_AFTER_SECONDS = 60


def lock_path() -> Path:
    custom = getattr(settings, "KEHU_RESTORE_LOCK", None)
    return Path(custom) if custom else Path(settings.VAR_DIR) / "restore.lock"


class RestoreRunning(Exception):
    """Refused: a restore holds the lock (``holder`` says whose)."""

    def __init__(self, holder: dict):
        self.holder = holder
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return _("A restore is running (process %(pid)s on %(host)s, since %(since)s); try again when it has "
                 "finished.") % {"pid": self.holder.get("pid", "?"), "host": self.holder.get("host", "?"),
                                  "since": self.holder.get("started_at", "?")}


def _read(path: Path) -> dict | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError:
        return {}
    try:
        holder = json.loads(text)
    except ValueError:  # being written this very moment (or damaged): held all the same
        return {}
    return holder if isinstance(holder, dict) else {}


def _stale(holder: dict) -> bool:
    return holder.get("host") == liveness.HOST and not liveness.process_alive(holder.get("pid"))


def holder() -> dict | None:
    """Who holds the restore lock (``{"pid", "host", "started_at", "archive"}``),
    or None when nobody does or its process is gone. One ``stat`` when free."""
    path = lock_path()
    if not path.exists():
        return None
    found = _read(path)
    if found is None or _stale(found):
        return None
    return found


def check() -> None:
    """Raise :class:`RestoreRunning` while a restore holds the lock."""
    found = holder()
    if found is not None:
        raise RestoreRunning(found)


@contextlib.contextmanager
def restore_lock(*, archive: str = ""):
    """``with restore_lock(archive=…):`` — hold the lock while the block runs;
    raises :class:`RestoreRunning` when another live restore holds it."""
    path = lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    mine = {"pid": os.getpid(), "host": liveness.HOST, "started_at": timezone.now().isoformat(),
            "archive": str(archive)}
    for _attempt in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            found = _read(path)
            if found is not None and not _stale(found):
                raise RestoreRunning(found) from None
            # Stale (its process is gone) or removed meanwhile: take it over once.
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(mine, fh)
        break
    else:
        raise RestoreRunning(_read(path) or {})
    try:
        yield mine
    finally:
        found = _read(path)
        if found is not None and found.get("pid") == mine["pid"] and found.get("host") == mine["host"]:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


class MaintenanceMiddleware:
    """503 for every request while a restore runs (see the module). Placed
    before the session and authentication middleware: they read the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        found = holder()
        if found is None:
            return self.get_response(request)
        return self.response(request)

    @staticmethod
    def response(request):
        from django.http import HttpResponse, JsonResponse
        from django.template.loader import render_to_string
        from django.utils import translation

        language = translation.get_language_from_request(request)
        with translation.override(language):
            message = _(MAINTENANCE)
            if request.path_info.startswith("/api/"):
                response = JsonResponse({"error": {"code": "maintenance", "message": message}}, status=503,
                                        json_dumps_params={"ensure_ascii": False})
            else:
                html = render_to_string("runtime/maintenance.html", {
                    "message": message, "language": translation.get_language(),
                    "retry_after": RETRY_AFTER_SECONDS})
                response = HttpResponse(html, status=503)
        response._has_been_logged = True  # expected while it lasts: not an error of the server
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        response["Content-Language"] = language
        return response
