"""Background work of the lead pool: ``pool_recycle_periodic`` returns unworked customers to
their team's pool and reminds their owners, every night at 02:30 (the server's time zone).
``kehu pool recycle`` does the same by hand."""

from __future__ import annotations

import logging

from django.db import close_old_connections, connection
from huey import crontab

from kehu.jobs import huey

logger = logging.getLogger(__name__)


@huey.periodic_task(crontab(hour="2", minute="30"))
def pool_recycle_periodic() -> int:
    from kehu.sales.pool import pool_recycle

    if not connection.in_atomic_block:
        close_old_connections()
    report = pool_recycle()
    logger.info("Lead pool: %d customers returned, %d owners reminded", len(report.returned), len(report.reminded))
    return len(report.returned)
