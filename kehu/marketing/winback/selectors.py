"""Reads of losses and win-backs, each scoped by the one policy (kehu/org/policies.py):
a loss is visible exactly when its customer is.

- :func:`annual_revenue_before` is THE definition of the revenue a loss costs;
- :func:`loss_report` the lost-revenue report (by reason beside the documents'
  reference shares, by owner, by month or quarter);
- :func:`winback_candidates` the win-back list, and :func:`winback_targets` what a
  win-back campaign targets (customer ids with the value expected back).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncQuarter
from django.http import Http404

from kehu.customers.models import Customer, LifecycleStage
from kehu.marketing.winback import reasons as R
from kehu.marketing.winback.models import LossReason, LossRecord
from kehu.org.policies import policy_for

ZERO = Decimal("0")
PERIODS = ("month", "quarter")


# -- what a loss costs -----------------------------------------------------------------------

def revenue_window(lost_on: dt.date) -> tuple[dt.date, dt.date]:
    """The 12 months before a loss: from the same day a year earlier (28 February for
    a loss on 29 February), included, to the day of the loss, excluded — an order on
    the day of the loss or later is after it."""
    try:
        start = lost_on.replace(year=lost_on.year - 1)
    except ValueError:  # 29 February
        start = lost_on.replace(year=lost_on.year - 1, day=28)
    return start, lost_on


def annual_revenue_before(*, customer_id: int, lost_on: dt.date) -> Decimal:
    """The customer's annual revenue before the loss: the amounts of its orders dated in
    :func:`revenue_window` (cancelled orders left out, as everywhere revenue is counted)."""
    from kehu.sales.models import Order

    start, end = revenue_window(lost_on)
    total = (Order.objects.filter(customer_id=customer_id, order_date__gte=start, order_date__lt=end)
             .exclude(status="cancelled").aggregate(s=Sum("amount"))["s"])
    return (total or ZERO).quantize(Decimal("0.01"))


def predicted_value_before(*, customer_id: int, lost_on: dt.date):
    """``(predicted lifetime value, run)`` from the latest finished customer value run
    (kehu.insights) as of the loss date or earlier that scored the customer, else ``(None, None)``."""
    from kehu.insights.models import CustomerScore, RunStatus

    score = (CustomerScore.objects.filter(customer_id=customer_id, run__status=RunStatus.SUCCEEDED,
                                          run__scores_purged=False, run__as_of__lte=lost_on, clv__isnull=False)
             .select_related("run").order_by("-run__as_of", "-run_id").first())
    return (score.clv, score.run) if score is not None else (None, None)


# -- losses ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class LossFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    reason: str = ""
    owner_id: int | None = None
    status: str = ""          # "open", "won_back" or "" (both)
    customer_id: int | None = None
    q: str = ""


def loss_visible(*, viewer) -> QuerySet[LossRecord]:
    """Every loss whose customer the viewer may see."""
    return policy_for(viewer).visible(LossRecord.objects.all(), prefix="customer__")


def loss_list(*, viewer, filters: LossFilters | None = None) -> QuerySet[LossRecord]:
    f = filters or LossFilters()
    qs = loss_visible(viewer=viewer).select_related("customer", "owner", "recorded_by")
    if f.date_from:
        qs = qs.filter(lost_on__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(lost_on__lte=f.date_to)
    if f.reason:
        qs = qs.filter(reason=f.reason)
    if f.owner_id:
        qs = qs.filter(owner_id=f.owner_id)
    if f.status == "open":
        qs = qs.filter(won_back_on__isnull=True)
    elif f.status == "won_back":
        qs = qs.filter(won_back_on__isnull=False)
    if f.customer_id:
        qs = qs.filter(customer_id=f.customer_id)
    if f.q:
        qs = qs.filter(Q(customer__name__icontains=f.q) | Q(customer__ref__iexact=f.q))
    return qs


def loss_get(*, viewer, pk) -> LossRecord:
    """One visible loss or 404 (not visible and not existing look the same)."""
    try:
        return loss_visible(viewer=viewer).select_related("customer", "owner", "recorded_by", "won_back_by").get(
            pk=pk)
    except (LossRecord.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def customer_losses(*, viewer, customer: Customer) -> list[LossRecord]:
    """The customer's losses, latest first (the 360 page); empty when not visible."""
    return list(loss_visible(viewer=viewer).filter(customer=customer)
                .select_related("recorded_by", "won_back_by").order_by("-lost_on", "-id")[:10])


def open_loss(customer_id: int) -> LossRecord | None:
    """The customer's loss that is not won back yet (at most one)."""
    return LossRecord.objects.filter(customer_id=customer_id, won_back_on__isnull=True).order_by("-lost_on",
                                                                                                "-id").first()


# -- the lost-revenue report -------------------------------------------------------------------

def _period_label(day: dt.date | dt.datetime | None, period: str) -> str:
    if day is None:
        return ""
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def loss_report(*, viewer, filters: LossFilters | None = None, period: str = "month") -> dict:
    """The lost-revenue report over the losses the viewer may see (and the filters):

    - ``total``: losses, revenue lost, predicted value forgone, won back (count and the
      revenue of those), value still to win back;
    - ``by_reason``: every reason in the documents' order with our count, our share of
      the losses (percent) beside the documents' reference share, the revenue lost and
      its share;
    - ``by_owner``: per owner when lost, most revenue lost first;
    - ``by_period``: per month (``2026-03``) or quarter (``2026-Q1``) of the loss date.
    """
    period = period if period in PERIODS else "month"
    qs = loss_list(viewer=viewer, filters=filters).order_by()
    # (aliases apart from the field names: an aggregate named like a field hides it from the others)
    aggregates = dict(n=Count("id"), lost_sum=Sum("revenue_lost"),
                      back_n=Count("id", filter=Q(won_back_on__isnull=False)),
                      back_sum=Sum("revenue_lost", filter=Q(won_back_on__isnull=False)))
    agg = qs.aggregate(**aggregates, predicted_sum=Sum("predicted_value"),
                       open_sum=Sum("expected_value", filter=Q(won_back_on__isnull=True)))
    total = {"losses": agg["n"], "revenue_lost": agg["lost_sum"] or ZERO, "predicted_value": agg["predicted_sum"] or ZERO,
             "won_back": agg["back_n"], "won_back_revenue": agg["back_sum"] or ZERO,
             "open_value": agg["open_sum"] or ZERO}

    rows = {r["reason"]: r for r in qs.values("reason").annotate(**aggregates)}
    counts = {reason: rows.get(reason, {}).get("n", 0) for reason in R.REASONS}
    shares = R.shares(counts)
    revenue = total["revenue_lost"]
    labels = dict(LossReason.choices)
    by_reason = []
    for reason in R.REASONS:
        row = rows.get(reason, {})
        lost = row.get("lost_sum") or ZERO
        by_reason.append({
            "reason": reason, "label": str(labels[reason]), "losses": counts[reason], "share": shares[reason],
            "reference_share": R.REFERENCE_SHARES.get(reason),
            "revenue_lost": lost,
            "revenue_share": (lost * 100 / revenue).quantize(Decimal("0.1")) if revenue else None,
            "won_back": row.get("back_n", 0), "winnable": R.winnable(reason),
        })

    by_owner = []
    for row in qs.values("owner_id", "owner__username", "owner__display_name").annotate(**aggregates).order_by(
            "-lost_sum", "owner_id"):
        by_owner.append({"owner_id": row["owner_id"],
                         "owner": row["owner__display_name"] or row["owner__username"] or "",
                         "losses": row["n"], "revenue_lost": row["lost_sum"] or ZERO, "won_back": row["back_n"]})

    trunc = TruncQuarter("lost_on") if period == "quarter" else TruncMonth("lost_on")
    by_period = [{"period": _period_label(row["p"], period), "start": row["p"], "losses": row["n"],
                  "revenue_lost": row["lost_sum"] or ZERO, "won_back": row["back_n"]}
                 for row in qs.annotate(p=trunc).values("p").annotate(**aggregates).order_by("p")]
    return {"period": period, "total": total, "by_reason": by_reason, "by_owner": by_owner, "by_period": by_period}


# -- the win-back list and its targeting ---------------------------------------------------------

def winback_candidates(*, viewer, reason: str = "", min_value: Decimal | None = None) -> QuerySet[LossRecord]:
    """The win-back list: the open losses of customers still lost, that can be won back
    (not died, not moved), visible to the viewer, most value to win back first
    (``expected_value``: :func:`kehu.marketing.winback.reasons.expected_value`)."""
    qs = (loss_visible(viewer=viewer)
          .filter(won_back_on__isnull=True, expected_value__gt=0, customer__lifecycle_stage=LifecycleStage.LOST)
          .exclude(reason__in=[r for r in R.REASONS if not R.winnable(r)])
          .select_related("customer", "owner"))
    if reason:
        qs = qs.filter(reason=reason)
    if min_value is not None:
        qs = qs.filter(expected_value__gte=min_value)
    return qs.order_by("-expected_value", "-id")


@dataclass(frozen=True)
class WinbackTarget:
    customer_id: int
    expected_value: Decimal
    loss_id: int
    reason: str


def winback_targets(*, viewer, limit: int | None = None, reason: str = "",
                    min_value: Decimal | None = None) -> list[WinbackTarget]:
    """The audience of a win-back campaign: ``(customer id, expected value)`` of the
    customers on :func:`winback_candidates` as ``viewer`` sees them, best first, the top
    ``limit`` of them. Consent is not decided here: the campaign's sending gate checks
    each customer's consent for the channel when it sends."""
    qs = winback_candidates(viewer=viewer, reason=reason, min_value=min_value).values_list(
        "customer_id", "expected_value", "id", "reason")
    if limit is not None:
        qs = qs[:max(int(limit), 0)]
    return [WinbackTarget(customer_id=c, expected_value=v, loss_id=i, reason=r) for c, v, i, r in qs]
