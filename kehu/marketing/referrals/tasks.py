"""Huey: the referral rewards' daily catch-up at 01:20 UTC (orders whose paid amount was set by an
import, or a rule switched on after the referred paid): ``services.referrals_reward``."""

from huey import crontab

from kehu.jobs import huey


@huey.periodic_task(crontab(hour="1", minute="20"))
def referrals_daily_reward():
    from .services import referrals_reward

    return referrals_reward()
