"""Huey: every five minutes, send what quiet hours deferred and is now due."""

from huey import crontab

from kehu.jobs import huey


@huey.periodic_task(crontab(minute="*/5"))
def release_deferred_messages():
    from .services import release_deferred

    return release_deferred()
