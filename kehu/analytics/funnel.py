"""The sales funnel of one pipeline: conversion between stages, days in each stage,
win rate and cycle length.

Pure Python (no Django): :func:`funnel` takes the pipeline's stages in order and one
:class:`OpportunityHistory` per opportunity (its stage changes with their times, taken
from ``StageChange``) and returns a :class:`Funnel`. ``kehu.sales.funnel_selectors``
reads the histories from the database.

Definitions (the decisions the issue left open, tested in tests/analytics/test_funnel.py
on a hand-worked example):

- **Reached.** An opportunity *reached* an open stage when it ever entered that stage
  **or any later open stage**, or was won: a skipped stage counts as reached (the funnel
  is cumulative, so that every step's conversion is between 0 and 1 and a deal moved
  straight from 储备 reserve to 商机 opportunity does not make the intermediate steps look
  better than they are). A lost opportunity reached the open stages up to the furthest
  one it entered; a won one reached all the open stages and the won stage. Where an
  opportunity went back (reopened, moved back) only the furthest stage counts.
- **Conversion** from stage *k* to stage *k+1* (the last open stage's next is the won
  stage) = reached(*k+1*) / reached(*k*); ``None`` when nobody reached *k*.
- **Days in a stage.** From each stage change to the next one; an opportunity that is
  still open counts its current stage **up to now** (leaving it out would make the
  stages where deals stall look fast). Time in the won and lost stages is not counted.
  The average is over the opportunities that spent time in the stage (a stage entered
  twice adds both spells for that opportunity).
- **Win rate** = won / (won + lost) over the closed opportunities; ``None`` with none.
- **Cycle length** = the average days from creation to winning, over the won ones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

OPEN, WON, LOST = "open", "won", "lost"
DAY = 86400.0


@dataclass(frozen=True)
class StageDef:
    id: int
    outcome: str                 # "open", "won" or "lost"
    name: str = ""


@dataclass(frozen=True)
class OpportunityHistory:
    """One opportunity: when it was created and each stage it entered (stage id, time),
    oldest first (the creation's entry first). ``outcome`` is its current stage's."""

    created_at: dt.datetime
    moves: tuple[tuple[int, dt.datetime], ...]
    outcome: str = OPEN
    won_at: dt.datetime | None = None


@dataclass(frozen=True)
class StageRow:
    stage: StageDef
    reached: int
    conversion: float | None           # to the next stage (the won stage after the last open one)
    avg_days: float | None             # None for the won and lost stages, or when nobody stayed
    days_n: int                        # how many opportunities the average is over


@dataclass(frozen=True)
class Funnel:
    stages: list[StageRow]
    total: int
    open: int
    won: int
    lost: int
    win_rate: float | None
    avg_cycle_days: float | None
    overall_conversion: float | None   # won / reached the first stage


def _days(a: dt.datetime, b: dt.datetime) -> float:
    return max((b - a).total_seconds(), 0.0) / DAY


def funnel(stages: list[StageDef], histories: list[OpportunityHistory], now: dt.datetime) -> Funnel:
    opens = [s for s in stages if s.outcome == OPEN]
    won_stage = next((s for s in stages if s.outcome == WON), None)
    index = {s.id: i for i, s in enumerate(opens)}
    reached = [0] * len(opens)
    reached_won = 0
    spent: dict[int, list[float]] = {s.id: [] for s in opens}
    won = lost = 0
    cycles: list[float] = []
    for h in histories:
        furthest = -1
        per_stage: dict[int, float] = {}
        moves = sorted(h.moves, key=lambda m: m[1])
        for i, (stage_id, at) in enumerate(moves):
            if stage_id in index:
                furthest = max(furthest, index[stage_id])
                end = moves[i + 1][1] if i + 1 < len(moves) else (now if h.outcome == OPEN else None)
                if end is not None:
                    per_stage[stage_id] = per_stage.get(stage_id, 0.0) + _days(at, end)
        if h.outcome == WON:
            won += 1
            furthest = len(opens) - 1
            reached_won += 1
            won_at = h.won_at or next((at for sid, at in reversed(moves) if won_stage and sid == won_stage.id), None)
            if won_at is not None:
                cycles.append(_days(h.created_at, won_at))
        elif h.outcome == LOST:
            lost += 1
        for k in range(furthest + 1):
            reached[k] += 1
        for stage_id, days in per_stage.items():
            spent[stage_id].append(days)
    rows = []
    for k, s in enumerate(opens):
        nxt = reached[k + 1] if k + 1 < len(opens) else reached_won
        days = spent[s.id]
        rows.append(StageRow(stage=s, reached=reached[k], conversion=(nxt / reached[k]) if reached[k] else None,
                             avg_days=(sum(days) / len(days)) if days else None, days_n=len(days)))
    if won_stage is not None:
        rows.append(StageRow(stage=won_stage, reached=reached_won, conversion=None, avg_days=None, days_n=0))
    closed = won + lost
    return Funnel(stages=rows, total=len(histories), open=len(histories) - closed, won=won, lost=lost,
                  win_rate=(won / closed) if closed else None,
                  avg_cycle_days=(sum(cycles) / len(cycles)) if cycles else None,
                  overall_conversion=(reached_won / reached[0]) if opens and reached[0] else None)
