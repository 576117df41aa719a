"""The receivables-ageing bucket rule and the performance ratios (kehu.analytics.sales_performance).

The buckets are the usual ageing schedule of accounts receivable (Weygandt, Kimmel &
Kieso, *Financial Accounting*, ch. 8, "Aging the accounts receivable": not yet due,
1–30, 31–60, 61–90, over 90 days past due); the table below is worked by hand at each
boundary."""

from decimal import Decimal

import pytest

from kehu.analytics.sales_performance import BUCKET_KEYS, PerformanceCounts, ageing_bucket, ratio


@pytest.mark.parametrize("days, bucket", [
    (-400, "not_due"), (-1, "not_due"), (0, "not_due"),          # due today is not yet overdue
    (1, "d0_30"), (15, "d0_30"), (30, "d0_30"),
    (31, "d31_60"), (60, "d31_60"),
    (61, "d61_90"), (90, "d61_90"),
    (91, "d90_plus"), (365, "d90_plus"),
])
def test_ageing_bucket_table(days, bucket):
    assert ageing_bucket(days) == bucket


def test_every_day_falls_in_exactly_one_bucket_in_order():
    seen = [ageing_bucket(d) for d in range(-5, 200)]
    order = [BUCKET_KEYS.index(b) for b in seen]
    assert order == sorted(order) and set(seen) == set(BUCKET_KEYS)


def test_ratios_from_hand_worked_counts():
    # 3 visits planned, 2 done; 1 won and 1 lost; the won one took 20 days;
    # 200 fell due, 150 paid; 2 NPS answers: a 10 and a 3 → (1 − 1) / 2 = 0.
    c = PerformanceCounts(visits_planned=3, visits_done=2, opportunities_won=1, opportunities_lost=1,
                          cycle_days_sum=20, due=Decimal("200"), collected=Decimal("150"),
                          satisfaction_sum=150, satisfaction_n=2, promoters=1, detractors=1, nps_n=2,
                          scored=4, churn_warnings=1)
    assert c.visit_completion == pytest.approx(2 / 3)
    assert c.win_rate == 0.5 and c.cycle_days == 20 and c.collection_rate == 0.75
    assert c.satisfaction == 75 and c.nps == 0 and c.churn_rate == 0.25
    empty = PerformanceCounts()
    assert empty.win_rate is None and empty.collection_rate is None and empty.nps is None
    assert ratio(1, 0) is None


def test_team_counts_are_sums_not_averages_of_ratios():
    a = PerformanceCounts(opportunities_won=1, opportunities_lost=0, due=Decimal("100"), collected=Decimal("100"))
    b = PerformanceCounts(opportunities_won=1, opportunities_lost=3, due=Decimal("300"), collected=Decimal("0"))
    team = PerformanceCounts()
    team.add(a)
    team.add(b)
    assert team.win_rate == 2 / 5          # not (1 + 0.25) / 2
    assert team.collection_rate == 0.25    # 100 / 400
