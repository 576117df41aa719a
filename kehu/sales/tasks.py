"""Background work of selling.

- The daily association rules (cross-selling): ``daily_associations`` wakes at 05:30 (the
  server's time zone), after the nightly value analysis of the small hours, and recomputes
  the rules and peer shares (:func:`kehu.sales.xsell.associations_compute`);
  ``compute_associations`` is the same work queued on demand: after each value analysis
  that succeeds (:func:`kehu.sales.xsell.on_value_run_succeeded`, on the signal
  ``kehu.insights.signals.run_succeeded``).
- The lead pool: ``pool_recycle_periodic`` returns unworked customers to their team's pool
  and reminds their owners, every night at 02:30; ``kehu pool recycle`` does the same by hand.
- Quotes: ``expire_quotes_periodic`` marks approved and sent quotes past their validity date
  expired, every day at 00:10.
"""

from __future__ import annotations

import logging

from django.db import close_old_connections, connection
from huey import crontab

from kehu.jobs import huey

logger = logging.getLogger(__name__)


def _fresh_connections() -> None:
    if not connection.in_atomic_block:
        close_old_connections()


@huey.task()
def compute_associations(trigger: str = "value_run") -> int | None:
    from kehu.sales.xsell import associations_compute

    _fresh_connections()
    try:
        return associations_compute(trigger=trigger).pk
    finally:
        _fresh_connections()


@huey.periodic_task(crontab(hour="5", minute="30"))
def daily_associations() -> int | None:
    from kehu.sales.xsell import associations_compute

    _fresh_connections()
    try:
        return associations_compute(trigger="schedule").pk
    finally:
        _fresh_connections()


@huey.periodic_task(crontab(hour="2", minute="30"))
def pool_recycle_periodic() -> int:
    from kehu.sales.pool import pool_recycle

    _fresh_connections()
    report = pool_recycle()
    logger.info("Lead pool: %d customers returned, %d owners reminded", len(report.returned), len(report.reminded))
    return len(report.returned)


@huey.periodic_task(crontab(hour="0", minute="10"))
def expire_quotes_periodic() -> int:
    from kehu.sales.quotes import quotes_expire

    if not connection.in_atomic_block:
        close_old_connections()
    count = quotes_expire()
    logger.info("Expired %d quotes", count)
    return count
