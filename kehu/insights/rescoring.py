"""Scores that follow each order (issue 17, item 2).

When an order is written (created, changed, cancelled, deleted, paid; a small
import; a merge) the writer refreshes the customer's kept purchase summary
(kehu/sales/purchase_summary.py) and, once its transaction has committed,
:func:`rescore_later` queues :func:`kehu.insights.tasks.rescore_customers`.
The background worker then recomputes those customers' P(alive), expected
purchases, expected spend and predicted lifetime value, the purchase rhythm
and expected next order, RFM scores and group, churn risk with its reasons
and revenue at risk — :data:`kehu.insights.pipeline.RESCORED_COLUMNS` — with
the *last finished run's* fitted parameters (``results["scoring"]``:
:class:`kehu.insights.pipeline.ScoringParameters`), as of today, and updates
the customers' rows of that run, marking them rescored (when, after which
order). Customers new since the run get a row in it. ABC class, value tier,
scorecard and loyalty rank a customer among all customers and follow at the
nightly run, which also refits the models.

The customer's summary is the value analysis' own summary query restricted to
these customers (kehu/insights/summary_sql.py: the churn signals need the
windowed revenue columns), and the scores come from the pipeline's own
per-customer steps (:func:`kehu.insights.pipeline.rescore`), so a rescored row
equals the row a full run with the same parameters would give
(tests/insights/test_rescoring.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
from django.db import transaction
from django.utils import timezone

__all__ = ["rescore_later", "rescore_customers_now"]

logger = logging.getLogger(__name__)


def rescore_later(customer_ids: Iterable[int], *, order_id: int | None = None) -> None:
    """Queue the rescoring of ``customer_ids`` when the current transaction commits."""
    ids = sorted({int(i) for i in customer_ids})
    if not ids:
        return

    def enqueue():
        from kehu.insights.tasks import rescore_customers

        try:
            rescore_customers(ids, order_id)
        except Exception:   # the order is saved; its scores follow at the nightly run
            logger.exception("could not queue the rescoring of customers %s", ids[:10])

    transaction.on_commit(enqueue)


def _value(v):
    if v is None:
        return None
    if isinstance(v, np.datetime64):
        return None if np.isnat(v) else v.astype("datetime64[D]").item()
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def rescore_customers_now(customer_ids: Iterable[int], *, order_id: int | None = None, run=None,
                          today=None) -> int:
    """Rescore ``customer_ids`` with ``run``'s parameters (default: the last finished run) as of
    ``today`` (default: today); returns the number of score rows written (0 when no run can)."""
    import datetime as dt
    from decimal import Decimal

    from kehu.insights import signals
    from kehu.insights.models import CustomerScore
    from kehu.insights.pipeline import RESCORED_COLUMNS, ScoringParameters, rescore
    from kehu.insights.selectors import latest_run
    from kehu.insights.summary_sql import SummaryWindow, run_summary
    from kehu.sales.models import Order

    run = run or latest_run()
    scoring = (run.results or {}).get("scoring") if run is not None else None
    ids = sorted({int(i) for i in customer_ids})
    if not scoring or not ids:
        return 0
    pinned = ScoringParameters.from_json(scoring)
    cfg = run.parameters
    today = today or timezone.localdate()
    churn = cfg["churn"]
    window = SummaryWindow(as_of=today, split=today, holdout_end=today, period_days=churn["period_days"],
                           revenue_days=churn["revenue_days"])
    summary = run_summary(window, customer_ids=ids)
    order_ref = ""
    if order_id is not None:
        order_ref = Order.objects.filter(pk=order_id).values_list("ref", flat=True).first() or ""
    now = timezone.now()
    from kehu.insights.figure_cache import bump_scores_version

    with transaction.atomic():
        bump_scores_version()   # the kept score aggregates of the pages, when this commits
        # customers left without orders (a deleted or cancelled last order) keep the run's row
        if len(summary):
            a = rescore(summary, as_of=today, time_unit=run.time_unit, cfg=cfg, pinned=pinned,
                        satisfaction=signals.collect("satisfaction", summary.customer_id, today),
                        complaints=signals.collect("open_complaints", summary.customer_id, today))
            import json

            reasons = [json.loads(r) for r in a.churn_reasons_json()]
            existing = set(CustomerScore.objects.filter(run=run, customer_id__in=summary.customer_id.tolist())
                           .values_list("customer_id", flat=True))
            for i, cid in enumerate(summary.customer_id.tolist()):
                values = {}
                for name in RESCORED_COLUMNS:
                    col = a.columns.get(name)
                    v = None if col is None else _value(col[i])
                    if name == "next_order_date" and v is not None:
                        v = dt.date(1970, 1, 1) + dt.timedelta(days=int(v))
                    field = CustomerScore._meta.get_field(name)
                    if v is not None and field.get_internal_type() == "DecimalField":
                        v = Decimal(str(v))
                    if v is None and not field.null:
                        v = field.default
                    values[name] = v
                values.update(churn_reasons=reasons[i], rescored_at=now, rescored_order_ref=order_ref)
                if cid in existing:
                    CustomerScore.objects.filter(run=run, customer_id=cid).update(**values)
                else:
                    CustomerScore.objects.create(run=run, customer_id=cid, **values)
    return len(summary)
