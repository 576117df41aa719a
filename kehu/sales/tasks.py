"""Background work of selling: the daily association rules (cross-selling).

``daily_associations`` wakes at 05:30 (the server's time zone), after the nightly
value analysis of the small hours, and recomputes the rules and peer shares
(:func:`kehu.sales.xsell.associations_compute`); ``compute_associations`` is the
same work queued on demand (after a value run, from the command line).
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
