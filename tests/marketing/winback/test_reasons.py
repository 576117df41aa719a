"""The switching reasons and their reference shares (DOMAIN.md §7), the win-back
weights and the expected value (pure: kehu/marketing/winback/reasons.py)."""

from __future__ import annotations

from decimal import Decimal

from kehu.marketing.winback import reasons as R
from kehu.marketing.winback.models import LossReason


def test_the_documents_reasons_and_shares():
    # DOMAIN.md §7: "died 1%, moved 3%, friends 5%, competitors 9%, dissatisfied with the
    # product 14%, indifferent staff 68% (the seeds' figures)"
    assert R.REFERENCE_SHARES == {"died": 1, "moved": 3, "friends": 5, "competitor": 9, "product": 14, "staff": 68}
    assert sum(R.REFERENCE_SHARES.values()) == 100
    assert R.REASONS == ("died", "moved", "friends", "competitor", "product", "staff", "other")
    assert [v for v, _l in LossReason.choices] == list(R.REASONS)


def test_died_and_moved_cannot_be_won_back():
    assert not R.winnable("died") and not R.winnable("moved")
    assert all(R.winnable(r) for r in ("friends", "competitor", "product", "staff", "other"))
    assert R.expected_value(reason="died", revenue_lost=Decimal("1000"), predicted_value=Decimal("5000")) == 0
    # staff indifference, the cause most within our power, weighs most
    assert max(R.WINBACK_WEIGHTS, key=R.WINBACK_WEIGHTS.get) == "staff"


def test_expected_value_prefers_the_predicted_value():
    assert R.expected_value(reason="staff", revenue_lost=Decimal("1000"), predicted_value=None) == Decimal("500.00")
    assert R.expected_value(reason="staff", revenue_lost=Decimal("1000"),
                            predicted_value=Decimal("3000")) == Decimal("1500.00")
    assert R.expected_value(reason="competitor", revenue_lost=Decimal("333.33"),
                            predicted_value=None) == Decimal("83.33")
    # a negative value (refunds) is worth nothing, never less
    assert R.expected_value(reason="staff", revenue_lost=Decimal("-50"), predicted_value=None) == 0


def test_shares_of_the_losses():
    shares = R.shares({"staff": 2, "competitor": 1})
    assert shares["staff"] == Decimal("66.7") and shares["competitor"] == Decimal("33.3") and shares["died"] == 0
    assert R.shares({}) == {r: None for r in R.REASONS}
