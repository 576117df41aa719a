"""Background work of survey distribution: creating the invitations of a big
sample (with progress the page polls), and the hourly reminders.

``send_reminders`` wakes every hour at minute 15 and sends the reminders that
are due (:func:`kehu.surveys.services.distribution.reminders_send`): an
invitation sent, opened or partly answered, ``Wave.reminder_after_days`` after
the invitation or the last reminder, at most ``Wave.max_reminders`` times,
while the wave is open. ``kehu survey remind`` does the same by hand.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import close_old_connections, connection
from huey import crontab

from kehu.jobs import huey
from kehu.runtime import liveness

logger = logging.getLogger(__name__)


def _fresh_connections() -> None:
    if not connection.in_atomic_block:
        close_old_connections()


@huey.task()
def create_invitations(wave_id: int, actor_id: int, design: dict) -> int:
    """Draw the sample of ``design`` (its seed fixed) and create the invitations,
    writing progress to the cache key the sample page polls."""
    from kehu.org.models import User
    from kehu.surveys.models import Wave
    from kehu.surveys.services.distribution import SampleDesign, invitations_create

    _fresh_connections()
    key = f"kehu:wave-sample:{wave_id}"
    wave = Wave.objects.select_related("survey").get(pk=wave_id)
    actor = User.objects.get(pk=actor_id)

    def progress(done: int, total: int) -> None:
        # with this process's liveness: a page that finds the process gone shows the job interrupted
        cache.set(key, {"done": done, "total": total, "state": "running", **liveness.stamp()}, 3600)

    progress(0, 0)

    try:
        sample = invitations_create(actor=actor, wave=wave, design=SampleDesign(**design), progress=progress)
    except Exception as exc:  # noqa: BLE001 - shown on the progress page, logged in full
        logger.exception("creating the invitations of wave %s failed", wave_id)
        cache.set(key, {"done": 0, "total": 0, "state": "failed", "error": str(exc)[:300]}, 3600)
        return 0
    cache.set(key, {"done": sample.size, "total": sample.size, "state": "done"}, 3600)
    return sample.size


@huey.periodic_task(crontab(minute="15"))
def send_reminders() -> dict:
    from kehu.surveys.services.distribution import reminders_send

    _fresh_connections()
    return reminders_send()
