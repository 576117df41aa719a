"""Marking customers lost and won back: the lost-revenue definition, the lifecycle
history, the report's sums, the automatic win-back on a new order, the win-back list
and its targeting (kehu.marketing.winback)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.customers.models import LifecycleStage
from kehu.marketing.winback import selectors
from kehu.marketing.winback.models import LossRecord
from kehu.marketing.winback.services import loss_create, loss_won_back
from kehu.sales.models import LifecycleChange
from tests.factories import OrderFactory

from .conftest import LOST_ON, _order

pytestmark = pytest.mark.django_db


def test_revenue_lost_is_the_12_months_before_the_loss(history):
    assert selectors.revenue_window(LOST_ON) == (dt.date(2025, 6, 15), LOST_ON)
    assert selectors.annual_revenue_before(customer_id=history.n1.pk, lost_on=LOST_ON) == Decimal("3500.00")
    assert selectors.annual_revenue_before(customer_id=history.n1b.pk, lost_on=LOST_ON) == 0
    # a loss on 29 February looks back to 28 February
    assert selectors.revenue_window(dt.date(2028, 2, 29)) == (dt.date(2027, 2, 28), dt.date(2028, 2, 29))


def test_marking_lost_records_the_loss_and_the_lifecycle_move(org, history):
    seller = org.users.sales_n1
    loss = loss_create(actor=seller, customer=history.n1, reason="staff", lost_on=LOST_ON, note="No visits for a year")
    assert loss.revenue_lost == Decimal("3500.00") and loss.predicted_value is None
    assert loss.expected_value == Decimal("1750.00")   # 50% of the revenue lost: staff indifference
    assert loss.owner == seller and loss.recorded_by == seller and loss.is_open
    history.n1.refresh_from_db()
    assert history.n1.lifecycle_stage == LifecycleStage.LOST
    move = LifecycleChange.objects.filter(customer=history.n1).order_by("-at", "-id").first()
    assert (move.from_stage, move.to_stage, move.by, move.auto) == ("customer", "lost", seller, False)
    assert move.reason == "Lost: Indifferent staff"
    # one open loss at a time
    with pytest.raises(ValidationError) as caught:
        loss_create(actor=seller, customer=history.n1, reason="competitor", lost_on=LOST_ON)
    assert "customer" in caught.value.message_dict


def test_the_predicted_value_comes_from_the_latest_value_run_before_the_loss(org, history):
    from tests.insights.score_factories import AnalysisRunFactory, CustomerScoreFactory

    old = AnalysisRunFactory(as_of=dt.date(2026, 3, 31))
    CustomerScoreFactory(run=old, customer=history.n1, clv=Decimal("8000.00"))
    later = AnalysisRunFactory(as_of=dt.date(2026, 9, 30))   # after the loss: not used
    CustomerScoreFactory(run=later, customer=history.n1, clv=Decimal("1.00"))
    loss = loss_create(actor=org.users.sales_n1, customer=history.n1, reason="competitor", lost_on=LOST_ON)
    assert loss.predicted_value == Decimal("8000.00") and loss.value_run == old
    assert loss.expected_value == Decimal("2000.00")   # 25% of the predicted value


def test_other_needs_words_and_the_date_cannot_be_ahead(org, history):
    seller = org.users.sales_n1
    with pytest.raises(ValidationError) as caught:
        loss_create(actor=seller, customer=history.n1, reason="other", reason_other=" ", lost_on=LOST_ON)
    assert "Say in words" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        loss_create(actor=seller, customer=history.n1, reason="staff", lost_on=dt.date.today() + dt.timedelta(days=3))
    assert "lost_on" in caught.value.message_dict
    with pytest.raises(ValidationError):
        loss_create(actor=seller, customer=history.n1, reason="nonsense", lost_on=LOST_ON)
    assert not LossRecord.objects.exists()
    history.n1.refresh_from_db()
    assert history.n1.lifecycle_stage != LifecycleStage.LOST   # nothing half-written


@pytest.mark.parametrize("role", ["north_marketing", "analyst", "sales_n1b", "sales_e1", "east_manager"])
def test_only_who_may_change_the_customer_marks_it_lost(org, history, role):
    with pytest.raises(PermissionDenied):
        loss_create(actor=getattr(org.users, role), customer=history.n1, reason="staff", lost_on=LOST_ON)


def test_a_new_order_wins_the_customer_back_automatically_and_once(org, history):
    seller = org.users.sales_n1
    loss = loss_create(actor=seller, customer=history.n1, reason="product", lost_on=LOST_ON)
    # an order entered late but dated before the loss, and a cancelled one, win nobody back
    _order(history.n1, dt.date(2026, 6, 1))
    _order(history.n1, dt.date(2026, 7, 1), status="cancelled")
    loss.refresh_from_db()
    assert loss.is_open
    order = _order(history.n1, dt.date(2026, 8, 3))
    loss.refresh_from_db()
    assert (loss.won_back_on, loss.won_back_how, loss.won_back_order) == (dt.date(2026, 8, 3), "order", order)
    history.n1.refresh_from_db()
    assert history.n1.lifecycle_stage == LifecycleStage.WON_BACK
    move = LifecycleChange.objects.filter(customer=history.n1).order_by("-at", "-id").first()
    assert (move.from_stage, move.to_stage, move.auto) == ("lost", "won_back", True)
    assert order.ref in move.reason
    # idempotent: the next order changes nothing
    _order(history.n1, dt.date(2026, 9, 3))
    loss.refresh_from_db()
    assert loss.won_back_order == order
    assert LifecycleChange.objects.filter(customer=history.n1, to_stage="won_back").count() == 1


def test_marking_won_back_by_hand(org, history):
    seller = org.users.sales_n1
    loss = loss_create(actor=seller, customer=history.n1, reason="competitor", lost_on=LOST_ON)
    with pytest.raises(PermissionDenied):
        loss_won_back(actor=org.users.north_marketing, loss=loss)
    with pytest.raises(ValidationError):
        loss_won_back(actor=seller, loss=loss, won_back_on=dt.date(2026, 6, 1))   # before the loss
    loss = loss_won_back(actor=seller, loss=loss, won_back_on=dt.date(2026, 10, 1), note="New price list")
    assert (loss.won_back_on, loss.won_back_how, loss.won_back_by) == (dt.date(2026, 10, 1), "manual", seller)
    history.n1.refresh_from_db()
    assert history.n1.lifecycle_stage == LifecycleStage.WON_BACK
    move = LifecycleChange.objects.filter(customer=history.n1).order_by("-at", "-id").first()
    assert (move.to_stage, move.by, move.auto) == ("won_back", seller, False)
    with pytest.raises(ValidationError):
        loss_won_back(actor=seller, loss=loss)   # once
    # lost again later: a new loss
    again = loss_create(actor=seller, customer=history.n1, reason="staff", lost_on=dt.date(2026, 11, 1))
    assert again.pk != loss.pk and again.revenue_lost == Decimal("2500.00")


def test_a_campaign_source_can_be_recorded(org, history):
    loss = loss_create(actor=org.users.sales_n1, customer=history.n1, reason="staff", lost_on=LOST_ON)
    loss = loss_won_back(actor=None, loss=loss, how="campaign", campaign_id=42, check_permissions=False)
    assert (loss.won_back_how, loss.won_back_campaign_id) == ("campaign", 42)
    assert LifecycleChange.objects.filter(customer=history.n1, to_stage="won_back", auto=True).exists()


@pytest.fixture
def losses(org, history):
    """n1 (sales_n1): staff, 2026-06-15, 3500; e1 (sales_e1): competitor, 2026-02-20, 4000,
    won back; n1b (sales_n1b): died, 2026-07-02, 0."""
    u = org.users
    a = loss_create(actor=u.sales_n1, customer=history.n1, reason="staff", lost_on=LOST_ON)
    b = loss_create(actor=u.sales_e1, customer=history.e1, reason="competitor", lost_on=dt.date(2026, 2, 20))
    loss_won_back(actor=u.sales_e1, loss=b, won_back_on=dt.date(2026, 4, 1))
    c = loss_create(actor=u.sales_n1b, customer=history.n1b, reason="died", lost_on=dt.date(2026, 7, 2))
    return a, b, c


def test_the_report_sums_by_reason_owner_and_period(org, losses):
    r = selectors.loss_report(viewer=org.users.admin)
    t = r["total"]
    assert (t["losses"], t["revenue_lost"], t["won_back"], t["won_back_revenue"]) == (
        3, Decimal("7500.00"), 1, Decimal("4000.00"))
    assert t["open_value"] == Decimal("1750.00")   # n1 (staff 50% of 3500); died is worth nothing
    by = {row["reason"]: row for row in r["by_reason"]}
    assert [row["reason"] for row in r["by_reason"]] == ["died", "moved", "friends", "competitor", "product",
                                                          "staff", "other"]
    assert by["staff"]["losses"] == 1 and by["staff"]["share"] == Decimal("33.3")
    assert by["staff"]["reference_share"] == 68 and by["other"]["reference_share"] is None
    assert by["competitor"]["revenue_lost"] == Decimal("4000.00") and by["competitor"]["won_back"] == 1
    assert by["competitor"]["revenue_share"] == Decimal("53.3")
    assert by["moved"]["losses"] == 0 and by["moved"]["share"] == 0
    owners = {row["owner"]: row["revenue_lost"] for row in r["by_owner"]}
    assert owners == {"sales_e1": Decimal("4000.00"), "sales_n1": Decimal("3500.00"), "sales_n1b": 0} or \
        set(owners.values()) == {Decimal("4000.00"), Decimal("3500.00"), Decimal("0")}
    assert r["by_owner"][0]["revenue_lost"] == Decimal("4000.00")   # most revenue lost first
    assert [(p["period"], p["losses"]) for p in r["by_period"]] == [("2026-02", 1), ("2026-06", 1), ("2026-07", 1)]
    q = selectors.loss_report(viewer=org.users.admin, period="quarter")
    assert [(p["period"], p["revenue_lost"]) for p in q["by_period"]] == [
        ("2026-Q1", Decimal("4000.00")), ("2026-Q2", Decimal("3500.00")), ("2026-Q3", Decimal("0.00"))]
    f = selectors.loss_report(viewer=org.users.admin, filters=selectors.LossFilters(
        date_from=dt.date(2026, 6, 1), status="open"))
    assert f["total"]["losses"] == 2 and f["total"]["revenue_lost"] == Decimal("3500.00")


def test_the_report_follows_the_policy(org, losses):
    seen = {"admin": 3, "analyst": 3, "hq_manager": 3, "north_manager": 2, "north_marketing": 2, "east_manager": 1,
            "sales_n1": 1, "sales_n1b": 1, "sales_e1": 1}
    for role, n in seen.items():
        assert selectors.loss_report(viewer=getattr(org.users, role))["total"]["losses"] == n, role


def test_the_win_back_list_and_the_campaign_targeting(org, history, losses):
    a, _b, _c = losses
    extra = _order(history.n1b, dt.date(2026, 1, 5), "9000.00")
    assert extra.pk
    u = org.users
    # e1 is won back, n1b died: only n1 is a candidate
    assert [x.pk for x in selectors.winback_candidates(viewer=u.admin)] == [a.pk]
    targets = selectors.winback_targets(viewer=u.admin)
    assert [(t.customer_id, t.expected_value) for t in targets] == [(history.n1.pk, Decimal("1750.00"))]
    assert selectors.winback_targets(viewer=u.sales_e1) == []
    assert selectors.winback_targets(viewer=u.admin, min_value=Decimal("2000")) == []
    # a customer whose stage was set back by hand is not targeted any more
    from kehu.customers.services import customer_update

    customer_update(actor=u.sales_n1, customer=history.n1, data={"lifecycle_stage": "customer"})
    assert selectors.winback_targets(viewer=u.admin) == []


def test_ranked_by_the_value_to_win_back(org, customers):
    from tests.factories import CustomerFactory

    u = org.users
    made = []
    for reason, price in (("friends", "10000.00"), ("staff", "4000.00"), ("product", "5000.00"),
                          ("moved", "99999.00")):
        c = CustomerFactory(owner=u.sales_n1)
        OrderFactory(customer=c, order_date=dt.date(2026, 5, 1),
                     lines=[{"quantity": 1, "unit_price": price, "unit_cost": "1.00"}])
        made.append(loss_create(actor=u.sales_n1, customer=c, reason=reason, lost_on=LOST_ON))
    # friends 15% × 10000 = 1500; staff 50% × 4000 = 2000; product 30% × 5000 = 1500; moved: none
    ranked = [(x.reason, x.expected_value) for x in selectors.winback_candidates(viewer=u.sales_n1)]
    assert ranked == [("staff", Decimal("2000.00")), ("product", Decimal("1500.00")), ("friends", Decimal("1500.00"))]


def test_an_imported_order_after_the_loss_wins_the_customer_back(org, history, tmp_path):
    from kehu.imports.services import import_orders
    from tests.imports.conftest import write_csv

    loss = loss_create(actor=org.users.sales_n1, customer=history.n1, reason="competitor", lost_on=LOST_ON)
    other = loss_create(actor=org.users.sales_e1, customer=history.e1, reason="staff", lost_on=LOST_ON)
    path = write_csv(tmp_path / "o.csv", [
        ["customer_ref", "order_ref", "order_date", "amount"],
        [history.n1.ref, "IMP-OLD", "2026-05-01", "80"],     # before the loss: history, not a win-back
        [history.n1.ref, "IMP-NEW", "2026-09-01", "130"],
        [history.n1.ref, "IMP-NEWER", "2026-10-01", "50"],
        [history.e1.ref, "IMP-E", "2026-03-01", "70"],       # e1's order is older than its loss
    ])
    report = import_orders(actor=org.users.admin, source=path)
    assert report.error_count == 0 and report.created == 4
    loss.refresh_from_db()
    other.refresh_from_db()
    assert (loss.won_back_on, loss.won_back_how, loss.won_back_order.ref) == (dt.date(2026, 9, 1), "order", "IMP-NEW")
    assert other.is_open
    history.n1.refresh_from_db()
    assert history.n1.lifecycle_stage == LifecycleStage.WON_BACK
    assert LifecycleChange.objects.filter(customer=history.n1, to_stage="won_back", auto=True).count() == 1
