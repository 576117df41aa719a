"""Bulk writing of scores: the same rows on SQLite (executemany) and on
PostgreSQL (binary COPY, a partition per run): NULLs, negative money, texts,
dates and the JSON churn reasons."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection, transaction

from kehu.insights.models import AnalysisRun, CustomerScore
from kehu.insights.pipeline import Analysis
from kehu.insights.score_writer import delete_scores, partition_name, write_scores
from tests.factories import CustomerFactory


def analysis_for(customers):
    n = len(customers)
    assert n == 3
    nan = np.nan
    return Analysis(
        customer_id=np.array([c.pk for c in customers], dtype=np.int64),
        columns={
            "first_order": np.array(["2024-01-02", "2023-12-31", "2024-03-01"], dtype="datetime64[D]"),
            "last_order": np.array(["2024-06-30", "2024-01-01", "2024-03-01"], dtype="datetime64[D]"),
            "orders": np.array([5, 2, 1]), "purchase_days": np.array([4, 2, 1]),
            "revenue": np.array([1234.5651, 0.1, 99999999.99]), "gross_margin": np.array([-10.05, 0.0, -0.004]),
            "outstanding": np.array([0.0, 0.1, 5.0]),
            "frequency": np.array([3.0, 1.0, 0.0]), "recency": np.array([25.57, 0.14, 0.0]),
            "T": np.array([30.0, 32.1, 20.0]), "monetary": np.array([12.5, 0.1, 0.0]),
            "recency_days": np.array([10, 200, 130]),
            "r_score": np.array([5, 1, 3]), "f_score": np.array([5, 3, 1]), "m_score": np.array([4, 1, 5]),
            "rfm_group": np.array(["important_value", "general_retain", "important_develop"], dtype=object),
            "abc_class": np.array(["A", "C", ""], dtype=object),
            "tier": np.array(["gold", "do_not_serve", "bronze"], dtype=object),
            "scorecard": np.array([36.0, 8.0, nan]), "scorecard_rank": np.array([1, 2, 3]),
            "p_alive": np.array([0.9, 0.2, nan]), "expected_purchases": np.array([2.5, 0.1, nan]),
            "expected_spend": np.array([20.0, nan, nan]), "clv": np.array([150.2551, nan, nan]),
            "historical_clv": np.array([1234.57, 0.1, 99999999.99]),
            "rhythm_days": np.array([59.3, 1.0, nan]), "next_order_date": np.array([19962.0, 19724.0, nan]),
            "churn_risk": np.array([0.1, 0.8, nan]), "revenue_at_risk": np.array([5.0, 0.08, nan]),
            "attitude": np.array([80.0, nan, nan]),
            "dick_basu": np.array(["loyal", "unknown", "unknown"], dtype=object),
            "reinartz_kumar": np.array(["true_friend", "stranger", "unknown"], dtype=object),
        },
        churn_signals={
            "p_alive": (np.array([0.04, 0.2, nan]), np.array([0.9, 0.2, nan])),
            "overdue": (np.array([0.06, 0.5, nan]), np.array([1.2, 4.0, nan])),
            "drop": (np.array([0.0, 0.1, nan]), np.array([0.0, nan, nan])),
        },
    )


@pytest.mark.django_db
def test_rows_round_trip(org):
    customers = [CustomerFactory(owner=org.users.sales_n1) for _ in range(3)]
    run = AnalysisRun.objects.create(as_of=dt.date(2024, 7, 1))
    with transaction.atomic():
        assert write_scores(run, analysis_for(customers)) == 3
    got = {s.customer_id: s for s in CustomerScore.objects.filter(run=run)}
    a, b, c = (got[x.pk] for x in customers)
    assert a.first_order == dt.date(2024, 1, 2) and b.first_order == dt.date(2023, 12, 31)
    assert a.revenue == Decimal("1234.57") and c.revenue == Decimal("99999999.99")
    assert a.gross_margin == Decimal("-10.05") and c.gross_margin == Decimal("0.00")
    assert a.recency == pytest.approx(25.57) and a.r_score == 5 and a.recency_days == 10
    assert (a.rfm_group, b.rfm_group, c.rfm_group) == ("important_value", "general_retain", "important_develop")
    assert (a.abc_class, c.abc_class) == ("A", "") and b.tier == "do_not_serve"
    assert c.scorecard is None and c.p_alive is None and b.clv is None and a.clv == Decimal("150.26")
    assert c.next_order_date is None and a.next_order_date == dt.date(2024, 8, 27)
    assert c.attitude is None and a.dick_basu == "loyal" and b.dick_basu == "unknown"
    assert c.reinartz_kumar == "" and a.reinartz_kumar == "true_friend"
    # Reasons: largest contribution first; under 0.05 left out; unknown values are null.
    assert a.churn_reasons == [{"signal": "overdue", "contribution": 0.06, "value": 1.2}]
    assert b.churn_reasons == [{"signal": "overdue", "contribution": 0.5, "value": 4.0},
                               {"signal": "p_alive", "contribution": 0.2, "value": 0.2},
                               {"signal": "drop", "contribution": 0.1, "value": None}]
    assert c.churn_reasons == []
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_inherits WHERE inhrelid = %s::regclass", [partition_name(run.pk)])
            assert cur.fetchone()[0] == 1  # attached as the run's partition
            cur.execute("SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass",
                        [partition_name(run.pk)])
            defs = [row[0] for row in cur.fetchall()]
            # the parent's indexes, built on the partition: among them the churn list by revenue at risk,
            # without the run, which is the same in every row of a partition (migration 0008: a
            # constant first key made the bulk build three times slower), and with the ties in the
            # measure's direction, so a next page is one row-value range
            assert any("(revenue_at_risk DESC, id DESC)" in d for d in defs), defs
            lists = [d for d in defs if any(k in d for k in ("churn_risk", "revenue_at_risk", "clv", "tier",
                                                              "rfm_group", "next_order_date"))]
            assert len(lists) == 6 and not any("(run_id" in d for d in lists), lists
            # each of the parent's indexes once: the key and the unique constraint adopted, not built twice
            cur.execute("SELECT count(*) FROM pg_index WHERE indrelid = %s::regclass", [CustomerScore._meta.db_table])
            assert len(defs) == cur.fetchone()[0], defs
    delete_scores([run.pk])
    assert not CustomerScore.objects.filter(run=run).exists()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT to_regclass(%s)", [partition_name(run.pk)])
            assert cur.fetchone()[0] is None


@pytest.mark.django_db
def test_rows_made_through_the_orm_still_work(org):
    """Scores created one by one (the pages' tests do) land in the default partition."""
    customer = CustomerFactory(owner=org.users.sales_n1)
    run = AnalysisRun.objects.create(as_of=dt.date(2024, 7, 1))
    CustomerScore.objects.create(run=run, customer=customer, tier="gold")
    assert CustomerScore.objects.get(run=run).tier == "gold"
    delete_scores([run.pk])
    assert not CustomerScore.objects.exists()


def _pg_round3(x: float) -> str:
    """PostgreSQL's round(x::numeric, 3)::text: 15 significant digits, then half away from zero."""
    from decimal import ROUND_HALF_UP
    q = Decimal(format(x, ".15g")).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    return "0.000" if q == 0 else str(q)


TRICKY = [0.0, -0.0, 0.0005, -0.0005, 0.0015, 0.0025, 1.0005, 2.675, -2.675, 0.1 + 0.2, 1 / 3, -1 / 3,
          0.00049999999999999, 123456.7895, 1e11 + 0.0005, -0.0004, 59.3, 4.0, 1e-20, 999.9995, 12345678.9994999]


def test_reason_numbers_are_rounded_as_postgresql_does():
    from kehu.insights.score_writer import _decimal_text, _thousandths
    rng = np.random.default_rng(7)
    xs = np.array(TRICKY + list(rng.normal(0, 100, 2000)) + list(np.round(rng.normal(0, 10, 2000), 4)), float)
    m, ok = _thousandths(xs)
    text, keep = _decimal_text(m)
    got = [bytes(row[k]).decode() for row, k in zip(text, keep)]
    assert ok.all()
    assert got == [_pg_round3(float(x)) for x in xs]


@pytest.mark.django_db
def test_reason_numbers_match_the_server():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's own rounding")
    from kehu.insights.score_writer import _decimal_text, _thousandths
    xs = np.array(TRICKY, float)
    text, keep = _decimal_text(_thousandths(xs)[0])
    with connection.cursor() as cur:
        cur.execute("SELECT round(x::numeric, 3)::text FROM unnest(%s::float8[]) WITH ORDINALITY AS t(x, i) "
                    "ORDER BY i", [list(map(float, xs))])
        server = [r[0] for r in cur.fetchall()]
    assert [bytes(row[k]).decode() for row, k in zip(text, keep)] == server


@pytest.mark.django_db
def test_stored_text_on_postgresql(org):
    """Money keeps two decimals, the reasons' numbers three (as the SQL that built them did)."""
    if connection.vendor != "postgresql":
        pytest.skip("the stored text of PostgreSQL's types")
    customers = [CustomerFactory(owner=org.users.sales_n1) for _ in range(3)]
    run = AnalysisRun.objects.create(as_of=dt.date(2024, 7, 1))
    with transaction.atomic():
        write_scores(run, analysis_for(customers))
    with connection.cursor() as cur:
        cur.execute("SELECT revenue::text, gross_margin::text, clv::text, churn_reasons::text, id IS NOT NULL "
                    "FROM insights_customerscore WHERE run_id = %s AND customer_id = %s", [run.pk, customers[1].pk])
        revenue, margin, clv, reasons, has_id = cur.fetchone()
    assert (revenue, margin, clv, has_id) == ("0.10", "0.00", None, True)
    assert reasons == ('[{"value": 4.000, "signal": "overdue", "contribution": 0.500}, '
                       '{"value": 0.200, "signal": "p_alive", "contribution": 0.200}, '
                       '{"value": null, "signal": "drop", "contribution": 0.100}]')
    delete_scores([run.pk])
