"""Background work of coupons: ``expire_coupons_periodic`` marks the coupons whose
validity has ended as expired, every day at 00:15 (``kehu coupons expire`` does the
same by hand, or for a given date)."""

from __future__ import annotations

import logging

from django.db import close_old_connections, connection
from huey import crontab

from kehu.jobs import huey

logger = logging.getLogger(__name__)


@huey.periodic_task(crontab(hour="0", minute="15"))
def expire_coupons_periodic() -> int:
    from kehu.marketing.coupons.services import coupons_expire

    if not connection.in_atomic_block:
        close_old_connections()
    count = coupons_expire()
    logger.info("Expired %d coupons", count)
    return count
