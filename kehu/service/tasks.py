"""Background work of service cases: ``sla_check_periodic`` wakes every five
minutes and takes the service-level warnings and escalation steps that are due
(:func:`kehu.service.sla.sla_check`; each step once). ``kehu cases sla-check``
does the same by hand."""

from __future__ import annotations

import logging

from django.db import close_old_connections, connection
from huey import crontab

from kehu.jobs import huey

logger = logging.getLogger(__name__)


@huey.periodic_task(crontab(minute="*/5"))
def sla_check_periodic() -> int:
    from kehu.service.sla import sla_check

    if not connection.in_atomic_block:
        close_old_connections()
    actions = sla_check()
    for a in actions:
        logger.info("SLA %s", a.line())
    return len(actions)
