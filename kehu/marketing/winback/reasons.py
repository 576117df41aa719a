"""Why customers leave, and how much of what they took can be won back (pure: no Django).

The reasons and their reference shares are the documents' (/work/shared/DOMAIN.md §7,
"Switching reasons to record: died 1%, moved 3%, friends 5%, competitors 9%,
dissatisfied with the product 14%, indifferent staff 68% (the seeds' figures)");
Kehu adds "other", with the reason in words, which has no reference share.

The win-back weight of a reason is the share of a lost customer's value we expect a
win-back campaign to bring back. Died and moved are not winnable (weight 0: such
customers never enter the win-back list). The other weights are a stated prior —
indifferent staff is the cause most within our power to repair, a competitor's
offer and friends' influence the least — until the campaigns' control groups
(issue 16, item 3) measure the real uplift and replace them.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Mapping

DIED = "died"
MOVED = "moved"
FRIENDS = "friends"
COMPETITOR = "competitor"
PRODUCT = "product"
STAFF = "staff"
OTHER = "other"

#: The documents' order (DOMAIN.md §7), then "other".
REASONS = (DIED, MOVED, FRIENDS, COMPETITOR, PRODUCT, STAFF, OTHER)

#: Percent of lost customers per reason in the documents (DOMAIN.md §7); sums to 100.
REFERENCE_SHARES: dict[str, Decimal] = {
    DIED: Decimal("1"), MOVED: Decimal("3"), FRIENDS: Decimal("5"), COMPETITOR: Decimal("9"),
    PRODUCT: Decimal("14"), STAFF: Decimal("68"),
}

#: The prior share of a lost customer's value a win-back brings back, per reason.
WINBACK_WEIGHTS: dict[str, Decimal] = {
    DIED: Decimal("0"), MOVED: Decimal("0"), FRIENDS: Decimal("0.15"), COMPETITOR: Decimal("0.25"),
    PRODUCT: Decimal("0.30"), STAFF: Decimal("0.50"), OTHER: Decimal("0.20"),
}

CENT = Decimal("0.01")


def winnable(reason: str) -> bool:
    """Whether a customer lost for ``reason`` can be won back at all (not died, not moved)."""
    return WINBACK_WEIGHTS.get(reason, Decimal("0")) > 0


def base_value(*, revenue_lost: Decimal, predicted_value: Decimal | None) -> Decimal:
    """The value a loss took away: the predicted lifetime value from a customer value
    run when there was one, else the annual revenue lost (the 12 months before the loss)."""
    return predicted_value if predicted_value is not None else revenue_lost


def expected_value(*, reason: str, revenue_lost: Decimal, predicted_value: Decimal | None) -> Decimal:
    """What winning the customer back is expected to bring:
    ``weight(reason) × (predicted value, else annual revenue lost)``, in cents, never negative."""
    value = WINBACK_WEIGHTS.get(reason, Decimal("0")) * max(
        base_value(revenue_lost=revenue_lost, predicted_value=predicted_value), Decimal("0"))
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def shares(counts: Mapping[str, int]) -> dict[str, Decimal | None]:
    """Each reason's percent of all the losses counted (one decimal); None when there are none."""
    total = sum(counts.values())
    return {r: (Decimal(counts.get(r, 0)) * 100 / total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            if total else None for r in REASONS}
