"""kehu.analytics.key_accounts: the credit check and the plan against the actual, checked
against hand-worked examples (the arithmetic written out in each test)."""

from decimal import Decimal as D

from kehu.analytics.key_accounts import attainment, credit_check, plan_vs_actual


def test_credit_limit_exactly_at_passes_one_cent_over_waits():
    # owes 600, order 400, limit 1000: 600 + 400 = 1000 is not beyond the limit
    at = credit_check(outstanding=D("600"), order_amount=D("400"), credit_limit=D("1000"), overdue_amount=D(0))
    assert at.projected == D("1000") and not at.over_limit and not at.needs_approval
    # order 400.01: 1000.01 > 1000
    over = credit_check(outstanding=D("600"), order_amount=D("400.01"), credit_limit=D("1000"),
                        overdue_amount=D(0))
    assert over.over_limit and over.needs_approval


def test_no_limit_cash_in_advance_and_overdue():
    assert not credit_check(outstanding=D("1e9"), order_amount=D(1), credit_limit=None,
                            overdue_amount=D(0)).needs_approval
    # limit 0 (cash in advance): any unpaid order waits
    assert credit_check(outstanding=D(0), order_amount=D("0.01"), credit_limit=D(0), overdue_amount=D(0)).over_limit
    late = credit_check(outstanding=D(100), order_amount=D(1), credit_limit=D(10000), overdue_amount=D(100))
    assert late.overdue and not late.over_limit and late.needs_approval


def test_plan_vs_actual_by_hand():
    # 2026: revenue target 1,000,000, actual 850,000 → 85.0 %, difference −150,000
    # 2027: target 0 → attainment None; 2028 missing on both sides → zeros
    rows = plan_vs_actual([2026, 2027, 2028],
                          {2026: {"revenue": D("1000000"), "cost": D("900000"), "profit": D("100000"),
                                  "volume": D("200")}},
                          {2026: {"revenue": D("850000"), "cost": D("760000"), "profit": D("90000"),
                                  "volume": D("180.5")},
                           2027: {"revenue": D("5")}})
    r = rows[0]
    assert r["revenue"] == {"target": D("1000000"), "actual": D("850000"), "difference": D("-150000"),
                            "attainment": D("85.0")}
    assert r["profit"]["attainment"] == D("90.0") and r["volume"]["attainment"] == D("90.3")  # 180.5/200 = 90.25 → 90.3
    assert rows[1]["revenue"]["attainment"] is None and rows[1]["revenue"]["actual"] == D("5")
    assert rows[2]["cost"] == {"target": D(0), "actual": D(0), "difference": D(0), "attainment": None}
    assert attainment(D("2"), D("3")) == D("66.7")
