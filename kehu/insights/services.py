"""Writes of the customer value app: value settings and analysis runs."""

from __future__ import annotations

import datetime as dt
import logging
import time

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.audit.services import audit_record
from kehu.insights import permissions, signals
from kehu.insights.config import validate_config, value_settings
from kehu.insights.models import AnalysisRun, RunStatus, RunTrigger, TimeUnit, TransactionModel, ValueSettings
from kehu.insights.pipeline import STAGES, analyse
from kehu.insights.score_writer import delete_scores, write_scores
from kehu.insights.summary_fast import run_summary_fast
from kehu.insights.summary_sql import SummaryWindow, run_tracking
from kehu.org.policies import policy_for
from kehu.runtime import liveness

logger = logging.getLogger(__name__)


def can_change_value_settings(user) -> bool:
    """Administrators change the value settings; ``None`` is the system itself."""
    return user is None or policy_for(user).is_admin


def value_settings_update(*, actor, config: dict) -> ValueSettings:
    """Validate and save the company's value settings.

    ``config`` holds the sections to change (see ``kehu.insights.config``);
    a section left out keeps its saved value, a section given replaces the
    saved one whole. Raises ``PermissionDenied`` unless the actor is an
    administrator, ``ValidationError`` (dotted field path → translated
    messages) when a value is wrong; nothing is saved then.
    """
    if not can_change_value_settings(actor):
        raise PermissionDenied(_("Only an administrator may change the value settings."))
    with transaction.atomic():
        row = ValueSettings.objects.select_for_update().order_by("id").first()
        stored = dict(row.config) if row is not None else {}
        before = value_settings()
        merged = {**stored, **config} if isinstance(config, dict) else config
        clean = validate_config(merged)
        if row is None:
            row = ValueSettings(config=clean, updated_by=actor)
        else:
            row.config = clean
            row.updated_by = actor
        row.full_clean()
        row.save()
        changed = sorted(k for k in clean if before.get(k) != clean[k])
        audit_record(actor=actor, action="update", instance=row,
                     changes={k: [before.get(k), clean[k]] for k in changed},
                     summary="value settings: " + ", ".join(changed))
    return row


# -- analysis runs ------------------------------------------------------------

class RunFailed(Exception):
    """A failure to show to users: ``message`` is an English msgid (stored on
    the run and translated when shown), ``detail`` goes to the server log."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail


UNEXPECTED_FAILURE = gettext_noop(
    "The analysis stopped because of an unexpected error. The details are in the server log; "
    "start it again, or ask an administrator if it fails again.")
NO_ORDERS = gettext_noop("There are no orders up to the as-of date: nothing to analyse.")
NOT_IN_DATABASE = gettext_noop(
    "Some customers of the orders' source are not in Kehu's database: they were scored with the others "
    "but their scores were not stored (their number is in the run's counts).")


def can_start_run(user) -> bool:
    """Who may start (or start again) a value analysis: the one rule, in
    ``kehu.insights.permissions.can_start_run`` (administrators, analysts and
    head-office managers), which the pages and the API also use; ``None`` is
    the system (``kehu analyze``, the nightly schedule)."""
    return user is None or permissions.can_start_run(user)


def _check_dates(*, as_of, calibration_end, holdout_end, today) -> dict:
    errors: dict[str, list[str]] = {}
    if not isinstance(as_of, dt.date):
        errors["as_of"] = [_("Enter a date.")]
        return errors
    if as_of > today:
        errors["as_of"] = [_("The as-of date cannot be in the future.")]
    if calibration_end is not None and calibration_end >= as_of:
        errors["calibration_end"] = [_("The calibration must end before the as-of date.")]
    if holdout_end is not None:
        if calibration_end is None:
            errors["holdout_end"] = [_("A holdout needs a calibration end.")]
        elif holdout_end <= calibration_end:
            errors["holdout_end"] = [_("The holdout must end after the calibration.")]
        elif holdout_end > as_of:
            errors["holdout_end"] = [_("The holdout cannot end after the as-of date.")]
    return errors


def run_create(*, actor, as_of: dt.date | None = None, calibration_end: dt.date | None = None,
               holdout_end: dt.date | None = None, time_unit: str | None = None, model: str | None = None,
               trigger: str = RunTrigger.WEB) -> AnalysisRun:
    """A queued analysis run with a copy of the value settings in ``parameters``.

    ``as_of`` defaults to today (the server's time zone); ``time_unit`` and
    ``model`` to the settings' defaults. With ``calibration_end`` the models
    are fitted on the orders up to it and checked on the orders in
    (calibration_end, holdout_end] (``holdout_end`` defaults to ``as_of``).
    Nothing runs yet: call :func:`run_enqueue` (background) or
    :func:`run_execute` (here and now); :func:`run_start` does both.
    """
    if not can_start_run(actor):
        raise PermissionDenied(_("You may not start a value analysis."))
    cfg = value_settings()
    today = timezone.localdate()
    as_of = today if as_of is None else as_of
    time_unit = time_unit or cfg["time_unit"]
    model = model or cfg["model"]
    errors = _check_dates(as_of=as_of, calibration_end=calibration_end, holdout_end=holdout_end, today=today)
    if time_unit not in TimeUnit.values:
        errors["time_unit"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(TimeUnit.values)}]
    if model not in TransactionModel.values:
        errors["model"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(TransactionModel.values)}]
    if trigger not in RunTrigger.values:
        errors["trigger"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(RunTrigger.values)}]
    if errors:
        raise ValidationError(errors)
    run = AnalysisRun(
        status=RunStatus.QUEUED, trigger=trigger, requested_by=actor, as_of=as_of,
        calibration_end=calibration_end,
        holdout_end=holdout_end if holdout_end is not None or calibration_end is None else as_of,
        time_unit=time_unit, model=model, parameters=cfg, stage=STAGES["queued"],
    )
    with transaction.atomic():
        run.full_clean()
        run.save()
        audit_record(actor=actor, action="create", instance=run,
                     summary=f"value analysis as of {as_of.isoformat()} ({trigger})")
    return run


def run_enqueue(run: AnalysisRun) -> None:
    """Hand the run to the background worker once the current transaction commits."""
    from kehu.insights.tasks import execute_run

    run_id = run.pk
    transaction.on_commit(lambda: execute_run(run_id))


def run_start(**kwargs) -> AnalysisRun:
    """``run_create`` then ``run_enqueue``: what the web page and the API call."""
    run = run_create(**kwargs)
    run_enqueue(run)
    return run


def run_retry(*, actor, run: AnalysisRun) -> AnalysisRun:
    """Queue a failed run again (same dates and parameters) and hand it to the worker."""
    if not can_start_run(actor):
        raise PermissionDenied(_("You may not start a value analysis."))
    runs_reap_dead()
    run.refresh_from_db()
    if run.status != RunStatus.FAILED:
        raise ValidationError({"status": [_("Only a failed analysis can be started again.")]})
    with transaction.atomic():
        AnalysisRun.objects.filter(pk=run.pk).update(
            status=RunStatus.QUEUED, error="", progress=0, stage=STAGES["queued"], started_at=None,
            finished_at=None, updated_at=timezone.now())
        audit_record(actor=actor, action="retry", instance=run, summary="value analysis started again")
        run.refresh_from_db()
        run_enqueue(run)
    return run


def _set_progress(run: AnalysisRun, pct: int, stage: str) -> None:
    run.progress, run.stage = liveness.report_progress(AnalysisRun, run.pk, pct, stage), stage


def runs_reap_dead() -> list[int]:
    """Mark the runs whose process died (``kill -9`` at 85 %, a lost server)
    failed, "interrupted: the process stopped", so that the pages stop
    following them and they can be started again (:func:`run_retry`)."""
    now = timezone.now()
    return liveness.reap(AnalysisRun, running=[RunStatus.RUNNING], failed={
        "status": RunStatus.FAILED, "stage": STAGES["failed"], "error": liveness.INTERRUPTED,
        "finished_at": now, "updated_at": now}, now=now)


def summary_window(*, as_of: dt.date, calibration_end: dt.date | None, holdout_end: dt.date | None,
                   parameters: dict) -> tuple[SummaryWindow, bool]:
    """The summary's dates for a run with these dates and value settings, and
    whether the split is an explicit calibration end (else the backtest date)."""
    churn = parameters["churn"]
    if calibration_end is not None:
        split, explicit = calibration_end, True
        holdout_end = holdout_end or as_of
    else:
        split, explicit = as_of - dt.timedelta(days=churn["period_days"]), False
        holdout_end = as_of
    return SummaryWindow(as_of=as_of, split=split, holdout_end=holdout_end,
                         period_days=churn["period_days"], revenue_days=churn["revenue_days"]), explicit


def _window(run: AnalysisRun) -> tuple[SummaryWindow, bool]:
    return summary_window(as_of=run.as_of, calibration_end=run.calibration_end, holdout_end=run.holdout_end,
                          parameters=run.parameters)


def _owner_summary(run: AnalysisRun, threshold: float, limit: int = 50) -> list[dict]:
    """Churn warnings and their revenue at risk per owner (who must act), largest first,
    read from the run's stored scores."""
    from django.db.models import Count, Sum

    from kehu.insights.models import CustomerScore

    rows = (CustomerScore.objects.filter(run=run, churn_risk__gte=threshold)
            .values("customer__owner_id", "customer__owner__username")
            .annotate(flagged=Count("id"), at_risk=Sum("revenue_at_risk"))
            .order_by("-at_risk", "customer__owner_id")[:limit])
    return [{"owner_id": r["customer__owner_id"], "username": r["customer__owner__username"] or "",
             "flagged": r["flagged"], "revenue_at_risk": float(r["at_risk"] or 0)} for r in rows]


def run_execute(run: AnalysisRun, *, progress=None, source=None) -> AnalysisRun:
    """Run a queued (or failed) analysis here and now; returns it finished or failed.

    ``source`` computes the summary somewhere else than in this database
    (``kehu.insights.warehouse.SparkSource``: the orders in a warehouse):
    it has ``engine`` (the run's ``engine``), ``summary(window)`` and
    ``tracking(window)``. Customers of its summary that are not in this
    database are scored (the models are fitted on the whole source) but not
    stored; their number is in ``results["counts"]["not_in_database"]`` and
    in the run's warnings.

    ``progress(pct, stage)`` is called as it goes (besides the run's own
    progress and stage, which other processes see). A failure is recorded
    on the run with a message for users (``run.error``, an English msgid:
    show it with ``gettext``) and logged with its stack trace; the run can
    then be started again.
    """
    claimed = liveness.claim(AnalysisRun, run.pk, waiting=[RunStatus.QUEUED, RunStatus.FAILED],
                             status=RunStatus.RUNNING, progress=1, stage=STAGES["summary"], error="")
    run.refresh_from_db()
    if not claimed:
        logger.info("run %s is %s: not executed", run.pk, run.status)
        return run

    def report(pct, stage):
        _set_progress(run, pct, stage)
        if progress:
            progress(pct, stage)

    t0 = time.perf_counter()
    heartbeat = liveness.Heartbeat(AnalysisRun, run.pk)
    heartbeat.__enter__()
    try:
        delete_scores([run.pk])
        window, explicit = _window(run)
        report(5, STAGES["summary"])
        t = time.perf_counter()
        summary_steps: dict = {}
        summary = (source.summary(window) if source is not None
                   else run_summary_fast(window, explicit=explicit, timings=summary_steps))
        t_summary = time.perf_counter() - t
        if len(summary) == 0:
            raise RunFailed(NO_ORDERS)
        # The tracking series costs a second pass over the orders: it is
        # made for explicit validation runs (a calibration end was given).
        tracking = None
        if explicit:
            tracking = source.tracking(window) if source is not None else run_tracking(window)
        t_tracking = time.perf_counter() - t - t_summary
        report(35, STAGES["segments"])
        ids = summary.customer_id
        known = None
        if source is not None:
            from kehu.insights.warehouse import known_customers

            known = known_customers(ids)
            ids = np.where(known, ids, 0)  # the survey and service signals: none for unknown ids
        analysis = analyse(
            summary, window=window, explicit_split=explicit, time_unit=run.time_unit, model=run.model,
            cfg=run.parameters, tracking=tracking,
            attitude=signals.collect("attitude", ids, run.as_of),
            satisfaction=signals.collect("satisfaction", ids, run.as_of),
            complaints=signals.collect("open_complaints", ids, run.as_of),
            progress=report)
        results = analysis.results
        from kehu.customers.models import Customer

        stored_customers = len(summary)
        if known is not None:
            missing = int((~known).sum())
            results["counts"]["not_in_database"] = missing
            if missing:
                from kehu.insights.pipeline import analysis_subset

                results["warnings"].append(NOT_IN_DATABASE)
                analysis = analysis_subset(analysis, known)
                stored_customers -= missing
        results["counts"]["customers_without_orders"] = max(0, Customer.objects.count() - stored_customers)
        report(85, STAGES["storing"])
        t = time.perf_counter()
        with transaction.atomic():
            store_steps: dict = {}
            n = write_scores(run, analysis, timings=store_steps)
            t_store = time.perf_counter() - t
            results["churn"]["by_owner"] = _owner_summary(run, run.parameters["churn"]["threshold"])
            results["summary_source"] = summary_steps.pop("summary_source", source.engine if source else "sql")
            results["timings"] = {"summary_sql": round(t_summary, 4), **summary_steps,
                                  "tracking_sql": round(t_tracking, 4),
                                  **results["timings"], "store": round(t_store, 4), **store_steps,
                                  "owners": round(time.perf_counter() - t - t_store, 4),
                                  "total": round(time.perf_counter() - t0, 4)}
            AnalysisRun.objects.filter(pk=run.pk).update(
                status=RunStatus.SUCCEEDED, progress=100, stage=STAGES["done"], results=results,
                customers=n, engine=source.engine if source is not None else connection.vendor,
                finished_at=timezone.now(), updated_at=timezone.now())
            purge_old_scores(keep=run.parameters["retention"]["keep_scores_runs"])
    except Exception as exc:  # recorded on the run; never shown to users as a stack trace
        message = exc.message if isinstance(exc, RunFailed) else UNEXPECTED_FAILURE
        logger.exception("value analysis %s failed", run.pk)
        AnalysisRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, stage=STAGES["failed"], error=message, finished_at=timezone.now(),
            updated_at=timezone.now())
    finally:
        heartbeat.__exit__(None, None, None)
    run.refresh_from_db()
    if run.status == RunStatus.SUCCEEDED:
        _announce_success(run)
    return run


def _announce_success(run: AnalysisRun) -> None:
    """Send :data:`kehu.insights.signals.run_succeeded`. Its receivers follow a run that is
    stored: one that fails is logged and does not fail the run."""
    for receiver, result in signals.run_succeeded.send_robust(sender=AnalysisRun, run=run):
        if isinstance(result, Exception):
            logger.error("value analysis %s succeeded, but its follow-up %s failed", run.pk,
                         getattr(receiver, "__qualname__", receiver), exc_info=result)


def purge_old_scores(*, keep: int) -> list[int]:
    """Remove the per-customer scores of all but the ``keep`` latest finished runs
    (their results stay; ``scores_purged`` is set). Returns the purged run ids."""
    keep_ids = list(AnalysisRun.objects.filter(status=RunStatus.SUCCEEDED)
                    .order_by("-created_at", "-id").values_list("pk", flat=True)[:keep])
    old = list(AnalysisRun.objects.filter(scores_purged=False).exclude(pk__in=keep_ids)
               .exclude(status__in=[RunStatus.RUNNING, RunStatus.QUEUED]).values_list("pk", flat=True))
    if old:
        delete_scores(old)
        AnalysisRun.objects.filter(pk__in=old).update(scores_purged=True, updated_at=timezone.now())
    return old
