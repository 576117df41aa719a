"""Background work of visit plans: ``plan_visits_periodic`` plans next week's
visits of every salesperson on Sunday evening at 20:00 (the server's time
zone). ``kehu visits plan`` does the same by hand."""

from __future__ import annotations

import logging

from django.db import close_old_connections, connection
from huey import crontab

from kehu.jobs import huey

logger = logging.getLogger(__name__)


@huey.periodic_task(crontab(day_of_week="0", hour="20", minute="0"))
def plan_visits_periodic() -> int:
    from kehu.engagement.visits import due_week, plan_week

    if not connection.in_atomic_block:
        close_old_connections()
    week = due_week()
    plan = plan_week(week)
    count = sum(len(lines) for lines in plan.values())
    logger.info("Planned %d visits for %s", count, week)
    return count
