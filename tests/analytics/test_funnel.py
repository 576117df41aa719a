"""The funnel (kehu/analytics/funnel.py) against a small example worked by hand.

Pipeline: reserve R → target T → potential P → opportunity O (open), won W, lost L.
Day 0 = 2026-01-01 00:00 UTC; "now" = 2026-03-01 00:00 = day 59.

    opp  history (day: stage)                outcome
    A    0 R, 10 T, 20 P, 30 O, 40 W          won
    B    0 R, 5 P (skips T), 15 L             lost
    C    0 R, 20 T                            open (still in T)
    D    0 R, 10 O (skips T and P), 12 W      won
    E    0 R, 30 L                            lost

Reached (a skipped stage counts as reached):
    R: A B C D E = 5;  T: A B C D = 4;  P: A B D = 3;  O: A D = 2;  W: A D = 2
Conversion: R→T 4/5 = 0.8, T→P 3/4 = 0.75, P→O 2/3, O→W 2/2 = 1.
Days in stage (open ones counted up to now):
    R: A 10, B 5, C 20, D 10, E 30 → 75/5 = 15
    T: A 10, C 39 (day 20 → day 59) → 49/2 = 24.5
    P: A 10, B 10 → 10
    O: A 10, D 2 → 6
Win rate: 2 won / (2 won + 2 lost) = 0.5.  Cycle: A 40, D 12 → 26 days.  Overall: 2/5 = 0.4.
"""

import datetime as dt

import pytest

from kehu.analytics.funnel import OpportunityHistory, StageDef, funnel

R, T, P, O, W, L = (StageDef(1, "open", "R"), StageDef(2, "open", "T"), StageDef(3, "open", "P"),
                    StageDef(4, "open", "O"), StageDef(5, "won", "W"), StageDef(6, "lost", "L"))
STAGES = [R, T, P, O, W, L]
DAY0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
NOW = DAY0 + dt.timedelta(days=59)


def day(n):
    return DAY0 + dt.timedelta(days=n)


def opp(outcome, *moves):
    return OpportunityHistory(created_at=day(0), moves=tuple((s.id, day(d)) for d, s in moves), outcome=outcome,
                              won_at=next((day(d) for d, s in moves if s is W), None))


HISTORIES = [
    opp("won", (0, R), (10, T), (20, P), (30, O), (40, W)),
    opp("lost", (0, R), (5, P), (15, L)),
    opp("open", (0, R), (20, T)),
    opp("won", (0, R), (10, O), (12, W)),
    opp("lost", (0, R), (30, L)),
]


def test_the_hand_worked_example():
    f = funnel(STAGES, HISTORIES, NOW)
    rows = {r.stage.name: r for r in f.stages}
    assert [r.stage.name for r in f.stages] == ["R", "T", "P", "O", "W"]
    assert [rows[n].reached for n in "RTPOW"] == [5, 4, 3, 2, 2]
    assert rows["R"].conversion == pytest.approx(0.8)
    assert rows["T"].conversion == pytest.approx(0.75)
    assert rows["P"].conversion == pytest.approx(2 / 3)
    assert rows["O"].conversion == pytest.approx(1.0)
    assert rows["W"].conversion is None
    assert rows["R"].avg_days == pytest.approx(15) and rows["R"].days_n == 5
    assert rows["T"].avg_days == pytest.approx(24.5) and rows["T"].days_n == 2
    assert rows["P"].avg_days == pytest.approx(10)
    assert rows["O"].avg_days == pytest.approx(6)
    assert rows["W"].avg_days is None
    assert (f.total, f.open, f.won, f.lost) == (5, 1, 2, 2)
    assert f.win_rate == pytest.approx(0.5)
    assert f.avg_cycle_days == pytest.approx(26)
    assert f.overall_conversion == pytest.approx(0.4)


def test_going_back_counts_the_furthest_stage_and_both_spells():
    # 0 R, 4 P, 6 T (moved back), 10 P, now day 59: reached R, T, P; P spells 2 + 49 days.
    f = funnel(STAGES, [opp("open", (0, R), (4, P), (6, T), (10, P))], NOW)
    rows = {r.stage.name: r for r in f.stages}
    assert [rows[n].reached for n in "RTPOW"] == [1, 1, 1, 0, 0]
    assert rows["P"].avg_days == pytest.approx(51) and rows["T"].avg_days == pytest.approx(4)
    assert rows["P"].conversion == 0 and rows["O"].conversion is None


def test_nothing_to_count():
    f = funnel(STAGES, [], NOW)
    assert f.total == 0 and f.win_rate is None and f.avg_cycle_days is None and f.overall_conversion is None
    assert all(r.reached == 0 and r.conversion is None for r in f.stages)
