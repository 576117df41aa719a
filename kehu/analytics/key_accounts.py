"""Key-account plans against what happened, and the credit check of an order.

Pure functions over plain numbers (no Django): kehu/sales reads the orders and the
plans and calls these.

**Credit check** (:func:`credit_check`, the enforced terms of issue 15 item 5): an order
needs a manager's approval when, with it, the customer would owe more than its credit
limit — ``outstanding + order amount > credit limit``, so an order that takes the customer
*exactly* to the limit passes — or when the customer already has overdue payments (an
order whose payment was due before today and is not fully paid). No credit limit
(``None``) means no limit; a limit of 0 (cash in advance) makes every order that is not
paid at once wait for approval.

**Plan against actual** (:func:`plan_vs_actual`): per year the target and the actual of
each measure (volume, revenue, cost, profit), the difference (actual − target) and the
attainment (actual ÷ target, as a percentage rounded to one decimal; ``None`` when the
target is 0). For cost a *lower* actual is better; the attainment is still actual ÷
target, and the caller reads it accordingly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

MEASURES = ("volume", "revenue", "cost", "profit")
ZERO = Decimal("0")


@dataclass(frozen=True)
class CreditCheck:
    outstanding: Decimal          # what the customer owes before this order
    projected: Decimal            # what it would owe with this order
    credit_limit: Decimal | None
    over_limit: bool
    overdue_amount: Decimal       # owed on orders past their payment date
    overdue: bool

    @property
    def needs_approval(self) -> bool:
        return self.over_limit or self.overdue


def credit_check(*, outstanding: Decimal, order_amount: Decimal, credit_limit: Decimal | None,
                 overdue_amount: Decimal) -> CreditCheck:
    """Whether an order of ``order_amount`` (unpaid) needs a manager's approval."""
    projected = outstanding + order_amount
    over = credit_limit is not None and projected > credit_limit
    return CreditCheck(outstanding=outstanding, projected=projected, credit_limit=credit_limit,
                       over_limit=over, overdue_amount=overdue_amount, overdue=overdue_amount > 0)


def attainment(actual: Decimal, target: Decimal) -> Decimal | None:
    """actual ÷ target in percent, one decimal, half up; None for a target of 0."""
    if not target:
        return None
    return (actual / target * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def plan_vs_actual(years: list[int], targets: dict[int, dict], actuals: dict[int, dict]) -> list[dict]:
    """One row per year: ``{"year", "<measure>": {"target", "actual", "difference", "attainment"}}``.
    ``targets`` and ``actuals`` map a year to ``{measure: Decimal}``; a missing year or
    measure counts as 0."""
    rows = []
    for year in years:
        t, a = targets.get(year) or {}, actuals.get(year) or {}
        row: dict = {"year": year}
        for m in MEASURES:
            target, actual = Decimal(t.get(m) or ZERO), Decimal(a.get(m) or ZERO)
            row[m] = {"target": target, "actual": actual, "difference": actual - target,
                      "attainment": attainment(actual, target)}
        rows.append(row)
    return rows
