"""Huey: a campaign's send (queued by ``campaign_send``), the schedule of sends every five
minutes (campaigns whose send time has come; sends whose worker died are put back), and the
daily finish of campaigns whose attribution window is over."""

from huey import crontab

from kehu.jobs import huey


@huey.task()
def campaign_send_task(pk: int):
    from .services import campaign_run

    return campaign_run(pk)


@huey.periodic_task(crontab(minute="*/5"))
def campaigns_due():
    from .services import run_due

    return run_due()


@huey.periodic_task(crontab(hour="2", minute="15"))
def campaigns_finish_due():
    from .services import finish_due

    return finish_due()
