"""Background work of quotes: ``expire_quotes_periodic`` marks approved and sent quotes
past their validity date expired, every day at 00:10 (the server's time zone)."""

from __future__ import annotations

import logging

from django.db import close_old_connections, connection
from huey import crontab

from kehu.jobs import huey

logger = logging.getLogger(__name__)


@huey.periodic_task(crontab(hour="0", minute="10"))
def expire_quotes_periodic() -> int:
    from kehu.sales.quotes import quotes_expire

    if not connection.in_atomic_block:
        close_old_connections()
    count = quotes_expire()
    logger.info("Expired %d quotes", count)
    return count
