"""Background work of membership: every night the points past their validity
expire and the memberships whose term has ended renew (or expire); on the
first of each month the tier review runs. Their notices go out through the
sending gate (``notices_send``). The commands ``kehu points expire``,
``kehu membership renew`` and ``kehu membership review`` do the same by hand."""

from __future__ import annotations

import logging

from django.db import close_old_connections, connection
from huey import crontab

from kehu.jobs import huey

logger = logging.getLogger(__name__)


def _fresh() -> None:
    if not connection.in_atomic_block:
        close_old_connections()


@huey.periodic_task(crontab(hour="1", minute="20"))
def points_expire_nightly() -> dict:
    from kehu.marketing.membership.services import membership_renew, notices_send, points_expire

    _fresh()
    expired = points_expire()
    renewed = membership_renew()
    notices_send()
    logger.info("points expired %s; memberships renewed %d, expired %d", expired, renewed.renewed, renewed.expired)
    return expired


@huey.periodic_task(crontab(day="1", hour="2", minute="40"))
def membership_review_monthly() -> int:
    from kehu.marketing.membership.services import membership_review, notices_send

    _fresh()
    result = membership_review()
    sent = notices_send()
    logger.info("tier review: %d reviewed, %d up, %d down; notices %s", result.reviewed, result.up, result.down, sent)
    return result.up + result.down
