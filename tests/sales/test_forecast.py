"""The sales forecast (kehu/sales/forecast.py): the weighted pipeline, won and quota worked by
hand, the repeat part from a stored value run checked against kehu.analytics.forecast on the
same parameters, visibility through the policy, and the backtest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.analytics.forecast import expected_purchases_between
from kehu.audit.models import AuditEvent
from kehu.insights.models import AnalysisRun, CustomerScore, RunStatus
from kehu.sales.forecast import backtest, forecast, parse_period, period_containing, today
from kehu.sales.models import Quota
from kehu.sales.opportunities import opportunity_create, opportunity_win
from kehu.sales.quotas import quota_create, quota_delete, quota_import, quota_update
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def test_periods():
    q = parse_period("2026-q1")
    assert (q.code, q.start, q.end, q.days, q.is_quarter) == ("2026-Q1", dt.date(2026, 1, 1), dt.date(2026, 3, 31),
                                                              90, True)
    m = parse_period("2024-02")
    assert (m.start, m.end, m.is_quarter) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29), False)
    assert parse_period("2026-Q4").next().code == "2027-Q1" and parse_period("2026-01").previous().code == "2025-12"
    assert period_containing(dt.date(2026, 8, 15)).code == "2026-Q3"
    for bad in ("2026-13", "2026-Q5", "26-Q1", "", "2026-1"):
        with pytest.raises(ValueError):
            parse_period(bad)


def _opp(actor, customer, line, amount, probability, close):
    return opportunity_create(actor=actor, data={"customer": customer, "name": "Plate", "probability": probability,
                                                 "expected_close": close},
                              lines=[{"product_line": line, "amount": amount}])


@pytest.fixture
def book(org, customers, pipeline, line):
    """sales_n1: 100 000 at 80 % and 40 000 at 40 % closing this quarter, 10 000 at 10 % next
    quarter, and 25 000 won; sales_e1: 60 000 at 50 %."""
    u = org.users
    period = period_containing(today())
    _opp(u.sales_n1, customers.n1, line, "100000", 80, period.end)
    _opp(u.sales_n1, customers.n1, line, "40000", 40, period.start)
    _opp(u.sales_n1, customers.n1, line, "10000", 10, period.end + dt.timedelta(days=1))
    won = _opp(u.sales_n1, customers.n1, line, "25000", 50, period.end)
    opportunity_win(actor=u.sales_n1, opportunity=won)
    _opp(u.sales_e1, customers.e1, line, "60000", 50, period.end)
    return period


def test_pipeline_by_owner_by_hand(org, book):
    u = org.users
    f = forecast(viewer=u.admin, period=book, by="owner", run=None)
    rows = {r["key"]: r for r in f["rows"]}
    n1 = rows[u.sales_n1.pk]
    assert n1["commit"] == pytest.approx(80_000) and n1["best_case"] == pytest.approx(16_000)
    assert n1["pipeline"] == 0 and n1["won"] == pytest.approx(25_000) and n1["open"] == 2
    assert n1["total"] == pytest.approx(121_000) and n1["quota"] is None and n1["attainment"] is None
    assert rows[u.sales_e1.pk]["best_case"] == pytest.approx(30_000)
    assert f["totals"]["total"] == pytest.approx(151_000)
    # the next quarter holds the 10 % one
    nxt = forecast(viewer=u.admin, period=book.next(), by="owner", run=None)
    assert {r["key"]: r["pipeline"] for r in nxt["rows"]}[u.sales_n1.pk] == pytest.approx(1_000)


def test_by_team_and_line_and_quota(org, book, line):
    u, t = org.users, org.teams
    quota_create(actor=u.admin, period=book.code, amount=Decimal("200000"), user=u.sales_n1)
    quota_create(actor=u.admin, period=book.code, amount=Decimal("100000"), team=t.n1)
    quota_create(actor=u.admin, period=book.code, amount=Decimal("300000"), team=t.n1, product_line=line)
    f = forecast(viewer=u.admin, period=book, by="owner", run=None)
    n1 = {r["key"]: r for r in f["rows"]}[u.sales_n1.pk]
    assert n1["quota"] == 200_000 and n1["attainment"] == pytest.approx(121_000 / 200_000)
    teams = {r["key"]: r for r in forecast(viewer=u.admin, period=book, by="team", run=None)["rows"]}
    assert teams[t.n1.pk]["total"] == pytest.approx(121_000) and teams[t.n1.pk]["quota"] == 100_000
    assert teams[t.e1.pk]["total"] == pytest.approx(30_000)
    lines = {r["key"]: r for r in forecast(viewer=u.admin, period=book, by="line", run=None)["rows"]}
    assert lines[line.pk]["total"] == pytest.approx(151_000) and lines[line.pk]["quota"] == 300_000
    # a month quota adds up in its quarter when the quarter has none
    month = f"{book.start:%Y-%m}"
    quota_create(actor=u.admin, period=month, amount=Decimal("5000"), user=u.sales_e1)
    e1 = {r["key"]: r for r in forecast(viewer=u.admin, period=book, by="owner", run=None)["rows"]}[u.sales_e1.pk]
    assert e1["quota"] == 5000


def test_visibility(org, book):
    u = org.users
    mine = forecast(viewer=u.sales_e1, period=book, by="owner", run=None)
    assert [r["key"] for r in mine["rows"]] == [u.sales_e1.pk] and mine["totals"]["total"] == pytest.approx(30_000)
    north = forecast(viewer=u.north_manager, period=book, by="owner", run=None)
    keys = {r["key"] for r in north["rows"]}
    assert u.sales_n1.pk in keys and u.sales_e1.pk not in keys
    assert north["totals"]["total"] == pytest.approx(121_000)


def test_repeat_part_from_the_value_run(org, customers, book):
    u = org.users
    params = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    as_of = book.start - dt.timedelta(days=15)
    run = AnalysisRun.objects.create(status=RunStatus.SUCCEEDED, as_of=as_of, time_unit="week", model="bgnbd",
                                     results={"model": {"name": "bgnbd", "params": params}})
    hist = {customers.n1: (3, 20.0, 30.0, "1000"), customers.n1b: (0, 0.0, 10.0, "500"),
            customers.e1: (5, 28.0, 30.0, "2000")}
    for c, (x, tx, T, spend) in hist.items():
        CustomerScore.objects.create(run=run, customer=c, frequency=x, recency=tx, T=T, expected_spend=spend)
    f = forecast(viewer=u.admin, period=book, by="owner", run=run)
    rows = {r["key"]: r for r in f["rows"]}
    a, b = 14 / 7, (book.end - as_of).days / 7
    p = list(params.values())
    for c, (x, tx, T, spend) in hist.items():
        e = expected_purchases_between("bgnbd", p, a, b, [x], [tx], [T])[0]
        assert rows[c.owner_id]["repeat"] == pytest.approx(e * float(spend))
        assert rows[c.owner_id]["repeat_purchases"] == pytest.approx(e)
    assert f["run"]["id"] == run.pk and f["repeat_available"]
    assert rows[u.sales_n1.pk]["total"] == pytest.approx(121_000 + rows[u.sales_n1.pk]["repeat"])
    # a salesperson's repeat part is over their customers only
    mine = forecast(viewer=u.sales_n1b, period=book, by="owner", run=run)
    assert [r["key"] for r in mine["rows"]] == [u.sales_n1b.pk]
    assert mine["totals"]["repeat"] == pytest.approx(rows[u.sales_n1b.pk]["repeat"])


def test_backtest_counts_what_was_won(org, customers, book, line):
    u = org.users
    for i in range(30):
        OrderFactory(customer=customers.n1, order_date=book.start - dt.timedelta(days=200 - 5 * i),
                     )
    bt = backtest(viewer=u.admin, periods=2, before=book.next().start)
    assert [r["period"] for r in bt["rows"]] == [book.previous().code, book.code]
    last = bt["rows"][-1]
    assert last["won"] == pytest.approx(25_000)
    # created today, after the period's start: nothing was forecast then
    assert last["pipeline_forecast"] == 0 and last["pipeline_ape"] == pytest.approx(1.0)


def test_quota_services_through_the_policy(org, line):
    u, t = org.users, org.teams
    q = quota_create(actor=u.north_manager, period="2027-q1", amount=Decimal("1000"), user=u.sales_n1)
    assert q.period == "2027-Q1" and AuditEvent.objects.filter(entity="quota", action="create").exists()
    for actor, who in ((u.sales_n1, {"user": u.sales_n1}), (u.north_manager, {"user": u.sales_e1}),
                       (u.analyst, {"team": t.n1}), (u.north_manager, {"user": u.north_manager})):
        with pytest.raises(PermissionDenied):
            quota_create(actor=actor, period="2027-Q1", amount=Decimal("1"), **who)
    with pytest.raises(ValidationError):
        quota_create(actor=u.admin, period="2027-Q1", amount=Decimal("5"), user=u.sales_n1)
    with pytest.raises(ValidationError):
        quota_create(actor=u.admin, period="2027-Q9", amount=Decimal("5"), user=u.sales_n1)
    with pytest.raises(ValidationError):
        quota_create(actor=u.admin, period="2027-Q1", amount=Decimal("5"), user=u.sales_n1, team=t.n1)
    quota_update(actor=u.north_manager, quota=q, data={"amount": Decimal("2000")})
    assert Quota.objects.get(pk=q.pk).amount == 2000
    with pytest.raises(PermissionDenied):
        quota_delete(actor=u.east_manager, quota=q)
    quota_delete(actor=u.admin, quota=q)
    assert not Quota.objects.exists()


def test_import_all_or_nothing(org, line, tmp_path):
    u = org.users
    good = tmp_path / "q.csv"
    good.write_text("期间,销售员,团队,产品线,金额\n2027-Q1,sales_n1,,,100000\n2027-Q1,,North sales 1,steel,80000\n",
                    encoding="utf-8")
    rep = quota_import(actor=u.admin, path=good)
    assert not rep.errors and rep.created == 2 and Quota.objects.count() == 2
    again = quota_import(actor=u.admin, path=good)
    assert again.updated == 2 and Quota.objects.count() == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("period,username,amount\n2027-Q2,sales_n1,5\n2027-Q2,nobody,5\n2027-13,sales_n1,5\n",
                   encoding="utf-8")
    rep = quota_import(actor=u.admin, path=bad)
    assert [line for line, _m in rep.errors] == [3, 4] and Quota.objects.count() == 2
