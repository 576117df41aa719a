"""``kehu serve``: Kehu behind gunicorn, the production server.

Several sync worker processes (one request at a time each, which suits
SQLite's single writer as well as PostgreSQL) share one port; before they
start, the static files (and the chart library, built once per release) are
collected into ``var/static`` when they changed, with hashed names and
compressed copies that WhiteNoise serves with a year-long cache header
(:mod:`kehu.runtime.staticfiles`); the access log goes to standard output. The server refuses to start on a database
with unapplied migrations. A background worker (``kehu worker``, Huey) runs
beside it as a child process, so that jobs started in the browser execute;
``KEHU_SERVE_WORKER=0`` leaves it out (workers run elsewhere).
"""

from __future__ import annotations

import os
import sys
import threading

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def default_workers() -> int:
    """Two sync workers per core (at least two, at most sixteen)."""
    return max(2, min(16, 2 * (os.cpu_count() or 1)))


def pending_migrations(database="default") -> list[str]:
    """Names (``app.migration``) of the migrations not yet applied to ``database``
    (an alias or a connection)."""
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    connection = connections[database] if isinstance(database, str) else database
    executor = MigrationExecutor(connection)
    targets = executor.loader.graph.leaf_nodes()
    return [f"{m.app_label}.{m.name}" for m, backwards in executor.migration_plan(targets) if not backwards]


def migration_problem(database="default") -> str | None:
    """A message saying why the server must not start, or None when the database is ready."""
    try:
        pending = pending_migrations(database)
    except Exception as exc:  # cannot connect, no such database file, ...
        return (_("cannot read the database: %(error)s") % {"error": exc}).strip()
    if not pending:
        return None
    shown = ", ".join(pending[:5])
    if len(pending) > 5:
        shown = _("%(names)s and %(count)s more") % {"names": shown, "count": len(pending) - 5}
    return ngettext(
        "the database is not migrated: %(count)s migration not applied (%(names)s); run `kehu migrate` first",
        "the database is not migrated: %(count)s migrations not applied (%(names)s); run `kehu migrate` first",
        len(pending),
    ) % {"count": len(pending), "names": shown}


# gunicorn's largest request line (its parser caps the setting there). Kehu's own limit
# (KEHU_MAX_URL_LENGTH, 8000 by default) is lower, so a long URL gets Kehu's 414 envelope;
# beyond this one the worker class still answers in the envelope (kehu.demo.gunicorn_worker).
GUNICORN_MAX_REQUEST_LINE = 8190


def gunicorn_options(*, host: str, port: int, workers: int) -> dict:
    """The settings ``kehu serve`` runs gunicorn with."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "kehu.demo.gunicorn_worker.KehuSyncWorker",
        "threads": 1,
        "timeout": 120,
        "graceful_timeout": 20,
        "limit_request_line": GUNICORN_MAX_REQUEST_LINE,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "kehu",
        "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',
    }


def _application_class():
    from gunicorn.app.base import BaseApplication

    class KehuApplication(BaseApplication):
        def __init__(self, options: dict, application):
            self.options, self.application = options, application
            super().__init__()

        def load_config(self):
            for key, value in self.options.items():
                self.cfg.set(key, value)

        def load(self):
            return self.application

    return KehuApplication


def serve(*, host: str = "127.0.0.1", port: int = 8000, workers: int | None = None, out=None) -> int:
    """Run gunicorn in this process until it is stopped. Returns an exit code."""
    out = out or sys.stdout
    problem = migration_problem()
    if problem:
        print(_("error: %(error)s") % {"error": problem}, file=sys.stderr)
        return 2

    from django.conf import settings
    from django.db import connections
    from kehu.runtime import public_url

    # Survey links and QR codes point at the port served, unless KEHU_PUBLIC_URL says otherwise.
    public = public_url.apply_served(host, port)

    workers = workers or default_workers()
    if host not in ("127.0.0.1", "localhost") and host not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        print(_("note: set KEHU_ALLOWED_HOSTS to the names clients use to reach %(host)s") % {"host": host},
              file=sys.stderr)
    # Hashed, compressed static files (and the chart library) once per release, not per visit.
    try:
        from kehu.runtime.staticfiles import collect_if_needed

        if collect_if_needed():
            # a note in the log: the first two lines of the output stay where the server is and its links
            print(_("Static files collected into %(path)s") % {"path": settings.STATIC_ROOT}, file=sys.stderr,
                  flush=True)
    except Exception as exc:  # a read-only home: the finders still serve the plain names
        print(_("note: static files not collected (%(error)s); serving them uncompressed") % {"error": exc},
              file=sys.stderr)
    # WhiteNoise warns when STATIC_ROOT is missing, although the finders serve everything.
    try:
        os.makedirs(settings.STATIC_ROOT, exist_ok=True)
    except OSError:
        pass
    from kehu.wsgi import application, warm_up

    # the URLs and the API's schemas once, here, inherited by every worker: a first visit
    # after a restart does not wait seconds for them
    warm_up()
    # Workers are forked from this process: they must not share its database connections.
    connections.close_all()

    options = gunicorn_options(host=host, port=port, workers=workers)
    # once listening: does the public address answer? (a warning in the log if not)
    options["when_ready"] = lambda server: threading.Thread(target=public_url.warn_if_unreachable,
                                                            daemon=True).start()
    KehuApplication = _application_class()

    print(_("Kehu is serving on %(url)s with %(workers)s workers (Ctrl+C stops it)") % {
        "url": f"http://{host}:{port}/", "workers": workers}, file=out, flush=True)
    print(_("Survey links and QR codes use %(url)s (KEHU_PUBLIC_URL)") % {"url": public}, file=out, flush=True)
    # Background jobs (an analysis started in the browser, the nightly run)
    # need a consumer: one runs beside the web server unless KEHU_SERVE_WORKER=0.
    from kehu import jobs

    worker = jobs.start_worker_process() if jobs.serve_with_worker() else None
    try:
        KehuApplication(options, application).run()
    finally:
        jobs.stop_worker_process(worker)
    return 0
