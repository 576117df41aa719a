"""Is a long-running job still alive? Written once for every kind of job.

A job record (an analysis run, a backup, …) that says "running" may belong to a process
that was killed (``kill -9``, an out-of-memory kill, a power cut): nothing in
that process can record the failure. So a job shows signs of life while it
works, and readers decide:

- the record carries the worker's host and process id and a heartbeat time
  (:class:`LiveJob`), set when the job is claimed and refreshed as it makes
  progress and by a :class:`Heartbeat` thread every ``KEHU_HEARTBEAT_SECONDS``
  (default 10) — the thread dies with its process;
- a running job is **dead** when its process is gone on this host (the
  process id no longer exists), or its heartbeat is older than
  ``KEHU_JOB_STALE_SECONDS`` (default 300: a job on another host, or a process
  id taken again);
- :func:`reap` marks the dead jobs of a model failed with the reason
  :data:`INTERRUPTED` ("interrupted: the process stopped", translated where it
  is shown); the pages and the API call it before they show jobs, so the
  record is failed and can be started again.

A job record with a progress bar is a :class:`ProgressJob` (liveness and
progress, stage, error, started and finished): :func:`claim` starts it (one
UPDATE from a waiting status, so two workers never run it twice) and
:func:`report_progress` records each step — which is also a heartbeat.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

logger = logging.getLogger(__name__)

HOST = socket.gethostname()[:255]
INTERRUPTED = gettext_noop("interrupted: the process stopped")


def beat_seconds() -> float:
    return float(getattr(settings, "KEHU_HEARTBEAT_SECONDS", 10))


def stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "KEHU_JOB_STALE_SECONDS", 300)))


def process_alive(pid: int | None) -> bool:
    """Whether process ``pid`` exists on this host (a zombie — dead, not yet
    collected by its parent — counts as gone)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().split(b") ")[-1][:1] != b"Z"
    except OSError:
        return True


def alive_fields(now=None) -> dict:
    """The fields a job sets when it is claimed: this process, now."""
    return {"heartbeat_at": now or timezone.now(), "worker_host": HOST, "worker_pid": os.getpid()}


def is_dead(*, heartbeat_at, host: str, pid: int | None, since=None, now=None) -> bool:
    """Whether a job that says it is running has no living worker.

    ``since`` (e.g. ``updated_at``) stands in for the heartbeat of a record
    written before heartbeats existed."""
    now = now or timezone.now()
    if host == HOST and pid and not process_alive(pid):
        return True
    last = heartbeat_at or since
    return last is not None and last < now - stale_after()


def stamp(now=None) -> dict:
    """:func:`alive_fields` as JSON-ready values, for a job whose progress is
    kept in the cache instead of a record (``{"state": "running", **stamp()}``)."""
    fields = alive_fields(now)
    return {**fields, "heartbeat_at": fields["heartbeat_at"].isoformat()}


def stamp_is_dead(state: dict, now=None) -> bool:
    """:func:`is_dead` for a :func:`stamp` (False when the job has not started:
    no worker has taken it yet)."""
    if not state.get("heartbeat_at"):
        return False
    return is_dead(heartbeat_at=dt.datetime.fromisoformat(state["heartbeat_at"]), host=state.get("worker_host", ""),
                   pid=state.get("worker_pid"), now=now)


class LiveJob(models.Model):
    """The liveness fields of a job record (abstract)."""

    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    worker_host = models.CharField(_("worker host"), max_length=255, blank=True, default="")
    worker_pid = models.PositiveIntegerField(_("worker process id"), null=True, blank=True)

    class Meta:
        abstract = True

    def is_dead(self, now=None) -> bool:
        return is_dead(heartbeat_at=self.heartbeat_at, host=self.worker_host, pid=self.worker_pid,
                       since=getattr(self, "updated_at", None), now=now)


class ProgressJob(LiveJob):
    """A job that reports how far it has got (abstract): its liveness, its
    progress (0–100) and stage (an English msgid, shown translated), why it
    failed (``error``, an English msgid) and when it started and finished.
    Each concrete model keeps its own ``CheckConstraint`` on ``progress``
    (constraint names are per table)."""

    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0, validators=[MaxValueValidator(100)])
    stage = models.CharField(_("stage"), max_length=100, blank=True, default="")
    error = models.TextField(_("error"), blank=True, default="")
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        abstract = True


def _touch(model, now) -> dict:
    """``updated_at`` too, where the model has it."""
    return {"updated_at": now} if any(f.name == "updated_at" for f in model._meta.concrete_fields) else {}


def claim(model, pk, *, waiting: list[str], status_field: str = "status", **fields) -> bool:
    """Start job ``pk`` of a :class:`ProgressJob` model if it is in a ``waiting``
    status: one UPDATE setting ``fields`` (the running status, the first stage,
    …), ``started_at``, no ``finished_at`` and this process's
    :func:`alive_fields`. Returns whether this process got it."""
    now = timezone.now()
    return bool(model.objects.filter(pk=pk, **{f"{status_field}__in": waiting}).update(
        started_at=now, finished_at=None, **_touch(model, now), **alive_fields(now), **fields))


def report_progress(model, pk, pct, stage: str) -> int:
    """Record a :class:`ProgressJob`'s progress (clamped to 0–100) and stage;
    a sign of life too. Returns the progress recorded."""
    pct = max(0, min(100, int(pct)))
    now = timezone.now()
    model.objects.filter(pk=pk).update(progress=pct, stage=stage, heartbeat_at=now, **_touch(model, now))
    return pct


def reap(model, *, running: list[str], failed: dict, status_field: str = "status", now=None) -> list[int]:
    """Mark the dead jobs of ``model`` (status in ``running``) failed with the
    fields ``failed`` (status, reason, …); returns their ids. Cheap when
    nothing is running: one indexed query."""
    now = now or timezone.now()
    cutoff = now - stale_after()
    candidates = model.objects.filter(**{f"{status_field}__in": running}).filter(
        Q(worker_host=HOST) | Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, updated_at__lt=cutoff))
    dead = [job.pk for job in candidates.only("pk", "heartbeat_at", "worker_host", "worker_pid", "updated_at")
            if job.is_dead(now)]
    if dead:
        # Only those still running: a job that finished meanwhile keeps its result.
        model.objects.filter(pk__in=dead, **{f"{status_field}__in": running}).update(**failed)
        logger.warning("%s %s: interrupted (the process stopped)", model._meta.verbose_name, dead)
    return dead


class Heartbeat:
    """``with Heartbeat(Model, pk):`` — refresh the job's ``heartbeat_at`` every
    :func:`beat_seconds` from a daemon thread (its own database connection)
    while the block runs. Not inside a transaction: another connection could
    not see the job's row (nor, on SQLite, write beside it); the job's own
    progress updates are its heartbeat there."""

    def __init__(self, model, pk, *, seconds: float | None = None):
        self.model, self.pk = model, pk
        self.seconds = beat_seconds() if seconds is None else seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        from django.db import connection as own

        try:
            while not self._stop.wait(self.seconds):
                try:
                    self.model.objects.filter(pk=self.pk).update(heartbeat_at=timezone.now())
                except Exception as exc:  # noqa: BLE001 - a missed beat is not a failure of the job
                    # e.g. SQLite while the job itself holds the write lock: its progress beats instead
                    logger.info("heartbeat of %s %s missed: %s", self.model._meta.label, self.pk, exc)
        finally:
            own.close()

    def __enter__(self):
        if self.seconds > 0 and not connection.in_atomic_block:
            self._thread = threading.Thread(target=self._run, name=f"heartbeat-{self.pk}", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.seconds + 5)
        return False
