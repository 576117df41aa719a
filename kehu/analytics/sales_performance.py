"""Sales performance: the receivables-ageing bucket rule and the ratios of a
salesperson's (or a team's) period. Pure Python, no Django.

Receivables ageing (应收账款账龄)
--------------------------------
An order's *days past due* on the day ``as_of`` is ``as_of − due`` in whole
days, where ``due`` is the order's payment due date (its payment terms). The
outstanding amount of the order (amount − paid) falls into one bucket:

=================  ==========================
days past due      bucket
=================  ==========================
≤ 0                ``not_due`` (not yet due; due today counts here)
1 – 30             ``d0_30``   ("0–30 days")
31 – 60            ``d31_60``
61 – 90            ``d61_90``
> 90               ``d90_plus`` ("over 90 days")
=================  ==========================

The usual accounts-receivable ageing schedule (e.g. Weygandt, Kimmel & Kieso,
*Financial Accounting*, ch. 8 "Aging the accounts receivable": current, 1–30,
31–60, 61–90, over 90 days past due). :data:`BUCKETS` holds the bounds so the
database query (:mod:`kehu.sales.performance`) builds its ``CASE`` from the
same numbers as :func:`ageing_bucket`.

Ratios
------
- win rate = won / (won + lost) among the opportunities closed in the period
  (open ones are not counted: they are neither won nor lost yet);
- average cycle length = Σ (won at − created) in days / won, over the
  opportunities won in the period;
- collection rate (回款率) = collected / due, where *due* is the amount of the
  orders whose payment fell due in the period and *collected* what has been
  paid on those same orders — between 0 and 1; None when nothing fell due;
- visit completion = visits done / visits planned in the period;
- NPS = 100 · (promoters − detractors) / answers (Reichheld 2003; see
  :mod:`kehu.analytics.nps`) over each customer's latest answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal

NOT_DUE = "not_due"
#: (key, lowest days past due, highest days past due or None for no bound), in order.
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("d0_30", 1, 30),
    ("d31_60", 31, 60),
    ("d61_90", 61, 90),
    ("d90_plus", 91, None),
)
BUCKET_KEYS: tuple[str, ...] = (NOT_DUE,) + tuple(key for key, _lo, _hi in BUCKETS)
OVERDUE_KEYS: tuple[str, ...] = tuple(key for key, _lo, _hi in BUCKETS)


def ageing_bucket(days_past_due: int) -> str:
    """The bucket of an amount ``days_past_due`` days past its due date (see the module docstring)."""
    for key, low, high in BUCKETS:
        if days_past_due >= low and (high is None or days_past_due <= high):
            return key
    return NOT_DUE


def ratio(numerator, denominator) -> float | None:
    """``numerator / denominator`` as a float, None when the denominator is zero or missing."""
    if not denominator:
        return None
    return float(numerator) / float(denominator)


@dataclass
class PerformanceCounts:
    """The additive counts of one person's (or team's) period; the ratios are read from them,
    so a team's figures are the sums of its people's counts, never an average of ratios."""

    visits_planned: int = 0
    visits_done: int = 0
    interactions: int = 0
    opportunities_created: int = 0
    opportunities_won: int = 0
    opportunities_lost: int = 0
    won_amount: Decimal = Decimal("0")
    cycle_days_sum: float = 0.0      # Σ days from created to won, over the won ones
    revenue: Decimal = Decimal("0")
    orders: int = 0
    due: Decimal = Decimal("0")      # the amount that fell due in the period
    collected: Decimal = Decimal("0")  # paid on those orders
    customers: int = 0
    satisfaction_sum: float = 0.0    # Σ latest satisfaction index (0–100)
    satisfaction_n: int = 0
    promoters: int = 0
    detractors: int = 0
    nps_n: int = 0
    scored: int = 0                   # customers with a score in the latest value run
    churn_warnings: int = 0           # of them, at or above the churn threshold
    extra: dict = field(default_factory=dict)

    def add(self, other: "PerformanceCounts") -> None:
        for f in fields(self):
            if f.name != "extra":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def visit_completion(self) -> float | None:
        return ratio(self.visits_done, self.visits_planned)

    @property
    def win_rate(self) -> float | None:
        return ratio(self.opportunities_won, self.opportunities_won + self.opportunities_lost)

    @property
    def cycle_days(self) -> float | None:
        return ratio(self.cycle_days_sum, self.opportunities_won)

    @property
    def collection_rate(self) -> float | None:
        return ratio(self.collected, self.due)

    @property
    def satisfaction(self) -> float | None:
        return ratio(self.satisfaction_sum, self.satisfaction_n)

    @property
    def nps(self) -> float | None:
        value = ratio(self.promoters - self.detractors, self.nps_n)
        return None if value is None else 100 * value

    @property
    def churn_rate(self) -> float | None:
        return ratio(self.churn_warnings, self.scored)
