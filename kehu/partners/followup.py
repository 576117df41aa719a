"""A partner behind its target → a task for its channel manager (measurements drive
the daily work). Run nightly (:mod:`kehu.partners.tasks`) and by ``kehu partner check``.

:func:`partner_check` looks at every active partner's revenue target whose period holds
the day: the partner's own sales in the period so far (its orders dated from the period's
start to the day, cancelled ones left out — the sales the partner's page shows against the
target) against the target, and the share of the period gone
(:func:`kehu.analytics.partner_ranking.elapsed_share`). A partner is **behind** when its
attainment is below ``KEHU_PARTNER_BEHIND_RATIO`` (0.7) × that share, once at least
``KEHU_PARTNER_BEHIND_AFTER`` (0.25) of the period has gone
(:func:`kehu.analytics.partner_ranking.behind_target`): halfway through a quarter with
less than 35% of the target sold.

A partner behind gets one task (source ``partner``, ``Task.partner``, no customer) for its
channel manager — else the nearest one up the partner tree, else nobody (those who read
the partners' tasks find it on the partner's page) — in the assignee's language, due in
:data:`DUE_DAYS` days, with an e-mail after the commit. At most one per target period
(``source_ref`` ``{"partner": id, "reason": "behind_target", "target": id}``), and none
while an earlier one about the same partner and reason is still open.

A fall in the ranking (ABC class, value tier) is not followed up: the ranking is computed
on request within each viewer's scope and nothing of it is stored to compare with.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.analytics.partner_ranking import behind_target, elapsed_share
from kehu.engagement.models import Task, TaskSource, TaskStatus
from kehu.engagement.services import task_create_from_source, task_notify
from kehu.org.models import PartnerTarget
from kehu.partners.selectors import channel_manager

log = logging.getLogger(__name__)

BEHIND_TARGET = "behind_target"
DUE_DAYS = 7


@dataclass
class PartnerCheck:
    """What :func:`partner_check` found and did."""

    day: dt.date
    checked: int = 0                                   # targets whose period holds the day
    behind: list[str] = field(default_factory=list)    # codes of the partners behind
    created: int = 0                                   # new tasks
    already: int = 0                                   # behind, with a task already

    def as_dict(self) -> dict:
        return {"day": self.day.isoformat(), "checked": self.checked, "behind": self.behind,
                "created": self.created, "already": self.already}


def targets_with_sales(day: dt.date):
    """The revenue targets of active partners whose period holds ``day``, each annotated
    with ``sales_so_far``: the partner's own orders dated from the period's start to
    ``day``, cancelled ones left out (one query)."""
    from kehu.sales.models import Order, OrderStatus

    money = DecimalField(max_digits=18, decimal_places=2)
    sold = (Order.objects.filter(partner_id=OuterRef("partner_id"), order_date__gte=OuterRef("period_start"),
                                 order_date__lte=day)
            .exclude(status=OrderStatus.CANCELLED).order_by().values("partner_id")
            .annotate(s=Sum("amount")).values("s")[:1])
    return (PartnerTarget.objects.filter(partner__is_active=True, period_start__lte=day, period_end__gte=day,
                                         revenue__gt=0)
            .select_related("partner").annotate(sales_so_far=Coalesce(Subquery(sold, output_field=money),
                                                                      Value(0, output_field=money)))
            .order_by("partner__code", "period_start"))


def _texts(target, sales, share: float, language: str) -> tuple[str, str]:
    partner = target.partner
    with translation.override(language):
        title = _("%(partner)s is behind its target") % {"partner": partner.name}
        lines = [
            _("%(partner)s has sold %(sales)s against its revenue target of %(target)s for %(start)s – %(end)s: "
              "%(attainment).0f%% of the target with %(elapsed).0f%% of the period gone.") % {
                "partner": f"{partner.code} {partner.name}", "sales": f"{sales:,.2f}",
                "target": f"{target.revenue:,.2f}", "start": target.period_start.isoformat(),
                "end": target.period_end.isoformat(), "attainment": 100 * float(sales) / float(target.revenue),
                "elapsed": 100 * share},
            _("Talk with the partner about what holds its sales back, agree what we will do, and record "
              "the outcome."),
        ]
    return title, "\n".join(lines)


def partner_check(*, day: dt.date | None = None) -> PartnerCheck:
    """Find the partners behind their targets on ``day`` (today by default) and give each
    one task (see the module's docstring). Running it again the same day, or the next,
    makes no second task."""
    day = day or timezone.localdate()
    ratio = float(getattr(settings, "KEHU_PARTNER_BEHIND_RATIO", 0.7))
    after = float(getattr(settings, "KEHU_PARTNER_BEHIND_AFTER", 0.25))
    out = PartnerCheck(day=day)
    open_about = set(Task.objects.filter(source=TaskSource.PARTNER, status=TaskStatus.OPEN,
                                         source_ref__reason=BEHIND_TARGET).values_list("partner_id", flat=True))
    for target in targets_with_sales(day):
        out.checked += 1
        share = elapsed_share(target.period_start, target.period_end, day)
        if not behind_target(target.sales_so_far, target.revenue, share, ratio=ratio, after=after):
            continue
        partner = target.partner
        out.behind.append(partner.code)
        if partner.pk in open_about:
            out.already += 1
            continue
        assignee = channel_manager(partner)
        language = assignee.language if assignee is not None and assignee.language else settings.LANGUAGE_CODE
        title, description = _texts(target, target.sales_so_far, share, language)
        with transaction.atomic():
            task, created = task_create_from_source(
                customer=None, partner=partner, assigned_to=assignee, source=TaskSource.PARTNER,
                source_ref={"partner": partner.pk, "reason": BEHIND_TARGET, "target": target.pk},
                title=title, description=description, due_on=day + dt.timedelta(days=DUE_DAYS))
            if created and assignee is not None and assignee.email:
                transaction.on_commit(lambda pk=task.pk: task_notify(pk))
        open_about.add(partner.pk)
        if created:
            out.created += 1
        else:
            out.already += 1
    log.info("partner check %s: %d targets, %d behind, %d new tasks", day, out.checked, len(out.behind),
             out.created)
    return out
