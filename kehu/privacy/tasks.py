"""Background work of personal information: the nightly retention purge.

``purge_expired`` wakes every day at 03:40 (the server's time zone) and applies
the retention rules (:func:`kehu.privacy.services.retention_purge`); with
both settings at 0 (the default) it changes nothing. ``kehu privacy purge``
does the same by hand.
"""

from __future__ import annotations

from django.db import close_old_connections, connection
from huey import crontab

from kehu.jobs import huey


@huey.periodic_task(crontab(hour="3", minute="40"))
def purge_expired() -> dict:
    from kehu.privacy.services import retention_purge

    if not connection.in_atomic_block:
        close_old_connections()
    return retention_purge().as_dict()
