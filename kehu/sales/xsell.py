"""Cross-selling (交叉销售): compute what is bought together and what peers buy.

``associations_compute`` reads the order lines once, in bulk (``values_list``,
streamed in order-id order), and stores an :class:`AssociationRun` with

- association rules over **baskets = orders** (not cancelled, within the last
  ``months``), at two levels: products and product lines — Apriori in
  :mod:`kehu.analytics.association`; each basket keeps at most ``max_basket``
  items (the first lines of the order), which bounds the work on huge orders;
- peer-group shares: for each industry, and each industry × value tier (the
  latest customer value analysis), how many of the group's buying customers buy
  each product line. A customer's suggestions (:mod:`kehu.sales.xsell_selectors`)
  are the lines their peers buy and they do not, with these counts as evidence.

Runs are started by the daily job (:mod:`kehu.sales.tasks`), after each value
analysis that succeeds (:func:`on_value_run_succeeded`, which queues
``compute_associations`` once the run is committed — the peer shares read the new
tiers), and by ``kehu xsell rules``; only the latest few runs are kept.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from kehu.analytics.association import Apriori
from kehu.sales.models import (
    AssociationRule, AssociationRun, AssociationRunStatus, OrderLine, OrderStatus, PeerLineShare, Product, ProductLine,
    RuleLevel,
)

DEFAULTS = {"min_support": 0.01, "min_confidence": 0.2, "min_lift": 1.1, "months": 24, "max_basket": 30,
            "max_len": 3, "min_peers": 5}
KEEP_RUNS = 3
RULES_MAX = 2000  # per level, the strongest by lift

logger = logging.getLogger(__name__)


def on_value_run_succeeded(sender, run, **kwargs) -> None:
    """Receiver of :data:`kehu.insights.signals.run_succeeded`: recompute the rules and peer
    shares in the background (``compute_associations``, trigger ``value_run``) once the
    value run is committed. A failure is logged and leaves the value run as it is: the
    queue's worker logs a failed computation (and the association run records it), and a
    failure to queue it is logged here; the daily job tries again."""

    def queue():
        try:
            from kehu.sales.tasks import compute_associations

            compute_associations(trigger="value_run")
        except Exception:
            logger.exception("association rules not recomputed after value analysis %s", run.pk)

    transaction.on_commit(queue)


def _baskets(since: dt.date, max_basket: int):
    """(customer id, product ids, line ids) per order, streamed in bulk."""
    rows = (OrderLine.objects.filter(order__order_date__gte=since, product__isnull=False)
            .exclude(order__status=OrderStatus.CANCELLED)
            .order_by("order_id", "id")
            .values_list("order_id", "order__customer_id", "product_id", "product__line_id"))
    current, customer, products, lines = None, None, [], []
    for order_id, customer_id, product_id, line_id in rows.iterator(chunk_size=5000):
        if order_id != current:
            if current is not None:
                yield customer, products, lines
            current, customer, products, lines = order_id, customer_id, [], []
        if len(products) < max_basket:
            products.append(product_id)
            if line_id is not None:
                lines.append(line_id)
    if current is not None:
        yield customer, products, lines


def _label(ids, names) -> str:
    return " + ".join(names.get(i, str(i)) for i in ids)[:500]


def associations_compute(*, actor=None, trigger: str = "command", min_support: float | None = None,
                         min_confidence: float | None = None, min_lift: float | None = None,
                         months: int | None = None, max_basket: int | None = None, today: dt.date | None = None
                         ) -> AssociationRun:
    """Compute and store the rules and peer shares; returns the finished (or failed) run."""
    p = dict(DEFAULTS)
    for k, v in (("min_support", min_support), ("min_confidence", min_confidence), ("min_lift", min_lift),
                 ("months", months), ("max_basket", max_basket)):
        if v is not None:
            p[k] = v
    today = today or timezone.localdate()
    since = today - dt.timedelta(days=round(p["months"] * 30.44))
    run = AssociationRun.objects.create(
        trigger=trigger, requested_by=actor if getattr(actor, "pk", None) else None,
        min_support=p["min_support"], min_confidence=p["min_confidence"], min_lift=p["min_lift"],
        parameters={"months": p["months"], "max_basket": p["max_basket"], "max_len": p["max_len"],
                    "min_peers": p["min_peers"], "since": since.isoformat(), "basket": "order"})
    try:
        product_baskets, line_baskets = [], []
        customer_lines: dict[int, set] = defaultdict(set)
        for customer_id, products, lines in _baskets(since, p["max_basket"]):
            product_baskets.append(products)
            line_baskets.append(lines)
            customer_lines[customer_id].update(lines)
        model_kw = dict(min_support=p["min_support"], min_confidence=p["min_confidence"], min_lift=p["min_lift"],
                        max_len=p["max_len"], max_basket=None)
        fitted = {RuleLevel.PRODUCT: Apriori(**model_kw).fit(product_baskets),
                  RuleLevel.LINE: Apriori(**model_kw).fit(line_baskets)}
        names = {RuleLevel.PRODUCT: dict(Product.objects.values_list("id", "name")),
                 RuleLevel.LINE: dict(ProductLine.objects.values_list("id", "name"))}
        shares = _peer_shares(customer_lines, p["min_peers"])
        with transaction.atomic():
            rules = []
            for level, model in fitted.items():
                for r in model.rules_[:RULES_MAX]:
                    rules.append(AssociationRule(
                        run=run, level=level, antecedent=list(r.antecedent), consequent=list(r.consequent),
                        antecedent_label=_label(r.antecedent, names[level]),
                        consequent_label=_label(r.consequent, names[level]),
                        size=len(r.antecedent) + len(r.consequent), count=r.count, support=r.support,
                        confidence=r.confidence, lift=r.lift, consequent_support=r.consequent_support))
            AssociationRule.objects.bulk_create(rules, batch_size=1000)
            PeerLineShare.objects.bulk_create([PeerLineShare(run=run, **s) for s in shares], batch_size=1000)
            run.status = AssociationRunStatus.DONE
            run.baskets = len(product_baskets)
            run.customers = len(customer_lines)
            run.finished_at = timezone.now()
            run.save()
            from kehu.audit.services import audit_record

            audit_record(actor=actor, action="compute", instance=run,
                         summary=f"{len(rules)} rules from {run.baskets} orders")
        stale = AssociationRun.objects.filter(status=AssociationRunStatus.DONE).order_by("-created_at", "-id")
        AssociationRun.objects.filter(pk__in=list(stale.values_list("pk", flat=True)[KEEP_RUNS:])).delete()
    except Exception as exc:
        run.status = AssociationRunStatus.FAILED
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.finished_at = timezone.now()
        run.save()
        raise
    return run


def _peer_shares(customer_lines: dict[int, set], min_peers: int) -> list[dict]:
    """Shares of each line among the buying customers of each industry, and of each
    industry × value tier (of the latest value analysis) with at least ``min_peers``
    customers."""
    from kehu.customers.models import Customer

    industry = {}
    ids = list(customer_lines)
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        industry.update(Customer.objects.filter(pk__in=chunk).values_list("id", "industry"))
    tier = {}
    try:
        from kehu.insights.models import CustomerScore
        from kehu.insights.selectors import latest_run

        value_run = latest_run()
        if value_run is not None:
            tier = dict(CustomerScore.objects.filter(run=value_run).exclude(tier="")
                        .values_list("customer_id", "tier").iterator(chunk_size=5000))
    except ImportError:  # pragma: no cover - insights is installed with Kehu
        pass
    groups: dict[tuple[str, str], list[set]] = defaultdict(list)
    for cid, lines in customer_lines.items():
        ind = industry.get(cid)
        if ind is None:
            continue
        groups[(ind, "")].append(lines)
        if cid in tier:
            groups[(ind, tier[cid])].append(lines)
    out = []
    for (ind, t), members in groups.items():
        n = len(members)
        if n < min_peers:
            continue
        counts: dict[int, int] = defaultdict(int)
        for lines in members:
            for line in lines:
                counts[line] += 1
        for line, buyers in counts.items():
            out.append({"industry": ind, "tier": t, "line_id": line, "group_size": n, "buyers": buyers,
                        "share": buyers / n})
    return out
