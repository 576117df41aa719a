"""Huey: the care calendar's daily run at 01:05 UTC (09:05 in Shanghai, after the quiet hours end;
Huey's schedule is in UTC). The run's day is the company zone's date (services.care_run)."""

from huey import crontab

from kehu.jobs import huey


@huey.periodic_task(crontab(hour="1", minute="5"))
def care_daily_run():
    from .services import care_run

    return care_run()
