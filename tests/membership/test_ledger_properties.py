"""Property tests of the points ledger (issue 16, correctness): over random
sequences of earn, bonus, redeem, expire and correct — the balance equals the
sum of the entries and of the lots' remaining points, never goes negative, a
refused use changes nothing, and expiry takes the oldest points first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kehu.marketing.membership import ledger
from kehu.marketing.membership.models import EntryKind, PointsEntry, Programme
from kehu.marketing.membership.services import (
    points_balance, points_bonus, points_correct, points_expire, points_redeem,
)

pytestmark = pytest.mark.django_db

START = dt.date(2026, 1, 1)

step = st.one_of(
    st.tuples(st.just("bonus"), st.integers(1, 500), st.integers(0, 20)),
    st.tuples(st.just("redeem"), st.integers(1, 600), st.integers(0, 20)),
    st.tuples(st.just("correct"), st.integers(-600, 600).filter(bool), st.integers(0, 20)),
    st.tuples(st.just("expire"), st.just(0), st.integers(0, 20)),
)


@given(steps=st.lists(step, min_size=1, max_size=25))
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_random_sequences_keep_the_ledger_sound(org, members, steps):
    programme = Programme.current()
    programme.points_validity_months = 1  # lots expire within the sequence's months
    programme.save()
    m = members.n1
    with transaction.atomic():
        day = START
        model: list[list] = []  # [entry id, date, remaining, expires_on] of the lots, to check FIFO
        for kind, points, advance in steps:
            day = day + dt.timedelta(days=advance)
            before = points_balance(m)
            try:
                if kind == "bonus":
                    e = points_bonus(actor=None, membership=m, points=points, reason="b", on=day)
                elif kind == "redeem":
                    e = points_redeem(actor=None, membership=m, points=points, reason="r", on=day)
                elif kind == "correct":
                    e = points_correct(actor=None, membership=m, points=points, reason="c", on=day)
                else:
                    expected = ledger.expiring([ledger.Lot(i, d, r, x) for i, d, r, x in model], day)
                    points_expire(on=day)
                    got = list(PointsEntry.objects.filter(membership=m, kind=EntryKind.EXPIRE, entry_date=day)
                               .order_by("id").values_list("source", "points"))[-len(expected):] if expected else []
                    # one entry per expired lot, oldest lot first, exactly its remaining points
                    assert got == [(f"lot:{i}", -r) for i, r in expected]
                    e = None
            except ValidationError as exc:
                assert "points" in exc.message_dict
                assert kind in ("redeem", "correct") and points_balance(m) == before  # refused: nothing changed
                assert (points if kind == "redeem" else -points) > before
                continue
            if e is not None and e.points > 0:
                model.append([e.pk, e.entry_date, e.points, e.expires_on])
            elif e is not None:
                # a use takes from the oldest lots first
                take = ledger.fifo_take([ledger.Lot(i, d, r, x) for i, d, r, x in model], -e.points)
                for lot_id, n in take:
                    next(lot for lot in model if lot[0] == lot_id)[2] -= n
            if kind == "expire":
                for lot in model:
                    if lot[3] <= day:
                        lot[2] = 0
            entries = PointsEntry.objects.filter(membership=m)
            balance = points_balance(m)
            assert balance == sum(entries.values_list("points", flat=True))
            assert balance >= 0
            remaining = dict(entries.filter(points__gt=0).values_list("id", "remaining"))
            assert sum(remaining.values()) == balance
            assert remaining == {lot[0]: lot[2] for lot in model}
        transaction.set_rollback(True)


@given(lots=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 100)), max_size=12),
       amount=st.integers(0, 800))
@settings(max_examples=200, deadline=None, derandomize=True, database=None)
def test_fifo_takes_the_oldest_points_first(lots, amount):
    objs = [ledger.Lot(i + 1, START + dt.timedelta(days=d), r) for i, (d, r) in enumerate(lots)]
    total = sum(r for _d, r in lots)
    if amount > total:
        with pytest.raises(ledger.InsufficientPoints):
            ledger.fifo_take(objs, amount)
        return
    taken = dict(ledger.fifo_take(objs, amount))
    assert sum(taken.values()) == amount
    ordered = sorted((lot for lot in objs if lot.remaining > 0), key=lambda lot: (lot.date, lot.id))
    # every lot before the last one touched is used up
    touched = [i for i, lot in enumerate(ordered) if lot.id in taken]
    if touched:
        for lot in ordered[:touched[-1]]:
            assert taken.get(lot.id) == lot.remaining


def test_add_months_clamps_to_the_month_end():
    assert ledger.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert ledger.add_months(dt.date(2028, 2, 29), 12) == dt.date(2029, 2, 28)
    assert ledger.add_months(dt.date(2026, 3, 15), -3) == dt.date(2025, 12, 15)
