"""Huey: the nightly partner check at 01:40 UTC (09:40 in Shanghai): the partners behind
their targets get a task for their channel manager (kehu/partners/followup.py);
``kehu partner check`` does the same by hand."""

from huey import crontab

from kehu.jobs import huey


@huey.periodic_task(crontab(hour="1", minute="40"))
def partner_check_nightly() -> dict:
    from .followup import partner_check

    return partner_check().as_dict()
