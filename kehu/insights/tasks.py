"""Background work of customer value: run an analysis, and the nightly run.

``execute_run(run_id)`` runs a queued analysis (``services.run_enqueue``
queues it). The periodic task ``nightly_analysis`` wakes every hour at
minute 0 and starts the day's analysis when the hour is the one in the value
settings (``schedule.hour``, the server's time zone) and the schedule is
enabled — so a changed hour applies without restarting the worker — unless
a scheduled analysis was already created today.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import close_old_connections, connection
from django.utils import timezone
from huey import crontab

from kehu.jobs import huey

logger = logging.getLogger(__name__)


def _fresh_connections() -> None:
    """Drop stale database connections between jobs, as Django does between
    requests; not inside a transaction (a job run at once within one)."""
    if not connection.in_atomic_block:
        close_old_connections()


@huey.task()
def execute_run(run_id: int) -> str | None:
    from kehu.insights.models import AnalysisRun
    from kehu.insights.services import run_execute

    _fresh_connections()
    try:
        run = AnalysisRun.objects.filter(pk=run_id).first()
        if run is None:
            logger.warning("value analysis %s no longer exists", run_id)
            return None
        return run_execute(run).status
    finally:
        _fresh_connections()


def nightly_due(now=None) -> bool:
    """Is this the hour of the nightly analysis, and has today's not been created yet?"""
    from kehu.insights.config import value_settings
    from kehu.insights.models import AnalysisRun, RunTrigger

    now = timezone.localtime(now)
    schedule = value_settings()["schedule"]
    if not schedule["enabled"] or now.hour != schedule["hour"]:
        return False
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return not AnalysisRun.objects.filter(trigger=RunTrigger.SCHEDULE, created_at__gte=start).exists()


def nightly_run(now=None):
    """Create and execute the nightly analysis if it is due; returns the run or None."""
    from kehu.insights.models import RunTrigger
    from kehu.insights.services import run_create, run_execute

    if not nightly_due(now):
        return None
    today = timezone.localtime(now).date()
    # Yesterday is the last complete day of orders at night.
    run = run_create(actor=None, as_of=today - dt.timedelta(days=1), trigger=RunTrigger.SCHEDULE)
    return run_execute(run)


@huey.periodic_task(crontab(minute="0"))
def nightly_analysis():
    _fresh_connections()
    try:
        run = nightly_run()
        return None if run is None else run.status
    finally:
        _fresh_connections()


@huey.task()
def rescore_customers(customer_ids: list[int], order_id: int | None = None) -> int:
    """Per-order rescoring (kehu/insights/rescoring.py), queued when an order's transaction commits."""
    from kehu.insights.rescoring import rescore_customers_now

    _fresh_connections()
    try:
        return rescore_customers_now(customer_ids, order_id=order_id)
    finally:
        _fresh_connections()


def summary_check_run(*, repair: bool = True):
    """The nightly check of the kept purchase summary (kehu.sales.purchase_summary)."""
    from kehu.sales.purchase_summary import summary_check

    return summary_check(repair=repair)


@huey.periodic_task(crontab(minute="30", hour="3"))
def nightly_summary_check():
    """Every night at 03:30 (server time): recompute the kept purchase summary from the
    orders, repair any difference and log it as an error (a difference is a bug)."""
    _fresh_connections()
    try:
        result = summary_check_run(repair=True)
        return {"customers": result.customers, "differences": result.differences}
    finally:
        _fresh_connections()
