"""The pure visit planner (kehu/analytics/visit_plan.py) on a table of customers."""

import datetime as dt

import pytest

from kehu.analytics.visit_plan import CustomerRow, DueVisit, assign_days, due_visits, week_of, week_start

EVERY = {"gold": 30, "silver": 60, "bronze": 180, "do_not_serve": None}
WEEK = "2026-W50"            # Monday 7 December to Sunday 13 December 2026

# id, tier, ABC, days since the last visit (on Monday), predicted next order, churn warning, new
TABLE = [
    (1, "gold", "A", 41, None, False, False),                  # overdue by 11 days
    (2, "gold", "A", 24, None, False, False),                  # 24 + 6 = 30: due by Sunday
    (3, "gold", "A", 23, None, False, False),                  # 23 + 6 = 29: next week
    (4, "silver", "B", 10, dt.date(2026, 12, 16), False, False),  # next order 3 days after Sunday
    (5, "silver", "B", 10, dt.date(2026, 12, 21), False, False),  # 8 days after Sunday: not yet
    (6, "bronze", "C", 3, None, True, False),                  # churn, but visited 3 days ago
    (7, "bronze", "C", 90, None, True, False),                 # churn warning
    (8, "", "B", None, None, False, False),                    # no tier, ABC B, never visited
    (9, "", "", None, None, False, True),                      # new customer never visited
    (10, "", "", 5, None, False, True),                        # new, visited 5 days ago
    (11, "do_not_serve", "C", 400, None, False, False),        # the tier plans no visits
    (12, "silver", "A", 100, dt.date(2026, 12, 1), False, False),  # next order date passed: tier
]

EXPECTED = [
    # customer, reason, priority
    (7, "churn", 41.0),
    (4, "next_order", 32.0),
    (1, "tier", 20 + 3 + 11 / 30 * 5),
    (12, "tier", 20 + 3 + 40 / 60 * 5),
    (8, "tier", 20 + 2 + 5),
    (2, "tier", 23.0),
    (9, "new", 10.0),
]


def rows():
    return [CustomerRow(customer_id=i, owner_id=100, tier=t, abc_class=a, days_since_visit=s, next_order_date=n,
                        churn_warning=c, is_new=new) for i, t, a, s, n, c, new in TABLE]


def test_due_visits_of_the_table():
    due = due_visits(rows(), WEEK, EVERY)
    got = sorted((v.customer_id, v.reason, v.priority) for v in due)
    want = sorted((c, r, round(p, 4)) for c, r, p in EXPECTED)
    assert got == want
    # most urgent first
    assert [v.customer_id for v in due] == [7, 4, 8, 12, 1, 2, 9]


def test_evidence_says_why():
    due = {v.customer_id: v for v in due_visits(rows(), WEEK, EVERY)}
    assert due[1].evidence == {"tier": "gold", "abc": "A", "since": 41, "every": 30, "basis": "tier"}
    assert due[8].evidence["basis"] == "abc" and due[8].evidence["every"] == 60 and due[8].evidence["since"] is None
    assert due[4].evidence["next_order"] == "2026-12-16"
    assert due[9].is_new and not due[1].is_new


def test_weeks():
    assert week_start("2026-W50") == dt.date(2026, 12, 7)
    assert week_of(dt.date(2026, 12, 13)) == "2026-W50"
    assert week_of(dt.date(2027, 1, 1)) == "2026-W53"
    for bad in ("2026-50", "W50", "2026-W60", ""):
        with pytest.raises(ValueError):
            week_start(bad)


def _due(i, new=False):
    return DueVisit(customer_id=i, owner_id=1, reason="new" if new else "tier", priority=0, is_new=new)


def test_assign_days_fills_each_day_up_to_its_target():
    due = [_due(i) for i in range(1, 6)] + [_due(i, new=True) for i in range(10, 13)]
    out = assign_days(due, WEEK, existing_per_day=2, new_per_day=1,
                      taken={dt.date(2026, 12, 7): (1, 0)})
    days = {v.customer_id: d.day for v, d in out}
    assert days == {1: 7, 2: 8, 3: 8, 4: 9, 5: 9, 10: 7, 11: 8, 12: 9}


def test_assign_days_leaves_out_what_the_week_cannot_hold():
    due = [_due(i) for i in range(40)]
    out = assign_days(due, WEEK, existing_per_day=7, new_per_day=3)
    assert len(out) == 35
    assert {d.weekday() for _v, d in out} == {0, 1, 2, 3, 4}


# Opportunities' next steps in the same week (kehu.analytics.visit_plan.add_next_steps):
# opportunity id, customer id, next step, day
NEXT_STEPS = [
    (501, 1, "Sign the framework contract", dt.date(2026, 12, 10)),   # customer 1 is due by tier: merged
    (502, 20, "Present the coil quote", dt.date(2026, 12, 9)),        # not due otherwise: a new visit
    (503, 20, "Sample test", dt.date(2026, 12, 8)),                   # same customer: one visit, earlier day
    (504, 21, "Technical review", dt.date(2026, 12, 11)),             # already planned this week: merged there
    (505, 22, "Next month's call", dt.date(2026, 12, 14)),            # next week: not now
]

EXPECTED_WITH_STEPS = {
    # customer: (reason, day, opportunities in the evidence); three existing and one new a day,
    # most urgent first: Monday 7, 4, 8 (+ new 9), Tuesday 12, 1, 2 — then 1 moves to Thursday
    7: ("churn", dt.date(2026, 12, 7), []),
    4: ("next_order", dt.date(2026, 12, 7), []),
    1: ("tier", dt.date(2026, 12, 10), [501]),          # moved to the next step's day
    8: ("tier", dt.date(2026, 12, 7), []),
    12: ("tier", dt.date(2026, 12, 8), []),
    2: ("tier", dt.date(2026, 12, 8), []),
    9: ("new", dt.date(2026, 12, 7), []),
    20: ("opportunity", dt.date(2026, 12, 8), [503, 502]),
}


def test_next_steps_join_the_table():
    from kehu.analytics.visit_plan import NextStep, add_next_steps

    assigned = assign_days(due_visits(rows(), WEEK, EVERY), WEEK, existing_per_day=3, new_per_day=1)
    steps = [NextStep(opportunity_id=o, customer_id=c, owner_id=100, name=f"Opp {o}", step=s, day=d)
             for o, c, s, d in NEXT_STEPS]
    out, merges = add_next_steps(assigned, steps, WEEK, planned={21})
    got = {v.customer_id: (v.reason, d, [o["id"] for o in v.evidence.get("opportunities", [])]) for v, d in out}
    assert got == EXPECTED_WITH_STEPS
    assert merges == {21: [{"id": 504, "name": "Opp 504", "step": "Technical review", "on": "2026-12-11"}]}
    new = next(v for v, _d in out if v.customer_id == 20)
    assert new.priority == 35.0 and new.evidence["opportunities"][0]["step"] == "Sample test"
